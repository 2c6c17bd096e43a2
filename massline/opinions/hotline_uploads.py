"""Uploaded hotline and petition files (decision 0021, "Hotline and petition import"):
written under `VAR_DIR/hotline-imports`, kept between the page's dry run and its
confirmation (a day at most), and `hotline_upload`, the import of an upload for the page and
the API."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from massline.members.roster_import.reading import ENCODINGS
from massline.orgs.models import Organization

from . import hotline_import as hotline_import_module
from .hotline_import import HotlineReport, hotline_import, too_large

if TYPE_CHECKING:
    from massline.accounts.models import User

#: A checked file not imported within this many seconds is removed.
KEEP_SECONDS = 24 * 3600


def _sweep(folder: Path) -> None:
    """Remove the files checked but never imported (older than KEEP_SECONDS)."""
    limit = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < limit:
                old.unlink()
        except OSError:
            pass  # removed meanwhile by another request


def keep_upload(chunks: Iterable[bytes], *, actor: User, file_name: str) -> Path:
    """Write an uploaded file where the import keeps it until it is checked and imported
    (`VAR_DIR/hotline-imports`); refused when larger than MAX_BYTES."""
    folder = Path(settings.VAR_DIR) / "hotline-imports"
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    suffix = Path(file_name).suffix.lower()
    ext = suffix if suffix in (".xlsx", ".xlsm", ".csv", ".xls", ".txt") else ""
    path = folder / f"{getattr(actor, 'pk', 0)}-{secrets.token_hex(8)}{ext}"
    size = 0
    with path.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > hotline_import_module.MAX_BYTES:
                out.close()
                path.unlink()
                raise too_large(file_name, size)
            out.write(chunk)
    return path


def kept_upload(*, actor: User, key: str) -> Path | None:
    """A file `keep_upload` wrote for `actor`, by the key the page gives back (its name)."""
    folder = Path(settings.VAR_DIR) / "hotline-imports"
    if not key or "/" in key or "\\" in key or not key.startswith(f"{actor.pk}-"):
        return None
    path = folder / key
    return path if path.is_file() else None


def hotline_upload(
    *,
    actor: User,
    org: Organization,
    chunks: Iterable[bytes],
    file_name: str,
    encoding: str = "auto",
    dry_run: bool = True,
    token: str = "",
    keep: bool = False,
) -> tuple[HotlineReport, Path | None]:
    """`hotline_import` of an uploaded file; the file is kept (and its path answered) only
    when `keep` is asked for and a dry run found nothing wrong, for the page to import it."""
    path = keep_upload(chunks, actor=actor, file_name=file_name)
    kept = False
    try:
        report = hotline_import(
            actor=actor,
            org=org,
            path=path,
            file_name=file_name,
            encoding=encoding if encoding in ENCODINGS else "auto",
            dry_run=dry_run,
            token=token,
        )
        kept = keep and dry_run and report.ok
    finally:
        if not kept:
            path.unlink(missing_ok=True)
    return report, path if kept else None
