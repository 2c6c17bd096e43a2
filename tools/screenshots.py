"""Screenshots of the main pages on a desktop and a phone, for people to look at.

Run it against a server holding the demo (`make demo`, or gunicorn on the demo database):

    .venv/bin/python tools/screenshots.py --url http://127.0.0.1:8000

It signs in with the demo logins, walks the pages and writes PNG files into screenshots/
(ignored by git), then prints a JSON summary with anything the browser reported as an error.
Each run makes one failed sign-in per screen size, for the error screenshot; sign-in
throttling counts those, so a burst of runs will show the throttling message instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
ROOT_ORG = "150000000000"  # 内蒙古自治区
COUNTY_ORG = "150102000000"  # 呼和浩特市新城区
PREFECTURE_ORG = "150100000000"  # 呼和浩特市


class Shooter:
    def __init__(self, browser: Browser, url: str, out: Path, password: str) -> None:
        self.browser = browser
        self.url = url.rstrip("/")
        self.out = out
        self.password = password
        self.files: list[str] = []
        self.problems: list[str] = []

    @contextmanager
    def page(self, screen: str) -> Iterator[Page]:
        context = self.browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", **SCREENS[screen]
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on(
            "console",
            lambda m: (
                self.problems.append(f"{screen} {page.url}: console.{m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda e: self.problems.append(f"{screen} {page.url}: {e}"))
        try:
            yield page
        finally:
            context.close()

    def shot(self, page: Page, screen: str, name: str) -> None:
        number = sum(1 for f in self.files if Path(f).name.startswith(f"{screen}-")) + 1
        path = self.out / f"{screen}-{number:02d}-{name}.png"
        page.screenshot(path=path, full_page=True, animations="disabled")
        self.files.append(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path))

    def sign_in(self, page: Page, username: str, password: str | None = None) -> None:
        page.goto(f"{self.url}/accounts/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password or self.password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()

    def sign_out(self, page: Page) -> None:
        self.open_menu(page)
        page.locator("form[action$='/accounts/logout/'] button").click()
        page.wait_for_url("**/accounts/login/")

    def open_menu(self, page: Page) -> None:
        toggler = page.locator(".navbar-toggler")
        if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
            toggler.click()
            expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))

    def language(self, page: Page, code: str) -> None:
        self.open_menu(page)
        page.locator(f"button[name=language][value={code}]").click()
        page.wait_for_load_state()

    def expand(self, page: Page, code: str) -> None:
        node = page.locator(f'details[data-org="{code}"]')
        node.locator(":scope > summary").click(position={"x": 6, "y": 10})
        expect(node.locator(":scope > ul a").first).to_be_visible()

    def search(self, page: Page, q: str) -> None:
        page.locator("#org-q").fill(q)
        expect(page.locator("#search-results h2")).to_contain_text(q)

    def org_page(self, page: Page, code: str) -> None:
        """Open an organization's page through the search, as a user would."""
        page.goto(f"{self.url}/orgs/?q={code}")
        page.locator("[data-testid=search-results] a").first.click()
        page.wait_for_load_state()

    def campaign(self, page: Page, screen: str, who: str) -> None:
        """The demo's campaign: the list, its page, the overview and the coverage."""
        page.goto(f"{self.url}/campaigns/")
        self.shot(page, screen, f"campaigns-{who}")
        page.locator("[data-campaign]").first.click()
        page.wait_for_load_state()
        self.shot(page, screen, f"campaign-{who}")
        page.get_by_test_id("overview-link").click()
        expect(page.locator("[data-testid=gantt] canvas").first).to_be_attached()
        self.shot(page, screen, f"overview-{who}")
        page.goto(page.url.replace("/overview/", "/coverage/"))
        self.shot(page, screen, f"coverage-{who}")

    def run(self, screen: str) -> None:
        with self.page(screen) as page:
            page.goto(f"{self.url}/accounts/login/")
            self.shot(page, screen, "login")
            self.sign_in(page, "province", "wrong-password")
            self.shot(page, screen, "login-error")

            self.sign_in(page, "province")
            self.shot(page, screen, "workbench-province")
            if page.locator(".navbar-toggler").is_visible():
                self.open_menu(page)
                self.shot(page, screen, "menu-open")
                page.locator(".navbar-toggler").click()
                expect(page.locator("#main-nav")).not_to_be_visible()
            page.goto(f"{self.url}/notices/")
            self.shot(page, screen, "notices-province")
            page.goto(f"{self.url}/orgs/")
            self.expand(page, ROOT_ORG)
            self.shot(page, screen, "tree-province-expanded")
            self.search(page, "新城")
            self.shot(page, screen, "search-name")
            self.search(page, "150102101")
            self.shot(page, screen, "search-code")

            self.org_page(page, ROOT_ORG)
            self.shot(page, screen, "org-root")
            self.org_page(page, COUNTY_ORG)
            self.shot(page, screen, "org-county")
            page.goto(f"{self.url}/access/audit/")
            self.shot(page, screen, "audit")
            self.campaign(page, screen, "province")

            page.goto(f"{self.url}/orgs/")
            self.language(page, "en")
            self.expand(page, ROOT_ORG)
            self.expand(page, PREFECTURE_ORG)
            self.shot(page, screen, "tree-en")
            self.org_page(page, COUNTY_ORG)
            self.shot(page, screen, "org-county-en")
            self.language(page, "zh-hans")
            self.sign_out(page)

            self.sign_in(page, "branch")
            self.shot(page, screen, "workbench-branch")
            page.goto(f"{self.url}/notices/")
            self.shot(page, screen, "notices-branch")
            page.goto(f"{self.url}/orgs/")
            self.shot(page, screen, "tree-branch")
            self.search(page, "新城区")
            self.shot(page, screen, "search-branch-nothing")
            page.locator("[data-testid=org-tree] a").first.click()
            page.wait_for_load_state()
            self.shot(page, screen, "org-branch")
            page.goto(f"{self.url}/access/audit/")
            self.shot(page, screen, "audit-branch")
            page.goto(f"{self.url}/campaigns/")
            page.locator("[data-campaign]").first.click()
            page.get_by_test_id("coverage-link").click()
            self.shot(page, screen, "coverage-branch")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--password", default="massline-demo", help="the demo logins' password")
    parser.add_argument("--screen", choices=sorted(SCREENS), action="append")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("MASSLINE_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        shooter = Shooter(browser, args.url, args.out, args.password)
        for screen in args.screen or list(SCREENS):
            shooter.run(screen)
        browser.close()
    print(json.dumps({"files": shooter.files, "problems": shooter.problems}, indent=2))
    return 1 if shooter.problems else 0


if __name__ == "__main__":
    sys.exit(main())
