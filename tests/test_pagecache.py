"""The page cache: which writes make cached pages a miss, and when."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qa import pagecache
from qa.models import Answer, Category, Question

from .factories import AnswerFactory, ColumnFactory, QuestionFactory

# The cache moves on when a transaction commits: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "qa_answer" ("body") VALUES (%s)', "qa_answer"),
        ('UPDATE "qa_column" SET "title" = %s', "qa_column"),
        ('DELETE FROM "qa_expert" WHERE "id" = %s', "qa_expert"),
        ('  update "QA_CATEGORY" set "name" = %s', "qa_category"),
        ('UPDATE "qa_publication" SET "intro" = %s', "qa_publication"),
        ('UPDATE "qa_question" SET "status" = %s', "qa_question"),
        ('DELETE FROM "qa_question" WHERE "id" = %s', "qa_question"),
        ('INSERT INTO "qa_question" ("body") VALUES (%s)', None),
        ('SELECT * FROM "qa_column"', None),
        ('SAVEPOINT "s1"', None),
        ('UPDATE "axes_accessattempt" SET "failures_since_start" = 1', None),
        ('INSERT INTO "qa_transition" ("action") VALUES (%s)', None),
        ('INSERT INTO "qa_columnist" ("name") VALUES (%s)', None),
        ("", None),
    ],
)
def test_which_statements_are_watched(sql, table):
    assert pagecache.written_table(sql) == table


@pytest.fixture
def cached(client):
    """
    A published column whose page is in the cache, everything committed for real;
    ``fresh()`` says whether a request is still served from the cache (no query).
    """
    column = AnswerFactory(column=ColumnFactory(published=True), body="Kept.").column
    url = column.get_absolute_url()
    client.get(url)  # draws the share image, which is a write: this rendering is a miss next
    client.get(url)

    class Page:
        def __init__(self):
            self.column = column

        def fresh(self):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            return len(queries) == 0

    page = Page()
    assert page.fresh()
    return page


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda c: Answer.objects.filter(column=c).update(headline="New"), id="update"),
        pytest.param(lambda c: c.answers.first().delete(), id="delete"),
        pytest.param(lambda c: AnswerFactory(column=c), id="insert"),
        pytest.param(
            lambda c: Answer.objects.bulk_create(
                [AnswerFactory.build(column=c, expert=c.answers.first().expert)]
            ),
            id="bulk",
        ),
        pytest.param(lambda c: c.category.save(), id="category"),
        pytest.param(lambda c: c.answers.first().expert.save(), id="expert"),
        pytest.param(lambda c: c.question.save(), id="question"),
    ],
)
def test_every_kind_of_committed_write_makes_the_page_a_miss(cached, write):
    write(cached.column)
    assert not cached.fresh()


def test_a_write_moves_nothing_until_it_commits(cached):
    with transaction.atomic():
        Answer.objects.filter(column=cached.column).update(headline="Not yet")
        assert cached.fresh()
    assert not cached.fresh()


def test_a_rolled_back_write_moves_nothing(cached):
    with pytest.raises(RuntimeError), transaction.atomic():
        Answer.objects.filter(column=cached.column).update(headline="Rolled back")
        raise RuntimeError
    assert cached.fresh()


def test_a_transaction_of_many_writes_moves_the_generation_once(cached, monkeypatch):
    moves = []
    monkeypatch.setattr(pagecache, "content_changed", lambda: moves.append(1))
    with transaction.atomic():
        for _ in range(5):
            Answer.objects.filter(column=cached.column).update(headline="Again")
        with transaction.atomic():
            Category.objects.update(description="Also")
    assert moves == [1]


def test_a_write_in_a_rolled_back_savepoint_still_counts_if_another_commits(cached):
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            Answer.objects.filter(column=cached.column).update(headline="Undone")
            raise RuntimeError
        Answer.objects.filter(column=cached.column).update(headline="Kept")
    assert not cached.fresh()


def test_a_new_reader_question_leaves_the_cache_alone(cached):
    QuestionFactory(category=cached.column.category)
    assert Question.objects.count() == 2
    assert cached.fresh()


def test_pages_expire_makes_every_page_a_miss(cached):
    call_command("pages_expire", stdout=io.StringIO())
    assert not cached.fresh()


def test_the_generation_comes_back_after_the_cache_loses_it(cached):
    cache.delete(pagecache.GENERATION_KEY)
    pagecache.local.clear()  # as in a process that has not served the page yet
    assert not cached.fresh()
    assert cached.fresh()


def test_a_missing_column_is_not_cached_and_answers_404(client, django_assert_num_queries):
    for _ in range(2):
        with django_assert_num_queries(1):
            assert client.get("/columns/no-such-column/").status_code == 404
    assert Client().get("/columns/%3Cscript%3E/").status_code == 404


def test_a_cached_page_carries_the_same_headers_and_answers_304(cached, client):
    url = cached.column.get_absolute_url()
    cache.delete(pagecache.GENERATION_KEY)
    rendered = client.get(url)
    served = client.get(url)
    assert served.content == rendered.content
    names = {"Content-Type", "Content-Security-Policy", "X-Frame-Options", "ETag", "Last-Modified"}
    names |= {"Cache-Control", "X-Content-Type-Options", "Referrer-Policy"}
    for name in names:
        assert served[name] == rendered[name], name
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, headers={"if-none-match": served["ETag"]})
        dated = client.get(url, headers={"if-modified-since": served["Last-Modified"]})
    assert again.status_code == dated.status_code == 304
    assert again.content == b"" and len(queries) == 0


def test_only_plain_reads_of_opted_in_pages_are_served_from_the_cache(cached, client):
    url = cached.column.get_absolute_url()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"utm_source": "x"}).status_code == 200
        assert client.head(url).status_code == 200
    assert len(queries) == 4  # the query string is a miss; HEAD is served from the cache
    assert client.post(url).status_code == 405
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            client.get("/search/", {"q": "kept"})
        assert len(queries) > 0  # search does not opt in


@pytest.mark.parametrize(
    ("query", "kept"),
    [("", True), ("page=1", True), ("page=99", False), ("page=abc", False), ("page=1&x=2", False)],
)
def test_a_list_page_is_kept_only_under_the_page_it_serves(cached, client, query, kept):
    """A number past the end serves the last page: storing it under every number asked for
    would let anyone fill the cache."""
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/columns/?{query}").status_code == 200
    assert (len(queries) == 0) == kept


def test_https_redirect_still_applies_to_cached_pages(cached, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(cached.column.get_absolute_url())  # middleware read anew
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_a_response_that_sets_a_cookie_is_never_stored(rf):
    from django.http import HttpResponse

    def view(request):
        response = HttpResponse("personal")
        response.set_cookie("who", "you")
        return response

    middleware = pagecache.PageCacheMiddleware(pagecache.cached(view))
    middleware(rf.get("/columns/anything/"))
    assert pagecache.page_get(f"{pagecache.PAGE_VERSION}:/columns/anything/")[0] is None


def _eventually(condition, seconds=10):
    """Poll ``condition`` until it holds or ``seconds`` pass (a bound, not a measurement)."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_process_keeps_pages_in_memory_while_it_hears_every_change(
    client, shared_redis, monkeypatch
):
    """
    With Redis, a page served once is served again from the process's memory, without the round
    trip, until a change is published: one made in another process too.
    """
    column = AnswerFactory(column=ColumnFactory(published=True), body="Kept.").column
    url = column.get_absolute_url()
    assert _eventually(lambda: pagecache.listener.token() is not None)
    client.get(url)  # draws the share image, a write
    client.get(url)  # stored in Redis and in memory

    def no_round_trip(*args, **kwargs):
        raise AssertionError("read from Redis")

    with monkeypatch.context() as patched:
        patched.setattr(type(cache._cache), "get_many", no_round_trip)
        with CaptureQueriesContext(connection) as queries:
            assert "Kept." in client.get(url).text
        assert len(queries) == 0

    token = pagecache.listener.token()
    shared_redis(
        """
        from qa.pagecache import content_changed
        content_changed()
        """
    )
    assert _eventually(lambda: pagecache.listener.token() not in (token, None))
    with CaptureQueriesContext(connection) as queries:
        assert "Kept." in client.get(url).text
    assert len(queries) == 4


def test_without_news_from_the_listener_every_page_is_read_from_redis(
    client, shared_redis, monkeypatch
):
    column = AnswerFactory(column=ColumnFactory(published=True), body="Kept.").column
    url = column.get_absolute_url()
    assert _eventually(lambda: pagecache.listener.token() is not None)
    client.get(url)
    client.get(url)
    monkeypatch.setattr(pagecache.listener, "STALE_AFTER", -1)  # no ping answered in time
    reads = []
    original = type(cache._cache).get_many
    monkeypatch.setattr(
        type(cache._cache), "get_many", lambda self, keys: reads.append(1) or original(self, keys)
    )
    with CaptureQueriesContext(connection) as queries:
        assert "Kept." in client.get(url).text
    assert reads == [1] and len(queries) == 0


def test_a_host_not_allowed_is_refused_even_for_a_cached_page(cached):
    response = Client(HTTP_HOST="evil.example").get(cached.column.get_absolute_url())
    assert response.status_code == 400


def test_cached_pages_still_serve_while_the_database_is_down(cached, client, monkeypatch):
    from .test_middleware import assert_database_unavailable, database_down

    database_down(monkeypatch)
    response = client.get(cached.column.get_absolute_url())
    assert response.status_code == 200 and "Kept." in response.text
    assert_database_unavailable(client.get("/columns/never-cached/"))
