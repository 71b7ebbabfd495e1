"""
The page cache: what invalidates which pages, what is stored, and that reading never writes.

A page served from the cache runs no view: the only query is the read of the record of changes
(``PageVersion``), which the tests make on every request (``PAGE_CACHE_POLL_SECONDS = 0``).
"""

import datetime
import inspect

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qa import pagecache, services
from qa.models import Answer, Column, Expert, PageVersion, Publication
from qa.tasks import share_image_refresh

from .factories import (
    AnswerFactory,
    CategoryFactory,
    ColumnFactory,
    ExpertFactory,
    ExpertUserFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def served_from_cache(client, url, **extra):
    """True when ``url`` was answered without running its view."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **extra).status_code == 200
    return all("qa_pageversion" in query["sql"] for query in queries)


def cached(client, *urls):
    for url in urls:
        client.get(url)
        assert served_from_cache(client, url), url


@pytest.fixture
def site(editor):
    """
    Two topics; three columns published through the services (``a`` and ``b`` in one topic,
    ``c`` in the other), one expert answering ``a`` and ``c``, and a column being written.
    """
    Publication.current()
    work, money = CategoryFactory(name="Work"), CategoryFactory(name="Money")
    shared = ExpertFactory(name="Shared Expert")

    def published(category, title, expert=None):
        question = QuestionFactory(category=category, status="picked")
        column = ColumnFactory(
            question=question, category=category, title=title, status=Column.Status.REVIEW
        )
        AnswerFactory(column=column, expert=expert or ExpertFactory())
        return services.column_publish(column=column, by=editor)

    a = published(work, "Column A", shared)
    b = published(work, "Column B")
    c = published(money, "Column C", shared)
    expert = ExpertUserFactory(username="writer").expert
    draft = ColumnFactory(status=Column.Status.COLLECTING, category=money)
    draft.answer_deadline = timezone.now() + datetime.timedelta(hours=47)
    draft.save()
    answer = AnswerFactory(column=draft, expert=expert, status=Answer.Status.INVITED)

    class Site:
        pass

    site = Site()
    site.a, site.b, site.c, site.draft, site.answer = a, b, c, draft, answer
    site.work, site.money, site.shared, site.expert = work, money, shared, expert
    return site


def snapshot():
    return sorted(PageVersion.objects.values_list("name", "version"))


# -- what invalidates -----------------------------------------------------------------------


def test_a_correction_changes_the_pages_that_show_the_column_and_no_other(client, editor, site):
    work, money = f"/topics/{site.work.slug}/", f"/topics/{site.money.slug}/"
    # b shows a among its related columns; a's expert is the shared one.
    showing = [site.a.get_absolute_url(), site.b.get_absolute_url(), "/", "/columns/", work]
    showing += [site.shared.get_absolute_url(), "/feed/", "/feed/atom/", f"{work}feed/"]
    # c is in the other topic, b's expert is not on a, and the panel shows no column.
    others = [site.c.get_absolute_url(), money, f"{money}feed/", "/experts/"]
    others.append(site.b.answers.get().expert.get_absolute_url())
    for url in showing:
        assert "Column A" in client.get(url).text, url
    for url in others:
        assert "Column A" not in client.get(url).text, url
    cached(client, *showing, *others)

    services.column_correct(column=site.a, changes={"title": "Column A, corrected"}, by=editor)

    for url in showing:
        assert not served_from_cache(client, url), url
        assert "Column A, corrected" in client.get(url).text, url
    for url in others:
        assert served_from_cache(client, url), url
    for url in showing:  # rendered again, and stored again
        assert served_from_cache(client, url), url


def test_a_column_featured_by_a_correction_reaches_the_home_page(client, editor, site):
    ColumnFactory.create_batch(7, published=True, published_at=timezone.now(), category=site.money)
    cached(client, "/")
    assert "Column A" not in client.get("/").text  # newer columns fill the recent ones
    services.column_correct(column=site.a, changes={"is_featured": True}, by=editor)
    assert "Column A" in client.get("/").text


def list_pages(site):
    work = f"/topics/{site.work.slug}/"
    return ["/", "/columns/", work, f"{work}feed/", "/feed/", "/feed/atom/"]


def test_a_publication_reaches_every_list_page_it_is_in(client, editor, site):
    profile, money = site.shared.get_absolute_url(), f"/topics/{site.money.slug}/"
    cached(client, *list_pages(site), profile, "/experts/", money)
    assert "2 published answers" in client.get("/experts/").text
    column = ColumnFactory(status=Column.Status.REVIEW, category=site.work, title="New in Work")
    AnswerFactory(column=column, expert=site.shared)
    services.column_publish(column=column, by=editor)
    for url in [*list_pages(site), profile]:
        assert "New in Work" in client.get(url).text, url
    assert "3 published answers" in client.get("/experts/").text
    assert served_from_cache(client, money)  # the other topic's page does not show it


def test_an_unpublication_leaves_every_list_page(client, editor, site):
    profile = site.shared.get_absolute_url()
    for url in [*list_pages(site), profile]:
        assert "Column A" in client.get(url).text, url
    cached(client, *list_pages(site), profile, "/experts/")
    services.column_unpublish(column=site.a, by=editor, reason="A mistake")
    for url in [*list_pages(site), profile]:
        assert "Column A" not in client.get(url).text, url
    assert "2 published answers" not in client.get("/experts/").text


def test_a_publication_changes_its_topics_column_pages_and_not_the_others(client, editor, site):
    a, c = site.a.get_absolute_url(), site.c.get_absolute_url()
    cached(client, a, c)
    column = ColumnFactory(status=Column.Status.REVIEW, category=site.work, title="New in Work")
    AnswerFactory(column=column)
    services.column_publish(column=column, by=editor)
    assert "New in Work" in client.get(a).text  # now among a's related columns
    assert served_from_cache(client, c)


def test_an_experts_profile_change_reaches_their_columns_only(client, editor, site):
    a, b = site.a.get_absolute_url(), site.b.get_absolute_url()
    cached(client, a, b, "/experts/")
    site.shared.name = "Renamed Expert"
    site.shared.save()
    services.expert_profile_changed(site.shared)
    assert "Renamed Expert" in client.get(a).text
    assert "Renamed Expert" in client.get("/experts/").text
    assert served_from_cache(client, b)


def test_a_topic_renamed_in_the_admin_reaches_its_pages(editor_client, site):
    client = Client()
    a, c = site.a.get_absolute_url(), site.c.get_absolute_url()
    cached(client, a, c, "/")
    response = editor_client.post(
        f"/admin/qa/category/{site.work.pk}/change/",
        {"name": "Working life", "slug": site.work.slug, "description": ""},
    )
    assert response.status_code == 302
    assert "Working life" in client.get(a).text
    assert "Working life" in client.get("/").text
    assert served_from_cache(client, c)


def test_pages_expire_makes_every_page_a_miss(client, site):
    a = site.a.get_absolute_url()
    cached(client, a, "/")
    call_command("pages_expire", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not served_from_cache(client, a)
    assert not served_from_cache(client, "/")


def test_a_change_is_invisible_to_other_processes_until_it_commits(client, editor, site):
    """The record of changes is written in the change's own transaction: a rollback undoes it."""
    before = snapshot()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.column_correct(column=site.a, changes={"title": "Never"}, by=editor)
        raise RuntimeError
    assert snapshot() == before


def sign_in(user):
    """A real sign-in through the admin's form: it writes the session and ``last_login``."""
    response = Client().post(
        "/admin/login/?next=/admin/", {"username": user.username, "password": "pw"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.last_login is not None


NON_PUBLIC = {
    "a draft saved": lambda site, editor: services.answer_save_draft(
        answer=site.answer, headline="Draft", body="Not yet.", version=site.answer.version,
        by=site.expert.user,
    ),
    "an invitation": lambda site, editor: services.column_invite(
        column=site.draft, experts=[ExpertUserFactory().expert],
        deadline=timezone.now() + datetime.timedelta(days=3), by=editor,
    ),
    "a reminder": lambda site, editor: services.reminders_send(),
    "a reader's question": lambda site, editor: services.question_submit(
        body="How do I ask for a raise without sounding greedy?", category=site.work,
        signature="Hopeful", email="reader@example.com",
    ),
    "a pick": lambda site, editor: services.column_pick(
        question=QuestionFactory(category=site.work), week=datetime.date(2030, 1, 7), by=editor
    ),
    "a sign-in": lambda site, editor: sign_in(site.expert.user),
    "a share image": lambda site, editor: share_image_refresh.call(column_id=site.a.pk),
}  # fmt: skip


@pytest.mark.parametrize("write", list(NON_PUBLIC))
def test_a_write_readers_cannot_see_invalidates_nothing(client, editor, site, write):
    urls = [site.a.get_absolute_url(), site.c.get_absolute_url(), "/", "/experts/", "/feed/"]
    cached(client, *urls)
    before = snapshot()
    NON_PUBLIC[write](site, editor)
    assert snapshot() == before
    for url in urls:
        assert served_from_cache(client, url), url


def test_the_reminder_case_really_sends_a_reminder(site, mailoutbox):
    """The non-public case above is not vacuous: the expert is reminded."""
    site.expert.user.email = "writer@example.com"
    site.expert.user.save()
    assert services.reminders_send()


# Every service, by whether what it writes can reach a public page. A new service must be
# listed: a public one must call ``pages_changed`` (or a service that does).
PUBLIC_SERVICES = {
    "answer_edit": None,
    "answers_reorder": None,
    "column_correct": None,
    "column_publish": None,
    "column_unpublish": None,
    "expert_account_ensure": None,
    "expert_profile_changed": None,
    "expert_deactivate": "_set_active",
    "expert_reactivate": "_set_active",
    # A byline given a login is pending (off the panel) until it joins.
    "expert_email_set": None,
    "expert_panel_joined": None,
    "answer_move": "answers_reorder",
    "columns_publish_due": "column_publish",
}
NOT_PUBLIC_SERVICES = {
    # A published column's answers cannot change status (``_require_editable_column``).
    "answer_approve", "answer_decline", "answer_expert_refusal", "answer_reject",
    "answer_return_to_draft", "answer_save_draft", "answer_submit", "reminders_send",
    "column_invite", "column_pick", "column_review_start", "column_schedule",
    "column_unschedule", "columns_review_due", "column_publish_problems",
    "editor_account_ensure", "share_image_enqueue", "transition_record",
    # The invitation to the panel: nothing public until the expert joins.
    "expert_panel_invite",
    "week_of",
    # Questions: a picked question's published letter is kept as it is.
    "question_decline", "question_erase", "question_shortlist", "question_spam_mark",
    "question_spam_restore", "question_submit",
}  # fmt: skip


def test_every_service_that_changes_a_public_page_says_so():
    functions = {name for name in services.__all__ if inspect.isfunction(getattr(services, name))}
    unknown = functions - set(PUBLIC_SERVICES) - NOT_PUBLIC_SERVICES
    assert not unknown, (
        f"New services {sorted(unknown)}: list each in tests/test_pagecache.py as public (it "
        "changes what a reader can see, and calls pages_changed) or not public."
    )
    for name, through in PUBLIC_SERVICES.items():
        source = inspect.getsource(getattr(services, name))
        assert f"{through or 'pages_changed'}(" in source, f"{name} never calls pages_changed"


# -- reading never writes -------------------------------------------------------------------


def test_anonymous_gets_of_every_public_page_write_nothing(editor, site):
    """Every public page, twice (rendered, then from the cache), and each 404: no write."""
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    ColumnFactory.create_batch(13, published=True, category=site.work)
    services.column_correct(column=site.a, changes={"dek": "Refreshed."}, by=editor)
    question = QuestionFactory()
    urls = ["/", "/columns/", "/columns/?page=2", "/experts/", "/feed/", "/feed/atom/"]
    urls += ["/search/?q=raise", "/sitemap.xml", "/robots.txt", "/ask/", "/healthz"]
    urls += [column.get_absolute_url() for column in Column.objects.published()]
    for topic in (site.work, site.money):
        urls += [f"/topics/{topic.slug}/", f"/topics/{topic.slug}/feed/"]
    urls += [expert.get_absolute_url() for expert in Expert.objects.published()]
    urls += [question.get_status_url()]
    urls += ["/columns/nothing-here/", "/experts/nobody/", "/topics/none/"]
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        for url in urls * 2:
            assert client.get(url).status_code in (200, 404), url
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []
    assert len(urls) > 20


# -- what is stored -------------------------------------------------------------------------


def stored(path, query=""):
    """In this process's copy; with Redis, in the shared cache as well."""
    name = f"{pagecache.PAGE_VERSION}:{path}?{query}"
    local = pagecache.local_pages.get(name) is not None
    if pagecache._shared() is not None:
        assert local == (cache.get(pagecache._key(name)) is not None), name
    return local


def test_only_canonical_addresses_are_stored(client, site):
    ColumnFactory.create_batch(13, published=True, category=site.work)  # two archive pages
    column = site.a.get_absolute_url()
    asked = {
        column: ["page=2", "page=1000", "utm_source=x", "page=1"],
        "/": ["page=2", "page=1"],
        "/columns/": ["page=1", "page=01", "page=3", "page=1000", "page=2&x=1", "x=1"],
        "/experts/": ["page=2"],
        "/feed/": ["page=2"],
        site.shared.get_absolute_url(): ["page=2"],
    }
    for path, queries in asked.items():
        for query in queries:
            assert client.get(f"{path}?{query}").status_code in (200, 404)
            assert not stored(path, query), f"{path}?{query}"
    for path in asked:
        client.get(path)
        assert stored(path), path
    assert client.get("/columns/?page=2").status_code == 200
    assert stored("/columns/", "page=2")


def test_a_cached_page_carries_the_same_headers_and_answers_304(client, site):
    url = site.a.get_absolute_url()
    rendered = client.get(url)
    served = client.get(url)
    assert served.content == rendered.content
    names = {"Content-Type", "Content-Security-Policy", "X-Frame-Options", "ETag", "Last-Modified"}
    names |= {"Cache-Control", "X-Content-Type-Options", "Referrer-Policy"}
    for name in names:
        assert served[name] == rendered[name], name
    again = client.get(url, headers={"if-none-match": served["ETag"]})
    dated = client.get(url, headers={"if-modified-since": served["Last-Modified"]})
    assert again.status_code == dated.status_code == 304 and again.content == b""
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_a_host_not_allowed_is_refused_even_for_a_cached_page(client, site):
    cached(client, site.a.get_absolute_url())
    response = Client(HTTP_HOST="evil.example").get(site.a.get_absolute_url())
    assert response.status_code == 400


def test_https_redirect_still_applies_to_cached_pages(client, site, settings):
    cached(client, site.a.get_absolute_url())
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(site.a.get_absolute_url())
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_a_response_that_sets_a_cookie_is_never_stored(rf):
    from django.http import HttpResponse

    def view(request):
        response = HttpResponse("personal")
        response.set_cookie("who", "you")
        return response

    pagecache.PageCacheMiddleware(pagecache.cached(view))(rf.get("/columns/anything/"))
    assert not stored("/columns/anything/")


def test_a_page_rendered_while_a_change_commits_is_not_stored(client, editor, site, monkeypatch):
    """``*`` moved between the process's last read and the render's end: not stored."""
    url = site.a.get_absolute_url()
    real = pagecache.page_set

    def change_then_store(*args):
        services.column_correct(column=site.b, changes={"dek": "Meanwhile."}, by=editor)
        real(*args)

    monkeypatch.setattr(pagecache, "page_set", change_then_store)
    client.get(url)
    assert not stored(url)


def test_the_record_of_changes_is_read_at_most_every_poll_seconds(
    client, site, settings, monkeypatch
):
    settings.PAGE_CACHE_POLL_SECONDS = 0.5
    now = [1000.0]
    monkeypatch.setattr(pagecache, "monotonic", lambda: now[0])
    url = site.a.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            client.get(url)
    assert len(queries) == 0
    now[0] += 0.6
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert len(queries) == 1


def test_an_unpublished_column_leaves_every_page_that_showed_it(client, editor, site):
    a = site.a.get_absolute_url()
    cached(client, a, "/", site.b.get_absolute_url())
    services.column_unpublish(column=site.a, by=editor, reason="A mistake")
    assert client.get(a).status_code == 404
    assert "Column A" not in client.get("/").text
    assert "Column A" not in client.get(site.b.get_absolute_url()).text


# -- this process's copy ----------------------------------------------------------------------


def page_entry(size):
    return (1, {}, ([], None, None, b"x" * size))


def test_the_process_copy_keeps_the_pages_used_last_within_its_size(settings):
    settings.PAGE_CACHE_LOCAL_BYTES = 250
    pages = pagecache.LocalPages()
    pages.set("a", page_entry(100))
    pages.set("b", page_entry(100))
    pages.get("a")
    pages.set("c", page_entry(100))
    assert pages.get("b") is None
    assert pages.get("a") is not None and pages.get("c") is not None
    pages.set("a", page_entry(50))  # replacing an entry counts its new size only
    assert pages.size == 150
    pages.set("huge", page_entry(300))
    assert pages.get("huge") is None
    assert pages.size == 150


def test_a_hit_in_the_process_copy_asks_nothing_of_the_shared_cache(client, site, monkeypatch):
    shared = pagecache._shared()
    if shared is None:
        pytest.skip("no shared cache: the process's copy is the only one")
    url = site.a.get_absolute_url()
    client.get(url)
    asked = []
    monkeypatch.setattr(type(shared), "get", lambda self, *args, **kw: asked.append(args))
    assert served_from_cache(client, url)
    assert asked == []


def test_a_page_another_process_stored_is_served_from_the_shared_cache(client, site):
    if pagecache._shared() is None:
        pytest.skip("no shared cache")
    url = site.a.get_absolute_url()
    client.get(url)
    pagecache.local_pages.clear()  # as if another process had rendered it
    assert served_from_cache(client, url)
    assert stored(url)


def test_while_the_database_is_down_a_stored_page_is_served_and_others_answer_503(
    client, site, monkeypatch
):
    from django.db import OperationalError

    url = site.a.get_absolute_url()
    stored_page = client.get(url).content

    def down(names):
        raise OperationalError("connection refused")

    monkeypatch.setattr(pagecache, "_versions", down)
    monkeypatch.setattr("qa.selectors.column_for_page", lambda slug: down(()))
    served = client.get(url)
    assert served.status_code == 200 and served.content == stored_page
    assert client.get(site.b.get_absolute_url()).status_code == 503
