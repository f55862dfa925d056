"""Status history: one entry per real status change of a contact, derived from its images.

The stream handler passes the old and new contact images; the entry's key is fixed by
the new image's version, so replays and out-of-order redelivery write it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import PutError

from .models import CONTACT_SK, HistoryModel


@dataclass(frozen=True)
class HistoryEntry:
    pk: str
    event_id: str
    identifier: str
    old_status: str | None
    new_status: str
    changed_at: str
    version: int
    cause: str
    cause_ref: str | None

    @property
    def sk(self) -> str:
        return f"{self.changed_at}#{self.version:010d}"


def entry_for_change(old: dict | None, new: dict | None) -> HistoryEntry | None:
    """The history entry a contact change implies, or None (bookings, no status change)."""
    image = new or old
    if not image or image.get("sk") != CONTACT_SK:
        return None
    old_status = old.get("status") if old else None
    if new is None:  # the contact was deleted
        cause = old.get("last_cause") or {}
        return HistoryEntry(old["pk"], old["event_id"], old["identifier"], old_status, "deleted",
                            old.get("updated_at", ""), int(old.get("version", 0)) + 1, "organiser", cause.get("ref"))
    new_status = new.get("status")
    if not new_status or new_status == old_status:
        return None
    cause = new.get("last_cause") or {}
    return HistoryEntry(new["pk"], new["event_id"], new["identifier"], old_status, new_status,
                        new.get("updated_at", ""), int(new.get("version", 0)), cause.get("kind", "system"), cause.get("ref"))


def record(entry: HistoryEntry) -> bool:
    """Write the entry unless it is there already; True when written."""
    item = HistoryModel(pk=entry.pk, sk=entry.sk, event_id=entry.event_id, identifier=entry.identifier,
                        old_status=entry.old_status, new_status=entry.new_status, changed_at=entry.changed_at,
                        cause=entry.cause, cause_ref=entry.cause_ref)
    try:
        item.save(condition=HistoryModel.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def history_of(pk: str) -> list[dict]:
    return [
        {"changed_at": h.changed_at, "old_status": h.old_status, "new_status": h.new_status,
         "cause": h.cause, "cause_ref": h.cause_ref, **({"note": h.note} if h.note else {})}
        for h in HistoryModel.query(pk, consistent_read=True)
    ]
