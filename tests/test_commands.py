import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from qa.models import Category, Expert, Question
from qa.roles import is_editor, is_expert

pytestmark = pytest.mark.django_db


def test_create_editor():
    call_command("create_editor", "maria", "--password", "s3cret-pass", "--email", "m@example.com")
    user = get_user_model().objects.get(username="maria")
    assert is_editor(user) and user.check_password("s3cret-pass")


def test_create_editor_refuses_an_existing_username():
    call_command("create_editor", "maria", "--password", "pw-one-two")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_editor", "maria", "--password", "pw-three")


def test_create_expert_links_a_profile():
    Category.objects.create(name="Interviews", slug="interviews")
    call_command(
        "create_expert",
        "debra",
        "--password",
        "pw-123-456",
        "--name",
        "Debra Wheatman",
        "--company",
        "Careers Done Write",
        "--category",
        "interviews",
    )
    user = get_user_model().objects.get(username="debra")
    assert is_expert(user)
    assert user.expert.name == "Debra Wheatman"
    assert list(user.expert.categories.values_list("slug", flat=True)) == ["interviews"]


def test_create_expert_rejects_an_unknown_category():
    with pytest.raises(CommandError, match="nope"):
        call_command("create_expert", "x", "--password", "pw", "--name", "X", "--category", "nope")


def test_create_expert_adopts_an_imported_profile():
    imported = Expert.objects.create(name="Don Goodman", company="Got The Job", slug="don-goodman")
    call_command(
        "create_expert",
        "don",
        "--password",
        "pw",
        "--name",
        "Don Goodman",
        "--company",
        "Got The Job",
    )
    imported.refresh_from_db()
    assert imported.user.username == "don"
    assert Expert.objects.count() == 1


def test_demo_is_idempotent():
    call_command("load_demo")
    counts = (
        Category.objects.count(),
        Expert.objects.count(),
        Question.objects.count(),
        get_user_model().objects.count(),
    )
    call_command("load_demo")
    assert counts == (
        Category.objects.count(),
        Expert.objects.count(),
        Question.objects.count(),
        get_user_model().objects.count(),
    )
    assert counts[1] >= 2 and counts[2] >= 3
    editor = get_user_model().objects.get(username="editor")
    assert is_editor(editor) and editor.check_password("editor-demo-2026")
