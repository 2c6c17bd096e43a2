"""Browser journeys in Debian's Chromium, shared by every app's `test_browser.py` (a pytest
plugin, loaded by `massline/conftest.py`): one Chromium per module (`browser`), watched pages
at desktop, phone and 360 px sizes (`page`, `phone`, `narrow_page`, or `open_page` for more
of them), and `sign_in`.

Every page is watched for console errors, uncaught exceptions and Content-Security-Policy
violations; any of them fails the test. A module of journeys marks itself with
`pytestmark = BROWSER`: it is left out of `pytest -m "not browser"` and skipped where there is
no Chromium (`MASSLINE_CHROMIUM`, default /usr/bin/chromium). Run with `make test-browser`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from massline.conftest import PASSWORD

CHROMIUM = os.environ.get("MASSLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 780}


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not chromium_available(), reason=f"no Chromium at {CHROMIUM} (set MASSLINE_CHROMIUM)"
    ),
]

# Chromium logs CSP violations to the console too; this makes each one explicit and also
# catches those raised while no console listener would see them (e.g. during a swap).
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def _sync_api() -> Any:
    from playwright import sync_api

    sync_api.expect.set_options(timeout=15_000)
    return sync_api


def expect(target: Any) -> Any:
    """Playwright's `expect`, waiting up to 15 s (CI shares two cores)."""
    return _sync_api().expect(target)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not chromium_available():
        pytest.skip(f"no Chromium at {CHROMIUM} (set MASSLINE_CHROMIUM)")
    # Playwright's sync API keeps an asyncio loop running in this thread, which makes Django
    # refuse ORM calls here (fixtures, flushing the database). Nothing here is async: the
    # server runs in its own thread, so the guard is lifted for as long as the browser lives.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with _sync_api().sync_playwright() as p:
            launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()


def open_page(browser: Any, **context_options: Any) -> Iterator[Any]:
    """A page in a fresh context (Chinese, Beijing time) whose console errors, uncaught
    exceptions and CSP violations fail the test when it ends."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    # Generous: CI shares two cores with the database and the server thread.
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_CSP)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console.{m.type}: {m.text} at {m.location.get('url')}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield page
    context.close()
    assert problems == [], "the browser reported errors:\n" + "\n".join(problems)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, viewport=DESKTOP)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def narrow_page(browser: Any) -> Iterator[Any]:
    yield from open_page(browser, viewport=NARROW, is_mobile=True, has_touch=True)


def sign_in(page: Any, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
