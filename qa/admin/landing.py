"""
The admin's front page. An expert lands on "Your invitations"; an editor on the desk: this
week's column, what needs them now, the weeks ahead and the latest history. The desk costs the
same number of queries whatever the size of the archive (tests/test_admin_landing.py).
"""

import datetime

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.utils import timezone

from .. import selectors
from ..roles import is_editor
from .history import history_rows

admin.site.index_template = "admin/qa/index.html"

# Without a remembered visit, "new questions" means the last week's.
FIRST_VISIT_LOOKBACK = datetime.timedelta(days=7)
LAST_VISIT_SECONDS = 90 * 24 * 60 * 60


def _last_visit_key(user):
    return f"desk-last-visit:{user.pk}"


def desk_since(request, now):
    """
    Since when questions count as new, and whether that is a visit: the editor's previous visit
    to the desk, kept in the cache per editor (else the last week), fixed for the rest of this
    session so a reload does not reset it.
    """
    since = request.session.get("desk_since")
    if since is None:
        previous = cache.get(_last_visit_key(request.user))
        since = [previous or (now - FIRST_VISIT_LOOKBACK).isoformat(), previous is not None]
        request.session["desk_since"] = since
    cache.set(_last_visit_key(request.user), now.isoformat(), LAST_VISIT_SECONDS)
    return datetime.datetime.fromisoformat(since[0]), since[1]


def desk_context(request):
    """Everything the desk shows. Template: ``admin/qa/index.html`` (``desk``)."""
    now = timezone.now()
    today = timezone.localdate(now)
    since, since_visit = desk_since(request, now)
    column = selectors.desk_this_week(today=today)
    answers = list(column.answers.all()) if column else []
    return {
        "now": now,
        "time_zone": settings.TIME_ZONE,
        "column": column,
        "answers": answers,
        "deadline_passed": bool(
            column and column.answer_deadline and column.answer_deadline <= now
        ),
        "since": since,
        "since_visit": since_visit,
        "weeks": selectors.calendar_weeks(today=today, before=0, after=5),
        "this_week": today - datetime.timedelta(days=today.weekday()),
        "history": history_rows(selectors.desk_history()),
        **selectors.desk_needs(now=now, since=since),
    }


_index = admin.site.index


def index(request, extra_context=None):
    """The admin's index, with the desk for editors."""
    extra_context = extra_context or {}
    if is_editor(request.user):
        extra_context["desk"] = desk_context(request)
    return _index(request, extra_context)


admin.site.index = index
