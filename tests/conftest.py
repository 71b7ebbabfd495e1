import pytest
from django.core.cache import cache

from .factories import EditorFactory, ExpertUserFactory


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets a clean cache and its own media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def editor(db):
    return EditorFactory(username="ed")


@pytest.fixture
def expert_a(db):
    return ExpertUserFactory(username="alice")


@pytest.fixture
def expert_b(db):
    return ExpertUserFactory(username="bob")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def client_for(django_client_class, user):
    c = django_client_class()
    c.force_login(user)
    return c


@pytest.fixture
def expert_a_client(client, expert_a):
    client.force_login(expert_a)
    return client


@pytest.fixture
def committed_roles(transactional_db):
    """
    The Editors and Experts groups, for tests that commit for real: flushing the database
    between such tests removes what the data migration made.
    """
    import importlib

    from django.contrib.auth.models import Group, Permission

    roles = importlib.import_module("qa.migrations.0002_roles")
    qa_permissions = Permission.objects.filter(content_type__app_label="qa")
    editor_codenames = [
        f"{action}_{model}"
        for model in roles.QA_MODELS
        for action in ("add", "change", "delete", "view")
    ] + [f"view_{model}" for model in roles.LOG_MODELS]
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(qa_permissions.filter(codename__in=editor_codenames))
    experts, _ = Group.objects.get_or_create(name="Experts")
    experts.permissions.set(qa_permissions.filter(codename__in=roles.EXPERT_PERMISSIONS))
