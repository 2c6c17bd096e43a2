import polib
import pytest
from django.core.management import CommandError, call_command


def _write_po(path, entries):
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=1; plural=0;",
    }
    for entry in entries:
        po.append(entry)
    path.parent.mkdir(parents=True)
    po.save(str(path))


def test_shipped_catalog_is_complete():
    # given the project's own catalog / when checked / then it passes
    call_command("catalog", "--check")


@pytest.mark.parametrize(
    "entry",
    [
        polib.POEntry(msgid="Sign in", msgstr=""),
        polib.POEntry(msgid="Sign in", msgstr="登录", flags=["fuzzy"]),
        polib.POEntry(msgid="%(n)d left", msgstr="剩余 %(m)d", flags=["python-format"]),
    ],
    ids=["untranslated", "fuzzy", "placeholder-mismatch"],
)
def test_catalog_check_fails_on_incomplete_entries(tmp_path, settings, entry):
    # given a catalog with one bad entry
    _write_po(tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.po", [entry])
    settings.LOCALE_PATHS = [tmp_path]
    # when / then
    with pytest.raises(CommandError):
        call_command("catalog", "--check")


def test_catalog_compile_writes_mo(tmp_path, settings):
    # given
    po_path = tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.po"
    _write_po(po_path, [polib.POEntry(msgid="Sign in", msgstr="登录")])
    settings.LOCALE_PATHS = [tmp_path]
    # when
    call_command("catalog", "--compile")
    # then
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    assert mo.find("Sign in").msgstr == "登录"
