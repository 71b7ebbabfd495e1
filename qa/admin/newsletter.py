"""
The newsletter in the admin, for editors: subscribers by state and topic, and each column's
send with its counts. An editor sees addresses only with the ``view_subscriber_email``
permission; experts see none of it.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..models import Column, Delivery, NewsletterSend, Subscriber
from ..roles import is_editor
from .editorial import ReadOnlyLogAdmin

D = Delivery.Status


def may_see_addresses(request):
    return request.user.has_perm("qa.view_subscriber_email")


@admin.register(Subscriber)
class SubscriberAdmin(ReadOnlyLogAdmin):
    list_display = ["__str__", "status", "topic_names", "source", "consented_at", "requested_at"]
    list_filter = ["status", "topics", "source", "consent_source"]
    ordering = ["-requested_at", "-id"]
    show_full_result_count = False
    ADDRESS_FIELDS = ["email"]
    fields = [
        "email",
        "status",
        "topic_names",
        "source",
        "requested_at",
        "consented_at",
        "consent_source",
        "unsubscribed_at",
        "suppressed_at",
        "suppressed_reason",
        "rejections",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    def get_list_display(self, request):
        if may_see_addresses(request):
            return ["email", *self.list_display[1:]]
        return self.list_display

    def get_search_fields(self, request):
        return ["email"] if may_see_addresses(request) else []

    def get_fields(self, request, obj=None):
        if may_see_addresses(request):
            return self.fields
        return [field for field in self.fields if field not in self.ADDRESS_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("topics"))
    def topic_names(self, obj):
        return ", ".join(topic.name for topic in obj.topics.all()) or _("every column")


@admin.register(NewsletterSend)
class NewsletterSendAdmin(ReadOnlyLogAdmin):
    list_display = [
        "column",
        "status",
        "started_at",
        "finished_at",
        "sent_count",
        "failed_count",
        "suppressed_count",
        "remaining_count",
        "interrupted_count",
        "stopped_count",
    ]
    list_filter = ["status"]
    list_select_related = ["column"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "test/<int:column_pk>/",
                wrap(require_POST(self.test_send_view)),
                name="qa_newslettersend_test",
            ),
            *super().get_urls(),
        ]

    def test_send_view(self, request, column_pk):
        """
        "Send it to myself first", from the publish confirmation page: the column's email,
        as subscribers will get it, to the editor's own address, by the worker.
        """
        from ..newsletter.tasks import newsletter_test_send

        if not is_editor(request.user):
            raise PermissionDenied
        column = get_object_or_404(Column, pk=column_pk)
        back = HttpResponseRedirect(reverse("admin:qa_column_schedule", args=[column.pk]))
        if not request.user.email:
            self.message_user(
                request,
                gettext_now("Your account has no email address: add one to receive a test."),
                messages.ERROR,
            )
            return back
        transaction.on_commit(
            lambda: newsletter_test_send.enqueue(column_id=column.pk, user_id=request.user.pk)
        )
        self.message_user(
            request,
            gettext_now(
                "A test of the newsletter is on its way to %(email)s. Subscribers get nothing "
                "until the column is published."
            )
            % {"email": request.user.email},
            messages.SUCCESS,
        )
        return back

    fields = ["column", "status", "subject", "started_at", "finished_at", "heartbeat_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        def count(*statuses):
            return Count("deliveries", filter=Q(deliveries__status__in=statuses))

        return (
            super()
            .get_queryset(request)
            .annotate(
                sent=count(D.SENT),
                failed=count(D.FAILED),
                suppressed=count(D.SKIPPED),
                remaining=count(D.QUEUED, D.CLAIMED, D.SENDING),
                interrupted=count(D.UNKNOWN),
                stopped=count(D.STOPPED),
            )
        )

    @admin.display(description=_("sent"), ordering="sent")
    def sent_count(self, obj):
        return obj.sent

    @admin.display(description=_("failed"), ordering="failed")
    def failed_count(self, obj):
        return obj.failed

    @admin.display(description=_("not sent: unsubscribed or suppressed"))
    def suppressed_count(self, obj):
        return obj.suppressed

    @admin.display(description=_("remaining"))
    def remaining_count(self, obj):
        return obj.remaining

    @admin.display(description=_("interrupted, not resent"))
    def interrupted_count(self, obj):
        return obj.interrupted

    @admin.display(description=_("stopped by unpublishing"))
    def stopped_count(self, obj):
        return obj.stopped
