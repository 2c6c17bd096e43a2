"""Printable evaluation slips (评价卡, decision 0022 "Evaluation by the public"): an A4 PDF of
eight slips a page (two columns of four, cut along the dashed lines), each with the
organization, the fix's measures in short, its one-time evaluation code and a QR code of the
portal's evaluation page with the code filled in (`EVALUATE_PATH?t=CODE`). Fonts, QR drawing
and the public address are the opinion box poster's (`opinions.poster`). The codes exist only
in the response that carries this PDF: they are stored as keyed hashes."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.http import HttpRequest
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from massline.opinions.poster import GREY, INK, LAYOUT, RED, draw_qr, fonts, public_url
from massline.opinions.receipts import grouped

from .models import Fix

#: The portal's evaluation page (massline.portal serves it); printed slips keep this address.
EVALUATE_PATH = "/p/e/"
COLUMNS, ROWS = 2, 4
PER_PAGE = COLUMNS * ROWS


def evaluate_url(request: HttpRequest | None = None) -> str:
    return public_url(EVALUATE_PATH, request)


def _excerpt(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def slips_pdf(fix: Fix, codes: list[str], url: str) -> bytes:
    """The slips of `codes` for `fix` as an A4 PDF; `url` is the evaluation page's address."""
    with LAYOUT:
        return _laid_out(fix, codes, url)


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, textColor=RED),
        "org": ParagraphStyle("org", fontName=bold, fontSize=9.5, leading=12, textColor=INK),
        "body": ParagraphStyle(
            "body", fontName=regular, fontSize=8.5, leading=11, textColor=INK, wordWrap="CJK"
        ),
        "code": ParagraphStyle("code", fontName=bold, fontSize=15, leading=19, textColor=INK),
        "hint": ParagraphStyle(
            "hint", fontName=regular, fontSize=7, leading=9, textColor=GREY, wordWrap="CJK"
        ),
    }


def _slip(
    c: Canvas, styles: dict[str, ParagraphStyle], fix: Fix, code: str, url: str, box: tuple
) -> None:
    x, y, w, h = box
    pad = 6 * mm
    qr = 36 * mm
    text_w = w - 2 * pad - qr - 3 * mm
    top = y + h - pad
    parts = [
        (escape(_("Evaluation slip")), styles["title"]),
        (escape(fix.org.name), styles["org"]),
        (escape(_("Fix: %(measure)s") % {"measure": _excerpt(fix.measure)}), styles["body"]),
        (escape(_("Evaluation code")), styles["hint"]),
        (escape(grouped(code)), styles["code"]),
    ]
    for markup, style in parts:
        para = Paragraph(markup, style)
        _w, used = para.wrapOn(c, text_w, h)
        para.drawOn(c, x + pad, top - used)
        top -= used + 1.5 * mm
    link = f"{url}?t={code}"
    draw_qr(c, link, x + w - pad - qr, y + h - pad - qr, qr)
    hint = Paragraph(
        escape(
            _(
                "Scan the code, or open %(url)s and type the code, to say whether you are "
                "satisfied with the fix. No login, nothing about you is kept; the code works once."
            )
            % {"url": url}
        ),
        styles["hint"],
    )
    _w, used = hint.wrapOn(c, w - 2 * pad, h)
    hint.drawOn(c, x + pad, y + pad)


def _laid_out(fix: Fix, codes: list[str], url: str) -> bytes:
    styles = _styles()
    width, height = A4
    w, h = width / COLUMNS, height / ROWS
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    c.setTitle(f"{_('Evaluation slips')} · {fix.org.name}")
    c.setCreator("massline")
    for start in range(0, len(codes), PER_PAGE):
        c.setStrokeColor(colors.HexColor("#9e9e9e"))
        c.setDash(3, 3)
        c.setLineWidth(0.5)
        for col in range(1, COLUMNS):
            c.line(col * w, 0, col * w, height)
        for row in range(1, ROWS):
            c.line(0, row * h, width, row * h)
        c.setDash()
        for i, code in enumerate(codes[start : start + PER_PAGE]):
            col, row = i % COLUMNS, i // COLUMNS
            _slip(c, styles, fix, code, url, (col * w, height - (row + 1) * h, w, h))
        c.showPage()
    c.save()
    return buffer.getvalue()
