import json

import pytest
from django.core.management import CommandError, call_command

from qa.catalogue import CatalogueError, columns_export, columns_import_file
from qa.demo import SOURCE_COLUMN
from qa.models import STANDING_INTRO, Answer, Category, Column, Expert, Question

from .factories import ColumnFactory

pytestmark = pytest.mark.django_db


def write(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def column_spec(**overrides):
    spec = {
        "title": "Should I Take The Counter-Offer?",
        "category": "Salary & Negotiation",
        "published_at": "2013-06-14T09:00:00+00:00",
        "question": {"text": "My boss matched the offer. Stay?", "signature": "- K"},
        "answers": [
            {
                "headline": "Leave",
                "expert": {"name": "Ann Able", "company": "Able Co"},
                "body": "Go.",
            },
            {"expert": {"name": "Ben Baker"}, "body": "Stay, *maybe*."},
            {
                "headline": "Ann again",
                "expert": {"name": "Ann Able", "company": "Able Co"},
                "body": "Really go.",
            },
        ],
    }
    spec.update(overrides)
    return spec


def test_imports_a_published_column_with_a_picked_question_and_approved_answers(tmp_path):
    (column,) = columns_import_file(write(tmp_path, "one.json", column_spec()))
    assert column.slug == "should-i-take-the-counter-offer"
    assert column.status == Column.Status.PUBLISHED and column.is_public
    assert column.intro == STANDING_INTRO
    assert column.category.name == "Salary & Negotiation"
    question = column.question
    assert question.status == Question.Status.PICKED
    assert (question.name, question.email, question.signature) == ("", "", "K")
    answers = list(column.answers.order_by("position"))
    assert [a.status for a in answers] == [Answer.Status.APPROVED] * 3
    assert [a.headline for a in answers] == ["Leave", "", "Ann again"]
    assert answers[0].expert == answers[2].expert  # a dialogue: one expert, two sections
    assert Expert.objects.count() == 2 and all(e.is_active for e in Expert.objects.all())
    assert column.week.isoformat() == "2013-06-10"


def test_a_column_without_published_at_is_a_draft_without_week(tmp_path):
    spec = column_spec()
    del spec["published_at"]
    (column,) = columns_import_file(write(tmp_path, "draft.json", spec))
    assert column.status == Column.Status.DRAFT and column.week is None


def test_a_taken_week_is_left_empty(tmp_path):
    import datetime

    ColumnFactory(week=datetime.date(2013, 6, 10))
    (column,) = columns_import_file(write(tmp_path, "one.json", column_spec()))
    assert column.week is None and column.is_public


def test_inactive_expert_and_existing_category_matched_by_name(tmp_path):
    Category.objects.create(name="Salary & Negotiation", slug="salary")
    spec = column_spec()
    spec["answers"][1]["expert"]["active"] = False
    columns_import_file(write(tmp_path, "one.json", spec))
    assert Category.objects.count() == 1
    assert not Expert.objects.get(name="Ben Baker").is_active


def test_importing_again_updates_instead_of_duplicating(tmp_path):
    path = write(tmp_path, "one.json", column_spec())
    columns_import_file(path)
    spec = column_spec(dek="A new dek")
    spec["answers"] = spec["answers"][:1]
    columns_import_file(write(tmp_path, "one.json", spec))
    column = Column.objects.get()
    assert column.dek == "A new dek"
    assert column.answers.count() == 1 and Question.objects.count() == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({**column_spec(), "title": ""}, "title: required"),
        ({**column_spec(), "question": {"signature": "D"}}, "question.text: required"),
        ({**column_spec(), "published_at": "last June"}, "published_at: not a date"),
        ({**column_spec(), "answers": {"x": 1}}, "answers: must be a list"),
        ({**column_spec(), "source": "javascript:alert(1)"}, "source: must start with http"),
        ([column_spec(), {**column_spec(), "category": 5}], "[1].category: must be text"),
        ("just a string", "must be a column object"),
    ],
)
def test_errors_name_the_place_and_import_nothing(tmp_path, document, message):
    path = write(tmp_path, "bad.json", document)
    with pytest.raises(CatalogueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        columns_import_file(path)
    assert not Column.objects.exists() and not Expert.objects.exists()


def test_missing_expert_name_in_the_third_answer(tmp_path):
    spec = column_spec()
    spec["answers"][2]["expert"] = {"company": "Able Co"}
    with pytest.raises(CatalogueError) as error:
        columns_import_file(write(tmp_path, "bad.json", spec))
    assert str(error.value) == "answers[2].expert.name: required"


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"title": "x",\n  oops}')
    with pytest.raises(CatalogueError, match="line 2 column 3: not JSON"):
        columns_import_file(path)


def test_command_imports_good_files_reports_every_bad_one_and_fails(tmp_path, capsys):
    good = write(tmp_path, "good.json", column_spec())
    bad_one = write(tmp_path, "bad1.json", {**column_spec(slug="b1"), "title": None})
    spec = column_spec(slug="b2")
    spec["answers"][1]["body"] = ""
    bad_two = write(tmp_path, "bad2.json", spec)
    with pytest.raises(CommandError, match="2 of 3 file"):
        call_command("import_columns", str(bad_one), str(good), str(bad_two))
    err = capsys.readouterr().err
    assert f"{bad_one}: title: required" in err
    assert f"{bad_two}: answers[1].body: required" in err
    assert list(Column.objects.values_list("slug", flat=True)) == [
        "should-i-take-the-counter-offer"
    ]


def test_round_trip_export_wipe_import_loses_nothing(tmp_path):
    columns_import_file(SOURCE_COLUMN)
    spec = column_spec(source="https://example.org/counter-offer", is_featured=True, dek="D")
    spec["answers"][0]["expert"]["company_url"] = "https://able.example/"
    spec["answers"][1]["expert"]["active"] = False
    columns_import_file(write(tmp_path, "one.json", spec))
    draft = column_spec(slug="a-draft", title="A draft")
    del draft["published_at"]
    columns_import_file(write(tmp_path, "draft.json", draft))

    output = tmp_path / "export.json"
    call_command("export_columns", "--output", str(output))
    before = json.loads(output.read_text(encoding="utf-8"))
    assert len(before) == 3

    Answer.objects.all().delete()
    Column.objects.all().delete()
    Question.objects.all().delete()
    Expert.objects.all().delete()
    Category.objects.all().delete()

    call_command("import_columns", str(output))
    assert columns_export() == before
    again = tmp_path / "again.json"
    call_command("export_columns", "--output", str(again))
    assert again.read_bytes() == output.read_bytes()  # byte for byte


def test_round_trip_keeps_hostile_text_byte_for_byte(tmp_path):
    """Script, odd Unicode and Markdown in every field come back exactly as they went out."""
    from .security import owasp_payloads

    payloads = owasp_payloads()[:40] + ("\u202eRTL", "e\u0301", "😀\u200b", "a\r\nb", "**x**")
    for index, payload in enumerate(payloads):
        spec = column_spec(title=f"{index} {payload}"[:200], slug=f"hostile-{index}", dek=payload)
        spec["question"] = {"text": f"Q {payload}", "signature": f"S{payload}"[:60]}
        spec["published_at"] = f"2012-{1 + index % 12:02d}-{1 + index % 28:02d}T09:00:00+00:00"
        spec["answers"] = [
            {
                "headline": payload[:200],
                "body": f"Body {payload}",
                "expert": {"name": f"E{index} {payload}"[:120], "company": payload[:200]},
            }
        ]
        columns_import_file(write(tmp_path, f"{index}.json", spec))
    output, again = tmp_path / "export.json", tmp_path / "again.json"
    call_command("export_columns", "--output", str(output))
    for model in (Answer, Column, Question, Expert, Category):
        model.objects.all().delete()
    call_command("import_columns", str(output))
    call_command("export_columns", "--output", str(again))
    assert len(json.loads(output.read_text(encoding="utf-8"))) == len(payloads)
    assert again.read_bytes() == output.read_bytes()


def test_source_piece_file_carries_the_reference_parts():
    spec = json.loads(SOURCE_COLUMN.read_text(encoding="utf-8"))
    assert spec["category"] == "Job Interviews"
    assert spec["is_featured"] is True
    assert spec["question"]["signature"] == "D"
    assert [a["expert"]["name"] for a in spec["answers"]] == [
        "Debra Wheatman",
        "Don Goodman",
        "Cheryl Simpson",
        "Dorothy Tannahill-Moran",
    ]
    assert all("company_url" not in a["expert"] for a in spec["answers"])
    assert "Debra Wheatman of Careers Done Write says" in spec["answers"][0]["body"]
