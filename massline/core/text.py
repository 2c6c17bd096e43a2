"""Names people type (an organization's name, later a campaign's title): what may be stored.

A name is one line that every screen, export and printout can show. Refused, by Unicode
general category (`unicodedata`, the Unicode version of the running Python):

- Cc control characters (tab, newline, the C1 controls), Zl and Zp line and paragraph
  separators: they break lines, cells and logs;
- Co private use and Cn unassigned code points: no standard font has them, so they show as
  boxes (□) everywhere;
- Cs surrogates: not characters at all (only reachable through broken encodings);
- Cf format characters, all of them: zero-width spaces and joiners, the byte order mark, the
  word joiner, soft hyphens and the bidirectional overrides are invisible, so they make two
  names that look the same compare different (a "unique" name that is not), and the overrides
  reorder what is shown. No organization name written in Chinese needs one. (Names written in
  Mongolian or Uyghur script would need U+180E, ZWJ and ZWNJ: allowing them then takes a
  uniqueness key that leaves them out, not just a shorter list here.)
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext_lazy as _

#: General categories a name may not contain, with the words an error uses for each.
REFUSED = {
    "Cc": _("a control character"),
    "Cf": _("an invisible formatting character"),
    "Co": _("a private-use character"),
    "Cn": _("an unassigned code point"),
    "Cs": _("a surrogate code point"),
    "Zl": _("a line separator"),
    "Zp": _("a paragraph separator"),
}


def clean_line(text: str) -> str:
    """`text` trimmed (Unicode spaces, the ideographic space included) and in the composed
    form (NFC), so that equal-looking names compare equal. Checks nothing."""
    return unicodedata.normalize("NFC", text).strip()


def first_unprintable(text: str) -> tuple[int, str, str] | None:
    """The first character `text` may not hold: (position from 1, "U+E000", what it is);
    None when every character may be shown."""
    for position, char in enumerate(text, start=1):
        category = unicodedata.category(char)
        if category in REFUSED:
            return position, f"U+{ord(char):04X}", str(REFUSED[category])
    return None
