"""
GIN indexes for full-text search, on PostgreSQL only (SQLite searches by substring).

The indexed expressions are the very ones ``qa.search`` queries with, so the planner can use
them: title and dek of a column, the body of a question and of an answer.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

CONFIG = "english"


def indexes():
    return [
        (
            "Column",
            GinIndex(
                SearchVector("title", weight="A", config=CONFIG)
                + SearchVector("dek", weight="B", config=CONFIG),
                name="qa_column_search_gin",
            ),
        ),
        ("Question", GinIndex(SearchVector("body", config=CONFIG), name="qa_question_search_gin")),
        ("Answer", GinIndex(SearchVector("body", config=CONFIG), name="qa_answer_search_gin")),
    ]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in indexes():
        schema_editor.add_index(apps.get_model("qa", model_name), index)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in indexes():
        schema_editor.remove_index(apps.get_model("qa", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("qa", "0002_roles")]

    operations = [migrations.RunPython(create, drop)]
