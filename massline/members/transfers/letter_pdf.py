"""The introduction letter as a PDF (reportlab), in the customary layout: 中国共产党党员组织关系
介绍信 with its number, the receiving organization, the member, the dues, the validity, the
issuing committee and date; a dashed cut line; the receipt stub (回执) with the same number.

The letter is the Party's Chinese form, filed by the receiving organization, so its words are
Chinese whatever the interface's language (and the font is CJK only). The font is reportlab's
built-in CID font STSong-Light: no font file to ship; PDF readers supply the glyphs."""

from __future__ import annotations

import io
import re

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from .letter import LetterContent

FONT = "STSong-Light"
_GENDERS = {"male": "男", "female": "女"}
_LINE = 8 * mm
_WIDTH, _HEIGHT = A4
_LEFT = 25 * mm
_RIGHT = _WIDTH - 25 * mm


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _date(d: object) -> str:
    return f"{d.year} 年 {d.month} 月 {d.day} 日"  # type: ignore[attr-defined]


def _lines(text: str, size: int) -> list[str]:
    """`text` cut into lines that fit between the margins (Chinese breaks anywhere; a run of
    Latin letters and digits, such as an ID number, is kept whole)."""
    width = _RIGHT - _LEFT
    lines: list[str] = []
    line = ""
    for token in re.findall(r"[0-9A-Za-z*\-]+|.", text):
        if line and pdfmetrics.stringWidth(line + token, FONT, size) > width:
            lines.append(line)
            line = token.lstrip()
        else:
            line += token
    return [*lines, line] if line else lines


def _paragraph(c: Canvas, y: float, text: str, size: int = 14) -> float:
    """A paragraph indented by two characters, wrapped; returns the next line's y."""
    c.setFont(_font(), size)
    for line in _lines("\u3000\u3000" + text, size):
        c.drawString(_LEFT, y, line)
        y -= _LINE
    return y


def _number(c: Canvas, y: float, number: str) -> None:
    c.setFont(_font(), 11)
    c.drawRightString(_RIGHT, y, f"第 {number} 号")


def letter_pdf(letter: LetterContent) -> bytes:
    """One A4 page: the letter, the cut line, the receipt stub."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setTitle(f"党员组织关系介绍信 {letter.number}")
    font = _font()
    y = _HEIGHT - 30 * mm
    c.setFont(font, 20)
    c.drawCentredString(_WIDTH / 2, y, "中国共产党党员组织关系介绍信")
    y -= 10 * mm
    _number(c, y, letter.number)
    y -= 12 * mm
    c.setFont(font, 14)
    c.drawString(_LEFT, y, f"{letter.to_org}：")
    y -= _LINE
    kind = "正式" if letter.full_member else "预备"
    y = _paragraph(
        c,
        y,
        f"兹介绍{letter.name}同志（{_GENDERS.get(letter.gender, '')}，{letter.age}岁，"
        f"{letter.ethnicity}），系中共{kind}党员，公民身份号码 {letter.id_number}，"
        f"由{letter.from_org}前往你处，请转接组织关系。",
    )
    dues = (
        f"{letter.dues_paid_to.year} 年 {letter.dues_paid_to.month} 月"
        if letter.dues_paid_to
        else "\u3000\u3000 年\u3000 月"
    )
    y = _paragraph(c, y, f"该同志党费已交到 {dues}。")
    y = _paragraph(c, y, f"（有效期 {letter.valid_days} 天）")
    y -= 8 * mm
    c.setFont(font, 14)
    c.drawRightString(_RIGHT, y, f"{letter.issuer}（盖章）")
    y -= _LINE
    c.drawRightString(_RIGHT, y, _date(letter.issued_on))
    # the cut line
    y -= 16 * mm
    c.setDash(4, 3)
    c.setLineWidth(0.6)
    c.line(15 * mm, y, _WIDTH - 15 * mm, y)
    c.setDash()
    c.setFont(font, 9)
    c.drawCentredString(_WIDTH / 2, y + 2 * mm, "（沿此线剪开）")
    # the receipt stub, returned to the issuing committee
    y -= 16 * mm
    c.setFont(font, 18)
    c.drawCentredString(_WIDTH / 2, y, "回\u3000执")
    y -= 10 * mm
    _number(c, y, letter.number)
    y -= 12 * mm
    c.setFont(font, 14)
    c.drawString(_LEFT, y, f"{letter.issuer}：")
    y -= _LINE
    y = _paragraph(c, y, f"{letter.name}同志的党员组织关系已转达我处，特此回执。")
    y -= 8 * mm
    c.setFont(font, 14)
    c.drawRightString(_RIGHT, y, f"{letter.to_org}（盖章）")
    y -= _LINE
    c.drawRightString(_RIGHT, y, "\u3000\u3000 年\u3000 月\u3000 日")
    c.showPage()
    c.save()
    return buf.getvalue()
