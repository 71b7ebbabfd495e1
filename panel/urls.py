from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from qa.admin import markdownx, signin
from qa.admin.view_on_site import view_on_site
from qa.views import health, media, ready

# A database outage that surfaces outside a view (a session saved in middleware) still answers
# 503, not 500.
handler500 = "qa.views.errors.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", ready.readyz, name="readyz"),
    # Before the admin's own: sign-in in two steps (qa/admin/signin.py).
    *signin.urls(),
    # Before the admin's own: "View on site" scoped by role (qa/admin/view_on_site.py).
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(view_on_site),
        name="view_on_site",
    ),
    path("admin/", admin.site.urls),
    # markdownx's endpoints at its own paths, wrapped so only signed-in staff reach them.
    path(
        settings.MARKDOWNX_URLS_PATH.lstrip("/"),
        markdownx.markdownify,
        name="markdownx_markdownify",
    ),
    path(
        settings.MARKDOWNX_UPLOAD_URLS_PATH.lstrip("/"), markdownx.upload, name="markdownx_upload"
    ),
    path("newsletter/", include("qa.newsletter.urls")),
    path("", include("qa.urls")),
]

if settings.MEDIA_STORAGE == "filesystem":
    # The local media folder, in development and in single-machine production alike.
    urlpatterns.insert(
        1, path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media.media, name="media")
    )

if "anymail" in settings.INSTALLED_APPS:
    # Mailgun's tracking webhook (signature checked by anymail): bounces and complaints
    # suppress the address. Only this one provider's route is served.
    from anymail.webhooks.mailgun import MailgunTrackingWebhookView

    urlpatterns.insert(
        0,
        path(
            "anymail/mailgun/tracking/",
            MailgunTrackingWebhookView.as_view(),
            name="mailgun_tracking_webhook",
        ),
    )
