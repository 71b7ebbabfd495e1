"""
Whatever a back-catalogue file holds, import_columns imports it whole or refuses it with an
error naming the place, never an uncaught exception and never half an import.
"""

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from qa.catalogue import CatalogueError, columns_import_file
from qa.models import Answer, Category, Column, Expert, Question, Transition

awkward_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from("\x00\ud800\udfff\u202e\ufeff\r\n<&é -a1"), max_size=40),
    st.builds(lambda char, n: char * n, st.characters(), st.integers(150, 2_000)),
    st.sampled_from(
        [
            "",
            "   ",
            "2013-02-30T09:00:00",
            "9999-12-31T23:59:59+14:00",
            "0001-01-01T00:00:00",
            "2013-06-14T09:00:00+00:00",
            "javascript:alert(1)",
            "http://x",
            "!!!",
            "???",
        ]
    ),
)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), awkward_text
)
any_json = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(awkward_text, inner, max_size=3)
    ),
    max_leaves=12,
)
good_text = st.sampled_from(["Ann Able", "Able Co", "Salary & Negotiation", "Go.", "A title"])
# Mostly well-typed, so that odd values are also seen on the path that saves.
field = st.one_of(
    good_text, good_text, good_text, awkward_text, awkward_text, json_scalar, any_json
)
expert = st.fixed_dictionaries(
    {"name": field},
    optional={"company": field, "company_url": field, "active": st.one_of(st.booleans(), field)},
)
answer = st.fixed_dictionaries(
    {"body": field, "expert": st.one_of(expert, expert, field)}, optional={"headline": field}
)
column = st.fixed_dictionaries(
    {
        "title": field,
        "category": field,
        "question": st.one_of(
            st.fixed_dictionaries({"text": field}, optional={"signature": field}), field
        ),
    },
    optional={
        "slug": field,
        "dek": field,
        "intro": field,
        "source": field,
        "is_featured": st.one_of(st.booleans(), field),
        "published_at": field,
        "answers": st.one_of(st.lists(answer, max_size=3), field),
    },
)
document = st.one_of(column, st.lists(column, max_size=3), any_json)


def file_text(draw_document, mangle):
    text = json.dumps(draw_document, ensure_ascii=mangle % 2 == 0)
    if mangle == 3 and len(text) > 2:
        return text[: len(text) // 2]  # malformed: cut off
    if mangle == 4:
        return text.replace('"', "'", 1)  # malformed: a stray quote
    return text


def snapshot():
    return {
        model.__name__: sorted(map(repr, model.objects.values_list()))
        for model in [Category, Expert, Question, Column, Answer, Transition]
    }


def pair(**override):
    """A well-formed column with ``override``, and a second one whose topic has no letters."""
    base = {
        "title": "T",
        "category": "!!!",
        "question": {"text": "Q"},
        "answers": [{"body": "B", "expert": {"name": "N"}}],
    }
    return [{**base, **override}, {**base, "title": "T2", "category": "???"}]


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    document=document, mangle=st.integers(0, 5), raw=st.one_of(st.none(), st.binary(max_size=200))
)
# What the first runs found, kept as examples: each was an uncaught exception.
@example(document=pair(title="A\x00B"), mangle=1, raw=None)  # PostgreSQL refuses NUL
@example(document=pair(dek="\ud800"), mangle=0, raw=None)  # a lone surrogate, escaped
@example(document=pair(published_at="2013-02-30T09:00:00"), mangle=0, raw=None)
@example(document=pair(published_at="9999-12-31T23:59:59-14:00"), mangle=0, raw=None)
@example(document=pair(answers=[{"body": "B", "expert": {"name": "N\x00"}}]), mangle=0, raw=None)
@example(document=pair(), mangle=0, raw=None)  # two topics that slug to nothing
def test_any_file_is_imported_whole_or_refused_with_its_place(document, mangle, raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "columns.json"
        if raw is not None and mangle == 5:
            path.write_bytes(raw)  # any bytes: NUL, invalid UTF-8, nothing at all
        else:
            path.write_text(file_text(document, mangle), encoding="utf-8", errors="surrogatepass")
        before = snapshot()
        try:
            columns = columns_import_file(path)
        except CatalogueError as error:
            event(f"refused: {error.reason.split(' (')[0][:40]}")
            assert str(error)
            assert snapshot() == before, "a refused file changed the database"
        else:
            event("imported")
            assert all(Column.objects.filter(pk=column.pk).exists() for column in columns)
