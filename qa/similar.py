"""
Questions on the same subject, for the editors' queue: its "similar" column and the list on a
question's page.

They are looked for in the pool: the recent queue, at most ``SIMILAR_POOL_SIZE`` questions of
the last ``SIMILAR_POOL_DAYS``, newest first. Two questions are similar when they have the same
text (the same fingerprint) or at least ``SIMILAR_SHARED_WORDS`` of their significant words in
common.

What makes a steady request cheap, from the inside out:

- A question's significant words depend on its text only, which its fingerprint stands for:
  they are kept in the cache under the fingerprint, cut once for every web process.
- The pool's index (its questions' ids, fingerprints and words) is kept in the cache whole,
  under a stamp of the pool: one aggregate over the pool's rows (how many, the sum of their
  ids, the latest change, the oldest one) that any change to the pool moves. A question comes
  in or leaves (the count or the ids move, or an older one takes the last place and the oldest
  moves); its text or status is changed (every write to a question goes through ``save()``,
  which moves ``updated_at``).
- Each web process keeps the last index it used, so a request under an unchanged stamp reads
  nothing but the stamp the cache holds beside the index (clearing the cache rebuilds it).
- Erasing a question deletes its words and the pool from the cache (``keys_holding``).
"""

import datetime
import hashlib
from collections import defaultdict

from django.core.cache import cache
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from .models import Question
from .search import significant_words

SIMILAR_POOL_DAYS = 180
SIMILAR_POOL_SIZE = 2000
SIMILAR_WORDS = 8
SIMILAR_SHARED_WORDS = 2

# Both are keyed by what they are derived from, so they never go stale; they only expire.
SIMILAR_WORDS_CACHE_SECONDS = 7 * 24 * 60 * 60
SIMILAR_POOL_CACHE_SECONDS = 24 * 60 * 60
# Bump when the stored index changes shape.
POOL_FORMAT = 1


def _words_key(fingerprint):
    return f"similar-words:{SIMILAR_WORDS}:{fingerprint}"


def words_by_fingerprint(fingerprints, texts):
    """
    The significant words of each fingerprint: from the cache, else cut from its text and
    cached. ``texts(missing)`` gives ``{fingerprint: body}`` for the fingerprints not cached.
    """
    keys = {fingerprint: _words_key(fingerprint) for fingerprint in fingerprints}
    cached = cache.get_many(list(keys.values()))
    words = {fingerprint: cached[key] for fingerprint, key in keys.items() if key in cached}
    missing = [fingerprint for fingerprint in keys if fingerprint not in words]
    if missing:
        fresh = {
            fingerprint: significant_words(body, limit=SIMILAR_WORDS)
            for fingerprint, body in texts(missing).items()
        }
        cache.set_many(
            {_words_key(fingerprint): found for fingerprint, found in fresh.items()},
            SIMILAR_WORDS_CACHE_SECONDS,
        )
        words.update(fresh)
    return words


def pool_rows():
    """The pool's questions, newest first."""
    since = timezone.now() - datetime.timedelta(days=SIMILAR_POOL_DAYS)
    return (
        Question.objects.in_queue()
        .filter(created_at__gte=since)
        .order_by("-created_at", "-pk")[:SIMILAR_POOL_SIZE]
    )


def _pool_key(count, ids, changed, oldest):
    """The pool's stamp: a digest that any change to the pool moves."""
    stamp = f"{count}:{ids or 0}:{changed and changed.isoformat()}:{oldest and oldest.isoformat()}"
    return hashlib.sha256(stamp.encode()).hexdigest()[:40]


# The pool is kept under one key, with its stamp beside it, never one key per stamp: so
# erasing a question can delete every copy of its words that the cache holds.
POOL_KEY = f"similar-pool:{POOL_FORMAT}:{SIMILAR_POOL_SIZE}:{SIMILAR_WORDS}"
POOL_STAMP_KEY = f"{POOL_KEY}:stamp"


def keys_holding(fingerprint):
    """The cache keys that can hold the words of a text with this fingerprint."""
    return [_words_key(fingerprint), POOL_KEY, POOL_STAMP_KEY]


def _pool_stamp_key():
    stamp = pool_rows().aggregate(
        count=Count("pk"), ids=Sum("pk"), changed=Max("updated_at"), oldest=Min("created_at")
    )
    return _pool_key(**stamp)


class SimilarPool:
    """
    The pool indexed by significant word and by fingerprint, so that finding the questions
    similar to one costs a few operations per word, not a pass over the pool. Positions are
    newest first.
    """

    def __init__(self, pks, fingerprints, words):
        self.pks = pks
        self.fingerprints = fingerprints
        self.words = words
        self.positions = {pk: position for position, pk in enumerate(pks)}
        # A set of positions is an int, bit n for position n: "at least two words in common"
        # with a whole pool is then a few operations on integers.
        self.by_fingerprint = defaultdict(int)
        self.by_word = defaultdict(int)
        for position, fingerprint in enumerate(fingerprints):
            bit = 1 << position
            self.by_fingerprint[fingerprint] |= bit
            for word in words[position]:
                self.by_word[word] |= bit

    @classmethod
    def build(cls, previous=None):
        """
        The pool read from the database, and the key of its stamp. Words come from the
        ``previous`` pool, else from the cache; only the texts whose words are in neither are
        loaded (one query for all of them).
        """
        rows = list(pool_rows().values_list("pk", "fingerprint", "created_at", "updated_at"))
        pks_of = defaultdict(list)
        for pk, fingerprint, _created, _changed in rows:
            pks_of[fingerprint].append(pk)

        def texts(missing):
            pks = [pk for fingerprint in missing for pk in pks_of[fingerprint]]
            return dict(Question.objects.filter(pk__in=pks).values_list("fingerprint", "body"))

        # Words the last pool had need not be fetched again: the same text, the same words.
        words = previous.known_words(pks_of) if previous is not None else {}
        words.update(words_by_fingerprint([fp for fp in pks_of if fp not in words], texts))
        pool = cls(
            [row[0] for row in rows],
            [row[1] for row in rows],
            [words[row[1]] for row in rows],
        )
        key = _pool_key(
            count=len(rows),
            ids=sum(row[0] for row in rows),
            changed=max((row[3] for row in rows), default=None),
            oldest=min((row[2] for row in rows), default=None),
        )
        return pool, key

    def stored(self):
        """What the cache keeps: enough to rebuild the index without a query."""
        return self.pks, self.fingerprints, self.words

    def known_words(self, fingerprints):
        """``{fingerprint: words}`` for those of ``fingerprints`` that texts in the pool have."""
        known = {}
        for fingerprint in fingerprints:
            positions = self.by_fingerprint.get(fingerprint)
            if positions:
                known[fingerprint] = self.words[_lowest(positions)]
        return known

    def _words_of(self, questions):
        """Each question's significant words by fingerprint, from the pool where it has them."""
        known = self.known_words({q.fingerprint for q in questions})
        rest = {q.fingerprint for q in questions if q.fingerprint not in known}
        if rest:
            bodies = {q.fingerprint: q.body for q in questions}
            known.update(
                words_by_fingerprint(rest, lambda missing: {fp: bodies[fp] for fp in missing})
            )
        return known

    def _found(self, question, words):
        """The positions of the questions similar to ``question``, as bits of an int."""
        words = set(words)
        needed = min(SIMILAR_SHARED_WORDS, len(words)) or 1
        # at_least[n]: the positions sharing more than n of the words seen so far.
        at_least = [0] * needed
        for word in words:
            positions = self.by_word.get(word, 0)
            for n in range(needed - 1, 0, -1):
                at_least[n] |= at_least[n - 1] & positions
            at_least[0] |= positions
        found = at_least[-1]
        if question.body:
            found |= self.by_fingerprint.get(question.fingerprint, 0)
        if question.pk in self.positions:
            found &= ~(1 << self.positions[question.pk])
        return found

    def similar_counts(self, questions):
        """``{pk: n}``: how many questions ``similar_to`` would give for each of ``questions``."""
        words = self._words_of(questions)
        return {q.pk: self._found(q, words[q.fingerprint]).bit_count() for q in questions}

    def similar_to(self, question):
        """
        The ids of the questions in the pool on the same subject as ``question``, newest
        first: the same text, or at least ``SIMILAR_SHARED_WORDS`` of its significant words
        in common.
        """
        found = self._found(question, self._words_of([question])[question.fingerprint])
        pks = []
        while found:
            pks.append(self.pks[_lowest(found)])
            found &= found - 1
        return pks


def _lowest(positions):
    """The first position in a set of them (an int, bit n for position n)."""
    return (positions & -positions).bit_length() - 1


# This process's last pool, as (key, pool) in one slot, read and replaced whole by any thread.
# Not shared state: the stamp says which pool is current, and the cache whether it still holds it.
_last_used = {}


def similar_pool():
    """The current pool: its stamp (one query), then this process's copy, the cache, or a build."""
    key = _pool_stamp_key()
    last_key, last_pool = _last_used.get("pool", (None, None))
    if key == last_key and cache.get(POOL_STAMP_KEY) == key:
        return last_pool
    stored = cache.get(POOL_KEY)
    if stored is not None and stored[0] == key:
        pool = SimilarPool(*stored[1])
    else:
        pool, key = SimilarPool.build(previous=last_pool)
        cache.set_many(
            {POOL_KEY: (key, pool.stored()), POOL_STAMP_KEY: key}, SIMILAR_POOL_CACHE_SECONDS
        )
    _last_used["pool"] = (key, pool)
    return pool
