"""Whatever arrives at /ask/, the answer is a saved question or a form error, never a 5xx."""

import time

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from qa.forms import started_token
from qa.models import Question

from .factories import CategoryFactory

FIELDS = ["body", "category", "signature", "name", "email", "consent", "website", "started"]
VALID = "<valid>"

awkward_characters = st.sampled_from(
    [
        "\x00",
        "\u202e",
        "\u200f",
        "\u200b",
        "\r",
        "\n",
        "\x1b",
        "\x7f",
        "\ufeff",
        "<",
        "&",
        "é",
        "a",
        " ",
    ]
)
odd_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=awkward_characters, max_size=300),
    st.builds(lambda char: char * 10_000, st.characters()),
)
# Mostly valid fields, so that odd values are also seen on the path that saves.
field_value = st.one_of(st.just(VALID), st.just(VALID), st.just(VALID), odd_text)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sent=st.fixed_dictionaries(dict.fromkeys(FIELDS, field_value)))
def test_any_unicode_in_any_field_is_a_saved_question_or_a_form_error(client, settings, sent):
    settings.ASK_RATE_LIMIT_PER_HOUR = settings.ASK_ERROR_RATE_LIMIT_PER_HOUR = 10**9
    category = CategoryFactory(slug="fuzz")
    valid = {
        "body": "A perfectly ordinary question about interviews and salaries.",
        "category": str(category.pk),
        "signature": "D",
        "name": "Dana",
        "email": "dana@reader.example",
        "consent": "on",
        "website": "",
        "started": started_token(at=time.time() - 60),
    }
    posted = {field: valid[field] if value == VALID else value for field, value in sent.items()}
    response = client.post("/ask/", posted)
    assert response.status_code in (200, 302)
    event(f"status {response.status_code}")
    if response.status_code == 302:
        token = response["Location"].split("/")[2]
        assert Question.objects.filter(token=token).exists()
    else:
        assert response.context["form"].errors
