"""
The newsletter in the admin, for editors: subscribers by state and topic, and each column's
send with its counts. An editor sees addresses only with the ``view_subscriber_email``
permission; experts see none of it.
"""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from ..models import Delivery, NewsletterSend, Subscriber
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
