import io

import pytest
from django.core.management import CommandError, call_command

from devdata.scale import data_generate
from qa.markdown import render_markdown
from qa.models import Answer, Column, Expert, Question

from .factories import ColumnFactory

pytestmark = pytest.mark.django_db

SMALL = {"columns": 6, "questions": 40, "experts": 9, "answers_per_column": 3}


def test_generate_data_keeps_the_weekly_cycles_invariants():
    existing = ColumnFactory(published=True)
    counts = data_generate(**SMALL, seed=3, stream=io.StringIO())

    assert counts == {"experts": 9, "questions": 40, "columns": 6, "answers": 18}
    generated = Column.objects.exclude(pk=existing.pk).order_by("-week")
    weeks = [column.week for column in generated]
    assert all(week.weekday() == 0 for week in weeks)
    assert weeks[0] < existing.week, "new columns go back in time from the earliest one"
    assert len(set(weeks)) == 6
    assert all(column.question.status == Question.Status.PICKED for column in generated)
    assert all(column.is_public for column in generated)
    assert Question.objects.filter(status=Question.Status.PICKED).count() == 7

    for column in generated:
        answers = list(column.answers.all())
        assert [a.position for a in answers] == [0, 1, 2]
        assert len({a.expert_id for a in answers}) == 3
    for answer in Answer.objects.filter(column__in=generated)[:5]:
        assert answer.body_html == render_markdown(answer.body)
        assert 60 <= answer.word_count <= 400

    experts = Expert.objects.exclude(answers__column=existing)
    assert all(expert.headshot.name.startswith("headshots/") for expert in experts)
    assert all(expert.headshot.storage.exists(expert.headshot.name) for expert in experts)


def test_generate_data_repeats_with_the_same_seed():
    data_generate(**SMALL, seed=7, stream=io.StringIO())
    first = list(Column.objects.order_by("-week").values_list("title", "dek", "category__slug"))
    Answer.objects.all().delete()
    Column.objects.all().delete()
    Question.objects.all().delete()
    Expert.objects.all().delete()
    data_generate(**SMALL, seed=7, stream=io.StringIO())
    second = list(Column.objects.order_by("-week").values_list("title", "dek", "category__slug"))
    assert first == second


def test_generate_data_command_reports_and_refuses_impossible_counts():
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "generate_data", "--columns", "2", "--questions", "5", "--experts", "3",
        "--answers-per-column", "2", stdout=out, stderr=err,
    )  # fmt: skip
    assert out.getvalue().startswith("Added 3 experts, 5 questions, 2 columns, 4 answers in ")
    assert "columns    [" in err.getvalue()
    with pytest.raises(CommandError, match=r"answers-per-column \(4\) cannot exceed experts \(3\)"):
        call_command(
            "generate_data", "--columns", "1", "--experts", "3", "--answers-per-column", "4"
        )
