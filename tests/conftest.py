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
