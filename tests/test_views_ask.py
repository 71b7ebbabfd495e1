import datetime
import re
import secrets
import time
from html.parser import HTMLParser
from operator import itemgetter

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from qa.forms import started_token
from qa.models import Dispatch, Publication, Question
from qa.ratelimit import client_address, sender_hash

from .factories import AnswerFactory, CategoryFactory, ColumnFactory, QuestionFactory

pytestmark = pytest.mark.django_db

ASK = "/ask/"
BODY = "How should I follow up after a job interview that went really well?"


@pytest.fixture
def category():
    return CategoryFactory(name="Job Interviews", slug="job-interviews")


def payload(category, **overrides):
    """What a person sends after a minute with the form."""
    return {
        "body": BODY,
        "category": category.pk,
        "signature": "",
        "name": "Dana Reader",
        "email": "dana@reader.example",
        "consent": "on",
        "website": "",
        "started": started_token(at=time.time() - 60),
        **overrides,
    }


def sent_question(response):
    """The question a send landed on, from the confirmation's URL."""
    assert response.status_code == 302
    token = re.fullmatch(r"/questions/([\w-]+)/sent/", response["Location"]).group(1)
    return Question.objects.get(token=token)


# -- the form ----------------------------------------------------------------------------


def test_form_shows_every_contract_field(client, category):
    response = client.get(ASK)
    assert response.status_code == 200
    for name in ["body", "category", "signature", "name", "email", "consent", "website"]:
        assert f'name="{name}"' in response.text
    assert 'name="started"' in response.text
    assert "Our experts have already answered" in response.text
    assert 'src="/static/js/ask.js"' in response.text


def test_a_send_is_saved_as_new_and_lands_on_the_confirmation(client, category):
    response = client.post(ASK, payload(category, signature="Worried in Ohio"))
    question = sent_question(response)
    assert question.status == Question.Status.NEW
    assert (question.body, question.signature, question.name) == (
        BODY,
        "Worried in Ohio",
        "Dana Reader",
    )
    assert question.transitions.get().action == "question_submit"
    page = client.get(response["Location"])
    assert "http://127.0.0.1:8000" + question.get_status_url() in page.text


def test_signature_defaults_to_the_first_letter_of_the_name(client, category):
    question = sent_question(client.post(ASK, payload(category, name="  dana reader")))
    assert question.signature == "D"


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"body": "Too short."}, "body", "too short"),
        ({"body": "x" * 3001}, "body", "too long"),
        ({"body": ""}, "body", "empty"),
        ({"category": ""}, "category", "choose one"),
        ({"category": "99999999999999999999999"}, "category", "not one of the topics"),
        ({"email": "not-an-address"}, "email", "does not look like an email"),
        ({"consent": ""}, "consent", "tick the box"),
        ({"signature": "S" * 61}, "signature", "keep it to 60"),
    ],
)
def test_errors_name_the_field_and_reason_and_keep_what_was_typed(
    client, category, overrides, field, reason
):
    typed = {**payload(category, name="Dana <b>Reader</b>", signature="D & co"), **overrides}
    response = client.post(ASK, typed)
    assert response.status_code == 200
    assert reason in response.context["form"].errors[field][0]
    assert reason in response.text
    assert not Question.objects.exists()
    # Everything typed comes back, escaped.
    assert 'value="Dana &lt;b&gt;Reader&lt;/b&gt;"' in response.text
    assert 'value="D &amp; co"' in response.text or field == "signature"
    if field != "body":
        assert BODY in response.text
    if field != "email":
        assert 'value="dana@reader.example"' in response.text


class Page(HTMLParser):
    """A page's elements in document order: tag, attributes, and the text inside."""

    VOID = {"input", "meta", "link", "br", "img", "hr", "source"}

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements, self._open = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}  # <h2 autofocus>: ""
        element = {"tag": tag, "attrs": attrs, "text": "", "at": len(self.elements)}
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth]["tag"] == tag:
                del self._open[depth:]
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def find(self, tag=None, **attrs):
        return [
            e
            for e in self.elements
            if tag in (None, e["tag"]) and all(e["attrs"].get(k) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id):
        (element,) = self.find(id=element_id)
        return element


def test_each_error_is_tied_to_its_field_for_screen_readers(client, category):
    response = client.post(
        ASK, payload(category, body="Too short.", email="not-an-address", consent="")
    )
    page = Page(response.text)
    ids = [e["attrs"]["id"] for e in page.elements if "id" in e["attrs"]]
    assert len(ids) == len(set(ids))
    errors = response.context["form"].errors
    assert sorted(errors) == ["body", "consent", "email"]
    for name, (message,) in errors.items():
        (control,) = page.find(name=name)
        assert control["attrs"]["aria-invalid"] == "true", name
        described_by = [page.by_id(i) for i in control["attrs"]["aria-describedby"].split()]
        assert any(element["text"] == message for element in described_by), name
    for name in ["category", "signature", "name"]:
        (control,) = page.find(name=name)
        assert "aria-invalid" not in control["attrs"]
        for element_id in control["attrs"].get("aria-describedby", "").split():
            assert page.by_id(element_id)["text"].strip()  # its help text
    assert page.find(tag="title")[0]["text"].startswith("Error: ")


def test_the_error_summary_comes_first_takes_the_focus_and_links_to_the_fields(client, category):
    response = client.post(
        ASK, payload(category, body="Too short.", email="not-an-address", consent="")
    )
    page = Page(response.text)
    order = itemgetter("at")
    (heading,) = page.find(tabindex="-1", autofocus="")
    assert (heading["tag"], heading["text"]) == ("h2", "Please check your question")
    summary = page.by_id(heading["attrs"]["id"].removesuffix("-title"))
    assert summary["attrs"]["aria-labelledby"] == heading["attrs"]["id"]
    (h1,) = page.find(tag="h1")
    (form,) = page.find(tag="form", action=ASK)
    (similar,) = page.find(tag="aside")
    assert order(h1) < order(summary) < min(order(similar), order(form))
    links = [e for e in page.elements[order(summary) : order(similar)] if e["tag"] == "a"]
    errors = response.context["form"].errors
    assert [link["text"] for link in links] == [errors[name][0] for name in errors]
    for link, name in zip(links, errors, strict=True):
        target = page.by_id(link["attrs"]["href"].removeprefix("#"))
        assert target["attrs"]["name"] == name
    # The focus is moved without inline script (CSP): autofocus, and the form's static script.
    scripts = page.find(tag="script")
    assert scripts and all(script["attrs"].get("src") for script in scripts)
    assert not [e for e in page.elements if any(a.startswith("on") for a in e["attrs"])]


def test_a_fresh_form_has_no_summary_and_no_invalid_field(client, category):
    page = Page(client.get(ASK).text)
    assert not page.find(autofocus="") and not page.find(id="form-errors")
    assert not [e for e in page.elements if "aria-invalid" in e["attrs"]]
    for control in page.find(name="body") + page.find(name="email"):
        for element_id in control["attrs"]["aria-describedby"].split():
            assert page.by_id(element_id)["text"].strip()


def test_errors_and_help_texts_are_tied_to_their_fields(client, category):
    """Each field's aria-describedby names elements on the page; a field in error is invalid."""
    response = client.post(ASK, payload(category, body="Too short.", email="nope", consent=""))

    html = response.text
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    for field in ["body", "signature", "name", "email", "consent"]:
        widget = re.search(rf'<(?:input|textarea|select)[^>]*name="{field}"[^>]*>', html).group()
        described = re.search(r'aria-describedby="([^"]+)"', widget).group(1).split()
        assert set(described) <= ids, (field, described)
    for field in ["body", "email", "consent"]:
        widget = re.search(rf'<(?:input|textarea)[^>]*name="{field}"[^>]*>', html).group()
        assert 'aria-invalid="true"' in widget
        assert f"id_{field}_error" in widget
    assert re.search(r'<h2 id="form-errors-title"[^>]*autofocus', html)


def test_a_refused_send_with_a_forged_timestamp_comes_back_with_a_fresh_one(client, category):
    response = client.post(ASK, payload(category, consent="", started="forged"))
    assert response.status_code == 200
    fresh = response.context["form"].data["started"]
    assert fresh != "forged"
    with time_machine.travel(time.time() + 10, tick=False):
        question = sent_question(client.post(ASK, payload(category, started=fresh)))
    assert question.status == Question.Status.NEW


def test_reader_text_is_stored_as_typed_and_escaped_when_shown(client, category):
    body = "<script>alert('x')</script> What do I say about a gap year in my résumé?"
    question = sent_question(client.post(ASK, payload(category, body=body, signature="<i>D</i>")))
    assert question.body == body
    page = client.get(question.get_status_url())
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page.text
    assert "&lt;i&gt;D&lt;/i&gt;" in page.text


# -- "Our experts have already answered" ----------------------------------------------


@pytest.fixture
def interview_column(after_commit):
    with after_commit():
        column = ColumnFactory(published=True, title="Should I follow up with an interviewer?")
        AnswerFactory(column=column, body="A thank-you note after the interview is a must.")
    return column


def test_similar_endpoint_returns_published_columns_as_json(client, interview_column):
    ColumnFactory(title="Draft about interviewer follow-ups")  # not published
    response = client.get(reverse("qa:ask_similar"), {"q": "interviewer follow up etiquette"})
    assert response.status_code == 200
    assert response.json() == {
        "columns": [
            {
                "title": interview_column.title,
                "dek": interview_column.dek,
                "category": interview_column.category.name,
                "url": interview_column.get_absolute_url(),
            }
        ]
    }


def test_similar_endpoint_takes_odd_queries_calmly(client, interview_column):
    for query in ["", "\x00", "a" * 20_000, "‮interviewer"]:
        response = client.get(reverse("qa:ask_similar"), {"q": query})
        assert response.status_code == 200


def test_form_with_errors_and_confirmation_list_similar_columns(client, category, interview_column):
    body = "Is it fine to message an interviewer on Facebook after the interview?"
    response = client.post(ASK, payload(category, body=body, consent=""))
    assert interview_column.title in response.text
    response = client.post(ASK, payload(category, body=body))
    assert interview_column.title in client.get(response["Location"]).text


# -- spam: stored, never dropped, looks like success ------------------------------------


def test_honeypot_stores_spam_and_looks_like_success(client, category):
    honest = client.post(ASK, payload(category))
    response = client.post(
        ASK, payload(category, body=BODY + " (bot)", website="http://spam.example")
    )
    question = sent_question(response)
    assert question.status == Question.Status.SPAM
    assert "website" in question.spam_reason
    assert response["Location"].endswith("/sent/") and honest["Location"].endswith("/sent/")
    page = client.get(question.get_status_url())
    assert "Received" in page.text
    assert "spam" not in page.text.lower()


def test_a_send_faster_than_three_seconds_is_stored_as_spam(client, category):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC), tick=False):
        form = client.get(ASK)
        started = form.context["form"].initial["started"]
        too_fast = client.post(ASK, payload(category, started=started))
    with time_machine.travel(datetime.datetime(2026, 3, 2, 12, 0, 4, tzinfo=datetime.UTC)):
        in_time = client.post(ASK, payload(category, body=BODY + " Second.", started=started))
    assert sent_question(too_fast).status == Question.Status.SPAM
    assert "after the form was drawn" in sent_question(too_fast).spam_reason
    assert sent_question(in_time).status == Question.Status.NEW


@pytest.mark.parametrize("started", ["", "forged", started_token(at="soon")])
def test_a_missing_or_forged_timestamp_is_stored_as_spam(client, category, started):
    question = sent_question(client.post(ASK, payload(category, started=started)))
    assert question.status == Question.Status.SPAM


@pytest.mark.django_db(transaction=True)
def test_spam_gets_no_email(client, category):
    client.post(ASK, payload(category, website="filled"))
    assert mail.outbox == []


# -- floods: the rate limit ----------------------------------------------------------------


def test_the_sixth_send_in_an_hour_gets_429_saying_when(client, category, settings):
    settings.ASK_RATE_LIMIT_PER_HOUR = 5
    with time_machine.travel(
        datetime.datetime(2026, 3, 2, 17, 10, tzinfo=datetime.UTC), tick=False
    ):
        for n in range(5):
            assert client.post(ASK, payload(category, body=f"{BODY} {n}")).status_code == 302
        response = client.post(ASK, payload(category, body=f"{BODY} 6"))
    assert response.status_code == 429
    # The five of 17:10 leave the sliding hour when 17:10:59 is an hour old.
    assert response["Retry-After"] == str(61 * 60)
    assert "You can send another" in response.text
    assert "about 61 minutes" in response.text
    assert '<time datetime="2026-03-02T13:11:00-05:00">1:11 PM (EST)</time>' in response.text
    assert Question.objects.count() == 5
    with time_machine.travel(datetime.datetime(2026, 3, 2, 18, 1, tzinfo=datetime.UTC)):
        assert client.post(ASK, payload(category, body=f"{BODY} 7")).status_code == 429
    with time_machine.travel(datetime.datetime(2026, 3, 2, 18, 11, tzinfo=datetime.UTC)):
        assert client.post(ASK, payload(category, body=f"{BODY} 8")).status_code == 302


def test_spam_and_duplicates_count_towards_the_limit(client, category, settings):
    settings.ASK_RATE_LIMIT_PER_HOUR = 3
    client.post(ASK, payload(category))
    client.post(ASK, payload(category))  # duplicate
    client.post(ASK, payload(category, body=BODY + " bot", website="x"))  # spam
    assert client.post(ASK, payload(category, body=BODY + " new")).status_code == 429


def test_form_errors_have_their_own_limit(client, category, settings):
    settings.ASK_ERROR_RATE_LIMIT_PER_HOUR = 3
    for _n in range(3):
        assert client.post(ASK, payload(category, consent="")).status_code == 200
    assert client.post(ASK, payload(category, consent="")).status_code == 429
    assert client.post(ASK, payload(category)).status_code == 429


def test_the_limit_is_per_address(client, category, settings):
    settings.ASK_RATE_LIMIT_PER_HOUR = 1
    assert client.post(ASK, payload(category), REMOTE_ADDR="10.0.0.1").status_code == 302
    other = payload(category, body=BODY + " other")
    assert client.post(ASK, other, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.post(ASK, other, REMOTE_ADDR="10.0.0.2").status_code == 302


def test_forwarded_for_is_ignored_unless_a_proxy_header_is_trusted(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")
    assert client_address(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    assert client_address(request) == "2.2.2.2"


def test_the_raw_address_is_never_stored(client, category):
    question = sent_question(client.post(ASK, payload(category), REMOTE_ADDR="203.0.113.7"))
    assert question.sender_hash == sender_hash("203.0.113.7")
    assert "203.0.113.7" not in question.sender_hash
    assert len(question.sender_hash) == 64


# -- duplicates ----------------------------------------------------------------------------


def test_same_text_from_the_same_email_is_kept_once(client, category):
    first = sent_question(client.post(ASK, payload(category), REMOTE_ADDR="10.0.0.1"))
    again = client.post(
        ASK,
        payload(category, body="  " + BODY.upper().replace(" ", "\n  ")),
        REMOTE_ADDR="10.0.0.2",
    )
    assert sent_question(again) == first
    assert Question.objects.count() == 1


def test_same_text_from_the_same_address_without_email_is_kept_once(client, category):
    first = sent_question(client.post(ASK, payload(category, email="")))
    assert sent_question(client.post(ASK, payload(category, email=""))) == first


def test_same_text_after_a_day_or_from_someone_else_is_a_new_question(client, category):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)):
        first = sent_question(client.post(ASK, payload(category), REMOTE_ADDR="10.0.0.1"))
        other = client.post(
            ASK, payload(category, email="someone@else.example"), REMOTE_ADDR="10.0.0.2"
        )
        assert sent_question(other) != first
    with time_machine.travel(datetime.datetime(2026, 3, 3, 12, 1, tzinfo=datetime.UTC)):
        assert sent_question(client.post(ASK, payload(category), REMOTE_ADDR="10.0.0.1")) != first
    assert Question.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_sends_no_second_confirmation(client, category):
    client.post(ASK, payload(category))
    client.post(ASK, payload(category))
    assert len(mail.outbox) == 1


# -- emails --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_confirmation_email_has_the_status_link_and_how_to_delete(client, category):
    question = sent_question(client.post(ASK, payload(category, body=BODY + " Tom's & co")))
    (message,) = mail.outbox
    assert message.to == ["dana@reader.example"]
    assert "http://127.0.0.1:8000" + question.get_status_url() in message.body
    assert "Delete my question" in message.body
    assert "Tom's & co" in message.body
    assert Dispatch.objects.get(key=f"question-received:{question.pk}").sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_no_email_without_an_address(client, category):
    client.post(ASK, payload(category, email=""))
    assert mail.outbox == []


# -- the status link -----------------------------------------------------------------------


def test_token_is_long_url_safe_and_not_the_id(category):
    questions = QuestionFactory.create_batch(3, category=category)
    for question in questions:
        assert len(question.token) >= 22  # 128 bits in base64
        assert re.fullmatch(r"[A-Za-z0-9_-]+", question.token)
        assert str(question.pk) != question.token
    assert len({q.token for q in questions}) == 3


def test_a_wrong_token_gives_404(client, category):
    question = QuestionFactory(category=category)
    wrong = question.token[:-1] + ("x" if question.token[-1] != "x" else "y")
    assert client.get(f"/questions/{wrong}/").status_code == 404
    assert client.get(f"/questions/{question.pk}/").status_code == 404
    assert client.get(f"/questions/{wrong}/delete/").status_code == 404


def wrong_tokens(token, pk):
    """Every shape of wrong token: near misses, other encodings, ids, lengths, odd characters."""
    return [
        token[:-1] + ("x" if token[-1] != "x" else "y"),
        token[:-1],
        token + "a",
        token.swapcase(),
        token[::-1],
        str(pk),
        f"{pk:032d}",
        "0" * len(token),
        "-" * len(token),
        "_",
        "a" * 64,
        "a" * 65,
        "A" * 500,
        "null",
        "None",
        "undefined",
        "%00",
        "..",
        "admin",
        token.encode().hex()[:64],
    ]


def test_a_wrong_token_of_any_shape_gives_404_and_reveals_nothing(client, category):
    question = QuestionFactory(category=category, body="Secret question text")
    expected = client.get("/questions/" + "b" * 32 + "/")
    for wrong in wrong_tokens(question.token, question.pk):
        for suffix in ("", "sent/", "delete/"):
            response = client.get(f"/questions/{wrong}/{suffix}")
            assert response.status_code == 404, (wrong, suffix)
            # Every miss reads the same: nothing about how near the guess came.
            assert response.content == expected.content
            assert b"Secret question" not in response.content
        before = Question.objects.values_list("status", "erased_at", "body").get()
        assert client.post(f"/questions/{wrong}/delete/").status_code == 404
        assert Question.objects.values_list("status", "erased_at", "body").get() == before


def test_a_thousand_guesses_in_a_row_find_nothing_and_lock_no_one_out(client, category, capsys):
    """Tokens are 192 random bits: guessing finds nothing, and the real link keeps working."""

    questions = QuestionFactory.create_batch(5, category=category)
    found = 0
    for _ in range(1000):
        guess = secrets.token_urlsafe(24)
        found += client.get(f"/questions/{guess}/").status_code != 404
    with capsys.disabled():
        print(f"\nStatus tokens: 1000 random guesses, {found} found a question")
    assert found == 0
    for question in questions:
        assert client.get(question.get_status_url()).status_code == 200
    # Guessing links is not sending questions: the form is still open to this address.
    assert client.get(ASK).status_code == 200
    assert client.post(ASK, payload(category)).status_code == 302


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (Question.Status.NEW, "Received"),
        (Question.Status.SPAM, "Received"),
        (Question.Status.SHORTLISTED, "Being considered"),
        (Question.Status.DECLINED, "Not picked this time"),
    ],
)
def test_status_page_speaks_the_readers_words(client, category, status, words):
    question = QuestionFactory(category=category, status=status)
    response = client.get(question.get_status_url())
    assert response.status_code == 200
    assert words in response.text
    assert question.body in response.text
    assert "Delete my question" in response.text
    assert "no-cache" in response["Cache-Control"]


def test_status_page_of_a_picked_question_names_the_week(client):
    column = ColumnFactory(week=datetime.date(2026, 3, 9))
    response = client.get(column.question.get_status_url())
    assert "Picked for the week of March 9" in response.text
    assert column.get_absolute_url() not in response.text


def test_status_page_of_a_published_question_links_the_column(client, django_assert_num_queries):
    column = ColumnFactory(published=True)
    Publication.current()
    with django_assert_num_queries(3):  # question, published column, publication
        response = client.get(column.question.get_status_url())
    assert "Published" in response.text
    assert f'href="{column.get_absolute_url()}"' in response.text


# -- erasure -------------------------------------------------------------------------------


def test_delete_my_question_erases_it_and_takes_it_out_of_the_queue(client, category):
    question = sent_question(client.post(ASK, payload(category)))
    token = question.token
    confirm = client.get(reverse("qa:question_delete", kwargs={"token": token}))
    assert "This cannot be undone" in confirm.text
    assert reverse("qa:question_data", kwargs={"token": token}) in confirm.text
    response = client.post(reverse("qa:question_delete", kwargs={"token": token}))
    assert response["Location"] == reverse("qa:question_deleted")
    question.refresh_from_db()
    assert (question.body, question.name, question.email, question.sender_hash) == ("", "", "", "")
    assert question.status == Question.Status.WITHDRAWN
    assert question.token != token
    assert not Question.objects.in_queue().exists()
    page = client.get(response["Location"])
    assert "Your question is deleted" in page.text and "and the question itself" in page.text
    # The link is erased with the rest: it, and a second press, find nothing.
    assert client.get(f"/questions/{token}/").status_code == 404
    assert client.post(reverse("qa:question_delete", kwargs={"token": token})).status_code == 404


def test_deleting_a_picked_question_keeps_its_text_for_the_column(client):
    column = ColumnFactory(published=True)
    question = column.question
    response = client.post(reverse("qa:question_delete", kwargs={"token": question.token}))
    assert "its text stays with the column" in client.get(response["Location"]).text
    question.refresh_from_db()
    assert (question.name, question.email) == ("", "")
    assert question.body and question.status == Question.Status.PICKED
    assert client.get(column.get_absolute_url()).status_code == 200


# -- privacy -------------------------------------------------------------------------------

READER_NAME = "Zebulon Secretname"
READER_EMAIL = "zebulon.secret@reader.example"


def test_private_fields_never_appear_on_public_or_expert_pages(client, expert_a):
    question = QuestionFactory(name=READER_NAME, email=READER_EMAIL, signature="Z", status="picked")
    column = ColumnFactory(question=question, category=question.category, published=True)
    AnswerFactory(column=column, expert=expert_a.expert, status="draft")
    pages = [
        "/",
        ASK,
        column.get_absolute_url(),
        column.category.get_absolute_url(),
        expert_a.expert.get_absolute_url(),
        question.get_status_url(),
        reverse("qa:question_sent", kwargs={"token": question.token}),
        reverse("qa:question_delete", kwargs={"token": question.token}),
        reverse("qa:ask_similar") + "?q=" + column.title,
    ]
    for url in pages:
        text = client.get(url).text
        assert READER_NAME not in text and READER_EMAIL not in text, url
    client.force_login(expert_a)
    answer = column.answers.get()
    for url in [
        "/admin/",
        reverse("admin:qa_answer_changelist"),
        reverse("admin:qa_answer_change", args=[answer.pk]),
        reverse("admin:qa_question_changelist"),
        reverse("admin:qa_question_change", args=[question.pk]),
        reverse("admin:autocomplete") + "?app_label=qa&model_name=column&field_name=question",
    ]:
        text = client.get(url, follow=True).text
        assert READER_NAME not in text and READER_EMAIL not in text, url


# -- query counts --------------------------------------------------------------------------


def test_ask_query_counts_do_not_grow_with_categories_or_questions(
    client, django_assert_num_queries
):
    def measure():
        category = CategoryFactory()
        with django_assert_num_queries(2) as get_queries:  # categories, publication
            client.get(ASK)
        body = f"{BODY} {Question.objects.count()}"
        # category; then in a savepoint: duplicate lookup, insert, history entry, the stored
        # email (insert, then its id for the task)
        with django_assert_num_queries(8) as post_queries:
            client.post(ASK, payload(category, body=body))
        return len(get_queries), len(post_queries)

    Publication.current()
    small = measure()
    CategoryFactory.create_batch(20)
    QuestionFactory.create_batch(20)
    assert measure() == small


def test_a_form_timestamp_serves_one_question_only(client, category):
    """One ``started`` value, fetched once, replayed 20 times: one question, 19 spam."""
    started = started_token(at=time.time() - 60)
    questions = [
        sent_question(
            client.post(
                ASK,
                payload(
                    category, body=f"{BODY} Variant {n}.", email=f"r{n}@x.example", started=started
                ),
                REMOTE_ADDR=f"192.0.2.{n + 1}",
            )
        )
        for n in range(20)
    ]
    statuses = [question.status for question in questions]
    assert statuses.count(Question.Status.NEW) == 1
    assert statuses.count(Question.Status.SPAM) == 19
    assert all("already used" in q.spam_reason for q in questions[1:])


def test_a_form_timestamp_older_than_a_day_is_spam(client, category):
    started = started_token(at=time.time() - 25 * 60 * 60)
    question = sent_question(client.post(ASK, payload(category, started=started)))
    assert question.status == Question.Status.SPAM
    assert "older than a day" in question.spam_reason
