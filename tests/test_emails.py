import copy

import pytest
from django.core import mail
from django.db import transaction

from qa.emails import email_enqueue
from qa.models import Dispatch


@pytest.fixture
def test_template(settings, tmp_path):
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "hello.txt").write_text("Hello {{ name }}.")
    # Assigned, not mutated, so the template engines are rebuilt with the new folder.
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates


def enqueue(key="greeting:1"):
    email_enqueue(
        key=key, to="reader@example.com", subject="Hi", template="hello", context={"name": "Dana"}
    )


@pytest.mark.django_db(transaction=True)
def test_sent_after_commit_and_only_once(test_template):
    with transaction.atomic():
        enqueue()
        assert mail.outbox == []  # not before commit
    with transaction.atomic():
        enqueue()
    assert [m.body for m in mail.outbox] == ["Hello Dana."]
    assert Dispatch.objects.get(key="greeting:1").sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_never_sent_when_the_transaction_rolls_back(test_template):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("rolled back")
    assert mail.outbox == []
    assert not Dispatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_no_address_no_email(test_template):
    email_enqueue(key="x", to="", subject="Hi", template="hello")
    assert mail.outbox == []
