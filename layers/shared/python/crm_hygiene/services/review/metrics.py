"""The figures of the review loop, computed in one place for ``GET /metrics``, for the measurement
events sent after each decision batch, and for the ones sent after each run.

Decision rates count **human decisions only**: an item counts when a person decided it
(``ReviewItem.decided_as``, set by a reviewer's decision and by nothing else). Who acted last
(``reviewer``) is not a decision: a rollback, an apply or the merge workflow set it too, which is how
rolled-back items once counted as approvals (351 "decided by people" after 11 decisions).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from crm_hygiene.models.review import HumanDecision, ReviewItem
from crm_hygiene.models.signals import MeasurementSignal
from crm_hygiene.ports import ChangeQueue, FailureFigures, SignalBus

LIMIT = 5000
"""Items read for one figure set; ``truncated`` says when a queue (or run) holds more."""

DECISION_FIGURES = (
    "decided_by_people",
    "approved",
    "rejected",
    "edited",
    "decided_blocked",
    "approval_rate",
    "rejection_rate",
    "rework_rate",
    "blocked_rate",
)
"""The figures a measurement event of decisions carries (flat numbers, in this order)."""


ON_BLOCKED = "on_blocked"


def decision_metric(outcome: str) -> str:
    """The CloudWatch metric counting decisions of one kind, ``Decisions_approved`` / ``_edited`` /
    ``_rejected``, and ``Decisions_on_blocked`` (``ON_BLOCKED``: decisions on items the policy blocked):
    the review API emits them; the dashboard graphs them and their rates."""
    return f"Decisions_{outcome}"


def decision_metrics(items: Iterable[ReviewItem]) -> Counter[str]:
    """The decision metrics a batch of decided items adds (name -> count)."""
    counts: Counter[str] = Counter()
    for item in items:
        counts[decision_metric(item.decided_as or item.status)] += 1
        if item.decision == "blocked":
            counts[decision_metric(ON_BLOCKED)] += 1
    return counts


def _rate(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def decision_figures(items: Iterable[ReviewItem]) -> dict[str, int | float | None]:
    """Approval, rejection, rework and blocked rates over the human decisions among ``items``.

    ``approval_rate`` counts approvals with or without an edit (the change was accepted),
    ``rework_rate`` the edits among all decisions, ``rejection_rate`` the rejections, and
    ``blocked_rate`` the decisions a person had to make because the policy blocked the change (the
    sources disagreed). Every denominator is ``decided_by_people``; a rate is None when nobody
    decided anything yet.
    """
    outcome: Counter[HumanDecision] = Counter()
    blocked = 0
    for item in items:
        if item.decided_as is None:
            continue
        outcome[item.decided_as] += 1
        blocked += item.decision == "blocked"
    decided = sum(outcome.values())
    return {
        "decided_by_people": decided,
        "approved": outcome["approved"],
        "rejected": outcome["rejected"],
        "edited": outcome["edited"],
        "decided_blocked": blocked,
        "approval_rate": _rate(outcome["approved"] + outcome["edited"], decided),
        "rejection_rate": _rate(outcome["rejected"], decided),
        "rework_rate": _rate(outcome["edited"], decided),
        "blocked_rate": _rate(blocked, decided),
    }


def _items(queue: ChangeQueue, run_id: str | None, limit: int) -> tuple[list[ReviewItem], bool]:
    items: list[ReviewItem] = []
    cursor: str | None = None
    while len(items) < limit:
        page, cursor = queue.list(run_id=run_id, limit=min(500, limit - len(items)), cursor=cursor)
        items.extend(page)
        if cursor is None:
            break
    return items, cursor is not None


def figures(
    queue: ChangeQueue,
    run_id: str | None = None,
    *,
    failures: FailureFigures | None = None,
    limit: int = LIMIT,
) -> dict[str, Any]:
    """The console's figures: the queue by status and kind, the human-decision rates, and what failed.

    ``failures`` (where the deployment can read them) adds dead-lettered messages and failed merge
    workflows; without it those figures are None (unknown), never 0.
    """
    items, truncated = _items(queue, run_id, limit)
    by_status: Counter[str] = Counter(i.status for i in items)
    out: dict[str, Any] = {
        "items": len(items),
        "by_status": dict(by_status),
        "by_kind": dict(Counter(i.kind for i in items)),
        **decision_figures(items),
        "conflicts": by_status["conflict"],
        "failures": failure_figures(by_status, failures),
        "truncated": truncated,
    }
    out["alerts"] = alert_figures(out["failures"])
    return out


def failure_figures(by_status: Mapping[str, int], failures: FailureFigures | None) -> dict[str, Any]:
    """What ended badly and is still there to look at: failed items, dead letters, failed merges."""
    seen = failures.counts() if failures is not None else {}
    return {
        "failed_items": by_status.get("failed", 0),
        "dead_letters": seen.get("dead_letters"),
        "dead_letters_by_queue": seen.get("dead_letters_by_queue"),
        "failed_merges": seen.get("failed_merges"),
    }


def alert_figures(failures: Mapping[str, Any]) -> dict[str, int | None]:
    """Per alert kind, how many of its causes are visible now (each raised one alert when it happened)."""
    return {
        "apply_failed": failures["failed_items"],
        "dead_letter": failures["dead_letters"],
        "merge_failed": failures["failed_merges"],
    }


def measurement(
    queue: ChangeQueue, run_ids: Iterable[str | None], limit: int = LIMIT
) -> list[MeasurementSignal]:
    """One measurement event (``source`` "decisions") per run in ``run_ids`` with its human-decision
    figures; ``None`` stands for the whole queue (the event's ``run_id`` is then empty). Items
    without a run are only in the whole queue's figures."""
    signals = []
    for run_id in sorted({r for r in run_ids if r != ""}, key=lambda r: r or ""):
        items, truncated = _items(queue, run_id, limit)
        numbers = {"items": len(items), **decision_figures(items), "truncated": int(truncated)}
        signals.append(MeasurementSignal(run_id=run_id or "", source="decisions", figures=numbers))
    return signals


def publish_decisions(
    queue: ChangeQueue, signals: SignalBus | None, run_ids: Iterable[str | None], limit: int = LIMIT
) -> list[MeasurementSignal]:
    """Sends the human-decision figures of each run in ``run_ids`` (``None``: the whole queue)."""
    events = measurement(queue, run_ids, limit)
    if signals is not None and events:
        signals.publish(events)
    return events
