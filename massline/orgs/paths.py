"""Materialized paths: each organization's path is its ancestors' keys and its own, each key
the organization's id in base 36, fixed width. A subtree is a range on one indexed column,
and the ancestors' ids are read from the path without a query."""

from __future__ import annotations

KEY_WIDTH = 6
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_KEY = 36**KEY_WIDTH - 1
# Sorts after every character of the alphabet (binary / "C" collation), closing a prefix range.
PATH_END = "~"


def encode_key(org_id: int) -> str:
    if not 0 < org_id <= MAX_KEY:
        raise ValueError(f"organization id {org_id} does not fit a path key")
    digits = []
    n = org_id
    while n:
        n, r = divmod(n, 36)
        digits.append(ALPHABET[r])
    return "".join(reversed(digits)).rjust(KEY_WIDTH, "0")


def decode_key(key: str) -> int:
    return int(key, 36)


def child_path(parent_path: str, org_id: int) -> str:
    return parent_path + encode_key(org_id)


def ancestor_ids(path: str, *, include_self: bool = True) -> list[int]:
    """Ids from the root down to this organization (or its parent)."""
    keys = [path[i : i + KEY_WIDTH] for i in range(0, len(path), KEY_WIDTH)]
    if not include_self:
        keys = keys[:-1]
    return [decode_key(k) for k in keys]


def depth_of(path: str) -> int:
    return len(path) // KEY_WIDTH - 1


def subtree_bounds(path: str) -> tuple[str, str]:
    """[low, high) of the paths in the subtree rooted at `path`, the root included."""
    return path, path + PATH_END
