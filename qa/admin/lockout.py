"""django-axes' lockout page, shown on the admin's sign-in form."""

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def signin_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout page: what happened, for how long, and what to do."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in locked",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": minutes,
    }
    response = render(request, "admin/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
