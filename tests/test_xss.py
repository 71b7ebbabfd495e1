"""
Every payload (OWASP's cheat sheet and the Big List of Naughty Strings) in every field a reader,
an expert or an editor can write, through the Markdown renderer, the public pages and the
admin: nothing executable reaches any of them.

Payloads are written straight into the database (as an import or a compromised account could),
so no form validation stands between them and the templates. Pages are rendered in batches of
SLOTS payloads: list pages show every slot, detail pages one slot in turn, and the figures
printed count each (payload, field, page) that was really rendered.
"""

import io
import itertools
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from qa.markdown import render_markdown
from qa.models import Answer, Category, Column, Expert, Question

from .factories import AnswerFactory, CategoryFactory, ColumnFactory, QuestionFactory
from .security import (
    active_elements,
    csp_nonces,
    executable_parts,
    owasp_payloads,
    xss_payloads,
)

SLOTS = 20
EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "emails"


def test_no_payload_survives_the_markdown_renderer():
    reached = [p for p in xss_payloads() if executable_parts(render_markdown(p))]
    print(f"\nMarkdown: {len(xss_payloads())} payloads tried, {len(reached)} reached output")
    assert reached == []


def fit(model, field, value):
    """What the database can hold: the payload cut to the column's length."""
    limit = model._meta.get_field(field).max_length
    return value[:limit] if limit else value


def chunks(items, size):
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


@pytest.fixture
def stage(expert_a, editor):
    """SLOTS columns, each with its category and question; the first holds every answer."""
    columns = []
    for i in range(SLOTS):
        category = CategoryFactory(slug=f"xss-{i}")
        question = QuestionFactory(category=category, status=Question.Status.PICKED)
        columns.append(ColumnFactory(question=question, category=category, published=True))
    feature = columns[0]
    answers = [AnswerFactory(column=feature, position=i) for i in range(SLOTS)]
    own = AnswerFactory(
        column=feature, expert=expert_a.expert, status=Answer.Status.SUBMITTED, position=99
    )
    return {"columns": columns, "answers": answers, "own": own, "feature": feature}


def load(stage, chunk, own_payload):
    """Write payload i into every writable field of slot i (and one into the expert's own)."""
    used = set()
    for i, payload in enumerate(chunk):
        column = stage["columns"][i]
        name = fit(Category, "name", payload)
        if name in used:  # unique: two payloads that only differ past the limit
            name = name[:-3] + f"{i:03d}"
        used.add(name)
        Category.objects.filter(pk=column.category_id).update(name=name)
        Question.objects.filter(pk=column.question_id).update(
            body=payload,
            signature=fit(Question, "signature", payload),
            name=fit(Question, "name", payload),
        )
        Column.objects.filter(pk=column.pk).update(
            title=fit(Column, "title", payload), dek=payload, intro=payload
        )
        answer = stage["answers"][i]
        Answer.objects.filter(pk=answer.pk).update(
            headline=fit(Answer, "headline", payload),
            body=payload,
            body_html=render_markdown(payload),
        )
        Expert.objects.filter(pk=answer.expert_id).update(
            name=fit(Expert, "name", payload),
            company=fit(Expert, "company", payload),
            company_url=fit(Expert, "company_url", payload),
            bio=payload,
        )
    Answer.objects.filter(pk=stage["own"].pk).update(
        headline=fit(Answer, "headline", own_payload),
        body=own_payload,
        body_html=render_markdown(own_payload),
    )
    Expert.objects.filter(pk=stage["own"].expert_id).update(
        company=fit(Expert, "company", own_payload),
        company_url=fit(Expert, "company_url", own_payload),
        bio=own_payload,
    )


def pages(stage, turn, n):
    """(client role, url, fields shown, how many slots' payloads it shows) for this batch."""
    columns, answers, own = stage["columns"], stage["answers"], stage["own"]
    r = turn % n
    slot = columns[r]
    admin = "admin:qa_{}_{}".format
    return [
        ("anonymous", "/", ["column.title", "column.dek", "category.name"], min(n, 10)),
        (
            "anonymous",
            stage["feature"].get_absolute_url(),
            ["answer.headline", "answer.body", "expert.name", "expert.company"],
            n,
        ),
        (
            "anonymous",
            slot.get_absolute_url(),
            [
                "column.title",
                "column.dek",
                "column.intro",
                "question.body",
                "question.signature",
                "category.name",
            ],
            1,
        ),
        ("anonymous", reverse("qa:category", args=[slot.category.slug]), ["category.name"], 1),
        (
            "anonymous",
            Expert.objects.get(pk=answers[r].expert_id).get_absolute_url(),
            ["expert.name", "expert.company", "expert.company_url", "expert.bio"],
            1,
        ),
        ("editor", reverse(admin("answer", "changelist")), ["answer.headline", "expert.name"], n),
        ("editor", reverse(admin("question", "changelist")), ["question.body"], n),
        ("editor", reverse(admin("column", "changelist")), ["column.title", "category.name"], n),
        ("editor", reverse(admin("expert", "changelist")), ["expert.name", "expert.company"], n),
        ("editor", reverse(admin("category", "changelist")), ["category.name"], n),
        (
            "editor",
            reverse(admin("column", "change"), args=[stage["feature"].pk]),
            ["answer.headline", "answer.body"],
            n,
        ),
        (
            "editor",
            reverse(admin("answer", "change"), args=[answers[r].pk]),
            ["answer.headline", "answer.body", "expert.name"],
            1,
        ),
        (
            "editor",
            reverse(admin("question", "change"), args=[slot.question_id]),
            ["question.body", "question.signature", "question.name"],
            1,
        ),
        (
            "expert",
            reverse(admin("answer", "change"), args=[own.pk]),
            ["answer.headline", "answer.body", "column.title", "column.dek", "question.body"],
            1,
        ),
        (
            "expert",
            reverse(admin("expert", "change"), args=[own.expert_id]),
            ["expert.company", "expert.company_url", "expert.bio"],
            1,
        ),
    ]


def run(stage, clients, payloads, audience):
    """Load each batch, render each page of ``audience``; returns the figures and failures."""
    cells = renders = 0
    failures = []
    baseline = {}
    for turn, chunk in enumerate(itertools.chain([[]], chunks(payloads, SLOTS))):
        if chunk:
            load(stage, chunk, own_payload=chunk[turn % len(chunk)])
        listed = [page for page in pages(stage, turn, max(len(chunk), 1)) if page[0] in audience]
        for index, (role, url, fields, shown) in enumerate(listed):
            response = clients[role].get(url)
            assert response.status_code == 200, (role, url, chunk)
            if not chunk:  # the first pass, with clean data: what the templates put there
                baseline[index] = active_elements(response.content)
                continue
            found = executable_parts(
                response.content, nonces=csp_nonces(response), elements=baseline[index]
            )
            renders += 1
            cells += len(fields) * shown
            if found:
                failures.append((role, url, found, chunk))
    return renders, cells, failures


@pytest.fixture
def clients(client, editor, expert_a):
    signed_in = {"anonymous": client}
    for role, user in [("editor", editor), ("expert", expert_a)]:
        signed_in[role] = type(client)()
        signed_in[role].force_login(user)
    return signed_in


@pytest.mark.django_db
def test_no_payload_reaches_a_public_page(stage, clients):
    renders, cells, failures = run(stage, clients, xss_payloads(), {"anonymous"})
    print(
        f"\nPublic pages: {len(xss_payloads())} payloads tried, {renders} pages rendered, "
        f"{cells} (payload, field, page) cells, {len(failures)} pages with executable output"
    )
    assert failures == []


@pytest.mark.django_db
def test_no_payload_reaches_an_admin_page(stage, clients):
    """The admin with the cheat sheet's payloads (its pages cost ten times a public one)."""
    renders, cells, failures = run(stage, clients, owasp_payloads(), {"editor", "expert"})
    print(
        f"\nAdmin pages: {len(owasp_payloads())} payloads tried, {renders} pages rendered, "
        f"{cells} (payload, field, page) cells, {len(failures)} pages with executable output"
    )
    assert failures == []


# -- the other outputs: feeds, the sitemap, JSON-LD, the similar-columns JSON, the share image,
#    emails ----------------------------------------------------------------------------------


def feed_texts(xml):
    """Every element's text in a feed or sitemap, which must parse as XML at all."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(xml)  # noqa: S314 (our own output)
    return [(element.tag, element.text or "") for element in root.iter()]


def jsonld_blocks(html):
    return re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)


@pytest.mark.slow
@pytest.mark.django_db
def test_no_payload_reaches_a_feed_the_sitemap_json_ld_or_the_similar_json(stage, client):
    """
    A feed's description, summary and content are HTML a feed reader renders: each is checked
    as a page is. Titles, categories and names are text by the RSS and Atom specifications,
    escaped once in the XML; they must simply parse.
    """
    outputs = reached = 0
    failures = []
    for chunk in chunks(xss_payloads(), SLOTS):
        load(stage, chunk, own_payload=chunk[0])
        urls = ["/feed/", "/feed/atom/", "/sitemap.xml"] + [
            reverse("qa:category_feed", args=[c.category.slug]) for c in stage["columns"][:3]
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            for tag, text in feed_texts(response.content):
                outputs += 1
                is_html = tag.rsplit("}", 1)[-1] in {"description", "summary", "content"}
                if is_html and executable_parts(text):
                    failures.append((url, tag, text[:200]))
                if tag.endswith("loc") or tag.endswith("link"):
                    assert text.startswith(("http://", "https://", "/")) or not text.strip(), text
        for column in stage["columns"][: len(chunk)]:
            html = client.get(column.get_absolute_url()).text
            for block in jsonld_blocks(html):
                outputs += 1
                json.loads(block)  # whole, so nothing broke out of the string
                assert "</" not in block and "<!--" not in block
        for payload in chunk[:5]:
            response = client.get("/ask/similar/", {"q": payload})
            assert response.status_code == 200
            assert response["Content-Type"] == "application/json"
            assert response["X-Content-Type-Options"] == "nosniff"
            response.json()
            outputs += 1
        reached = len(failures)
    print(
        f"\nFeeds, sitemap, JSON-LD, similar JSON: {len(xss_payloads())} payloads tried, "
        f"{outputs} outputs checked, {reached} with executable content"
    )
    assert failures == []


@pytest.mark.slow
@pytest.mark.django_db
def test_the_share_image_draws_any_payload_as_a_png(stage):
    from PIL import Image

    from qa.images import share_image_draw, share_image_name

    drawn = 0
    for chunk in chunks(xss_payloads(), SLOTS):
        load(stage, chunk, own_payload=chunk[0])
        for column in Column.objects.filter(pk__in=[c.pk for c in stage["columns"][: len(chunk)]]):
            answers = list(column.answers.select_related("expert"))
            png = share_image_draw(column, answers)
            with Image.open(io.BytesIO(png)) as image:
                assert (image.format, image.size) == ("PNG", (1200, 630))
            assert re.fullmatch(
                r"share/[a-z0-9-]+-[0-9a-f]{12}\.png", share_image_name(column, answers)
            )
            drawn += 1
    print(f"\nShare image: {drawn} drawn with payloads as title, topic and experts, 0 failed")


EMAIL_LINKS = {"status_url", "permalink", "password_url", "confirm_url"}
# Links to the admin are built by the templates themselves, from an id: name -> the path.
EMAIL_ADMIN_LINKS = {
    "answer_path": "/admin/qa/answer/1/change/",
    "column_path": "/admin/qa/column/1/change/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("template", sorted(p.stem for p in EMAIL_TEMPLATES.glob("*.txt")))
def test_emails_are_plain_text_and_every_link_is_ours_whatever_the_payload(
    template, settings, django_capture_on_commit_callbacks
):
    """Emails print the payloads as text; each link is SITE_URL's, on its own line."""
    from django.core import mail

    from qa.emails import email_enqueue
    from qa.models import Dispatch

    source = (EMAIL_TEMPLATES / f"{template}.txt").read_text()
    names = set(re.findall(r"{{\s*(\w+)", source)) | set(re.findall(r"{% if (\w+)", source))
    links_here = names & EMAIL_LINKS
    payloads = [*owasp_payloads(), "Hi\r\nBcc: everyone@example.com", "x\n\njavascript:alert(1)"]
    for index, payload in enumerate(payloads):
        context = dict.fromkeys(names - EMAIL_LINKS, payload)
        context |= dict.fromkeys(links_here, f"{settings.SITE_URL}/columns/a-column/")
        context |= dict.fromkeys(re.findall(r"{% url '[^']+' (\w+)", source), 1)
        context["answers"] = [{"status": payload, "expert": payload}]
        with django_capture_on_commit_callbacks(execute=True):
            email_enqueue(
                key=f"{template}:{index}",
                to="someone@example.com",
                subject=f"About {payload}",
                template=template,
                context=context,
            )
    assert Dispatch.objects.filter(sent_at__isnull=True).count() == 0, Dispatch.objects.filter(
        sent_at__isnull=True
    ).values_list("last_error", flat=True)[:3]
    assert len(mail.outbox) == len(payloads)
    for message in mail.outbox:
        assert message.content_subtype == "plain" and not getattr(message, "alternatives", [])
        assert "\n" not in message.subject and "\r" not in message.subject
        lines = message.body.splitlines()
        ours = {f"{settings.SITE_URL}{path}" for path in EMAIL_ADMIN_LINKS.values()}
        ours.add(f"{settings.SITE_URL}/columns/a-column/")
        link_lines = [line for line in lines if line in ours]
        assert len(link_lines) == source.count("_url }}") + source.count("{{ permalink }}")
