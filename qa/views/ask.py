"""
The reader's side of a question: the form at /ask/, the confirmation, and the private status
link /questions/<token>/ where the reader follows it and can delete it.
"""

import contextlib
import datetime

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ..emails import absolute_url
from ..forms import AskForm, seconds_since, started_token
from ..models import Column, Question, Subscriber
from ..newsletter.services import subscriber_request
from ..privacy import reader_data
from ..ratelimit import ask_error_limit, ask_limit, client_address, sender_hash
from ..search import columns_like
from ..services import QuestionTransitionError, question_erase, question_submit

SIMILAR_QUERY_CHARS = 3000


@never_cache
@require_http_methods(["GET", "POST"])
def ask(request):
    """
    The question form. Template: ``qa/ask.html``; context: ``form``, ``similar`` (published
    columns close to what was typed). A send goes to the confirmation; past a rate limit the
    answer is ``qa/ask_limited.html`` with status 429.
    """
    if request.method != "POST":
        return render(request, "qa/ask.html", {"form": AskForm(), "similar": []})

    sender = sender_hash(client_address(request))
    waits = [
        wait
        for wait in (ask_limit().retry_after(sender), ask_error_limit().retry_after(sender))
        if wait is not None
    ]
    if waits:
        return limited(request, max(waits))

    form = AskForm(request.POST)
    if form.is_valid():
        ask_limit().hit(sender)
        spam_reason = form.spam_reason()  # once: it spends the form's timestamp
        question, _created = question_submit(
            body=form.cleaned_data["body"],
            category=form.cleaned_data["category"],
            signature=form.cleaned_data["signature"],
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            sender_hash=sender,
            spam_reason=spam_reason,
        )
        if form.cleaned_data["newsletter"] and not spam_reason:
            # The same double opt-in as /newsletter/: a link to confirm, at most once a day.
            subscriber_request(
                email=form.cleaned_data["email"],
                topics=[],
                source=Subscriber.Source.ASK_FORM,
                sender_hash=sender,
            )
        # Spam and repeats land on the same confirmation as any other question.
        return redirect("qa:question_sent", token=question.token)

    ask_error_limit().hit(sender)
    if seconds_since(form.data.get("started")) is None:
        # A reader fixing their errors must not be taken for a bot because the page they
        # first loaded was odd: give them a fresh, valid timestamp.
        form.data = form.data.copy()
        form.data["started"] = started_token()
    similar = columns_like(form.data.get("body", ""))
    return render(request, "qa/ask.html", {"form": form, "similar": similar})


def limited(request, retry_after):
    """The 429 page: when to try again, in words and in ``Retry-After``."""
    retry_at = timezone.now() + datetime.timedelta(seconds=retry_after)
    response = render(
        request,
        "qa/ask_limited.html",
        {"retry_at": retry_at, "minutes": max(1, round(retry_after / 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


@require_GET
def similar_columns(request):
    """JSON for the form's "Our experts have already answered", refreshed as the reader types."""
    columns = columns_like(request.GET.get("q", "")[:SIMILAR_QUERY_CHARS])
    response = JsonResponse(
        {
            "columns": [
                {
                    "title": column.title,
                    "dek": column.dek,
                    "category": column.category.name,
                    "url": column.get_absolute_url(),
                }
                for column in columns
            ]
        }
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


def question_by_token(token):
    return get_object_or_404(Question.objects.select_related("category"), token=token)


def standing(question):
    """
    Where a question stands, in the reader's words: ``(label, column)``, ``column`` set only
    when it is published. Spam reads as "Received": the sender is never told.
    """
    Status = Question.Status
    if question.erased_at is not None and question.status == Status.WITHDRAWN:
        return _("Deleted"), None
    if question.status == Status.PICKED:
        column = Column.objects.published().filter(question=question).first()
        if column is not None:
            return _("Published"), column
        week = Column.objects.filter(question=question).values_list("week", flat=True).first()
        if week is not None:
            return _("Picked for the week of %(week)s") % {"week": f"{week:%B} {week.day}"}, None
        return _("Picked"), None
    if question.status == Status.SHORTLISTED:
        return _("Being considered"), None
    if question.status == Status.DECLINED:
        return _("Not picked this time"), None
    return _("Received"), None


@never_cache
@require_GET
def question_sent(request, token):
    """
    The confirmation. Template: ``qa/ask_sent.html``; context: ``question``, ``status_url``,
    ``similar``.
    """
    question = question_by_token(token)
    return render(
        request,
        "qa/ask_sent.html",
        {
            "question": question,
            "status_url": absolute_url(question.get_status_url()),
            "similar": columns_like(question.body),
        },
    )


@never_cache
@require_GET
def question_status(request, token):
    """
    The reader's private page. Template: ``qa/question_status.html``; context: ``question``,
    ``standing`` (in the reader's words), ``column`` (when published).
    """
    question = question_by_token(token)
    label, column = standing(question)
    return render(
        request,
        "qa/question_status.html",
        {"question": question, "standing": label, "column": column},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def question_delete(request, token):
    """
    "Delete my question": GET asks to confirm (``qa/question_delete.html``), POST erases
    everywhere (``question_erase``) and goes to ``question_deleted``: the status link itself
    stops working, since its token is erased too.
    """
    question = question_by_token(token)
    if request.method == "POST":
        picked = question.status == Question.Status.PICKED
        # Already deleted: the page after says the same.
        with contextlib.suppress(QuestionTransitionError):
            question_erase(question=question)
        return redirect(reverse("qa:question_deleted") + ("?kept=column" if picked else ""))
    return render(request, "qa/question_delete.html", {"question": question})


@never_cache
@require_GET
def question_deleted(request):
    """After "Delete my question". Template: ``qa/question_deleted.html``; context: ``kept``."""
    return render(
        request, "qa/question_deleted.html", {"kept": request.GET.get("kept") == "column"}
    )


@never_cache
@require_GET
def question_data(request, token):
    """
    What the platform holds about this question and its reader, as a JSON download
    (``qa.privacy.reader_data``): the reader's copy before they delete it.
    """
    question = question_by_token(token)
    response = JsonResponse(
        reader_data(question), json_dumps_params={"indent": 2, "ensure_ascii": False}
    )
    response["Content-Disposition"] = 'attachment; filename="my-question.json"'
    return response
