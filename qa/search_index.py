"""
Each column's search document, ``Column.search_vector``, on PostgreSQL: its title (weight A),
dek (B), the reader's question (C) and its approved answers in the published order (D), as one
stored ``tsvector`` under a GIN index. Search reads these documents, instead of building a
``to_tsvector`` of every matching text on each query.

The document is computed in SQL, for some columns or all of them, by one UPDATE. Saving a
column, its question or one of its answers in a way that can change the document queues its
column (``post_save`` and ``post_delete`` below, so no path that writes a text can forget it);
the columns queued in a transaction are refreshed together once it commits. Bulk writes that
skip signals (``bulk_create`` in ``devdata.scale``) call ``search_vectors_refresh`` themselves, and
``manage.py search_index_rebuild`` recomputes every document. Elsewhere (SQLite) the field
stays NULL and all of this does nothing: search reads the texts there.
"""

import logging

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from .models import Answer, Column, Question

SEARCH_CONFIG = "english"

# Characters of each source that go into the document. A tsvector holds at most 1 MB, and
# hostile text (100,000 distinct two-character words) can need 5 bytes per character; at
# these lengths no document can overflow, while a real column (a few thousand words) never
# reaches them.
DEK_CHARS = 10_000
QUESTION_CHARS = 20_000
ANSWERS_CHARS = 120_000

_DOCUMENT_SQL = """
    UPDATE qa_column AS target
    SET search_vector = document.vector
    FROM (
        SELECT c.id,
            setweight(to_tsvector(%(config)s::regconfig, c.title), 'A')
            || setweight(to_tsvector(%(config)s::regconfig, left(c.dek, %(dek_chars)s)), 'B')
            || setweight(
                to_tsvector(%(config)s::regconfig, left(q.body, %(question_chars)s)), 'C'
            )
            || setweight(
                to_tsvector(
                    %(config)s::regconfig,
                    left(
                        coalesce(string_agg(a.body, E'\\n\\n' ORDER BY a.position, a.id), ''),
                        %(answers_chars)s
                    )
                ),
                'D'
            ) AS vector
        FROM qa_column AS c
        JOIN qa_question AS q ON q.id = c.question_id
        LEFT JOIN qa_answer AS a ON a.column_id = c.id AND a.status = %(approved)s
        WHERE %(every)s OR c.id = ANY(%(columns)s) OR c.question_id = ANY(%(questions)s)
        GROUP BY c.id, q.id
    ) AS document
    WHERE target.id = document.id
        AND target.search_vector IS DISTINCT FROM document.vector
"""

PENDING_ATTRIBUTE = "qa_search_vectors_pending"

logger = logging.getLogger(__name__)


def search_vectors_refresh(*, column_ids=None, question_ids=None, using=DEFAULT_DB_ALIAS):
    """
    Recompute the search document of the columns in ``column_ids`` and of the columns of the
    questions in ``question_ids``, or of every column when both are None, in one UPDATE.
    Returns the number of documents that changed; 0 off PostgreSQL.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    every = column_ids is None and question_ids is None
    columns, questions = sorted(column_ids or ()), sorted(question_ids or ())
    if not (every or columns or questions):
        return 0
    params = {
        "config": SEARCH_CONFIG,
        "approved": Answer.Status.APPROVED,
        "dek_chars": DEK_CHARS,
        "question_chars": QUESTION_CHARS,
        "answers_chars": ANSWERS_CHARS,
        "every": every,
        "columns": columns,
        "questions": questions,
    }
    with connection.cursor() as cursor:
        cursor.execute(_DOCUMENT_SQL, params)
        return cursor.rowcount


class _Pending:
    """The columns one transaction changed; refreshed once, by the first callback to run."""

    def __init__(self, using):
        self.using = using
        self.column_ids = set()
        self.question_ids = set()
        self.done = False

    def flush(self):
        if self.done:
            return
        self.done = True
        connection = connections[self.using]
        if getattr(connection, PENDING_ATTRIBUTE, None) is self:
            setattr(connection, PENDING_ATTRIBUTE, None)
        try:
            search_vectors_refresh(
                column_ids=self.column_ids, question_ids=self.question_ids, using=self.using
            )
        except Exception:
            # The change itself is committed; the editor is not told it failed. Its document
            # waits for the next change or for `manage.py search_index_rebuild`.
            logger.exception(
                "Search documents not refreshed: columns %s, questions %s.",
                sorted(self.column_ids),
                sorted(self.question_ids),
            )


def search_vectors_refresh_on_commit(*, column_ids=(), question_ids=(), using=None):
    """
    Refresh these columns' documents once the current transaction commits (at once outside
    one). However many calls a transaction makes, it runs one UPDATE for all their columns.
    """
    using = using or DEFAULT_DB_ALIAS
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    pending = getattr(connection, PENDING_ATTRIBUTE, None)
    if pending is None or pending.done:
        pending = _Pending(using)
        setattr(connection, PENDING_ATTRIBUTE, pending)
    pending.column_ids.update(column_ids)
    pending.question_ids.update(question_ids)
    # One callback per call, all sharing ``pending``: whichever survives a rolled-back
    # savepoint refreshes everything. Ids left by a transaction that rolled back are refreshed
    # with the next one, which is harmless.
    transaction.on_commit(pending.flush, using=using)


# The fields a document is made of, and those that decide whether an answer is in it.
COLUMN_SOURCES = {"title", "dek", "question", "status"}
ANSWER_SOURCES = {"body", "position", "column"}


def _changes(update_fields, sources):
    return update_fields is None or not sources.isdisjoint(update_fields)


def column_saved(sender, instance, created, update_fields, using, **kwargs):
    # A status change (publication) refreshes too: the document does not depend on it, but a
    # column going public gets a document computed from what it holds at that moment.
    if created or _changes(update_fields, COLUMN_SOURCES):
        search_vectors_refresh_on_commit(column_ids=[instance.pk], using=using)


def question_saved(sender, instance, created, update_fields, using, **kwargs):
    # Only a picked question has a column; a new one has none yet.
    if created or instance.status != Question.Status.PICKED:
        return
    if _changes(update_fields, {"body"}):
        search_vectors_refresh_on_commit(question_ids=[instance.pk], using=using)


def answer_saved(sender, instance, created, update_fields, using, **kwargs):
    approved = instance.status == Answer.Status.APPROVED
    if created:
        changed = approved
    else:
        changed = (
            update_fields is None
            or "status" in update_fields
            or (approved and not ANSWER_SOURCES.isdisjoint(update_fields))
        )
    if changed:
        search_vectors_refresh_on_commit(column_ids=[instance.column_id], using=using)


def answer_deleted(sender, instance, using, **kwargs):
    if instance.status == Answer.Status.APPROVED:
        search_vectors_refresh_on_commit(column_ids=[instance.column_id], using=using)


def connect():
    """Called by ``QaConfig.ready``."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(column_saved, sender=Column, dispatch_uid="qa.search.column")
    post_save.connect(question_saved, sender=Question, dispatch_uid="qa.search.question")
    post_save.connect(answer_saved, sender=Answer, dispatch_uid="qa.search.answer")
    post_delete.connect(answer_deleted, sender=Answer, dispatch_uid="qa.search.answer_delete")
