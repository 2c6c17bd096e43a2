"""The content security policy forbids inline scripts and inline styles: no template of the
project may carry a `style` attribute, an event handler attribute or an inline `<script>` (a
browser would block them silently for the user, who then sees a broken page)."""

from __future__ import annotations

import re
from pathlib import Path

import massline

ROOT = Path(massline.__file__).resolve().parent.parent
FORBIDDEN = re.compile(r"""\sstyle\s*=|\son[a-z]+\s*=\s*["']|<script(?![^>]*\ssrc=)[^>]*>""", re.I)


def templates() -> list[Path]:
    found = list((ROOT / "templates").rglob("*.html"))
    found += list((ROOT / "massline").rglob("templates/**/*.html"))
    return sorted(found)


def test_no_template_carries_inline_styles_or_scripts():
    assert len(templates()) > 40
    offenders = []
    for path in templates():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line.replace("json_script", "")):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == [], "inline styles or scripts: " + ", ".join(offenders)


def test_no_script_is_put_in_a_page_title():
    """A `<script>` inside `{% block title %}` lands in `<title>`, where the browser shows it as
    text and never runs it: scripts go in `{% block scripts %}`."""
    title = re.compile(r"\{% block title %\}(?:(?!\{% endblock %\}).)*<script", re.S)
    offenders = [
        str(path.relative_to(ROOT))
        for path in templates()
        if title.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
