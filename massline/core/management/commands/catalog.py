from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the translation catalogs (no gettext tools needed) and check they are complete."

    def add_arguments(self, parser):
        parser.add_argument("--compile", action="store_true", help="write the .mo files")
        parser.add_argument(
            "--check", action="store_true", help="fail on untranslated, fuzzy or broken entries"
        )

    def handle(self, *args, compile, check, **options):
        problems = []
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                catalog = polib.pofile(str(po_path))
                for entry in catalog:
                    if entry.obsolete:
                        continue
                    where = f"{po_path}:{entry.linenum}"
                    if "fuzzy" in entry.flags:
                        problems.append(f"{where}: fuzzy: {entry.msgid!r}")
                    elif not entry.translated():
                        problems.append(f"{where}: untranslated: {entry.msgid!r}")
                    elif "python-format" in entry.flags:
                        problems.extend(_placeholder_problems(entry, where))
                if compile:
                    catalog.save_as_mofile(str(po_path.with_suffix(".mo")))
                    self.stdout.write(f"compiled {po_path.with_suffix('.mo')}")
        if check:
            for p in problems:
                self.stderr.write(p)
            if problems:
                raise CommandError(f"{len(problems)} catalog problems")
            self.stdout.write("catalogs complete")


def _placeholders(text: str) -> set[str]:
    import re

    return set(re.findall(r"%\((\w+)\)[sdr]", text))


def _placeholder_problems(entry, where):
    wanted = _placeholders(entry.msgid)
    texts = [entry.msgstr] if entry.msgstr else list(entry.msgstr_plural.values())
    return [
        f"{where}: placeholders differ: {entry.msgid!r}"
        for t in texts
        if _placeholders(t) != wanted
    ]
