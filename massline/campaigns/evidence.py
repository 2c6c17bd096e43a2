"""Evidence files: checked by their content (the first bytes say what a file is, whatever its
name claims: an HTML page named .pdf is refused), at most `MAX_BYTES`, and stored under the
evidence folder (settings.EVIDENCE_DIR, by default VAR_DIR/evidence) by campaign and checksum.
Checking reads every file before anything is written; storing happens inside the recording
transaction and the caller removes what it stored when that transaction fails."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError

MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = 10

#: Allowed types: (content type, the file name endings it may have).
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "jpg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
}
ALLOWED_TEXT = "PDF, JPG, PNG, DOCX, XLSX"


@dataclass(frozen=True)
class Checked:
    name: str
    kind: str
    content_type: str
    data: bytes
    sha256: str


def evidence_root() -> Path:
    return Path(getattr(settings, "EVIDENCE_DIR", "") or Path(settings.VAR_DIR) / "evidence")


def sniff(data: bytes) -> str | None:
    """The allowed type the bytes are, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return None


def _office(data: bytes) -> str | None:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return None


def _refuse(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, field="attachments")


def check(files: list[tuple[str, IO[bytes] | Any]]) -> list[Checked]:
    """Read and check each (name, file object); a refusal names the file."""
    if len(files) > MAX_FILES:
        raise _refuse(
            _("At most %(n)s files may be attached to one completion.") % {"n": MAX_FILES},
            "too_many_files",
        )
    out = []
    for name, handle in files:
        name = Path(str(name or "file")).name[:200]
        size = getattr(handle, "size", None)
        if size is not None and size > MAX_BYTES:
            raise _too_big(name, size)
        data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise _too_big(name, len(data))
        kind = sniff(data)
        if kind is None:
            raise _refuse(
                _(
                    "The file %(name)s is not a PDF, image or Office document by its content "
                    "(allowed: %(types)s)."
                )
                % {"name": name, "types": ALLOWED_TEXT},
                "evidence_type",
            )
        content_type, endings = TYPES[kind]
        if not name.lower().endswith(endings):
            raise _refuse(
                _("The file %(name)s is named as another type than its content (%(kind)s).")
                % {"name": name, "kind": kind.upper()},
                "evidence_name",
            )
        out.append(Checked(name, kind, content_type, data, hashlib.sha256(data).hexdigest()))
    return out


def _too_big(name: str, size: int) -> ApplicationError:
    return _refuse(
        _("The file %(name)s is %(size)s MB; a file may be at most %(max)s MB.")
        % {"name": name, "size": f"{size / 1048576:.1f}", "max": MAX_BYTES // 1048576},
        "evidence_too_big",
    )


def store(folder: int | str, checked: Checked) -> str:
    """Write the file (once per content) and return its path under the evidence folder, in
    `folder` (a campaign's id, or another domain's name)."""
    relative = f"{folder}/{checked.sha256[:2]}/{checked.sha256}.{checked.kind}"
    target = evidence_root() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(checked.data)
        partial.replace(target)
    return relative


def path_of(stored: str) -> Path:
    root = evidence_root().resolve()
    path = (root / stored).resolve()
    if root not in path.parents:
        raise ValueError(f"evidence path outside its folder: {stored!r}")
    return path
