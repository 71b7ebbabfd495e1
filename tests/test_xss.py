"""
Every payload (OWASP's cheat sheet and the Big List of Naughty Strings) in every field a reader,
an expert or an editor can write, through the Markdown renderer, the public pages and the
admin: nothing executable reaches any of them.

Payloads are written straight into the database (as an import or a compromised account could),
so no form validation stands between them and the templates. Pages are rendered in batches of
SLOTS payloads: list pages show every slot, detail pages one slot in turn, and the figures
printed count each (payload, field, page) that was really rendered.
"""

import itertools

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
