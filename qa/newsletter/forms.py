"""The reader's newsletter forms: subscribing, and the topics on the preferences page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..forms import SpamCheckedForm
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


class SubscribeForm(SpamCheckedForm):
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


class TopicsForm(forms.Form):
    topics = TopicsField()
