"""Fast settings for the test suite: cheap hashing, in-memory mail, tasks run inline."""

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
ASK_MIN_SECONDS = 3
# WhiteNoise serves from the finders in tests; nothing is collected.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Sign-in throttling logs every sign-in at INFO; the tests sign in thousands of times.
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # noqa: F405
# Every page cache lookup reads the record of changes: query counts do not depend on timing.
PAGE_CACHE_POLL_SECONDS = 0
# The provider webhook (an optional extra in production) is installed, so its tests run.
INSTALLED_APPS = [*INSTALLED_APPS, "anymail"]  # noqa: F405
ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "test-mailgun-signing-key"}
