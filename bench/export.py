"""Benchmark of the member export: rows per second of a roster written as CSV and as xlsx
(massline.members.roster_export, as `export-members` and the export job write it), masked and with
full numbers (decrypted), on the database the environment names (DATABASE_URL and
MASSLINE_VAR_DIR, as for `massline`): e.g. after `make demo` (50,000 members).

Exports the subtree of --org (default: the first root organization), at most --limit rows
(default: all), into a temporary directory, and prints one JSON object per run, then
nothing else; progress goes to stderr. Peak RSS is the process's, Django start-up included.

    .venv/bin/python bench/export.py [--org CODE] [--limit N] [--formats csv,xlsx]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, emit, log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--org", default=None, help="organization code (default: a root)")
    parser.add_argument("--limit", type=int, default=None, help="export at most N members")
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from massline.members import roster_export as export
    from massline.members.models import Member
    from massline.members.selectors import MemberFilter, filter_members
    from massline.orgs.models import Organization

    orgs = Organization.objects.order_by("path")
    org = orgs.filter(code=args.org).first() if args.org else orgs.first()
    if org is None:
        raise SystemExit("no such organization (is the database loaded? `make demo`)")
    members = filter_members(Member.objects.all(), MemberFilter(org=org))
    if args.limit:
        # The keyset needs a queryset, not a slice: stop at the limit's last (path, id).
        last = members.order_by("org_path", "id").values_list("org_path", "id")[
            args.limit - 1 : args.limit
        ]
        edge = list(last)
        if edge:
            path, pk = edge[0]
            from django.db.models import Q

            members = members.filter(Q(org_path__lt=path) | Q(org_path=path, id__lte=pk))
    total = members.count()
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats.split(","):
            for full in (False, True):
                target = Path(tmp) / f"members.{fmt}"
                log(f"{fmt} {'full' if full else 'masked'}: {total} members ...")
                started = time.perf_counter()
                count = export.write_file(export.iter_rows(members, full_numbers=full), target, fmt)
                seconds = time.perf_counter() - started
                emit(
                    {
                        "bench": f"export_{fmt}_{'full' if full else 'masked'}",
                        "database": connection.vendor,
                        "org": org.code,
                        "rows": count,
                        "seconds": round(seconds, 2),
                        "rows_per_s": round(count / seconds) if seconds else None,
                        "bytes": target.stat().st_size,
                        "peak_rss_mib": round(
                            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                        ),
                        "batch": export.batch_size(),
                    }
                )


if __name__ == "__main__":
    main()
