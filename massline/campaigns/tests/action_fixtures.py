"""Shared by the actions' tests: evidence files of each kind, made in memory."""

from __future__ import annotations

import io
import zipfile

from massline.campaigns.models import Participation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
HTML = b"<!doctype html><html><body>not a pdf</body></html>"


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def upload(name: str, data: bytes) -> tuple[str, io.BytesIO]:
    return name, io.BytesIO(data)


def window(campaign, org) -> Participation:
    return Participation.objects.get(campaign=campaign, org=org)
