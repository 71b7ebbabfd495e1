"""Search over published columns: title, dek, the reader's question and the approved answers."""

import re
from collections import Counter

from django.db.models import Q

from .models import Answer
from .selectors import published_columns

MAX_TERMS = 10


def search_terms(query):
    """The words of a query worth searching for, capped so a huge query stays cheap."""
    return [word for word in (query or "").split() if len(word) > 1][:MAX_TERMS]


def search_columns(query):
    """Published columns that contain every term of ``query``, newest first."""
    terms = search_terms(query)
    if not terms:
        return published_columns().none()
    columns = published_columns()
    for term in terms:
        columns = columns.filter(
            Q(title__icontains=term)
            | Q(dek__icontains=term)
            | Q(question__body__icontains=term)
            | Q(
                pk__in=Answer.objects.filter(
                    status=Answer.Status.APPROVED, body__icontains=term
                ).values("column_id")
            )
        )
    return columns


# Words too common in careers questions to tell one from another.
COMMON_WORDS = frozenset(
    """
    about above after again against also although always another anyone anything because been
    before being below between both could does doing down during each either else even ever
    every from further have having here hers herself himself into itself just know like made
    make many maybe more most much must myself need never only other ours ourselves over really
    same should some still such than that their theirs them themselves then there these they
    this those through under until very want were what when where whether which while will
    with without would your yours yourself yourselves thing things think dear thanks thank
    please help question
    """.split()  # noqa: SIM905  (a word list reads better as prose)
)


def significant_words(text, limit=5):
    """
    The words of a long text most likely to tell its subject: not common, the longest first
    (a cheap stand-in for rarity), each once.
    """
    words = []
    for raw in re.findall(r"\w+", (text or "")[:5000].casefold()):
        if len(raw) >= 4 and not raw.isdigit() and raw not in COMMON_WORDS and raw not in words:
            words.append(raw)
    return sorted(words, key=len, reverse=True)[:limit]


def columns_like(text, limit=5):
    """
    Published columns close to a long text, such as a reader's question: those that match the
    most of its significant words through ``search_columns``, then the newest. A fixed number
    of queries, whatever the text.
    """
    scores = Counter()
    for word in significant_words(text):
        scores.update(search_columns(word).values_list("pk", flat=True)[:50])
    if not scores:
        return []
    by_pk = published_columns().in_bulk(list(scores))
    ranked = sorted(
        by_pk.values(), key=lambda column: (-scores[column.pk], -column.published_at.timestamp())
    )
    return ranked[:limit]
