"""The shared vocabulary: names every layer uses for the same things.

Each closed set is a ``Literal`` next to one table of what each member means (``FINDING_MEANINGS``,
``QUEUE_MEANINGS``, ``DECISIONS``, ``STATUS_LABELS``, ``PRIMARY_RULES``, ``FIELD_RULES``); code that
treats members differently loops over the table instead of listing members. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Literal, TypeAlias, get_args

from pydantic import Field

RecordId: TypeAlias = str
FieldName: TypeAlias = str
Confidence: TypeAlias = Annotated[float, Field(ge=0.0, le=1.0)]
Score: TypeAlias = float

ObjectType = Literal["contact", "company", "deal"]
OBJECT_TYPES: tuple[ObjectType, ...] = ("contact", "company", "deal")

QueueDecision = Literal["auto", "review", "blocked"]
"""What the policy decided for a queued change (meanings and resulting statuses: ``DECISIONS``)."""
Decision = Literal[QueueDecision, "suppressed"]
"""What may happen to a change: applied by itself, sent to a person, held because the source of
truth is unclear, or dropped because a person already rejected the same proposal."""
QUEUE_DECISIONS: tuple[QueueDecision, ...] = get_args(QueueDecision)
Severity = Literal["error", "warning", "info"]
Workflow = Literal["routing", "reporting", "segmentation", "forecasting"]

# The order is the order of figures in summary.json and the CLI report; ``FINDING_MEANINGS`` follows it.
FindingKind = Literal[
    "missing_critical",
    "malformed",
    "placeholder",
    "routing_blocker",
    "stale",
    "misowned",
    "inconsistent",
]
"""What a check found wrong with a record (meanings: ``FINDING_MEANINGS``)."""
FINDING_KINDS: tuple[FindingKind, ...] = get_args(FindingKind)

ChangeKind = Literal["normalize", "enrich", "fill_derived", "flag", "merge", "restore"]
"""What applying an item does: write a normalized, enriched or derived value; nothing until a person
gives a value (``flag``: a finding); merge records; or put back a value a failed multi-step write
left out (``restore``: raised by the apply step, high priority)."""

# The `kind` column of the review queue: a finding kind, or what a proposal is about.
QueueKind = Literal[FindingKind, "duplicate", "enrich", "job_change"]
QUEUE_KINDS: tuple[QueueKind, ...] = get_args(QueueKind)

# Where a queue item is in the change lifecycle (ARCHITECTURE.md, "Change lifecycle"). Which status
# may follow which is ``models.review.TRANSITIONS``; which a reviewer may decide is
# ``services.review.core.DECIDABLE``; which the apply step carries out is ``services.apply.core.APPLICABLE``.
ChangeStatus = Literal[
    "proposed",
    "auto_applied",
    "queued",
    "blocked",
    "suppressed",
    "approved",
    "rejected",
    "edited",
    "applied",
    "conflict",
    "failed",
    "rolled_back",
]
CHANGE_STATUSES: tuple[ChangeStatus, ...] = get_args(ChangeStatus)
DecidableStatus = Literal["queued", "blocked", "conflict", "failed"]
"""The statuses a reviewer's decision applies to (``services.review.core.DECIDABLE``, built from it)."""

AlertKind = Literal[
    "apply_failed",
    "restore_needed",
    "merge_failed",
    "dead_letter",
    "audit_verification_failed",
]
"""What an alert on the alerts topic is about (meanings: ``ALERT_MEANINGS``). Alerts carry ids only."""
ALERT_KINDS: tuple[AlertKind, ...] = get_args(AlertKind)
ALERT_MEANINGS: Mapping[AlertKind, str] = MappingProxyType(
    {
        "apply_failed": "a change could not be written to the CRM and ended failed",
        "restore_needed": "a write left a protected field in a state nobody chose: restore the value named",
        "merge_failed": "a merge workflow failed (the CRM merge, or a step after it)",
        "dead_letter": "a message exhausted its retries and went to a dead-letter queue",
        "audit_verification_failed": (
            "the audit trail does not verify: an entry was altered, removed or re-sealed"
        ),
    }
)

PrimaryRule = Literal["most_complete", "most_recent_activity", "oldest", "has_owner"]
"""How survivorship ranks the members of a duplicate group for the suggested primary
(meanings: ``PRIMARY_RULES``; implemented in ``dedup/survivorship.py``)."""
FieldRule = Literal["primary", "most_recent", "most_complete", "most_trusted_source", "union"]
"""Which value a field keeps when a duplicate group merges (meanings: ``FIELD_RULES``)."""


@dataclass(frozen=True, slots=True)
class KindMeaning:
    """What a queue kind means to the code that treats kinds differently.

    Attributes:
        label: Human text for the console and the CLI.
        trust: A finding of this kind lowers the record's trust component of health.
        enrichable: Enrichment may help: the field is empty or holds a placeholder it may fill.
        summary_key: The figure of summary.json (``measurement``) counting the records with a finding
            of this kind, or None when there is no such figure.
    """

    label: str
    trust: bool = False
    enrichable: bool = False
    summary_key: str | None = None


FINDING_MEANINGS: Mapping[FindingKind, KindMeaning] = MappingProxyType(
    {
        "missing_critical": KindMeaning("missing critical field", enrichable=True),
        "malformed": KindMeaning("malformed value"),
        "placeholder": KindMeaning("placeholder value", trust=True, enrichable=True),
        "routing_blocker": KindMeaning(
            "routing blocker", trust=True, enrichable=True, summary_key="routing_exceptions"
        ),
        "stale": KindMeaning("stale record", summary_key="stale_records"),
        "misowned": KindMeaning("misowned record", trust=True, summary_key="misowned_records"),
        "inconsistent": KindMeaning("inconsistent values", trust=True),
    }
)
"""Every finding kind and what it means; a new kind is one entry here, its rule and its tests."""

# Proposals are not check findings: health counts a duplicate through its own argument, enrichment
# is what fills fields, and no record count of them is a summary figure.
_PROPOSALS: dict[QueueKind, KindMeaning] = {
    "duplicate": KindMeaning("duplicate"),
    "enrich": KindMeaning("enrichment"),
    "job_change": KindMeaning("job change"),
}
QUEUE_MEANINGS: Mapping[QueueKind, KindMeaning] = MappingProxyType(
    dict[QueueKind, KindMeaning]([*FINDING_MEANINGS.items(), *_PROPOSALS.items()])
)
"""Every queue kind (finding kinds and proposals) and what it means."""

TRUST_KINDS: frozenset[FindingKind] = frozenset(k for k, m in FINDING_MEANINGS.items() if m.trust)
ENRICHABLE_KINDS: frozenset[FindingKind] = frozenset(k for k, m in FINDING_MEANINGS.items() if m.enrichable)
SUMMARY_KEYS: Mapping[FindingKind, str] = MappingProxyType(
    {k: m.summary_key for k, m in FINDING_MEANINGS.items() if m.summary_key is not None}
)
"""Finding kind → the summary.json figure counting records with it, in summary order."""


@dataclass(frozen=True, slots=True)
class DecisionMeaning:
    """What a queue decision leads to.

    Attributes:
        label: Human text.
        status: The status a change with this decision is queued in.
        merge_status: The status a merge proposal with this decision is queued in.
    """

    label: str
    status: ChangeStatus
    merge_status: ChangeStatus


DECISIONS: Mapping[QueueDecision, DecisionMeaning] = MappingProxyType(
    {
        # An auto merge stays "proposed": the merge workflow carries it out, not the apply step.
        "auto": DecisionMeaning("applied by itself", "auto_applied", merge_status="proposed"),
        "review": DecisionMeaning("a person decides", "queued", merge_status="queued"),
        "blocked": DecisionMeaning("held: the source of truth is unclear", "blocked", merge_status="blocked"),
    }
)
"""Every queue decision and the status it leads to."""


def status_of(decision: QueueDecision, *, merge: bool = False) -> ChangeStatus:
    """The status a queued change (or, with ``merge``, a merge proposal) gets for ``decision``."""
    meaning = DECISIONS[decision]
    return meaning.merge_status if merge else meaning.status


STATUS_LABELS: Mapping[ChangeStatus, str] = MappingProxyType(
    {
        "proposed": "proposed",
        "auto_applied": "auto-applied",
        "queued": "waiting for review",
        "blocked": "blocked",
        "suppressed": "suppressed (rejected before)",
        "approved": "approved",
        "rejected": "rejected",
        "edited": "edited and approved",
        "applied": "applied",
        "conflict": "conflict",
        "failed": "failed",
        "rolled_back": "rolled back",
    }
)
"""Human text of every change status."""

PRIMARY_RULES: Mapping[PrimaryRule, str] = MappingProxyType(
    {
        "most_complete": "the member with the most filled fields",
        "most_recent_activity": "the member with the latest activity",
        "oldest": "the member created first",
        "has_owner": "a member with an owner",
    }
)
"""Every primary rule and what it prefers."""

FIELD_RULES: Mapping[FieldRule, str] = MappingProxyType(
    {
        "primary": "the primary's value (the most recent one when the primary has none)",
        "most_recent": "the value of the most recently active member",
        "most_complete": "the longest value",
        "most_trusted_source": "the value from the most trusted source",
        "union": "every distinct value, joined with '; '",
    }
)
"""Every field rule and which value it keeps."""

# The format a field must have under the standard; each maps to one normalizer module.
FieldFormat = Literal[
    "email",
    "phone_e164",
    "person_name",
    "company_name",
    "domain",
    "country_alpha2",
    "subdivision_code",
    "date",
    "datetime",
    "picklist",
    "number",
    "integer",
    "text",
    "identifier",
]

JobKind = Literal["rollback_run", "bulk_decisions", "filter_decisions"]
"""What a background job does (meanings: ``JOB_KINDS``; ``services/review/jobs.py``)."""
JOB_KINDS: Mapping[JobKind, str] = MappingProxyType(
    {
        "rollback_run": "roll back every applied change of a run, newest first",
        "bulk_decisions": "apply a reviewer's decisions on more items than one request may decide",
        "filter_decisions": "apply one decision to every decidable item matching a queue filter",
    }
)

ReviewSort = Literal["newest", "oldest", "confidence", "confidence_asc", "priority"]
"""The orders of the review queue (meanings: ``REVIEW_SORTS``; ``models/review_query.py``)."""
REVIEW_SORTS: Mapping[ReviewSort, str] = MappingProxyType(
    {
        "newest": "newest first",
        "oldest": "oldest first",
        "confidence": "highest confidence first (newest first among equals)",
        "confidence_asc": "lowest confidence first (oldest first among equals)",
        "priority": "high priority first, then oldest first",
    }
)

JobStatus = Literal["queued", "running", "succeeded", "partly_failed", "failed"]
"""Where a background job is (meanings: ``JOB_STATUSES``)."""


@dataclass(frozen=True, slots=True)
class JobStatusMeaning:
    """What a job status means.

    Attributes:
        label: Human text.
        active: The job holds its subject: a second request for the same run (or the same decisions)
            gets this job back instead of a new one.
        finished: Every item has its result; nothing will run again.
    """

    label: str
    active: bool = False
    finished: bool = False


JOB_STATUSES: Mapping[JobStatus, JobStatusMeaning] = MappingProxyType(
    {
        "queued": JobStatusMeaning("waiting for the worker", active=True),
        "running": JobStatusMeaning("running", active=True),
        "succeeded": JobStatusMeaning("every item done", finished=True),
        "partly_failed": JobStatusMeaning("finished; some items have errors", finished=True),
        # not finished: the worker stopped (its retries exhausted); a new request resumes it at its checkpoint
        "failed": JobStatusMeaning("stopped before the end; a new request resumes it"),
    }
)

ScanStatus = Literal["running", "succeeded", "failed", "timed_out", "aborted"]
"""Where an on-demand or scheduled scan (an execution of the scan workflow) is (``SCAN_STATUSES``)."""


@dataclass(frozen=True, slots=True)
class ScanStatusMeaning:
    """What a scan status means.

    Attributes:
        label: Human text.
        finished: The run ended (its figures are final when it succeeded).
        workflow: The Step Functions execution statuses that read as this one.
    """

    label: str
    finished: bool
    workflow: tuple[str, ...]


SCAN_STATUSES: Mapping[ScanStatus, ScanStatusMeaning] = MappingProxyType(
    {
        "running": ScanStatusMeaning("scanning", False, ("RUNNING",)),
        "succeeded": ScanStatusMeaning("finished: figures and queue are up to date", True, ("SUCCEEDED",)),
        # PENDING_REDRIVE: a failed execution that can be redriven; until then it is a failure
        "failed": ScanStatusMeaning("stopped on an error", True, ("FAILED", "PENDING_REDRIVE")),
        "timed_out": ScanStatusMeaning("ran past the workflow's time limit", True, ("TIMED_OUT",)),
        "aborted": ScanStatusMeaning("stopped by an operator", True, ("ABORTED",)),
    }
)

JobItemReason = Literal["not_found", "not_applicable", "conflict", "gone", "invalid", "error"]
"""Why one item of a job ended in error (meanings: ``JOB_ITEM_REASONS``)."""
JOB_ITEM_REASONS: Mapping[JobItemReason, str] = MappingProxyType(
    {
        "not_found": "no such review item",
        "not_applicable": "the item is not in a state this job acts on (not applied, or already decided)",
        "conflict": "the CRM or the item changed meanwhile (the CRM no longer holds the value written)",
        "gone": "the merge workflow no longer waits for this decision",
        "invalid": "the decision cannot apply to this item",
        "error": "another error (the message says which)",
    }
)

EntryVerification = Literal[
    "verified", "legacy_unkeyed", "altered", "resealed_unkeyed", "unknown_key", "broken_link",
    "contradicts_digest", "unkeyed",
]  # fmt: skip
"""What verification says of one audit entry (meanings: ``ENTRY_VERIFICATIONS``)."""
ENTRY_VERIFICATIONS: Mapping[EntryVerification, str] = MappingProxyType(
    {
        "verified": "its keyed MAC verifies and it follows the previous entry",
        "legacy_unkeyed": "written before audit keys (unkeyed SHA-256, pinned by a digest): intact, but "
        "not provable against someone who could rewrite the table",
        "altered": "its MAC does not match its content: changed after it was written",
        "resealed_unkeyed": "sealed again with a plain SHA-256 instead of the audit key",
        "unknown_key": "names an audit key the keyring does not hold",
        "broken_link": "does not follow the previous entry (an entry was replaced or re-sealed)",
        "contradicts_digest": "a signed digest recorded another seal at this position (re-sealed)",
        "unkeyed": "unkeyed where every entry must carry the audit key's MAC",
    }
)
"""Every entry verification status and what it means; only ``verified`` and ``legacy_unkeyed`` are intact."""
INTACT_ENTRY: frozenset[EntryVerification] = frozenset({"verified", "legacy_unkeyed"})

AuditProblemKind = Literal[
    "altered", "resealed_unkeyed", "unknown_key", "broken_link", "contradicts_digest", "unkeyed",
    "missing_entry", "deleted_tail", "deleted_chain", "digest_bad_signature", "digest_missing",
    "digest_deleted", "digest_unreadable", "digest_conflict", "digest_overdue",
]  # fmt: skip
"""What an audit verification can find wrong (meanings: ``AUDIT_PROBLEMS``)."""
AUDIT_PROBLEMS: Mapping[AuditProblemKind, str] = MappingProxyType(
    {
        "altered": "an entry's content no longer matches its keyed MAC",
        "resealed_unkeyed": "an entry was re-sealed with plain SHA-256 (without the audit key)",
        "unknown_key": "an entry names an audit key the keyring does not hold",
        "broken_link": "an entry does not chain to the one before it",
        "contradicts_digest": "a chain differs from what a signed digest recorded (re-sealed with the key)",
        "unkeyed": "an unkeyed entry where only keyed entries may be (downgraded, or written after keys)",
        "missing_entry": "a sequence number inside a chain is missing (an entry was deleted)",
        "deleted_tail": "a chain is shorter than a signed digest recorded (its last entries were deleted)",
        "deleted_chain": "a record a signed digest recorded has no entries left",
        "digest_bad_signature": "a digest file's signature does not verify",
        "digest_missing": "a digest file named by the next digest is missing (the digest chain is broken)",
        "digest_deleted": "a digest file was deleted (a delete marker hides it)",
        "digest_unreadable": "a digest file cannot be parsed",
        "digest_conflict": "two signed digests disagree on the same chain position",
        "digest_overdue": "the newest digest is older than the digest schedule allows (one may be deleted)",
    }
)
"""Every audit problem kind and what it means; any one fails the verification."""
