"""
Search reads the columns' stored documents (0007), no longer the texts themselves: the GIN
expression indexes on a column's title and dek, a question's body and an answer's body (0003,
0006) go, and with them their cost on every write. The admin's searches are substring matches
and never used them. PostgreSQL only, like the migrations that made them; reversing makes them
again.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import Q

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
        (
            "Question",
            GinIndex(
                SearchVector("body", config=CONFIG),
                condition=Q(status="picked"),
                name="qa_question_picked_search_gin",
            ),
        ),
        ("Answer", GinIndex(SearchVector("body", config=CONFIG), name="qa_answer_search_gin")),
    ]


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in indexes():
        schema_editor.remove_index(apps.get_model("qa", model_name), index)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in indexes():
        schema_editor.add_index(apps.get_model("qa", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("qa", "0007_column_search_vector")]

    operations = [migrations.RunPython(drop, create)]
