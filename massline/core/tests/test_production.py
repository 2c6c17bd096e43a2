"""Production mode (MASSLINE_PRODUCTION=1), tried the way an operator starts the platform: a
`massline` process with the environment set. Django's deployment checks find nothing, and
each setting the mode cannot do without refuses to start with the variable to set."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

GOOD_KEY = secrets.token_urlsafe(50)


def massline(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(
        [sys.executable, "-m", "massline", *args],
        env={**base, "MASSLINE_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production(**env: str) -> dict[str, str]:
    return {
        "MASSLINE_PRODUCTION": "1",
        "SECRET_KEY": GOOD_KEY,
        "ALLOWED_HOSTS": "massline.example.org",
        **env,
    }


def test_the_deployment_checks_find_nothing_in_production_mode(tmp_path):
    # when
    done = massline(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production())
    # then
    assert done.returncode == 0, done.stderr
    assert "no issues (0 silenced)" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


def test_without_the_switch_the_deployment_checks_do_warn(tmp_path):
    done = massline(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    assert "security.W004" in done.stderr and "security.W012" in done.stderr


SHOW = (
    "from django.conf import settings as s; print(s.DEBUG, s.SECURE_HSTS_SECONDS, "
    "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
    "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, s.ALLOWED_HOSTS)"
)


def test_production_mode_turns_on_https_only(tmp_path):
    # when
    done = massline(
        tmp_path, "shell", "-c", SHOW, **production(ALLOWED_HOSTS="a.example.org, b.example.org")
    )
    # then
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].split(" ", 6) == [
        "False",
        str(365 * 24 * 3600),
        "True",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO', 'https') ['a.example.org', 'b.example.org']",
    ]


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SECRET_KEY": ""}, "set SECRET_KEY to a long random value (it is not set)"),
        ({"SECRET_KEY": "massline-local-only-not-for-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" + GOOD_KEY[:40]}, "SECRET_KEY to a long random value (it is 41"),
        ({"SECRET_KEY": "abcd" * 20}, "SECRET_KEY to a long random value (it has 4 different"),
        ({"SECRET_KEY": "django-insecure-" + GOOD_KEY}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "set ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": " , "}, "set ALLOWED_HOSTS"),
        ({"DEBUG": "1"}, "unset DEBUG"),
    ],
    ids=[
        "missing-key",
        "development-key",
        "short-key",
        "few-characters",
        "django-insecure",
        "no-hosts",
        "blank-hosts",
        "debug",
    ],
)
def test_production_mode_refuses_to_start_without_what_it_needs(tmp_path, env, says):
    # when
    done = massline(tmp_path, "check", **production(**env))
    # then: the last line says what to set
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: MASSLINE_PRODUCTION=1:")
    assert says in last
    assert GOOD_KEY not in done.stderr  # a key is never echoed


def test_the_demo_runs_without_the_switch_as_before(tmp_path):
    done = massline(tmp_path, "check", SECRET_KEY="", ALLOWED_HOSTS="")
    assert done.returncode == 0, done.stderr
