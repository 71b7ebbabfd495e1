"""
Settings for the panel project.

Every value that differs between machines comes from an environment variable, with a safe
development default. With DJANGO_DEBUG=0 the settings refuse to load without a secret key and
allowed hosts, so a production process can never start on the development key.
"""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def require(name):
    value = env(name)
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set when DJANGO_DEBUG is off (production). "
            "Set it in the environment of every web and worker process."
        )
    return value


DEBUG = env_bool("DJANGO_DEBUG", True)

if DEBUG:
    SECRET_KEY = (
        env("DJANGO_SECRET_KEY") or "django-insecure-development-key-never-used-in-production"
    )
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
else:
    SECRET_KEY = require("DJANGO_SECRET_KEY")
    require("DJANGO_ALLOWED_HOSTS")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name at least one host.")

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "markdownx",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "qa",
    # manage.py generate_data: made-up data at scale, for load tests only.
    "devdata",
]

MIDDLEWARE = [
    # Outermost but for security headers: it compresses every page on its way out, the page
    # cache's hits included.
    "django.middleware.security.SecurityMiddleware",
    "qa.middleware.CompressionMiddleware",
    "qa.middleware.DatabaseUnavailableMiddleware",
    "qa.middleware.StorageErrorMiddleware",
    # Before the session and the rest: a cached page needs none of them.
    "qa.pagecache.PageCacheMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "panel.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "qa.context_processors.publication",
            ],
        },
    },
]

WSGI_APPLICATION = "panel.wsgi.application"
ASGI_APPLICATION = "panel.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "0" if DEBUG else "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run while the worker writes; a busy timeout makes writers queue instead
    # of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    # Redis is a cache, not a store: when it is down, reads miss and writes are dropped with a
    # logged warning, and pages serve from the database. The short timeouts keep a hung Redis
    # from holding every request.
    REDIS_TIMEOUT = float(env("REDIS_TIMEOUT", "0.5"))
    CACHES = {
        "default": {
            "BACKEND": "qa.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "panel"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The page cache (qa.pagecache): every process reads the database's record of changes at most
# every PAGE_CACHE_POLL_SECONDS, so a change is served everywhere within that time.
PAGE_CACHE_POLL_SECONDS = float(env("PAGE_CACHE_POLL_SECONDS", "0.5"))
# Each process also keeps the pages it served lately, up to this many bytes of page bodies, so a
# hit needs no round trip to Redis.
PAGE_CACHE_LOCAL_BYTES = int(env("PAGE_CACHE_LOCAL_BYTES", str(32 * 1024 * 1024)))

# Development runs tasks inline; production hands them to `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env(
            "TASK_BACKEND",
            "django.tasks.backends.immediate.ImmediateBackend"
            if DEBUG
            else "django_tasks_db.DatabaseBackend",
        ),
    }
}

# Work the worker repeats every minute (`qa.periodic.tick`), or cron through
# `manage.py run_periodic`. Name -> dotted path of a function taking no arguments.
PERIODIC_JOBS = {
    "columns_publish_due": "qa.services.columns_publish_due",
    "reminders_send": "qa.services.reminders_send",
    "columns_review_due": "qa.services.columns_review_due",
    "task_results_prune": "qa.periodic.task_results_prune",
    "emails_retry": "qa.emails.emails_retry",
    "tasks_reclaim_stalled": "qa.periodic.tasks_reclaim_stalled",
    "newsletter_sends_resume": "qa.newsletter.sending.sends_resume",
    "retention": "qa.privacy.retention_run",
}
# What is kept about readers, and for how long (docs/privacy.md); run by the "retention" job.
RETENTION_SPAM_DAYS = int(env("RETENTION_SPAM_DAYS", "30"))
RETENTION_DECLINED_DAYS = int(env("RETENTION_DECLINED_DAYS", "180"))
RETENTION_EMAIL_DAYS = int(env("RETENTION_EMAIL_DAYS", "30"))
PERIODIC_INTERVAL_SECONDS = int(env("PERIODIC_INTERVAL_SECONDS", "60"))
# /readyz answers 503 once the periodic jobs have not run for this long (3 ticks, at least
# 3 minutes), or when the media folder has less than READY_MIN_FREE_BYTES free.
READY_TICK_LATE_SECONDS = int(
    env("READY_TICK_LATE_SECONDS", str(max(180, 3 * PERIODIC_INTERVAL_SECONDS)))
)
READY_MIN_FREE_BYTES = int(env("READY_MIN_FREE_BYTES", str(100 * 2**20)))
TASK_RESULTS_KEEP_DAYS = int(env("TASK_RESULTS_KEEP_DAYS", "14"))
# A task running longer than this is taken for one whose worker died, and queued again. Every
# task finishes well within it (SMTP's own timeout is EMAIL_TIMEOUT).
TASK_LEASE_SECONDS = int(env("TASK_LEASE_SECONDS", "600"))
# `manage.py worker` waits 1, 2, 4 … seconds, at most this, between tries while the database
# is unreachable, then carries on.
WORKER_MAX_BACKOFF_SECONDS = int(env("WORKER_MAX_BACKOFF_SECONDS", "60"))

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "qa.storage.MediaStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Hashed file names never change, so WhiteNoise lets browsers and CDNs keep them for a year.
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 365 if not DEBUG else 0

# Several web nodes cannot share a local media folder: MEDIA_STORAGE=s3 puts uploads in a bucket.
MEDIA_STORAGE = env("MEDIA_STORAGE", "filesystem")
MEDIA_ORIGIN = None
if MEDIA_STORAGE == "s3":
    try:
        import storages.backends.s3  # noqa: F401
    except ImportError as error:
        raise ImproperlyConfigured(
            "MEDIA_STORAGE=s3 needs django-storages and boto3, which are not installed. "
            "Install the optional extra: `uv sync --extra s3`."
        ) from error
    bucket = env("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (the bucket).")
    region = env("AWS_S3_REGION_NAME")
    custom_domain = env("AWS_S3_CUSTOM_DOMAIN")
    endpoint_url = env("AWS_S3_ENDPOINT_URL")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "region_name": region,
            "endpoint_url": endpoint_url,
            "custom_domain": custom_domain,
            "location": env("AWS_LOCATION", ""),
            # Headshots and answer images are public: plain URLs a CDN can cache.
            "querystring_auth": False,
            "default_acl": None,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000"},
        },
    }
    # Credentials come from boto3's own environment (AWS_ACCESS_KEY_ID, an instance role, ...).
    if custom_domain:
        MEDIA_ORIGIN = f"https://{custom_domain}"
    elif endpoint_url:
        MEDIA_ORIGIN = endpoint_url.rstrip("/")
    else:
        MEDIA_ORIGIN = f"https://{bucket}.s3.{region + '.' if region else ''}amazonaws.com"
    MEDIA_URL = f"{MEDIA_ORIGIN}/"
elif MEDIA_STORAGE != "filesystem":
    raise ImproperlyConfigured(
        f"MEDIA_STORAGE must be 'filesystem' or 's3', not {MEDIA_STORAGE!r}."
    )

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND}}
if EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", "localhost"),
        "port": int(env("EMAIL_PORT", "25")),
        "username": env("EMAIL_HOST_USER", ""),
        "password": env("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": int(env("EMAIL_TIMEOUT", "10")),
    }
del EMAIL_BACKEND
# The sender's domain is SITE_URL's unless set: the one the mail provider signs for (SPF, DKIM;
# docs/deploy.md). Message-IDs are on SITE_URL's host too (qa/mail.py).
SITE_HOST = SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"The Expert Panel <panel@{SITE_HOST}>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Who hears of errors by email: DJANGO_ADMINS="ann@example.com, ops@example.com". Django mails
# them every server error (500) in production, and the logging below every error the
# platform's own code logs (a worker's failed job, an email given up on).
ADMINS = env_list("DJANGO_ADMINS")
EDITOR_EMAIL = env("EDITOR_EMAIL", "editors@localhost")

# Markdown: the expert's live preview uses the very function that renders on save.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "qa.markdown.render_markdown"
MARKDOWNX_URLS_PATH = "/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/markdownx/upload/"
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/webp"]
MARKDOWNX_UPLOAD_MAX_SIZE = 5 * 1024 * 1024
MARKDOWNX_MEDIA_PATH = "answers/"

# A headshot never needs more; anything bigger is refused before it is decoded.
PILLOW_MAX_IMAGE_PIXELS = 40_000_000

# The client's address comes from REMOTE_ADDR, unless a proxy we run sets a header, e.g.
# TRUSTED_PROXY_HEADER=HTTP_X_FORWARDED_FOR. Never set it without such a proxy: clients forge it.
TRUSTED_PROXY_HEADER = env("TRUSTED_PROXY_HEADER") or None

# Admin sign-in throttling (django-axes). Failures are counted in the database, so every web
# process sees them; an account and an address are each locked after SIGNIN_FAILURE_LIMIT
# failures, for SIGNIN_LOCKOUT_MINUTES, and a correct password does not open a locked door.
AXES_FAILURE_LIMIT = int(env("SIGNIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("SIGNIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "qa.addresses.client_address"
AXES_LOCKOUT_CALLABLE = "qa.admin.lockout.signin_locked_out"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_SENSITIVE_PARAMETERS = ["password", "code"]

# Two-factor sign-in for staff (qa/admin/signin.py): editors must enrol when this is on, the
# default in production; experts are offered it. The second step must follow the password
# within SIGNIN_STEP_SECONDS.
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", not DEBUG)
SIGNIN_STEP_SECONDS = int(env("SIGNIN_STEP_SECONDS", "300"))
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "The Expert Panel")

# Emails whose sending fails are tried again, after 1, 2, 4, 8 … minutes, this many times in all.
EMAIL_MAX_ATTEMPTS = int(env("EMAIL_MAX_ATTEMPTS", "6"))
EMAIL_RETRY_SECONDS = int(env("EMAIL_RETRY_SECONDS", "60"))
# An email marked as being handed over for longer than this was left by a sender that died:
# it is resolved as uncertain and not sent again (qa/emails.py). Well above EMAIL_TIMEOUT.
EMAIL_SENDING_LEASE_SECONDS = int(env("EMAIL_SENDING_LEASE_SECONDS", "300"))

# Reader questions: how many an address may send.
ASK_RATE_LIMIT_PER_HOUR = int(env("ASK_RATE_LIMIT_PER_HOUR", "5"))
ASK_ERROR_RATE_LIMIT_PER_HOUR = int(env("ASK_ERROR_RATE_LIMIT_PER_HOUR", "30"))
# Staff password resets asked from one sender, and for one address, in any hour.
PASSWORD_RESET_RATE_LIMIT_PER_HOUR = int(env("PASSWORD_RESET_RATE_LIMIT_PER_HOUR", "5"))
ASK_MIN_SECONDS = int(env("ASK_MIN_SECONDS", "3"))
# Same text from the same reader within this many hours is kept once.
ASK_DUPLICATE_HOURS = int(env("ASK_DUPLICATE_HOURS", "24"))

# The public pages' stylesheets, small enough to go inside each page (``{% inline_style %}``)
# so that no request blocks the first paint. The CSP allows exactly these texts by their hash,
# which, unlike a nonce, stays valid in a page served from the cache.
INLINE_STYLES = {
    name: (BASE_DIR / "static" / name).read_text(encoding="utf-8")
    for name in ("css/site.css", "css/ask.css")
}
INLINE_STYLE_HASHES = [
    f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
    for text in INLINE_STYLES.values()
]

# The newsletter.
NEWSLETTER_RATE_LIMIT_PER_HOUR = int(env("NEWSLETTER_RATE_LIMIT_PER_HOUR", "5"))
# One confirmation email per address in this many hours, whoever asks; the link works this long.
NEWSLETTER_CONFIRM_INTERVAL_HOURS = int(env("NEWSLETTER_CONFIRM_INTERVAL_HOURS", "24"))
NEWSLETTER_CONFIRM_HOURS = int(env("NEWSLETTER_CONFIRM_HOURS", "48"))
# Emails per batch over one connection; how long one worker run sends before queuing its
# continuation; after how long without progress a run is taken for dead and its batch resumed.
NEWSLETTER_BATCH_SIZE = int(env("NEWSLETTER_BATCH_SIZE", "100"))
NEWSLETTER_TASK_SECONDS = int(env("NEWSLETTER_TASK_SECONDS", "60"))
NEWSLETTER_LEASE_SECONDS = int(env("NEWSLETTER_LEASE_SECONDS", "120"))
# Permanent SMTP refusals (5xx) in a row before an address is suppressed.
NEWSLETTER_REJECTIONS_TO_SUPPRESS = int(env("NEWSLETTER_REJECTIONS_TO_SUPPRESS", "3"))

# Bounces and complaints from Mailgun's tracking webhook (/anymail/mailgun/tracking/) suppress
# the address; the webhook checks Mailgun's signature with this key. Needs the `anymail` extra.
MAILGUN_WEBHOOK_SIGNING_KEY = env("MAILGUN_WEBHOOK_SIGNING_KEY", "")
if MAILGUN_WEBHOOK_SIGNING_KEY:
    try:
        import anymail  # noqa: F401
    except ImportError as error:
        raise ImproperlyConfigured(
            "MAILGUN_WEBHOOK_SIGNING_KEY is set but django-anymail is not installed. Install "
            "the optional extra: `uv sync --extra anymail`."
        ) from error
    INSTALLED_APPS.append("anymail")
    ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_WEBHOOK_SIGNING_KEY}

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE, *INLINE_STYLE_HASHES],
    "img-src": [CSP.SELF, "data:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# One stream, stdout, for whatever runs the processes (systemd, a container runtime) to collect.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"}
    },
    # A private link's token (a status page, a subscriber's links) is logged as <token>.
    "filters": {"private_links": {"()": "qa.logfilters.PrivateLinks"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
            "filters": ["private_links"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
if ADMINS and not DEBUG:
    LOGGING["filters"] |= {
        "once_per_interval": {
            "()": "qa.logfilters.OncePerInterval",
            "seconds": int(env("ADMINS_MAIL_INTERVAL_SECONDS", "600")),
        }
    }
    LOGGING["handlers"]["mail_admins"] = {
        "class": "django.utils.log.AdminEmailHandler",
        "level": "ERROR",
        "filters": ["private_links", "once_per_interval"],
    }
    LOGGING["loggers"]["qa"] = {"handlers": ["console", "mail_admins"], "propagate": False}

# Error reporting to Sentry when SENTRY_DSN is set: `uv sync --extra sentry` (sentry-sdk).
# No personal data is sent (send_default_pii off); performance tracing only if asked for.
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    try:
        import sentry_sdk
    except ImportError as error:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed. Install the optional extra: "
            "`uv sync --extra sentry`, or unset SENTRY_DSN."
        ) from error
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", "development" if DEBUG else "production"),
        send_default_pii=False,
        traces_sample_rate=float(env("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
