import datetime
import string

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from qa.models import Answer, Column, Expert, Question, body_fingerprint

from .factories import AnswerFactory, ColumnFactory, ExpertFactory, QuestionFactory, monday

pytestmark = pytest.mark.django_db


def test_one_column_per_week():
    week = monday(1)
    ColumnFactory(week=week)
    with pytest.raises(IntegrityError), transaction.atomic():
        ColumnFactory(week=week)


def test_one_column_per_question():
    column = ColumnFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ColumnFactory(question=column.question, week=monday(5))


def test_back_catalogue_columns_may_share_an_empty_week():
    ColumnFactory(week=None)
    ColumnFactory(week=None)
    assert Column.objects.filter(week__isnull=True).count() == 2


def test_slugs_are_unique():
    ColumnFactory(slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        ColumnFactory(slug="same")


@pytest.mark.parametrize(
    ("factory", "field"),
    [(QuestionFactory, "status"), (ColumnFactory, "status"), (AnswerFactory, "status")],
)
def test_status_outside_its_choices_is_refused_by_the_database(factory, field):
    obj = factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(obj).objects.filter(pk=obj.pk).update(**{field: "bogus"})


def test_scheduled_column_needs_a_time():
    column = ColumnFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Column.objects.filter(pk=column.pk).update(status=Column.Status.SCHEDULED)


def test_published_column_needs_a_time():
    column = ColumnFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Column.objects.filter(pk=column.pk).update(status=Column.Status.PUBLISHED)


def test_an_expert_may_hold_several_sections_of_one_column():
    """Dialogue columns alternate two experts, so (column, expert) is not unique."""
    answer = AnswerFactory()
    AnswerFactory(column=answer.column, expert=answer.expert)
    assert answer.column.answers.count() == 2


class TestPublishedVisibility:
    def test_published_in_the_past_is_public(self):
        column = ColumnFactory(published=True)
        assert list(Column.objects.published()) == [column]

    @pytest.mark.parametrize("status", [s for s in Column.Status if s != Column.Status.PUBLISHED])
    def test_other_statuses_are_not_public(self, status):
        kwargs = {"publish_at": timezone.now()} if status == Column.Status.SCHEDULED else {}
        ColumnFactory(status=status, **kwargs)
        assert not Column.objects.published().exists()

    def test_published_with_a_future_time_is_not_public_yet(self):
        ColumnFactory(
            status=Column.Status.PUBLISHED,
            published_at=timezone.now() + datetime.timedelta(minutes=5),
        )
        assert not Column.objects.published().exists()

    def test_answers_follow_their_column_and_status(self):
        public = AnswerFactory(column=ColumnFactory(published=True))
        AnswerFactory(column=public.column, status=Answer.Status.SUBMITTED)
        AnswerFactory(column=ColumnFactory())  # approved, but the column is a draft
        assert list(Answer.objects.published()) == [public]

    def test_expert_profiles_are_public_when_active_or_published(self):
        active = ExpertFactory(is_active=True)
        past = ExpertFactory(is_active=False)
        AnswerFactory(expert=past, column=ColumnFactory(published=True))
        ExpertFactory(is_active=False)  # never published
        assert set(Expert.objects.published()) == {active, past}


def test_answer_html_is_rendered_on_save():
    answer = AnswerFactory(body="**bold**")
    assert answer.body_html == "<p><strong>bold</strong></p>"
    answer.body = "*em*"
    answer.save(update_fields=["body"])
    answer.refresh_from_db()
    assert answer.body_html == "<p><em>em</em></p>"


def test_question_fingerprint_ignores_case_and_white_space():
    question = QuestionFactory(body="Should I  follow up?\n")
    assert question.fingerprint == body_fingerprint("should i follow UP?")


def test_status_tokens_are_random_and_not_the_id():
    first, second = QuestionFactory(), QuestionFactory()
    assert first.token != second.token
    assert len(first.token) == 32  # 192 random bits, URL-safe base64
    assert set(first.token) <= set(string.ascii_letters + string.digits + "-_")
    old = first.token
    first.body = "Edited"
    first.save()
    assert first.token == old  # kept, not recomputed from anything about the row


def test_string_forms():
    answer = AnswerFactory(headline="")
    assert answer.expert.name in str(answer)
    assert str(answer.column) == answer.column.title
    assert str(Question(body="x " * 100)).endswith("…")


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://careers.example/", "https://careers.example/"),
        ("HTTP://careers.example/", "HTTP://careers.example/"),
        ("javascript:alert(1)", ""),
        (" JavaScript:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("//evil.example/", ""),
        ("", ""),
    ],
)
def test_an_expert_links_only_a_web_address(url, link):
    assert Expert(company_url=url).company_link == link
