"""A review session's folder (``crm-hygiene review --dir``): the export, and what the review decided.

The local stack lives in memory while ``review`` runs; the folder is what outlives it::

    session.json        which export (its SHA-256), object type, standard, when started and saved
    export.csv          the export as scanned, byte for byte (apply writes the updated copy from it)
    state/records.jsonl the local copy's records the audit names (the others hold the export's values)
    state/merged.json   records merged away -> their survivor
    state/items.jsonl   every review item (decided or not; never the workflow's task token)
    state/audit.jsonl   every audit entry, earlier sessions' included

A second ``review`` of the same export resumes from it; of another export (or another object type),
it says so and starts over, moving the earlier files to ``previous-<time>/`` (never deleting them).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from crm_hygiene.csvio import atomic_text
from crm_hygiene.errors import InputError
from crm_hygiene.models.audit import AuditEntry
from crm_hygiene.models.record import Record
from crm_hygiene.models.review import ReviewItem
from crm_hygiene.ports import AuditEntries, ChangeQueue, CrmStore
from crm_hygiene.services.writeback.core import Reviewed
from crm_hygiene.types import ObjectType

SESSION = "session.json"
RUNNING = "review.pid"
"""The process id of a ``review`` serving the folder, while it runs."""
EXPORT = "export.csv"
STATE = "state"
Mode = Literal["new", "resume", "restart"]
_M = TypeVar("_M", bound=BaseModel)


class Session(BaseModel):
    """``session.json``."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    input: str
    sha256: str
    object_type: ObjectType
    standard: str | None = None
    started_at: datetime
    saved_at: datetime | None = None
    runs: int = 1


@dataclass
class SessionStart:
    """What ``open_session`` found: a new session, one to resume (with what it decided), or a restart."""

    session: Session
    mode: Mode
    previous: Reviewed | None = None
    note: str = ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_session(
    folder: Path, input_path: Path, object_type: ObjectType, standard: Path | None
) -> SessionStart:
    """Resumes the session in ``folder`` when it reviewed this very export, else starts one (see the
    module docstring); the export is copied into the folder."""
    sha = file_sha256(input_path)
    now = datetime.now(UTC)
    fresh = Session(
        input=str(input_path), sha256=sha, object_type=object_type,
        standard=str(standard) if standard else None, started_at=now,
    )  # fmt: skip
    if not (folder / SESSION).exists():
        start = SessionStart(fresh, "new")
    else:
        old = read_session(folder)
        if old.sha256 == sha and old.object_type == object_type:
            session = old.model_copy(update={"runs": old.runs + 1, "input": str(input_path)})
            start = SessionStart(session, "resume", load_reviewed(folder)[1])
        else:
            why = "another export" if old.sha256 != sha else f"{old.object_type}s, not {object_type}s"
            aside = _move_aside(folder, now)
            start = SessionStart(
                fresh, "restart", note=f"{folder} held a review of {why} ({old.input}): starting over; "
                f"its files are kept in {aside}",
            )  # fmt: skip
    if start.mode != "resume":
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(input_path, folder / EXPORT)
    write_session(folder, start.session)
    return start


def _move_aside(folder: Path, now: datetime) -> Path:
    aside = folder / f"previous-{now.strftime('%Y%m%dT%H%M%S')}"
    aside.mkdir()
    for name in (SESSION, EXPORT, STATE):
        if (folder / name).exists():
            (folder / name).rename(aside / name)
    return aside


def mark_running(folder: Path, pid: int) -> None:
    with atomic_text(folder / RUNNING) as fh:
        fh.write(f"{pid}\n")


def mark_stopped(folder: Path) -> None:
    (folder / RUNNING).unlink(missing_ok=True)


def running_review(folder: Path) -> int | None:
    """The process id of a ``review`` still serving ``folder`` (None when none is: a stale mark of a
    process that died is ignored)."""
    try:
        pid = int((folder / RUNNING).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def read_session(folder: Path) -> Session:
    path = folder / SESSION
    if not path.exists():
        raise InputError(
            f"{folder} holds no review: run `crm-hygiene review --input <export.csv> --dir {folder}` first"
        )
    try:
        return Session.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{path}: not a review session file ({exc.__class__.__name__})") from None


def write_session(folder: Path, session: Session) -> None:
    with atomic_text(folder / SESSION) as fh:
        fh.write(session.model_dump_json(indent=2) + "\n")


def save_snapshot(
    folder: Path,
    session: Session,
    *,
    crm: CrmStore,
    queue: ChangeQueue,
    audit: AuditEntries,
    carried: Iterable[AuditEntry] = (),
) -> Session:
    """Writes the local stack's state into ``folder/state`` (each file atomically) and stamps the session.

    Args:
        carried: Audit entries of earlier sessions (the local stack's audit starts empty each run).
    """
    state = folder / STATE
    entries: dict[str, AuditEntry] = {_audit_key(e): e for e in carried}
    entries.update((_audit_key(e), e) for e in audit.all_entries())
    ordered: list[AuditEntry] = sorted(entries.values(), key=_audit_order)
    # Only records the audit names can differ from the export: reading those alone keeps a save
    # short on a large export (the console is served by the same process meanwhile)
    named = sorted({e.record_id for e in ordered if e.object_type == session.object_type})
    live = crm.get_records(session.object_type, named)
    _write_models(state / "records.jsonl", live)
    with atomic_text(state / "merged.json") as fh:
        json.dump(_merged_away(ordered, session.object_type, {r.record_id for r in live}), fh, indent=1)
    _write_models(state / "items.jsonl", (i.model_copy(update={"task_token": None}) for i in _items(queue)))
    _write_models(state / "audit.jsonl", ordered)
    saved = session.model_copy(update={"saved_at": datetime.now(UTC)})
    write_session(folder, saved)
    return saved


def _audit_order(entry: AuditEntry) -> tuple[datetime, str, int]:
    return entry.at, entry.record_key, entry.seq


def _audit_key(entry: AuditEntry) -> str:
    return entry.entry_id or f"{entry.record_key}#{entry.seq}#{entry.at.isoformat()}"


def _merged_away(entries: Iterable[AuditEntry], object_type: ObjectType, live: set[str]) -> dict[str, str]:
    """Record -> the survivor it was merged into, for records merged and not live (not unmerged)."""
    into = {
        e.record_id: e.after or "" for e in entries if e.action == "merged" and e.object_type == object_type
    }
    return {record_id: survivor for record_id, survivor in sorted(into.items()) if record_id not in live}


def _items(queue: ChangeQueue) -> Iterator[ReviewItem]:
    cursor: str | None = None
    while True:
        page, cursor = queue.list(limit=500, cursor=cursor)
        yield from page
        if cursor is None:
            return


def _write_models(path: Path, models: Iterable[BaseModel]) -> None:
    with atomic_text(path) as fh:
        for model in models:
            fh.write(model.model_dump_json() + "\n")


def _read_models(path: Path, model: type[_M]) -> list[_M]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [model.model_validate_json(line) for line in fh if line.strip()]


def load_reviewed(folder: Path) -> tuple[Session, Reviewed]:
    """The session in ``folder`` and what it decided (as last saved).

    Raises:
        InputError: no session there, or its state files cannot be read.
    """
    session = read_session(folder)
    state = folder / STATE
    try:
        records = _read_models(state / "records.jsonl", Record)
        items = _read_models(state / "items.jsonl", ReviewItem)
        audit = _read_models(state / "audit.jsonl", AuditEntry)
        merged = json.loads((state / "merged.json").read_text()) if (state / "merged.json").exists() else {}
    except ValueError as exc:
        raise InputError(f"{state}: a state file does not parse ({exc.__class__.__name__})") from None
    return session, Reviewed(
        object_type=session.object_type,
        records={r.record_id: r for r in records},
        items=items,
        audit=audit,
        merged_away={str(k): str(v) for k, v in dict(merged).items()},
    )
