"""
The reader's newsletter pages: the form at /newsletter/, the confirmation link, the tokenised
preferences page and the one-click unsubscribe URL of RFC 8058. None is cached; a GET never
changes anything.
"""

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from ..forms import seconds_since, started_token
from ..ratelimit import Limit, ask_error_limit, client_address, sender_hash
from ..views.ask import limited
from .forms import SubscribeForm, TopicsForm
from .models import TEST_TOKEN, Subscriber
from .services import (
    NewsletterLinkError,
    subscriber_by_confirm_token,
    subscriber_confirm,
    subscriber_erase,
    subscriber_request,
    subscriber_topics_set,
    subscriber_unsubscribe,
)


def newsletter_limit():
    return Limit("newsletter", settings.NEWSLETTER_RATE_LIMIT_PER_HOUR)


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    """
    The form. Template: ``newsletter/subscribe.html``; context: ``form``. A valid send goes to
    ``sent``, whatever became of it; past the rate limit, the 429 page.
    """
    if request.method != "POST":
        return render(request, "newsletter/subscribe.html", {"form": SubscribeForm()})
    sender = sender_hash(client_address(request))
    waits = [
        wait
        for wait in (newsletter_limit().retry_after(sender), ask_error_limit().retry_after(sender))
        if wait is not None
    ]
    if waits:
        return limited(request, max(waits))
    form = SubscribeForm(request.POST)
    if form.is_valid():
        newsletter_limit().hit(sender)
        if not form.spam_reason():
            subscriber_request(
                email=form.cleaned_data["email"],
                topics=form.cleaned_data["topics"],
                source=Subscriber.Source.NEWSLETTER_FORM,
                sender_hash=sender,
            )
        # A bot is told what a reader is told, and nothing is sent.
        return redirect("newsletter:sent")
    ask_error_limit().hit(sender)
    if seconds_since(form.data.get("started")) is None:
        form.data = form.data.copy()
        form.data["started"] = started_token()
    return render(request, "newsletter/subscribe.html", {"form": form}, status=400)


@never_cache
@require_GET
def sent(request):
    """What a reader sees after the form. Template: ``newsletter/sent.html``."""
    return render(
        request,
        "newsletter/sent.html",
        {"interval_hours": settings.NEWSLETTER_CONFIRM_INTERVAL_HOURS},
    )


def _link_error(request, error):
    status = 410 if error.code == "expired" else 404
    return render(request, "newsletter/link_error.html", {"error": error}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """
    The confirmation link. GET shows a button (link scanners open links, and opening is not
    consent); POST confirms. Templates: ``newsletter/confirm.html``, ``newsletter/confirmed.html``.
    """
    try:
        if request.method == "POST":
            subscriber = subscriber_confirm(
                token=token, sender_hash=sender_hash(client_address(request))
            )
            return render(request, "newsletter/confirmed.html", {"subscriber": subscriber})
        subscriber_by_confirm_token(token)
    except NewsletterLinkError as error:
        return _link_error(request, error)
    return render(request, "newsletter/confirm.html", {})


def _subscriber(token):
    return Subscriber.objects.filter(token=token).first() if token else None


def _test_link(request):
    """A link of an editor's test email (``TEST_TOKEN``): it belongs to no subscriber."""
    return render(request, "newsletter/test_link.html", {})


def _no_subscription(request):
    return render(request, "newsletter/no_subscription.html", {}, status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token):
    """
    The subscriber's page, reached from every newsletter email with no sign-in: topics,
    unsubscribe, erase. Template: ``newsletter/preferences.html``; context: ``subscriber``,
    ``form``, ``saved``.
    """
    if token == TEST_TOKEN:
        return _test_link(request)
    subscriber = _subscriber(token)
    if subscriber is None:
        return _no_subscription(request)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "erase":
        subscriber_erase(subscriber=subscriber)
        return render(request, "newsletter/erased.html", {})
    if action == "unsubscribe":
        subscriber_unsubscribe(subscriber=subscriber)
        return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})
    saved = False
    if action == "topics":
        form = TopicsForm(request.POST)
        if form.is_valid():
            subscriber_topics_set(subscriber=subscriber, topics=form.cleaned_data["topics"])
            saved = True
    elif action is not None:
        return HttpResponseBadRequest("Unknown action: choose topics, unsubscribe or erase.")
    else:
        form = TopicsForm(initial={"topics": list(subscriber.topics.all())})
    subscriber.refresh_from_db()
    return render(
        request,
        "newsletter/preferences.html",
        {"subscriber": subscriber, "form": form, "saved": saved},
        status=400 if form.errors else 200,
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """
    The List-Unsubscribe URL (RFC 8058). A POST with ``List-Unsubscribe=One-Click`` unsubscribes
    and answers 200, with no CSRF token or cookie (a mail provider sends it). A GET only shows
    a button that sends that POST. Template: ``newsletter/unsubscribe.html``.
    """
    if token == TEST_TOKEN:
        return _test_link(request)
    subscriber = _subscriber(token)
    if subscriber is None:
        return _no_subscription(request)
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != "One-Click":
            return HttpResponseBadRequest(
                "List-Unsubscribe: this URL unsubscribes with List-Unsubscribe=One-Click."
            )
        subscriber_unsubscribe(subscriber=subscriber)
        return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})
    return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})
