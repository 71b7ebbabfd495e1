"""
Search over published columns: title, dek, the standing intro, the reader's question and the
approved answers; and over the experts who have published, by name, company and link.

On PostgreSQL it is full-text search (English stemming) over each column's stored document,
``Column.search_vector`` (kept by ``qa.search_index``, GIN index of migration 0007): every word
must appear somewhere in the column; columns matching in their title or dek come first, then
the newest. Elsewhere (SQLite) it falls back to every term as a case-insensitive substring of
one of the same texts. Either way a query of any size or shape gives a result, never an error.
"""

import re
import unicodedata
from collections import Counter

from django.contrib.postgres.search import SearchQuery, SearchQueryField
from django.db import connection
from django.db.models import BooleanField, Count, Func, Q
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import Answer, Expert
from .search_index import SEARCH_CONFIG
from .selectors import published_columns

MAX_TERMS = 10
MAX_TERM_LENGTH = 60


class TitleQuery(Func):
    """
    ``query`` with every word restricted to weights A and B: the title and dek in a stored
    document. A plain query's text lists quoted lexemes joined by ``&``, so a closing quote is
    one followed by a space or the end; marking those keeps the stemming PostgreSQL did.
    """

    template = r"regexp_replace((%(expressions)s)::text, '''( |$)', ''':AB\1', 'g')::tsquery"
    output_field = SearchQueryField()


class Matches(Func):
    """``vector @@ query`` as a value, to order by."""

    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


def search_terms(query):
    """The words of a query worth searching for, capped so a huge query stays cheap."""
    printable = "".join(
        char if not unicodedata.category(char).startswith("C") else " " for char in query or ""
    )
    words = [word.strip("\"'()[]{}<>!&|:*") for word in printable[:2000].split()]
    return [word[:MAX_TERM_LENGTH] for word in words if len(word) > 1][:MAX_TERMS]


def _postgres_search(terms):
    """
    The columns whose stored document holds every word (its GIN index); those whose title or
    dek hold them all come first, then the newest. The title test reads the same document,
    restricted to weights A and B: nothing stored is parsed at query time.
    """
    query = SearchQuery(" ".join(terms), search_type="plain", config=SEARCH_CONFIG)
    return (
        published_columns()
        .filter(search_vector=query)
        .annotate(title_match=Matches("search_vector", TitleQuery(query)))
        .order_by("-title_match", "-published_at", "-id")
    )


def _substring_search(terms):
    columns = published_columns()
    for term in terms:
        columns = columns.filter(
            Q(title__icontains=term)
            | Q(dek__icontains=term)
            | Q(intro__icontains=term)
            | Q(question__body__icontains=term)
            | Q(
                pk__in=Answer.objects.filter(
                    status=Answer.Status.APPROVED, body__icontains=term
                ).values("column_id")
            )
        )
    return columns


def search_experts(query, limit=12):
    """
    Panel members and past contributors whose name, company or link (a profile or social
    handle) holds every word of ``query``: a handle is searched with or without its "@".
    """
    terms = [term.lstrip("@") for term in search_terms(query)]
    terms = [term for term in terms if len(term) > 1]
    if not terms:
        return Expert.objects.none()
    experts = Expert.objects.published().annotate(
        published_count=Count(
            "answers", filter=Q(answers__in=Answer.objects.published()), distinct=True
        )
    )
    for term in terms:
        experts = experts.filter(
            Q(name__icontains=term) | Q(company__icontains=term) | Q(company_url__icontains=term)
        )
    return experts.order_by("name")[:limit]


def search_columns(query):
    """
    Published columns matching ``query``: title or dek matches first on PostgreSQL, then the
    newest; newest first elsewhere.
    """
    terms = search_terms(query)
    if not terms:
        return published_columns().none()
    if connection.vendor == "postgresql":
        return _postgres_search(terms)
    return _substring_search(terms)


def _stem(term):
    """A rough stem, so "interviews" also marks "interviewing" (as PostgreSQL would match)."""
    lowered = term.casefold()
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if lowered.endswith(suffix) and len(lowered) - len(suffix) >= 4:
            return lowered[: -len(suffix)]
    return lowered


def _pattern(terms):
    stems = sorted({_stem(term) for term in terms if term}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)


def highlight(text, terms):
    """``text`` escaped, with each word matching a term wrapped in ``<mark>``."""
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped above


def excerpt(texts, terms, width=260):
    """The first passage among ``texts`` that matches a term, highlighted; None when none does."""
    pattern = _pattern(terms)
    if pattern is None:
        return None
    for text in texts:
        flat = " ".join((text or "").split())
        match = pattern.search(flat)
        if match is None:
            continue
        start = max(0, match.start() - width // 3)
        end = min(len(flat), start + width)
        if start > 0:
            start = flat.find(" ", start) + 1 or start
        passage = flat[start:end]
        prefix = "… " if start > 0 else ""
        suffix = " …" if end < len(flat) else ""
        return mark_safe(prefix + highlight(passage, terms) + suffix)  # noqa: S308
    return None


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
    # A dict keeps the first-seen order (the tie-break among equal lengths) at a set's cost.
    words = dict.fromkeys(
        raw
        for raw in re.findall(r"\w+", (text or "")[:5000].casefold())
        if len(raw) >= 4 and not raw.isdigit() and raw not in COMMON_WORDS
    )
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
