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
