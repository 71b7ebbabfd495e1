"""
One admin at /admin/ for both roles. Editors see everything in ``qa``; an expert sees only their
own answers and profile. The same URLs serve both, so a link in an email works for whoever
opens it.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import (  # noqa: F401  (registration)
    answers,
    columns,
    editorial,
    experts,
    landing,
    newsletter,
    questions,
)

admin.site.site_header = _("Expert panel")
admin.site.site_title = _("Expert panel admin")
admin.site.index_title = _("The weekly column")

# django-otp's own admin would show any device's secret as a QR code to whoever may view it:
# staff manage their own second factor from "Two-factor sign-in", and editors reset a lost one
# from "Staff two-factor sign-in" (qa/admin/signin.py).
from django_otp.plugins.otp_static.models import StaticDevice  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
