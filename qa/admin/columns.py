"""
The editor's column page: the answers with their review buttons, invitations, scheduling,
the history, plus the editorial calendar and the panel's statistics.
"""

import datetime
import hashlib

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import selectors
from ..models import Answer, Column, Expert
from ..newsletter.sending import newsletter_reach
from ..services import (
    CORRECTABLE_FIELDS,
    TransitionNotAllowed,
    answer_approve,
    answer_move,
    answer_reject,
    answer_return_to_draft,
    column_correct,
    column_invite,
    column_publish,
    column_publish_problems,
    column_schedule,
    column_unpublish,
    column_unschedule,
)
from ..services.columns import (
    INVITABLE,
    SCHEDULABLE,
    column_publication_emails,
    column_was_published,
    experts_invitable,
    invitation_refusal,
)
from .pages import PublicPagesAdmin
from .scoping import EditorOnlyAdmin

# What becomes of an answer that is not published, in the editor's words.
ANSWER_FATES = {
    Answer.Status.INVITED: _("still pending, never started: dropped"),
    Answer.Status.DRAFT: _("still pending, a draft not submitted: dropped"),
    Answer.Status.SUBMITTED: _("submitted, not approved: left out, the expert is thanked"),
    Answer.Status.REJECTED: _("not used: left out, the expert is thanked"),
    Answer.Status.DECLINED: _("declined"),
}

LOCAL_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class InviteForm(forms.Form):
    experts = forms.ModelMultipleChoiceField(
        label=_("Experts"),
        queryset=Expert.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    deadline = forms.DateTimeField(label=_("Answer deadline"), widget=LOCAL_INPUT)

    def __init__(self, *args, column, **kwargs):
        super().__init__(*args, **kwargs)
        invited = column.answers.values("expert_id")
        invitable = experts_invitable().exclude(pk__in=invited)
        field = self.fields["experts"]
        # Any expert id is accepted here, so that one who cannot be invited (a byline, say)
        # gets the reason rather than "not one of the available choices"; only those an
        # invitation can reach are offered.
        field.queryset = Expert.objects.select_related("user")
        field.widget.choices = [(expert.pk, str(expert)) for expert in invitable]
        self.fields["deadline"].help_text = _("Time zone: %(zone)s") % {"zone": settings.TIME_ZONE}
        self.already_invited = list(
            Expert.objects.filter(pk__in=invited).order_by("name").values_list("name", flat=True)
        )
        self.not_invitable = [
            (expert.name, invitation_refusal(expert))
            for expert in Expert.objects.exclude(pk__in=invited)
            .exclude(pk__in=invitable.values("pk"))
            .filter(is_active=True)
            .select_related("user")
            .order_by("name")
        ]
        self.nobody_to_invite = not field.widget.choices
        if not self.is_bound:
            self.initial["experts"] = list(
                invitable.filter(categories=column.category_id).values_list("pk", flat=True)
            )
            self.initial["deadline"] = column.answer_deadline or _default_deadline()

    def clean_experts(self):
        experts = self.cleaned_data["experts"]
        refusals = [r for r in map(invitation_refusal, experts) if r]
        if refusals:
            raise forms.ValidationError(" ".join(refusals), code="not_invitable")
        return experts


def _default_deadline():
    """Three days from now, at 5 pm in the publication's time zone."""
    day = timezone.localdate() + datetime.timedelta(days=3)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(17)))


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(label=_("Schedule for"), widget=LOCAL_INPUT, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publish_at"].help_text = _("Time zone: %(zone)s") % {
            "zone": settings.TIME_ZONE
        }


@admin.register(Column)
class ColumnAdmin(PublicPagesAdmin, EditorOnlyAdmin):
    list_display = [
        "title",
        "week",
        "category",
        "status",
        "answers_in",
        "answer_deadline",
        "publish_at",
        "published_at",
    ]
    list_filter = ["status", "category", "is_featured"]
    list_select_related = ["category"]
    search_fields = ["title", "dek"]
    date_hierarchy = "week"
    change_form_template = "admin/qa/column/change_form.html"
    fields = [
        "title",
        "slug",
        "dek",
        "intro",
        "category",
        "is_featured",
        "editor_notes",
        "question_text",
        "week",
        "status",
        "answer_deadline",
        "publish_at",
        "published_at",
        "corrected_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_answer_counts()

    def has_add_permission(self, request):
        # A column begins with a pick from the question queue.
        return False

    def get_readonly_fields(self, request, obj=None):
        # Everything after the editorial notes is set by the cycle's services, never typed.
        readonly = self.fields[self.fields.index("question_text") :]
        if obj is not None and obj.status == Column.Status.PUBLISHED:
            readonly += ["slug", "category"]
        return readonly

    @admin.display(description=_("answers in / invited"))
    def answers_in(self, column):
        return f"{column.answered_count} / {column.invited_count}"

    @admin.display(description=_("the reader's question"))
    def question_text(self, column):
        question = column.question
        return format_html(
            '<blockquote>{}</blockquote><p>- {} · <a href="{}">the question in the queue</a></p>',
            question.body,
            question.signature or "(no signature)",
            reverse("admin:qa_question_change", args=[question.pk]),
        )

    def save_model(self, request, obj, form, change):
        if obj.status == Column.Status.PUBLISHED:
            # After publication the text fields change only as recorded corrections.
            changes = {
                f: form.cleaned_data[f] for f in CORRECTABLE_FIELDS if f in form.changed_data
            }
            fresh = Column.objects.get(pk=obj.pk)
            for field in changes:
                setattr(obj, field, getattr(fresh, field))
            obj.save()
            if changes:
                column_correct(column=obj, changes=changes, by=request.user)
            return
        super().save_model(request, obj, form, change)

    # -- the column page ---------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        column = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if column is not None:
            extra_context.update(
                answers=column.answers.select_related("expert").order_by("position", "id"),
                history=column.transitions.select_related("by", "answer__expert").order_by(
                    "-at", "-id"
                ),
                publish_problems=column_publish_problems(column),
                can_invite=column.status in INVITABLE,
                can_schedule=column.status in SCHEDULABLE,
                preview_url=reverse("qa:column_preview", args=[column.pk]),
                time_zone=settings.TIME_ZONE,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("calendar/", wrap(self.calendar_view), name="qa_column_calendar"),
            path("panel/", wrap(self.panel_view), name="qa_column_panel"),
            path("<int:pk>/invite/", wrap(self.invite_view), name="qa_column_invite"),
            path("<int:pk>/schedule/", wrap(self.schedule_view), name="qa_column_schedule"),
            path("<int:pk>/unpublish/", wrap(self.unpublish_view), name="qa_column_unpublish"),
            path(
                "<int:pk>/answers/<int:answer_pk>/<str:verb>/",
                wrap(self.answer_action_view),
                name="qa_column_answer_action",
            ),
            *super().get_urls(),
        ]

    def _column_or_403(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Column.objects.select_related("category", "question"), pk=pk)

    def _page(self, request, template, **context):
        return TemplateResponse(
            request,
            f"admin/qa/column/{template}.html",
            {**self.admin_site.each_context(request), "opts": self.model._meta, **context},
        )

    def _back(self, column):
        return HttpResponseRedirect(reverse("admin:qa_column_change", args=[column.pk]))

    def invite_view(self, request, pk):
        column = self._column_or_403(request, pk)
        form = InviteForm(request.POST or None, column=column)
        if request.method == "POST" and form.is_valid():
            try:
                invited = column_invite(
                    column=column,
                    experts=form.cleaned_data["experts"],
                    deadline=form.cleaned_data["deadline"],
                    by=request.user,
                )
            except TransitionNotAllowed as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                self.message_user(
                    request,
                    _("Invited %(names)s. Each is being emailed a link to their answer.")
                    % {"names": ", ".join(a.expert.name for a in invited)},
                    messages.SUCCESS,
                )
                return self._back(column)
        return self._page(request, "invite", title=_("Invite experts"), column=column, form=form)

    def schedule_view(self, request, pk):
        """
        Schedule or publish, in two steps: the form, then the confirmation page, which shows the
        column as it will appear and everything that publishing it will do. Only a POST from
        the confirmation page, made from what it showed, publishes or schedules.
        """
        column = self._column_or_403(request, pk)
        form = ScheduleForm(request.POST or None, initial={"publish_at": column.publish_at})
        if request.method == "POST" and form.is_valid():
            try:
                if "_unschedule" in request.POST:
                    column_unschedule(column=column, by=request.user)
                    done = _("Unscheduled: the column is back in review.")
                else:
                    publish_at = None
                    if "_publish_now" not in request.POST:
                        publish_at = form.cleaned_data["publish_at"]
                        if publish_at is None:
                            raise TransitionNotAllowed(
                                "Choose a date and time to publish.", field="publish_at"
                            )
                        if publish_at <= timezone.now():
                            raise TransitionNotAllowed(
                                "That time has passed; choose a later one, or publish now.",
                                field="publish_at",
                            )
                    if column.status not in SCHEDULABLE:
                        raise TransitionNotAllowed(
                            f"This column is {column.get_status_display()}; it cannot be "
                            "published or scheduled now."
                        )
                    problems = column_publish_problems(column)
                    if problems:
                        raise TransitionNotAllowed("Cannot publish yet. " + " ".join(problems))
                    confirmation = self.publish_confirmation(request, column, publish_at)
                    if request.POST.get("confirmed") != confirmation["stamp"]:
                        if request.POST.get("confirmed"):
                            confirmation["changed"] = True
                        return TemplateResponse(
                            request, "admin/qa/column/publish_confirm.html", confirmation
                        )
                    done = self._publish_or_schedule(request, column, publish_at)
            except TransitionNotAllowed as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                self.message_user(request, done, messages.SUCCESS)
                return self._back(column)
        return self._page(
            request,
            "schedule",
            title=_("Schedule or publish"),
            column=column,
            form=form,
            time_zone=settings.TIME_ZONE,
            publish_problems=column_publish_problems(column),
        )

    def _publish_or_schedule(self, request, column, publish_at):
        if publish_at is None:
            emails = column_publication_emails(column)
            column_publish(column=column, by=request.user)
            if emails:
                return ngettext(
                    "Published. %(count)d email is on its way.",
                    "Published. %(count)d emails are on their way.",
                    len(emails),
                ) % {"count": len(emails)}
            return _("Published. Nobody was emailed.")
        column = column_schedule(column=column, publish_at=publish_at, by=request.user)
        return _("Scheduled for %(when)s (%(zone)s).") % {
            "when": f"{timezone.localtime(column.publish_at):%A %B %-d, %-I:%M %p}",
            "zone": settings.TIME_ZONE,
        }

    def publish_confirmation(self, request, column, publish_at):
        """
        The confirmation page's context: the column drawn by the public template, the answers
        that will not be published and what becomes of their experts, and ``outgoing``, the
        emails that publishing sends (``services.column_publication_emails``, the very list
        ``column_publish`` sends). ``stamp`` changes when any of it does, so a confirmation
        made from a page that has since gone stale is shown again instead of acted on.
        """
        answers = list(column.answers.select_related("expert__user").order_by("position", "id"))
        approved = [a for a in answers if a.status == Answer.Status.APPROVED]
        outgoing = column_publication_emails(column)
        stamp = hashlib.sha256(
            repr(
                [
                    column.updated_at,
                    publish_at,
                    [(a.pk, a.status, a.position, a.updated_at) for a in answers],
                    [(e.key, e.to) for e in outgoing],
                ]
            ).encode()
        ).hexdigest()[:32]
        return {
            "column": column,
            "answers": approved,
            "related": selectors.related_columns(column),
            "is_preview": True,
            "not_published": [
                {"answer": a, "fate": ANSWER_FATES[a.status]}
                for a in answers
                if a.status != Answer.Status.APPROVED
            ],
            "outgoing": outgoing,
            "republication": column_was_published(column),
            "publish_at": publish_at,
            "publish_at_value": (
                f"{timezone.localtime(publish_at):%Y-%m-%dT%H:%M}" if publish_at else ""
            ),
            "deadline_open": (
                column.answer_deadline is not None and column.answer_deadline > timezone.now()
            ),
            "stamp": stamp,
            "time_zone": settings.TIME_ZONE,
            "newsletter_reach": newsletter_reach(column),
        }

    def unpublish_view(self, request, pk):
        """Ask, then take a published column back to review (``services.column_unpublish``)."""
        column = self._column_or_403(request, pk)
        if column.status != Column.Status.PUBLISHED:
            self.message_user(request, _("This column is not published."), messages.WARNING)
            return self._back(column)
        if request.method == "POST":
            try:
                column_unpublish(
                    column=column, by=request.user, reason=request.POST.get("reason", "")
                )
            except TransitionNotAllowed as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "Unpublished: the column is back in review. Its page now answers "
                        "“not found”, and it has left the lists, feeds and sitemap. Nobody was "
                        "emailed, and publishing it again emails nobody."
                    ),
                    messages.SUCCESS,
                )
            return self._back(column)
        return self._page(request, "unpublish", title=_("Unpublish this column?"), column=column)

    ANSWER_VERBS = {"approve", "reject", "return", "up", "down"}

    def answer_action_view(self, request, pk, answer_pk, verb):
        column = self._column_or_403(request, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        answer = get_object_or_404(Answer.objects.select_related("expert"), pk=answer_pk)
        if answer.column_id != column.pk or verb not in self.ANSWER_VERBS:
            raise PermissionDenied
        note = request.POST.get("note", "")
        try:
            if verb == "approve":
                answer_approve(answer=answer, by=request.user)
                done = _("Approved %(expert)s's answer.")
            elif verb == "reject":
                answer_reject(answer=answer, reason=note, by=request.user)
                done = _("Not using %(expert)s's answer; they were emailed your reason.")
            elif verb == "return":
                answer_return_to_draft(answer=answer, note=note, by=request.user)
                done = _("Returned %(expert)s's answer to draft, with your note.")
            else:
                answer_move(answer=answer, offset=-1 if verb == "up" else 1, by=request.user)
                done = _("Moved %(expert)s's answer.")
        except TransitionNotAllowed as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, done % {"expert": answer.expert.name}, messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:qa_column_change", args=[column.pk]) + f"#answer-{answer.pk}"
        )

    def calendar_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        return self._page(
            request,
            "calendar",
            title=_("Editorial calendar"),
            weeks=selectors.calendar_weeks(today=today),
            this_week=selectors.week_of(today),
            overdue=list(selectors.columns_overdue()),
            queue_url=reverse("admin:qa_question_changelist"),
        )

    def panel_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._page(request, "panel", title=_("The panel"), experts=_panel_rows())


def _panel_rows():
    rows = []
    for expert in selectors.panel_statistics():
        expert.on_time_rate = (
            f"{round(100 * expert.on_time / expert.answered)}%" if expert.answered else "—"
        )
        rows.append(expert)
    return rows
