"""Following an opinion already raised (issue 11, item 3; decision 0021, "Following an opinion
already raised"): before a new opinion is stored, the box shows the open opinions of its
subtree most like it, and the submitter may follow one of them instead: they get a receipt
code on that opinion and nothing new is stored.

What the public sees of other people's opinions is kept small: only opinions staff have
already seen (dispatched, returned or being handled; never one still `received`), an excerpt
of at most `EXCERPT` characters with every run of five digits or more masked (phone and ID
numbers), the day received and the status in the submitter's words; nothing about who sent
them. A follow is refused unless the opinion is among those the same text finds, so nobody can
attach a receipt to an opinion of their choice by its id and read it through tracking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.orgs.models import Organization

from . import similar
from .intake_services import clean_text
from .models import Opinion, OpinionStatus
from .receipts import receipt_create
from .tracking import PUBLIC_STATUS, status_labels

#: The open statuses of opinions staff have seen, the only ones shown to the public.
SEEN = (OpinionStatus.DISPATCHED.value, OpinionStatus.RETURNED.value, OpinionStatus.HANDLING.value)
#: The most characters of an opinion's text shown to the public.
EXCERPT = 60
#: How many alike opinions are offered (few: a short page on a phone, few texts shown).
LIMIT = 3
# five digits or more (half or full width, or Chinese numerals), spaces and dashes between
# them allowed: 13800138000, 138-0013-8000, 一三八〇〇一三八〇〇〇
_DIGIT = r"[0-9０-９〇零一二三四五六七八九]"
_NUMBER = re.compile(rf"{_DIGIT}(?:[ \t\-－]*{_DIGIT}){{4,}}")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Alike:
    """What the public is shown of an opinion like theirs."""

    id: int
    excerpt: str
    status: str
    status_label: str
    received_on: Any


def excerpt(text: str) -> str:
    """At most `EXCERPT` characters of `text` on one line, numbers of five digits or more
    masked (before the cut, so a number cut in two is masked too)."""
    one_line = _SPACES.sub(" ", text).strip()
    masked = _NUMBER.sub(lambda m: re.sub(_DIGIT, "*", m.group()), one_line)
    if len(masked) <= EXCERPT:
        return masked
    return masked[: EXCERPT - 1] + "…"


def alike(org: Organization, text: Any) -> list[Alike]:
    """The opinions staff have seen in `org`'s subtree most like `text`, best first."""
    labels = status_labels()
    found = []
    for hit in similar.candidates(org, str(text or ""), limit=LIMIT, statuses=SEEN):
        status = PUBLIC_STATUS.get(hit.opinion.status, "handling")
        found.append(
            Alike(
                id=hit.opinion.pk,
                excerpt=excerpt(hit.opinion.text),
                status=status,
                status_label=labels[status],
                received_on=hit.opinion.received_on,
            )
        )
    return found


def _refused() -> ApplicationError:
    return ApplicationError(
        _(
            "This opinion cannot be followed: it is not among the open opinions like yours "
            "(it may have been closed or merged meanwhile). Send yours as a new opinion."
        ),
        code="not_followable",
        field="follow",
    )


def opinion_follow(*, org: Organization, opinion_id: Any, text: Any) -> tuple[Opinion, str]:
    """A receipt code on the opinion `opinion_id` for someone whose opinion `text` is the same
    matter; the opinion followed and the code (shown once). Refused unless the same search
    offers that opinion for `text` in `org`'s box. Writes one receipt and nothing else: no
    audit row, no notice, nothing about the follower."""
    value = clean_text(text)
    try:
        pk = int(opinion_id)
    except (ValueError, TypeError, OverflowError):
        raise _refused() from None
    # the search (15 to 30 ms) runs before the transaction: on SQLite a transaction holds
    # the database's write lock from its first statement, and every submission waits for it
    if pk not in {a.id for a in alike(org, value)}:
        raise _refused()
    with transaction.atomic():
        opinion = Opinion.objects.select_for_update().filter(pk=pk, status__in=SEEN).first()
        if opinion is None:  # closed or merged since the search
            raise _refused()
        return opinion, receipt_create(opinion)


def followers(opinion: Opinion) -> int:
    """How many people follow `opinion` besides the one who raised it (its other receipts)."""
    return max(0, opinion.receipts.count() - 1)
