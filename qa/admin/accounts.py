"""
Staff accounts from the sign-in page: an expert's one-time link to join the panel, and a
forgotten password reset. Both are Django's own views, in the admin's templates; the reset is
throttled per sender and per address, and its email goes out like every other (keyed, after
the commit, retried).
"""

import math

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from ..emails import absolute_url, email_enqueue, secret_digest
from ..models import Expert
from ..ratelimit import Limit, client_address, sender_hash
from ..services import expert_panel_joined
from ..services.accounts import panel_invitation_tokens

# The backend that logs an expert in once they have chosen their password: axes' own backend
# needs the request's credentials, which this step does not have.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class AdminContextMixin:
    """The admin's site header and links on Django's account views."""

    def get_context_data(self, **kwargs):
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}


class PanelWelcomeView(AdminContextMixin, auth_views.PasswordResetConfirmView):
    """
    The link of an invitation to the panel: the expert chooses a password, is signed in and
    lands on their profile. Template: ``registration/panel_welcome.html``.
    """

    token_generator = panel_invitation_tokens
    template_name = "registration/panel_welcome.html"
    post_reset_login = True
    post_reset_login_backend = MODEL_BACKEND
    title = _("Welcome to the panel")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is None or not user.is_staff:
            return None
        return user

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            expert_panel_joined(user=form.user)
        return response

    def get_success_url(self):
        expert = Expert.objects.filter(user=self.user).first()
        if expert is None:
            return reverse("admin:index")
        return reverse("admin:qa_expert_change", args=[expert.pk]) + "?welcome=1"


class StaffPasswordResetForm(PasswordResetForm):
    """Django's reset form for staff only, its email sent through ``email_enqueue``."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if user.is_staff)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        path = reverse("password_reset_confirm", args=[context["uid"], context["token"]])
        email_enqueue(
            key=f"password-reset:{context['uid']}:{secret_digest(context['token'])}",
            to=to_email,
            subject="Reset your password",
            template="password_reset",
            context={
                "username": context["user"].get_username(),
                "reset_url": absolute_url(path),
                "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
            },
            one_time_link=True,
        )


def reset_limits():
    per_hour = settings.PASSWORD_RESET_RATE_LIMIT_PER_HOUR
    return Limit("password-reset-sender", per_hour), Limit("password-reset-address", per_hour)


class StaffPasswordResetView(AdminContextMixin, auth_views.PasswordResetView):
    """
    "Forgotten your password?" on the sign-in page. At most
    ``PASSWORD_RESET_RATE_LIMIT_PER_HOUR`` requests an hour from one sender and for one
    address; the answer is the same whether the address has an account or not.
    """

    form_class = StaffPasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        by_sender, by_address = reset_limits()
        sender = sender_hash(client_address(self.request))
        address = sender_hash(form.cleaned_data["email"].strip().lower())
        wait = by_sender.retry_after(sender) or by_address.retry_after(address)
        if wait:
            form.add_error(
                "email",
                _("Too many reset requests; try again in %(minutes)d minutes.")
                % {"minutes": math.ceil(wait / 60)},
            )
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(int(wait))
            return response
        by_sender.hit(sender)
        by_address.hit(address)
        return super().form_valid(form)


class StaffPasswordResetDoneView(AdminContextMixin, auth_views.PasswordResetDoneView):
    pass


class StaffPasswordResetConfirmView(AdminContextMixin, auth_views.PasswordResetConfirmView):
    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_staff else None


class StaffPasswordResetCompleteView(AdminContextMixin, auth_views.PasswordResetCompleteView):
    pass
