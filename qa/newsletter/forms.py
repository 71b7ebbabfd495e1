"""The reader's newsletter forms: subscribing, and the topics on the preferences page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..forms import spam_reason, started_token
from ..models import Category


class TopicsField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Category.objects.order_by("name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label=_("Topics"),
            help_text=_("Leave every box empty to get every column."),
            error_messages={
                "invalid_choice": _("Topics: %(value)s is not one of our topics."),
                "invalid_pk_value": _("Topics: %(pk)s is not one of our topics."),
                "list": _("Topics: choose from the list."),
            },
            **kwargs,
        )


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        error_messages={
            "required": _("Your email: please write it here."),
            "invalid": _("Your email: that does not look like an email address."),
            "max_length": _("Your email: keep it to %(limit_value)d characters."),
            "null_characters_not_allowed": _("Your email: it contains a NUL character."),
        },
    )
    topics = TopicsField()
    # The same spam checks as /ask/: neither is an error; a failure sends nothing.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["started"] = started_token()

    def spam_reason(self):
        """Why a valid send looks automated, or ``""``: the same checks as /ask/."""
        return spam_reason(self.cleaned_data)


class TopicsForm(forms.Form):
    topics = TopicsField()
