"""Possible duplicates (issue 11, item 3; decision 0021): how alike two short Chinese texts
are, whatever their script (traditional or simplified), width (full or half) and
punctuation, and the open opinions of a subtree most like a new text.

The method, measured on paraphrased complaints in tests/test_similar.py: a text is folded
(`fold`: NFKC, traditional to simplified and full width to half width through
`core.normalize.fold_for_search`, lower case, then only letters and digits kept), then taken as
the set of its characters and character bigrams; two texts score the Sørensen–Dice overlap of
those sets, which rapidfuzz computes as the normalized Indel similarity of the two sets in
sorted order (the longest common subsequence of two sorted sets is their intersection).
Characters alone make any two long texts look alike (they share the common characters);
bigrams alone miss a complaint worded differently; together they keep both apart. No word
segmentation: opinions are short and full of place names and local words a dictionary lacks.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Indel

from massline.core.normalize import fold_for_search
from massline.orgs.models import Organization
from massline.orgs.paths import subtree_q

from .counters import OPEN
from .models import Opinion

__all__ = ["DEFAULT_THRESHOLD", "RECENT", "Similar", "candidates", "fold", "grams", "score"]

#: How many of a subtree's open opinions, the most recent by id, a new text is compared with.
RECENT = 500
#: The least score suggested: paraphrases of one complaint scored 0.29 and more in the tests,
#: different complaints about the same place 0.25 and less but for one short pair (0.33).
DEFAULT_THRESHOLD = 0.28


@dataclass(frozen=True)
class Similar:
    """An open opinion like the text asked about, and how alike they are (0..1)."""

    opinion: Opinion
    score: float


def _kept(char: str) -> bool:
    # letters (Han characters, rare ones included) and digits; no punctuation, symbols,
    # emoji, spaces or marks
    return unicodedata.category(char)[0] in "LN"


def fold(text: str) -> str:
    """The text as duplicates compare it (what `Opinion.text_folded` holds): simplified,
    half width, lower case, letters and digits only. 「幸福小區門口，路燈壞了！！😡」 and
    "幸福小区门口路灯坏了" fold alike."""
    folded = fold_for_search(unicodedata.normalize("NFKC", text))
    return "".join(filter(_kept, folded))


def grams(folded: str) -> list[str]:
    """The sorted set of a folded text's characters and character bigrams."""
    return sorted({*folded, *(folded[i : i + 2] for i in range(len(folded) - 1))})


def _dice(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    return float(Indel.normalized_similarity(a, b))


def score(a_folded: str, b_folded: str) -> float:
    """How alike two folded texts are, 0 (nothing shared, or one is empty) to 1 (the same
    characters and bigrams)."""
    return _dice(grams(a_folded), grams(b_folded))


def candidates(
    org: Organization,
    text: str,
    *,
    limit: int = 5,
    threshold: float = DEFAULT_THRESHOLD,
    exclude: int | None = None,
    statuses: tuple[str, ...] = OPEN,
) -> list[Similar]:
    """The open opinions (received, dispatched, returned, being handled) addressed to `org` or
    an organization below it that are most like `text`, best first: at most `limit`, each
    scoring `threshold` or more, among the subtree's `RECENT` most recent open opinions.
    `exclude`: an opinion's id left out (the one being triaged). `statuses`: the statuses
    looked among instead of every open one (the portal shows only those staff have seen).
    Two queries."""
    query = grams(fold(text))
    if not query or limit <= 0:
        return []
    recent = Opinion.objects.filter(subtree_q("org_path", org.path), status__in=statuses)
    if exclude is not None:
        recent = recent.exclude(pk=exclude)
    rows = list(recent.order_by("-id").values_list("id", "text_folded")[:RECENT])
    if not rows:
        return []
    found = process.extract(
        query,
        [grams(folded) for _pk, folded in rows],
        scorer=Indel.normalized_similarity,  # the query is not empty: an empty row scores 0
        score_cutoff=threshold,
        limit=limit,
    )
    # best first; among equal scores, the most recent first (rows are newest first)
    found.sort(key=lambda hit: (-hit[1], hit[2]))
    opinions = Opinion.objects.in_bulk([rows[index][0] for _g, _s, index in found])
    return [Similar(opinions[rows[index][0]], round(s, 4)) for _g, s, index in found]
