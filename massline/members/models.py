from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from massline.core.collation import KEY_LENGTH
from massline.core.fields import BytewiseCharField, PathField
from massline.core.reference import ETHNIC_GROUPS
from massline.orgs.models import Organization


class Gender(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", _("probationary member")
    FULL = "full", _("full member")


class Category(models.TextChoices):
    EMPLOYED = "employed", _("employed")
    RETIRED = "retired", _("retired")
    FARMER_HERDER = "farmer_herder", _("farmer or herder")
    STUDENT = "student", _("student")
    OTHER = "other", _("other")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("postgraduate")
    UNIVERSITY = "university", _("bachelor's degree")
    COLLEGE = "college", _("junior college")
    SECONDARY = "secondary", _("senior secondary")
    JUNIOR = "junior", _("junior secondary")
    PRIMARY = "primary", _("primary or below")


class Position(models.TextChoices):
    SECRETARY = "secretary", _("branch secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("deputy secretary")
    COMMITTEE_MEMBER = "committee_member", _("committee member")


class Mobility(models.TextChoices):
    OUTFLOW = "outflow", _("outflow (lives elsewhere)")
    INFLOW = "inflow", _("inflow (from elsewhere)")


#: A member's person and roster columns, in the order the bulk paths write them (the roster
#: import's staging table, the generator's rows): they start their rows with these.
BULK_PERSON_COLUMNS = (
    "org_id",
    "org_path",
    "name",
    "name_folded",
    "name_key",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number_enc",
    "id_number_hash",
    "id_masked",
    "id_tail",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "education",
    "category",
    "join_date",
    "full_date",
    "status",
)


class Member(models.Model):
    """A party member, held by a branch (`org`). The ID number and phone are stored encrypted,
    with a keyed hash for uniqueness and exact search, and a masked form for display."""

    org = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    org_path = PathField(max_length=255)
    name = models.CharField(_("Full name"), max_length=64)
    name_folded = BytewiseCharField(max_length=64)  # simplified, for search
    # pinyin order, for lists sorted by name (core.collation)
    name_key = BytewiseCharField(max_length=KEY_LENGTH, default="", db_default="")
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=ETHNIC_GROUPS)
    birth_date = models.DateField(_("birth date"))
    id_number_enc = models.TextField()
    id_number_hash = BytewiseCharField(max_length=64)
    id_masked = models.CharField(_("citizen ID number"), max_length=18)
    id_tail = BytewiseCharField(max_length=4)
    phone_enc = models.TextField(blank=True, default="")
    phone_hash = BytewiseCharField(max_length=64, blank=True, default="")
    phone_masked = models.CharField(_("phone"), max_length=11, blank=True, default="")
    education = models.CharField(
        _("education"), max_length=16, choices=Education.choices, blank=True, default=""
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    join_date = models.DateField(_("join date"))
    full_date = models.DateField(_("full-membership date"), null=True, blank=True)
    status = models.CharField(_("member status"), max_length=16, choices=MemberStatus.choices)
    party_group = models.CharField(
        _("party group"), max_length=64, blank=True, default="", db_default=""
    )
    position = models.CharField(
        _("branch position"),
        max_length=24,
        choices=Position.choices,
        blank=True,
        default="",
        db_default="",
    )
    # Mobility: an outflow member lives elsewhere; an inflow member comes from elsewhere and
    # takes part at a local organization (流入地为主、流出地为辅).
    mobility = models.CharField(
        _("mobility"), max_length=8, choices=Mobility.choices, blank=True, default=""
    )
    mobility_place = models.CharField(_("where"), max_length=128, blank=True, default="")
    mobility_since = models.DateField(_("since"), null=True, blank=True)
    mobility_contact = models.CharField(
        _("contact"), max_length=128, blank=True, default="", db_default=""
    )
    attached_org = models.ForeignKey(
        Organization,
        verbose_name=_("takes part at"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attached_members",
        db_index=False,  # a partial index below: only inflow members have one
    )
    lost_contact = models.BooleanField(_("lost contact"), default=False)
    lost_since = models.DateField(_("lost contact since"), null=True, blank=True)
    lost_notes = models.TextField(_("tracing notes"), blank=True, default="", db_default="")
    found_on = models.DateField(_("found again on"), null=True, blank=True)
    # The database defaults serve a first load (importer), which copies rows in without them.
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        # Indexes are declared here rather than with db_index/unique on the fields: on
        # PostgreSQL those also add a pattern-matching (LIKE) index per text column, which no
        # query of ours uses and every insert pays for. Only what a query uses is indexed:
        # searches by name (name_folded LIKE '%…%') and by the ID number's last digits
        # (id_tail LIKE '%…') look within a subtree's rows, found by the path, and no b-tree
        # serves them; every index costs a province's first load about a second.
        indexes = [
            # Lists of a subtree in a stable order: a range on the path, keyset on (path, id).
            models.Index(fields=["org_path", "id"], name="member_path_id"),
            # Lists sorted by name (pinyin) or by join date: keyset on (key, id).
            models.Index(fields=["name_key", "id"], name="member_name_key_id"),
            models.Index(fields=["join_date", "id"], name="member_join_date_id"),
            models.Index(
                fields=["org_path", "id"],
                name="member_lost_path_id",
                condition=Q(lost_contact=True),
            ),
            models.Index(
                fields=["org_path", "id"], name="member_mobile_path_id", condition=~Q(mobility="")
            ),
            models.Index(
                fields=["attached_org"],
                name="member_attached_org",
                condition=Q(attached_org__isnull=False),
            ),
        ]
        constraints = [
            # One roster entry per person: the ID number's lookup hash. Written as an
            # expression so that it is a unique index on both databases, which a first load
            # drops and builds once afterwards; SQLite cannot drop a constraint declared in
            # its table, and maintained row by row it cost a first load seconds.
            models.UniqueConstraint(F("id_number_hash"), name="member_id_number_unique"),
            models.CheckConstraint(
                condition=Q(full_date__isnull=True) | Q(full_date__gte=models.F("join_date")),
                name="member_full_after_join",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberEventKind(models.TextChoices):
    JOINED_ROSTER = "joined_roster", _("entered in the roster")
    STATUS = "status", _("status changed")
    MOBILITY = "mobility", _("mobility changed")
    LOST = "lost", _("lost contact")
    FOUND = "found", _("found again")
    UPDATED = "updated", _("details changed")
    TRANSFERRED = "transferred", _("transferred to another organization")


class HistoryEntry(models.Model):
    """What a history entry says: what happened, when, by whom. Sensitive values are never
    stored here in clear (masked forms only)."""

    kind = models.CharField(max_length=24, choices=MemberEventKind.choices)
    on = models.DateField(_("date"))
    detail = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-on", "-id"]


class MemberEvent(HistoryEntry):
    """An entry of one member's history."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events")

    class Meta(HistoryEntry.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.on}"


class MemberEventRange(HistoryEntry):
    """One history entry shared by every member whose id lies in [first_id, last_id]: a load
    that enters many members at once (a province's first roster import) records their entry
    once, not once per member. Only loads whose new members' ids are theirs alone write one
    (a first load numbers members by their rows; on SQLite an import holds the write lock), so
    a range never covers a member it did not create; ids are never reused."""

    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()

    class Meta(HistoryEntry.Meta):
        indexes = [models.Index(fields=["first_id", "last_id"], name="member_event_range")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_id__gte=models.F("first_id")),
                name="member_event_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_id}–{self.last_id} {self.kind} {self.on}"


class TransferStatus(models.TextChoices):
    AWAITING_SENDER = "awaiting_sender", _("waiting for the sending side")
    AWAITING_RECEIVER = "awaiting_receiver", _("waiting for the receiving side")
    DONE = "done", _("done")
    WITHDRAWN = "withdrawn", _("withdrawn")
    SENT_BACK = "sent_back", _("sent back")


OPEN_TRANSFER_STATUSES = (TransferStatus.AWAITING_SENDER, TransferStatus.AWAITING_RECEIVER)


class Transfer(models.Model):
    """A member's move from one branch to another (组织关系转接): requested, approved by the
    sending side, then by the receiving side, and done; or withdrawn or sent back on the way.
    `from_path`/`to_path` copy the two organizations' paths (rewritten with the tree when a
    subtree moves) so that either side's scope is a range on one indexed column."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="transfers"
    )
    from_org = models.ForeignKey(
        Organization,
        verbose_name=_("sending organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_path = PathField(max_length=255)
    to_org = models.ForeignKey(
        Organization,
        verbose_name=_("receiving organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_path = PathField(max_length=255)
    # The sending branch's superior committee, which approves for the sending side and issues
    # the introduction letter (decision 0006's amendment); copied at the request like the paths.
    from_committee = models.ForeignKey(
        Organization,
        verbose_name=_("sending side's committee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_committee_path = PathField(max_length=255, blank=True, default="")
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=TransferStatus.choices,
        default=TransferStatus.AWAITING_SENDER,
    )
    # The introduction letter (党员组织关系介绍信), issued when the sending side approves.
    letter_no = BytewiseCharField(_("letter number"), max_length=32, null=True, blank=True)
    letter_issued_on = models.DateField(_("letter issued on"), null=True, blank=True)
    letter_valid_days = models.PositiveSmallIntegerField(
        _("letter valid for (days)"), null=True, blank=True
    )
    dues_paid_to = models.DateField(_("dues paid up to"), null=True, blank=True)
    # Flags the counters count (transfers/counters.py): set by the steps and by the daily
    # sweep, which follows the clock (waiting too long; a new year).
    flagged_overdue = models.BooleanField(default=False)
    done_this_year = models.BooleanField(default=False)
    reason = models.TextField(_("reason"))
    requested_on = models.DateField(_("requested on"))
    requested_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the last step was taken: a request waiting too long after it is overdue.
    last_step_at = models.DateTimeField(_("last step"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        indexes = [
            models.Index(fields=["from_path", "id"], name="transfer_from_path_id"),
            models.Index(fields=["to_path", "id"], name="transfer_to_path_id"),
            models.Index(fields=["status", "last_step_at"], name="transfer_status_last"),
        ]
        constraints = [
            # One open transfer per member at a time.
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=["awaiting_sender", "awaiting_receiver"]),
                name="transfer_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=~Q(from_org=models.F("to_org")), name="transfer_not_to_same_org"
            ),
            # A letter number is issued once, across all transfers.
            models.UniqueConstraint(fields=["letter_no"], name="transfer_letter_no_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member.name}: {self.from_org.name} → {self.to_org.name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TRANSFER_STATUSES


class TransferStepKind(models.TextChoices):
    REQUESTED = "requested", _("requested")
    SENDER_APPROVED = "sender_approved", _("approved by the sending side")
    RECEIVER_APPROVED = "receiver_approved", _("approved by the receiving side; done")
    WITHDRAWN = "withdrawn", _("withdrawn")
    SENT_BACK = "sent_back", _("sent back")


class TransferStep(models.Model):
    """One step of a transfer's history: what was done, by whom, when, with what note."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=24, choices=TransferStepKind.choices)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("when"))
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.kind} {self.at:%Y-%m-%d}"
