import pytest
from django.core.cache import cache

from qa.pagecache import local_pages

from .factories import EditorFactory, ExpertUserFactory


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets a clean cache (the page cache's process copy too) and its own media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    local_pages.clear()
    yield
    cache.clear()
    local_pages.clear()


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """
    ``with after_commit(): ...`` runs what the block's saves left for after the commit, as a
    real commit would: on PostgreSQL, refreshing the changed columns' search documents.
    """
    return lambda: django_capture_on_commit_callbacks(execute=True)


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


@pytest.fixture
def shared_redis(settings):
    """
    The cache on Redis under a key prefix of this test's own, and a way to run Python in a
    second process (a fresh interpreter with Django set up from the same settings and the same
    REDIS_URL), as another web node would. Skips without REDIS_URL.
    """
    import os
    import secrets
    import subprocess
    import sys
    import textwrap

    from django.core.cache import caches

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: sharing a cache between processes needs Redis")
    prefix = f"shared-test-{secrets.token_hex(4)}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    caches["default"].clear()

    def elsewhere(code):
        """Run ``code`` after ``django.setup()`` in another process; returns its stdout."""
        script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
        result = subprocess.run(
            [sys.executable, "-c", script],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "panel.test_settings",
                "REDIS_URL": redis_url,
                "CACHE_KEY_PREFIX": prefix,
                "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    yield elsewhere
    caches["default"].clear()


def confirm_and_post(client, url, data):
    """
    Post a form that asks for confirmation first: the first POST must draw the confirmation
    page and change nothing; the second carries the page's stamp, as its button does.
    """
    import re

    page = client.post(url, data)
    assert page.status_code == 200, page.status_code
    stamp = re.search(r'name="confirmed" value="([0-9a-f]+)"', page.text)
    assert stamp, "no confirmation page"
    return client.post(url, {**data, "confirmed": stamp.group(1)})
