"""The newsletter in the admin and the import command."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from qa.models import Column, Delivery, NewsletterSend, Subscriber

from .factories import CategoryFactory, ColumnFactory, EditorFactory

pytestmark = pytest.mark.django_db

D = Delivery.Status


@pytest.fixture(autouse=True)
def _on_commit_at_once(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def subscribers(db):
    topic = CategoryFactory(name="Salary", slug="salary")
    rows = []
    for n, status in enumerate(["confirmed", "confirmed", "pending", "unsubscribed", "suppressed"]):
        row = Subscriber.objects.create(
            email=f"secret{n}@reader.example",
            status=status,
            consented_at=timezone.now() if status != "pending" else None,
        )
        if n == 0:
            row.topics.add(topic)
        rows.append(row)
    return rows


def test_editor_sees_subscribers_by_state_and_topic_but_no_address(editor_client, subscribers):
    url = reverse("admin:qa_subscriber_changelist")
    page = editor_client.get(url)
    assert page.status_code == 200
    assert "reader.example" not in page.text
    assert "Salary" in page.text and "every column" in page.text
    confirmed = editor_client.get(url, {"status__exact": "confirmed"})
    assert confirmed.text.count('class="field-status"') == 2
    detail = editor_client.get(reverse("admin:qa_subscriber_change", args=[subscribers[0].pk]))
    assert detail.status_code == 200 and "reader.example" not in detail.text
    # A search by address finds nothing without the permission (there is no search box).
    assert editor_client.get(url, {"q": "secret0"}).text.count('class="field-status"') == 5


def test_editor_with_the_permission_sees_addresses(client, subscribers):
    editor = EditorFactory(username="listkeeper")
    editor.user_permissions.add(Permission.objects.get(codename="view_subscriber_email"))
    client.force_login(editor)
    page = client.get(reverse("admin:qa_subscriber_changelist"), {"q": "secret0"})
    assert "secret0@reader.example" in page.text
    assert "secret1@reader.example" not in page.text


def test_experts_never_see_subscribers(expert_a_client, subscribers):
    assert expert_a_client.get(reverse("admin:qa_subscriber_changelist")).status_code == 403
    detail = reverse("admin:qa_subscriber_change", args=[subscribers[0].pk])
    assert expert_a_client.get(detail).status_code in {302, 403, 404}
    assert expert_a_client.get(reverse("admin:qa_newslettersend_changelist")).status_code == 403
    assert "reader.example" not in expert_a_client.get(reverse("admin:index")).text


def test_each_send_shows_sent_failed_suppressed_and_remaining(editor_client, subscribers):
    column = ColumnFactory(status=Column.Status.PUBLISHED, published_at=timezone.now())
    send = NewsletterSend.objects.create(
        column=column, subject="S", html="", text="", placeholder="p"
    )
    statuses = [D.SENT, D.SENT, D.FAILED, D.SKIPPED, D.QUEUED]
    for subscriber, status in zip(subscribers, statuses, strict=True):
        Delivery.objects.create(send=send, subscriber=subscriber, status=status)
    page = editor_client.get(reverse("admin:qa_newslettersend_changelist"))
    assert page.status_code == 200
    cells = {
        name: page.text.split(f'class="field-{name}">')[1].split("<")[0]
        for name in ["sent_count", "failed_count", "suppressed_count", "remaining_count"]
    }
    assert cells == {
        "sent_count": "2",
        "failed_count": "1",
        "suppressed_count": "1",
        "remaining_count": "1",
    }


def write(tmp_path, text):
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_with_consent_dates_confirms_and_without_sends_a_confirmation(tmp_path):
    CategoryFactory(slug="salary")
    path = write(
        tmp_path,
        "email,consented_at,topics\n"
        "old@reader.example,2024-03-01,salary\n"
        "Noconsent@reader.example,,\n",
    )
    out = io.StringIO()
    call_command("newsletter_import", path, stdout=out)
    old = Subscriber.objects.get(email="old@reader.example")
    assert old.status == Subscriber.Status.CONFIRMED
    assert old.consented_at.date().isoformat() == "2024-03-01"
    assert old.consent_source == Subscriber.Source.IMPORT
    assert [t.slug for t in old.topics.all()] == ["salary"]
    pending = Subscriber.objects.get(email="noconsent@reader.example")
    assert pending.status == Subscriber.Status.PENDING
    assert [m.to for m in mail.outbox] == [["noconsent@reader.example"]]
    assert "1 confirmation sent, 1 imported; 0 refused." in out.getvalue()


def test_import_reports_bad_rows_with_line_and_field_and_keeps_the_rest(tmp_path):
    path = write(
        tmp_path,
        "email,consented_at,topics\n"
        "good@reader.example,2024-03-01,\n"
        "not-an-email,2024-03-01,\n"
        "date@reader.example,yesterday,\n"
        "topic@reader.example,2024-03-01,nope\n"
        "future@reader.example,2999-01-01,\n",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="4 row"):
        call_command("newsletter_import", path, stdout=io.StringIO(), stderr=err)
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["good@reader.example"]
    report = err.getvalue()
    assert "line 3: email:" in report
    assert "line 4: consented_at: 'yesterday'" in report
    assert "line 5: topics: no topic 'nope'" in report
    assert "line 6: consented_at: '2999-01-01' is in the future" in report


def test_import_never_resubscribes_someone_who_left(tmp_path):
    Subscriber.objects.create(email="left@reader.example", status="unsubscribed")
    call_command(
        "newsletter_import",
        write(tmp_path, "email,consented_at\nleft@reader.example,2020-01-01\n"),
        stdout=io.StringIO(),
    )
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED


def test_import_without_an_email_column(tmp_path):
    with pytest.raises(CommandError, match="'email' column"):
        call_command("newsletter_import", write(tmp_path, "mail\nx@y.z\n"))


def test_import_of_a_missing_file():
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("newsletter_import", "/nonexistent/list.csv")


@pytest.fixture
def review_column(db):
    from .factories import AnswerFactory

    category = CategoryFactory(name="Job Interviews", slug="job-interviews")
    column = ColumnFactory(
        status=Column.Status.REVIEW, category=category, question__category=category
    )
    AnswerFactory(column=column)
    return column


def confirmation_page(client, column):
    return client.post(
        reverse("admin:qa_column_schedule", args=[column.pk]), {"_publish_now": "1"}
    ).text


def test_the_confirmation_page_says_how_many_subscribers_the_column_reaches(
    editor_client, review_column
):
    other = CategoryFactory(name="Salary", slug="salary")
    for n, topics in enumerate([[], [review_column.category], [other]]):
        row = Subscriber.objects.create(
            email=f"r{n}@reader.example", status="confirmed", consented_at=timezone.now()
        )
        row.topics.set(topics)
    Subscriber.objects.create(email="pending@reader.example")
    page = confirmation_page(editor_client, review_column)
    assert "The column by email to <strong>2 subscribers</strong>" in page
    assert "whose topics include Job Interviews" in page
    assert "Send the newsletter to myself first" in page
    assert "reader.example" not in page  # counts, never addresses


def test_the_confirmation_page_with_no_subscriber(editor_client, review_column):
    assert "No subscriber follows Job Interviews yet." in confirmation_page(
        editor_client, review_column
    )


def test_send_it_to_myself_first(client, review_column):
    editor = EditorFactory(username="maria", email="maria@desk.example")
    client.force_login(editor)
    Subscriber.objects.create(
        email="r@reader.example", status="confirmed", consented_at=timezone.now()
    )
    url = reverse("admin:qa_newslettersend_test", args=[review_column.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:qa_column_schedule", args=[review_column.pk])
    (message,) = mail.outbox
    assert message.to == ["maria@desk.example"] and message.subject.startswith("[Test] ")
    assert message.alternatives and "List-Unsubscribe" in message.extra_headers
    review_column.refresh_from_db()
    assert review_column.status == Column.Status.REVIEW
    assert not NewsletterSend.objects.exists()


def test_send_it_to_myself_without_an_email_address(client, review_column):
    editor = EditorFactory(username="noaddress", email="")
    client.force_login(editor)
    response = client.post(
        reverse("admin:qa_newslettersend_test", args=[review_column.pk]), follow=True
    )
    assert "Your account has no email address" in response.text
    assert mail.outbox == []


def test_experts_cannot_send_a_test(expert_a_client, review_column):
    url = reverse("admin:qa_newslettersend_test", args=[review_column.pk])
    assert expert_a_client.post(url).status_code == 403
    assert mail.outbox == []
