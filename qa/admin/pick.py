"""The question queue's "Pick for the week of ..." action, with its confirmation page."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import Category
from ..selectors import week_next_free, week_of, weeks_offered
from ..services import TransitionNotAllowed, column_pick
from ..services.columns import title_proposal


class PickForm(forms.Form):
    week = forms.DateField(
        label=_("Week of"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Any day of the week; the column belongs to that week's Monday."),
    )
    title = forms.CharField(
        label=_("Proposed title"),
        max_length=200,
        help_text=_("Proposed from the reader's question, in whole words. You can edit it later."),
        widget=forms.TextInput(attrs={"class": "vLargeTextField pick-title"}),
    )
    category = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Category.objects.order_by("name"),
        help_text=_("The reader chose this; correct it if it fits another topic better."),
    )


@admin.action(description=_("Pick for a week…"), permissions=["change"])
def pick_for_week(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Pick one question at a time."), level=messages.WARNING)
        return None
    question = queryset.get()
    if "apply" in request.POST:
        form = PickForm(request.POST)
        if form.is_valid():
            try:
                column = column_pick(
                    question=question,
                    week=form.cleaned_data["week"],
                    title=form.cleaned_data["title"],
                    category=form.cleaned_data["category"],
                    by=request.user,
                )
            except TransitionNotAllowed as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                modeladmin.message_user(
                    request,
                    _("Picked for the week of %(week)s. Now invite the panel.")
                    % {"week": f"{column.week:%B %-d}"},
                    level=messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:qa_column_invite", args=[column.pk]))
    else:
        form = PickForm(
            initial={
                "week": week_next_free(),
                "title": title_proposal(question.body),
                "category": question.category_id,
            }
        )
    week = form.cleaned_data["week"] if form.is_bound and form.is_valid() else None
    week = week_of(week or form.initial.get("week") or week_next_free())
    return TemplateResponse(
        request,
        "admin/qa/question/pick.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Pick this question for the week of %(week)s")
            % {"week": f"{week:%B %-d, %Y}"},
            "opts": modeladmin.model._meta,
            "question": question,
            "form": form,
            "weeks": weeks_offered(),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )
