"""The opinion box poster (issue 11, item 1; decision 0021): an A4 page with the organization's
name, a title, what happens to an opinion, and a QR code of the organization's public opinion
box, as a PDF to print and as a PNG to send in a chat.

The PDF is laid out once with reportlab, in Noto Sans SC (a TrueType font installed at
set-up from the npm registry, `settings.POSTER_FONT_DIR`), embedded as a subset of the
characters used: the page looks the same in any viewer and on any printer, with or without
Chinese fonts of its own. The PNG is that PDF rasterized with PDFium (pypdfium2), so the two
never differ. The QR code (segno, error correction M) is drawn as vector squares.

The box's address is `BOX_PATH` under `settings.PUBLIC_URL` (or the host of the request):
printed posters hang on walls for years, so the address is fixed here and the portal's route
must keep it.
"""

from __future__ import annotations

import functools
import io
import threading
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from massline.orgs.models import Organization

__all__ = [
    "BOX_PATH",
    "LAYOUT",
    "PNG_DPI",
    "box_url",
    "draw_qr",
    "fonts",
    "missing_characters",
    "poster_pdf",
    "poster_png",
    "public_url",
]

#: The public opinion box of an organization (massline.portal serves it).
BOX_PATH = "/p/o/{org_id}/"
#: The PNG's resolution: A4 at 150 dpi is 1240 × 1754 pixels.
PNG_DPI = 150

RED = colors.HexColor("#b71c1c")
INK = colors.HexColor("#212121")
GREY = colors.HexColor("#616161")
REGULAR, BOLD = "NotoSansSC", "NotoSansSC-Bold"
_FILES = {
    REGULAR: "400Regular/NotoSansSC_400Regular.ttf",
    BOLD: "700Bold/NotoSansSC_700Bold.ttf",
}
# PDFium is not thread-safe; reportlab keeps per-document state in its shared font objects.
# Posters are made rarely, by staff: one at a time per process.
_PDFIUM = threading.Lock()
LAYOUT = threading.Lock()


def box_url(org: Organization, request: HttpRequest | None = None) -> str:
    """The absolute address of the organization's opinion box, which the QR code holds."""
    return public_url(BOX_PATH.format(org_id=org.pk), request)


def public_url(path: str, request: HttpRequest | None = None) -> str:
    """The absolute address of a public page (`path` from the root), for a printed QR code:
    under `settings.PUBLIC_URL`, or the request's host when that is not set."""
    if settings.PUBLIC_URL:
        if not settings.PUBLIC_URL.startswith(("https://", "http://")):
            # a phone reads "yijian.example.gov.cn/p/o/1/" as text, not as a link
            raise ImproperlyConfigured("MASSLINE_PUBLIC_URL must start with https:// or http://")
        return settings.PUBLIC_URL + path
    if request is None:
        raise ImproperlyConfigured("MASSLINE_PUBLIC_URL is not set and there is no request")
    return request.build_absolute_uri(path)


@functools.cache
def fonts() -> tuple[str, str]:
    for name, file in _FILES.items():
        path = settings.POSTER_FONT_DIR / file
        if not path.is_file():
            raise ImproperlyConfigured(f"the poster font {path} is missing: run `make setup`")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
    return REGULAR, BOLD


def missing_characters(text: str) -> list[str]:
    """The characters of `text` that the poster's font lacks (a rare character of a place
    name, an emoji), each once: the poster shows an empty box for each."""
    lacking: list[str] = []
    for name in fonts():
        glyphs = pdfmetrics.getFont(name).face.charToGlyph
        for char in text:
            if ord(char) not in glyphs and not char.isspace() and char not in lacking:
                lacking.append(char)
    return lacking


def _wrapped(
    c: Canvas, text: str, style: ParagraphStyle, width: float, lines: int = 0
) -> tuple[Paragraph, float]:
    """`text` (markup) wrapped to `width`, and its height; with `lines`, at the largest size
    from the style's down that keeps it to that many lines."""
    size = style.fontSize
    while True:
        if lines:
            style = ParagraphStyle("fitted", parent=style, fontSize=size, leading=size * 1.25)
        para = Paragraph(text, style)
        _w, height = para.wrapOn(c, width, 10_000)
        if not lines or height <= lines * style.leading + 1 or size <= 10:
            return para, float(height)
        size -= 1


def draw_qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code as black squares on white, `size` wide including its quiet zone, with its
    bottom left corner at (x, y); one run of dark modules per rectangle."""
    matrix = segno.make(url, error="m", micro=False).matrix
    modules = len(matrix) + 8  # a quiet zone of 4 modules each side
    unit = size / modules
    c.setFillColor(colors.white)
    c.rect(x, y, size, size, stroke=0, fill=1)
    path = c.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 4 + 1) * unit
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                path.rect(x + (start + 4) * unit, top, (col - start) * unit, unit)
            col += 1
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    center = {"alignment": TA_CENTER, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=60, textColor=colors.white, **center
        ),
        "org": ParagraphStyle("org", fontName=bold, fontSize=26, textColor=colors.white, **center),
        "call": ParagraphStyle("call", fontName=bold, fontSize=22, leading=30, **center),
        "url": ParagraphStyle(
            "url", fontName=regular, fontSize=9, leading=12, textColor=GREY, **center
        ),
        "head": ParagraphStyle("head", fontName=bold, fontSize=14, leading=20, textColor=RED),
        "body": ParagraphStyle(
            "body", fontName=regular, fontSize=11.5, leading=18, textColor=INK, wordWrap="CJK"
        ),
        "foot": ParagraphStyle(
            "foot", fontName=regular, fontSize=8, leading=10, textColor=GREY, **center
        ),
    }


def _points(org: Organization) -> list[tuple[str, str]]:
    name = escape(org.name)
    return [
        (
            _("No login; you may stay anonymous"),
            escape(
                _(
                    "You need no account. An anonymous opinion keeps nothing that could tell who "
                    "you are: no name, no telephone number, no device. You may also leave your "
                    "name and contact details so that we can reach you; they are kept encrypted."
                )
            ),
        ),
        (
            _("Keep your receipt code"),
            escape(
                _(
                    "When you submit, you are given a receipt code. Write it down or take a "
                    "screenshot: with it, and only with it, you can follow your opinion, read the "
                    "reply and say whether the matter was solved."
                )
            ),
        ),
        (
            _("What happens next"),
            escape(
                _(
                    "%(org)s receives your opinion and assigns it to the organization responsible, "
                    "with a time limit. That organization handles it and replies; a matter not "
                    "handled in time is raised to the level above."
                )
            )
            % {"org": name},
        ),
    ]


def poster_pdf(org: Organization, url: str) -> bytes:
    """The poster as a one-page A4 PDF, its fonts embedded. Everything is measured first:
    the red band grows with a long name, the QR code takes what room the text leaves."""
    with LAYOUT:
        return _laid_out(org, url)


def _laid_out(org: Organization, url: str) -> bytes:
    styles = _styles()
    width, height = A4
    margin = 18 * mm
    inner = width - 2 * margin
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    c.setTitle(f"{_('Opinions wanted')} · {org.name}")
    c.setCreator("massline")
    # measure
    title = _wrapped(c, escape(_("Opinions wanted")), styles["title"], inner, lines=1)
    name = _wrapped(c, escape(org.name), styles["org"], inner, lines=2)
    call = _wrapped(c, escape(_("Scan the code to give your opinion")), styles["call"], inner)
    address = escape(_("Or open in a browser: %(url)s")) % {"url": escape(url)}
    link = _wrapped(c, address, styles["url"], inner)
    points = [
        (
            _wrapped(c, f"{number}. {escape(head)}", styles["head"], inner),
            _wrapped(c, body, styles["body"], inner - 5 * mm),
        )
        for number, (head, body) in enumerate(_points(org), start=1)
    ]
    foot = escape(_("Organization code: %(code)s")) % {"code": escape(org.code)}
    footer = _wrapped(c, foot, styles["foot"], inner)
    band = 14 * mm + title[1] + 3 * mm + name[1] + 9 * mm
    text = sum(head[1] + body[1] + 3 * mm for head, body in points)
    room = height - band - 8 * mm - call[1] - 3 * mm - link[1] - 11 * mm - text - 20 * mm
    qr_size = max(min(92 * mm, room), 50 * mm)
    # draw, from the top
    c.setFillColor(RED)
    c.rect(0, height - band, width, band, stroke=0, fill=1)
    top = height - 14 * mm
    for para, used in (title, name):
        para.drawOn(c, margin, top - used)
        top -= used + 3 * mm
    top = height - band - 8 * mm
    call[0].drawOn(c, margin, top - call[1])
    top -= call[1] + 3 * mm
    draw_qr(c, url, (width - qr_size) / 2, top - qr_size, qr_size)
    top -= qr_size
    link[0].drawOn(c, margin, top - link[1])
    top -= link[1] + 5 * mm
    c.setStrokeColor(RED)
    c.setLineWidth(0.8)
    c.line(margin, top, width - margin, top)
    top -= 6 * mm
    for (head, head_height), (body, body_height) in points:
        head.drawOn(c, margin, top - head_height)
        top -= head_height
        body.drawOn(c, margin + 5 * mm, top - body_height)
        top -= body_height + 3 * mm
    footer[0].drawOn(c, margin, 10 * mm)
    c.showPage()
    c.save()
    return buffer.getvalue()


def poster_png(org: Organization, url: str, *, dpi: int = PNG_DPI) -> bytes:
    """The poster as a PNG: the PDF rasterized at `dpi`."""
    import pypdfium2

    pdf = poster_pdf(org, url)
    with _PDFIUM:
        document = pypdfium2.PdfDocument(pdf)
        try:
            image = document[0].render(scale=dpi / 72).to_pil()
        finally:
            document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    return out.getvalue()
