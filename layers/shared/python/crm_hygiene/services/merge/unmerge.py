"""Unmerge: undo a performed merge, at any time, from what the merge stored in the audit.

A merge keeps every member's whole state (``before_image`` entries) before its first CRM call and the
survivor's state right after it (``after_image``; ``core.perform_merge``). Undoing it:

1. **Refuse what cannot be undone**, with a 409 that says why: a merge never performed (still
   queued, rejected, failed), one already unmerged (when, and by whom), one merged before images
   were kept.
2. **Intent** (``unmerging`` on the survivor's chain), before the CRM is touched.
3. **The survivor's fields go back** where the merge changed them (image before != image after)
   and nobody changed them since (the CRM still holds what the merge left): an ``unmerging`` intent
   per field, an optimistic write expecting the merged value, an ``unmerged`` outcome per field
   written. A field changed since the merge is not overwritten: it becomes a review item
   (``unmerge-<review id>-<field>``, change kind ``restore``) proposing the pre-merge value. This
   comes first: a unique value the survivor took from a member (HubSpot fills the survivor's blanks
   with the members' values, an email among them) is freed before the member comes back.
4. **Every merged-away member comes back** through ``CrmStore.restore_merged``: the internal table
   reinstates it under its own id; HubSpot, whose merges are irreversible, recreates it as a new
   record from its image, re-associates it and notes ``merged_from`` on both. Each is followed by
   an ``unmerged`` entry on the old id's chain (``before`` old id, ``after`` the id it has now) and,
   when the id changed, one on the new record's chain: the old -> new mapping.
5. **Outcome** (``unmerged`` on the survivor's chain), then the merge's item goes ``rolled_back``.

Entry ids are deterministic (review id, action, the item's version, the member or field) and every
step can be repeated: ``restore_merged`` finds a record already brought back, a field already back
gets its outcome, review items are idempotent by id. So a retry after a crash at any step converges
on one unmerge, audited once. There is no time limit: the images stay in the audit.
"""

from __future__ import annotations

from collections.abc import Sequence

from crm_hygiene.errors import Conflict
from crm_hygiene.models.audit import AuditAction, AuditDraft, AuditEntry, AuditSource, entry_id
from crm_hygiene.models.crm import FieldWrite
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.models.unmerge import RecordImage, RestoredRecord, UnmergeResult
from crm_hygiene.ports import AuditLog, ChangeQueue, CrmStore
from crm_hygiene.types import FieldName, RecordId


class Unmerger:
    """``unmerge`` bound to its ports: what ``ReviewDeps.unmerge`` holds, so a change or run rollback
    that meets a merge undoes it through this one core."""

    def __init__(self, *, queue: ChangeQueue, crm: CrmStore, audit: AuditLog) -> None:
        self.queue, self.crm, self.audit = queue, crm, audit

    def __call__(self, review_id: str, reviewer: str) -> UnmergeResult:
        return unmerge(review_id, reviewer, queue=self.queue, crm=self.crm, audit=self.audit)


def unmerge(
    review_id: str,
    reviewer: str,
    *,
    queue: ChangeQueue,
    crm: CrmStore,
    audit: AuditLog,
) -> UnmergeResult:
    """Undoes the merge ``review_id`` (see the module docstring).

    Raises:
        NotFound: no such review item.
        Conflict: it is not a merge, was never performed, was already unmerged, or kept no images.
    """
    item = queue.get(review_id)
    refuse_unless_unmergeable(item)
    entries = audit.by_change(review_id)
    images, primary, after = _images(item, entries)
    survivor = item.final_value or primary
    undo = _Undo(item, reviewer)
    losers = [m for m in images if m != primary]
    # what an earlier attempt did, from the records' own chains (consistent reads; the by-change
    # index may lag right after a crash)
    chains = [e for record in (survivor, *losers) for e in audit.history(item.object_type, record)]
    done = {e.entry_id: e for e in chains if e.entry_id and e.change_id == review_id}
    audit.append(
        [undo.draft("unmerging", survivor, "", survivor, ", ".join(losers),
                    f"about to unmerge {', '.join(losers)} from {survivor}")]
    )  # fmt: skip
    # the survivor first: a value it took from a member (HubSpot fills its blanks with theirs, a unique
    # email among them) is freed before that member comes back
    written, conflicts = _restore_survivor(crm, audit, queue, undo, images[primary], after, survivor, done)
    restored = [_restore(crm, audit, undo, images[m], survivor, done) for m in losers]
    mapping = ", ".join(f"{r.old_id}->{r.new_id}" for r in restored)
    audit.append(
        [undo.draft("unmerged", survivor, "", survivor, mapping,
                    f"unmerged: {len(restored)} record(s) back, {len(written)} survivor field(s) put back, "
                    f"{len(conflicts)} left for review")]
    )  # fmt: skip
    note = f"unmerged: {mapping}" + (f"; {len(conflicts)} survivor field(s) to review" if conflicts else "")
    updated = queue.transition(item, "rolled_back", reviewer=reviewer, note=note)
    return UnmergeResult(
        review_id=review_id,
        survivor_id=survivor,
        restored=restored,
        survivor_restored=written,
        conflicts=conflicts,
        unmerged_at=updated.updated_at,
        unmerged_by=reviewer,
    )


def refuse_unless_unmergeable(item: ReviewItem) -> None:
    """Raises ``Conflict`` (409) saying why ``item`` cannot be unmerged now; returns when it can."""
    if item.change_kind != "merge":
        raise Conflict(f"review {item.review_id} is a {item.change_kind}, not a merge: nothing to unmerge")
    if item.status == "rolled_back":
        when = f"{item.updated_at:%Y-%m-%d %H:%M:%S} UTC"
        by = f" by {item.reviewer}" if item.reviewer else ""
        raise Conflict(f"merge {item.review_id} was already unmerged on {when}{by}; a merge is unmerged once")
    if item.status != "applied":
        raise Conflict(
            f"merge {item.review_id} was never performed (it is {item.status}): there is nothing to unmerge"
        )


Images = dict[RecordId, RecordImage]


def _images(item: ReviewItem, entries: Sequence[AuditEntry]) -> tuple[Images, RecordId, RecordImage]:
    """member -> before-image (in member order), the primary, and the survivor's after-image."""
    images: dict[RecordId, RecordImage] = {}
    primary: RecordId | None = None
    after: RecordImage | None = None
    for entry in entries:
        if entry.action == "before_image" and entry.before:
            images.setdefault(entry.record_id, RecordImage.model_validate_json(entry.before))
            primary = entry.after or primary
        elif entry.action == "after_image" and entry.after:
            after = RecordImage.model_validate_json(entry.after)
    if not images or primary is None or primary not in images or after is None:
        raise Conflict(
            f"merge {item.review_id} was performed before merges kept the before-image of their members: "
            "it cannot be unmerged automatically"
        )
    return images, primary, after


_SYSTEM = AuditSource(kind="system", name="unmerge")


class _Undo:
    """The audit drafts of one unmerge: same change, reviewer and item version for every step."""

    def __init__(self, item: ReviewItem, reviewer: str) -> None:
        self.item, self.reviewer = item, reviewer

    def draft(
        self, action: AuditAction, record_id: RecordId, name: FieldName, before: str | None,
        after: str | None, reason: str, part: str = "",
    ) -> AuditDraft:  # fmt: skip
        item = self.item
        return AuditDraft(
            actor=f"user:{self.reviewer}",
            action=action,
            object_type=item.object_type,
            record_id=record_id,
            field=name,
            before=before,
            after=after,
            reason=reason,
            change_id=item.review_id,
            review_id=item.review_id,
            run_id=item.run_id,
            entry_id=self.id(action, part),
            confidence=item.confidence,
            source=AuditSource(kind="reviewer", name=self.reviewer),
            reviewer=self.reviewer,
        )

    def id(self, action: AuditAction, part: str) -> str:
        return entry_id(self.item.review_id, action, self.item.version, part)


def _restore(
    crm: CrmStore, audit: AuditLog, undo: _Undo, image: RecordImage, survivor: RecordId,
    done: dict[str, AuditEntry],
) -> RestoredRecord:  # fmt: skip
    """One merged-away member back in the CRM; its old -> new id mapping in the audit."""
    old = image.record_id
    finished = done.get(undo.id("unmerged", old))
    # a repeat appends the same entries again (a no-op in the table, a retry of a failed archive put)
    new = (
        finished.after
        if finished is not None and finished.after
        else crm.restore_merged(image.object_type, image, survivor)
    )
    how = "reinstated under its own id" if new == old else f"recreated as {new} (its merge cannot be undone)"
    drafts = [undo.draft("unmerged", old, "", old, new, f"unmerged from {survivor}: {how}", part=old)]
    if new != old:
        why = f"recreated from {old}, which had been merged into {survivor}"
        drafts.append(undo.draft("unmerged", new, "", old, new, why, part=f"{old}:as"))
    audit.append(drafts)
    return RestoredRecord(object_type=image.object_type, old_id=old, new_id=new)


def _restore_survivor(
    crm: CrmStore, audit: AuditLog, queue: ChangeQueue, undo: _Undo, before: RecordImage,
    after: RecordImage, survivor: RecordId, done: dict[str, AuditEntry],
) -> tuple[list[FieldName], list[str]]:  # fmt: skip
    """Puts back the survivor's fields the merge changed and nobody changed since; the others become
    review items. Returns (fields written, review ids raised)."""
    object_type = undo.item.object_type
    records = crm.get_records(object_type, [survivor])
    if not records:
        return [], []
    writable = {n for n, info in crm.field_info(object_type).items() if info.writable and n != "record_id"}
    writes, back, changed = _sort_fields(undo, before, after, records[0], writable, done)
    if writes:
        audit.append(
            [undo.draft("unmerging", survivor, w.field, w.expected_old, w.new_value,
                        "survivor field back to its value before the merge", part=w.field) for w in writes]
        )  # fmt: skip
    written = list(back)
    for w, result in zip(writes, crm.write_fields(object_type, writes), strict=True):
        if result.status == "applied":
            written.append(w.field)
        elif result.status == "conflict":  # changed between the read and the write: a person decides
            changed.append((w.field, result.current or "", w.new_value))
    outcomes = {w.field: w for w in writes}
    audit.append(
        [undo.draft("unmerged", survivor, n, outcomes[n].expected_old if n in outcomes else None,
                    before.fields.get(n, ""), "survivor field back to its value before the merge", part=n)
         for n in written]
    )  # fmt: skip
    items = [_conflict_item(undo.item, survivor, name, now, was) for name, now, was in changed]
    queue.put_new(items)
    return sorted(written), [i.review_id for i in items]


def _sort_fields(
    undo: _Undo, before: RecordImage, after: RecordImage, current: Record, writable: set[FieldName],
    done: dict[str, AuditEntry],
) -> tuple[list[FieldWrite], list[FieldName], list[tuple[FieldName, str, str]]]:  # fmt: skip
    """The survivor's fields the merge changed: to write back (still what the merge left), already back
    (written before a crash: their outcome is still to append), changed since (field, now, before)."""
    writes: list[FieldWrite] = []
    back: list[FieldName] = []
    changed: list[tuple[FieldName, str, str]] = []
    for name in sorted(writable & (set(before.fields) | set(after.fields))):
        was, merged, now = before.fields.get(name, ""), after.fields.get(name, ""), current.get(name)
        if was == merged:
            continue  # the merge left it alone: a later change is someone's own
        if now == was:
            if undo.id("unmerging", name) in done:
                back.append(name)
        elif now == merged:
            change_id = f"unmerge:{undo.item.review_id}:{name}"
            writes.append(FieldWrite(record_id=current.record_id, field=name, expected_old=merged,
                                     new_value=was, change_id=change_id))  # fmt: skip
        else:
            changed.append((name, now, was))
    return writes, back, changed


def _conflict_item(merge: ReviewItem, survivor: RecordId, name: FieldName, now: str, was: str) -> ReviewItem:
    """A survivor field changed since the merge: approving puts back its value before the merge."""
    return ReviewItem(
        review_id=f"unmerge-{merge.review_id}-{name}",
        run_id=merge.run_id,
        kind="inconsistent",
        change_kind="restore",
        object_type=merge.object_type,
        record_id=survivor,
        field=name,
        current_value=now,
        suggested_value=was,
        evidence=(
            f"unmerge of {merge.review_id}: the merge changed {name} and it has been changed again since; "
            "approve to put back the value it held before the merge, reject to keep the current one"
        ),
        confidence=1.0,
        protected=True,
        decision="review",
        status="queued",
        source="system:unmerge",
    )
