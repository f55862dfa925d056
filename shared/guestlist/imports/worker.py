"""The upsert worker: one chunk's rows written (a few at once) and counted once, also on its dead-letter run."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from .. import storage
from ..clock import now_iso
from ..codes import Code
from ..contacts import RowOutcome, fetch_existing, upsert_row
from ..errors import NotFound
from ..events import get_event
from ..models import (
    Cause,
    ChunkResultModel,
    ImportJobModel,
)
from ..retry import cancellation_codes, carry_deadline, is_transient
from .completion import finish_if_done
from .jobs import (
    job_key,
)


def process_chunk(message: dict, *, dead_letter_reason: str | None = None) -> dict:
    """Write one chunk's rows (one conditional write each) and count them once. Returns the chunk's counts.

    With `dead_letter_reason` (the chunk's last run, from the dead-letter queue) a row that still
    cannot be written is counted failed with `processing_failed` instead of failing the chunk;
    the rows that are written count as what they became. Transient faults still fail the chunk.
    """
    import_id, index = message["import_id"], int(message["chunk"])
    marker_key = f"CHUNK#{index:06d}"
    if _marker_exists(import_id, marker_key):
        finish_if_done(import_id)  # the earlier delivery may have died between counting and finishing
        return {"replayed": True}
    event = get_event(message["event_id"])
    rows = message["rows"]
    existing = fetch_existing(event.event_id, [r["identifier"] for r in rows])
    cause = Cause(kind="import", ref=import_id)
    groups = [message["group"]] if message.get("group") else []
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    issues = []

    def write(r: dict) -> RowOutcome:
        return upsert_row(event, existing.get(r["identifier"]), r["identifier"], _as_text(r["fields"]), r.get("custom") or {},
                          mode=message["mode"], op_id=f"{import_id}:{r['row']}", groups=groups,
                          permission_group=message.get("permission_group"), cause=cause)

    # The rows of a chunk have distinct identifiers (the reader skips duplicates), so their writes
    # are independent: a few in flight at once hide the round trips. A row that raises fails the
    # chunk after the others ended; the redelivery writes it again (replays are harmless).
    futures = [_writer_pool().submit(carry_deadline(write), r) for r in rows]
    wait(futures)  # none still writing when this delivery fails and the next one starts
    for r, future in zip(rows, futures):
        try:
            outcome = future.result()  # the first row that raised fails the chunk
        except Exception as exc:
            if dead_letter_reason is None or is_transient(exc):
                raise
            outcome = _unwritable(dead_letter_reason)
        counts[outcome.result] += 1
        if outcome.code:
            issues.append({"row": r["row"], "identifier": r["identifier"], "column": None, "code": outcome.code,
                           "message": f"Row {r['row']}: {outcome.message}", "severity": outcome.result})
    _count_chunk(import_id, marker_key, "processing_failed" if counts["failed"] else "processed", counts, issues)
    finish_if_done(import_id)
    return counts

_WRITERS_IN_FLIGHT = 8
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _writer_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_WRITERS_IN_FLIGHT, thread_name_prefix="import-writer")
        return _pool


def _as_text(fields: dict) -> dict:
    """Predefined fields are stored as text; the reader already kept digits (zip 8001)."""
    return {k: v if isinstance(v, str) else ("true" if v is True else "false" if v is False else str(v)) for k, v in fields.items()}


def record_dead_chunk(message: dict, reason: str) -> None:
    """A chunk that exhausted its deliveries gets a last run: rows that were (or now are) written count
    as what they became; only a row that still cannot be written is failed (`processing_failed`).
    A transient fault fails this record too (the dead-letter queue delivers it again), so no written
    row is ever reported failed. When the chunk cannot run at all (its event or import is gone, the
    message is malformed), none of its rows was written: all are failed, so the job still ends."""
    try:
        process_chunk(message, dead_letter_reason=reason)
        return
    except Exception as exc:
        if is_transient(exc):
            raise
    import_id, index = message["import_id"], int(message["chunk"])
    rows = message.get("rows", [])
    failed = _unwritable(reason)
    issues = [{"row": r["row"], "identifier": r["identifier"], "column": None, "code": failed.code,
               "message": f"Row {r['row']}: {failed.message}", "severity": "failed"} for r in rows]
    _count_chunk(import_id, f"CHUNK#{index:06d}", "processing_failed",
                 {"created": 0, "updated": 0, "skipped": 0, "failed": len(rows)}, issues)
    finish_if_done(import_id)


def _unwritable(reason: str) -> RowOutcome:
    return RowOutcome("failed", "processing_failed", f"could not be written ({reason}); import the file again to retry it")


def _marker_exists(import_id: str, marker_key: str) -> bool:
    try:
        ChunkResultModel.get(job_key(import_id), marker_key, consistent_read=True)
        return True
    except ChunkResultModel.DoesNotExist:
        return False


def _count_chunk(import_id: str, marker_key: str, outcome: str, counts: dict, issues: list[dict]) -> bool:
    """Marker + counters in one transaction: False when this chunk was counted already.

    Chunks of one import finish concurrently and all touch the job item, so a transaction
    may be cancelled by a conflict: that is retried (within the function's time, else the
    chunk fails and comes back), never taken for "counted".
    """
    marker = ChunkResultModel(pk=job_key(import_id), sk=marker_key, outcome=outcome, issues=json.dumps(issues),
                              created_at=now_iso(), **counts)

    def items(tx: TransactWrite) -> None:
        tx.save(marker, condition=ChunkResultModel.pk.does_not_exist())
        tx.update(ImportJobModel(pk=job_key(import_id), sk="JOB"), actions=[
            ImportJobModel.created.add(counts["created"]), ImportJobModel.updated.add(counts["updated"]),
            ImportJobModel.skipped.add(counts["skipped"]), ImportJobModel.failed.add(counts["failed"]),
            ImportJobModel.chunks_done.add(1), ImportJobModel.updated_at.set(now_iso())],
            condition=ImportJobModel.pk.exists())

    try:
        storage.transact_write(ChunkResultModel, items, what="chunk count")
        return True
    except TransactWriteError as exc:
        reasons = cancellation_codes(exc)
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return False  # the marker exists: counted by an earlier delivery
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise NotFound(Code.IMPORT_NOT_FOUND, f"no import {import_id!r} to count chunk {marker_key} in") from exc
        raise
