"""Finding the receiving organization by the words people type (decision 0006): the party's
own synonyms folded (党支部 finds 支部委员会, 党委 finds 委员会, 党总支 finds 总支部委员会, and
back), traditional characters and full width folded, and pinyin initials ("glbc" finds
中共古路板村支部委员会).

Names are matched in SQL (a few `contains`, one per spelling of the query). Pinyin initials
are not stored: the initials of every organization that may hold members are computed once per
process from a per-character table (pypinyin's usual reading of each character; names with a
character read differently in words, such as 银行, also as phrases) and kept until an organization of those kinds is added, removed or
changed (a count and the latest `updated_at`, one aggregate query per search). At 70,000
organizations building them takes well under a second and a search a few milliseconds
(`bench/orgsearch.py`, docs/benchmarks.md)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Max, Q, QuerySet

from massline.core.normalize import fold_for_search
from massline.orgs.models import Organization

#: Pairs of spellings of one kind of organization, the longer first within a family.
SYNONYMS: tuple[tuple[str, str], ...] = (
    ("党总支", "总支部委员会"),
    ("党支部", "支部委员会"),
    ("党委", "委员会"),
)
_MAX_SPELLINGS = 8
#: How many initials matches are checked against the caller's queryset at a time.
_CHUNK = 500


def spellings(query: str) -> list[str]:
    """The query and its spellings with each synonym swapped for the other, both ways."""
    found = [query]
    for typed, stored in SYNONYMS:
        for text in list(found):
            for a, b in ((typed, stored), (stored, typed)):
                if a in text:
                    variant = text.replace(a, b)
                    if variant not in found:
                        found.append(variant)
    return found[:_MAX_SPELLINGS]


#: Characters whose reading in a name depends on the word (银行 hang, 行政 xing): names with one
#: are also read as phrases (pypinyin's phrase table), which is slower, so only for them.
POLYPHONES = frozenset("行长重乐单朝曾藏调传都发")


@lru_cache(maxsize=20000)
def _initial_of(char: str) -> str:
    """The initial letter of a character's usual reading; the character itself, lower-cased,
    when it is not Chinese."""
    if not "\u3400" <= char <= "\u9fff":
        return char.lower() if char.isalnum() else ""
    from pypinyin import Style, lazy_pinyin

    reading = lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore")
    return reading[0][:1].lower() if reading and reading[0] else ""


def initials(name: str) -> tuple[str, ...]:
    """The name's pinyin initials, each character by its usual reading; for a name with a
    character read differently in words (银行), also the initials of its reading as phrases."""
    usual = "".join(_initial_of(c) for c in name)
    if POLYPHONES.isdisjoint(name):
        return (usual,)
    from pypinyin import Style, lazy_pinyin

    phrased = "".join(
        p[:1].lower() for p in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore") if p
    )
    return (usual,) if phrased == usual else (usual, phrased)


@dataclass(frozen=True)
class _Index:
    stamp: tuple[int, str]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (org id, initials), in code order


_index: _Index | None = None
_lock = threading.Lock()


def _stamp(qs: QuerySet[Organization]) -> tuple[int, str]:
    agg = qs.aggregate(n=Count("pk"), last=Max("updated_at"))
    return (agg["n"], str(agg["last"]))


def initials_index(kinds: tuple[str, ...]) -> _Index:
    """The organizations of these kinds with their initials, built when stale."""
    global _index
    qs = Organization.objects.filter(kind__in=kinds)
    stamp = _stamp(qs)
    index = _index
    if index is not None and index.stamp == stamp:
        return index
    with _lock:
        if _index is not None and _index.stamp == stamp:
            return _index
        rows = tuple(
            (pk, initials(name))
            for pk, name in qs.order_by("code").values_list("pk", "name").iterator(5000)
        )
        _index = _Index(stamp, rows)
        return _index


def is_initials(query: str) -> bool:
    return len(query) >= 2 and query.isascii() and query.isalpha()


def org_search(
    *, query: str, candidates: QuerySet[Organization], kinds: tuple[str, ...], limit: int
) -> list[Organization]:
    """Up to `limit` organizations of `candidates` (already restricted to `kinds` and scoped by
    the caller) whose code starts with the query, whose name contains it in any of its
    spellings, or whose pinyin initials contain it; in code order."""
    text = fold_for_search(query)
    if len(text) < 2:
        return []
    cond = Q(pk__in=[])
    for spelling in spellings(text):
        cond |= Q(name__contains=spelling)
    code = text.split(" ")[0].upper()
    if code.replace("-", "").isalnum() and code.isascii():
        cond |= Q(code__startswith=code)
    found = list(candidates.filter(cond).order_by("code")[:limit])
    if len(found) >= limit or not is_initials(text):
        return found
    seen = {o.pk for o in found}
    hits = [
        pk
        for pk, names in initials_index(kinds).rows
        if pk not in seen and any(text in n for n in names)
    ]
    for start in range(0, len(hits), _CHUNK):
        more = candidates.filter(pk__in=hits[start : start + _CHUNK]).order_by("code")
        found += list(more[: limit - len(found)])
        if len(found) >= limit:
            break
    return sorted(found, key=lambda o: o.code)
