"""The question queue's "Pick for the week of ..." action, with its confirmation page."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..selectors import week_next_free, weeks_offered
from ..services import TransitionNotAllowed, column_pick


class PickForm(forms.Form):
    week = forms.DateField(
        label=_("Week of"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Any day of the week; the column belongs to that week's Monday."),
    )
    title = forms.CharField(
        label=_("Proposed title"), max_length=200, help_text=_("You can edit it later.")
    )


@admin.action(description=_("Pick for the week of …"), permissions=["change"])
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
        form = PickForm(initial={"week": week_next_free(), "title": question.proposed_title()})
    return TemplateResponse(
        request,
        "admin/qa/question/pick.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Pick for the week of …"),
            "opts": modeladmin.model._meta,
            "question": question,
            "form": form,
            "weeks": weeks_offered(),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )
