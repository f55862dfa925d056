"""Status history: one entry per real status change of a contact, derived from its stream images.

The entry's key is fixed by the new image (`{updated_at}#{version}`), so a replayed or
redelivered record - in any order - writes it once. Each entry says who caused the change
(import, guest, organiser, check-in device, system) and from which status to which.
The entry is written in one transaction with the contact groups' door counters, so those
move exactly once per change too. A change of groups that keeps the status makes no entry:
its counters move in a transaction of their own, keyed by a marker item fixed the same way
(GroupMove); every contact version takes one of the two paths, never both. Notes (e.g. an
`offline_conflict` of two scans) share the contact's history partition and are written by
the code that sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from . import storage
from .clock import utcnow
from .codes import Code
from .errors import GuestlistError
from .models import CONTACT_SK, GroupCounterModel, GroupMoveModel, HistoryModel
from .retry import condition_failed, retrying

DELETED = "deleted"
_EXPECTED = ("registered", "attended")  # a guest the door expects: a confirmed booking, checked in or not
MARKER_DAYS = 7  # how long a group-move marker is kept (the table's TTL deletes it later)
_COUNTERS_PER_WRITE = 99  # a transaction holds 100 items: the one whose condition makes it idempotent, and counters


class PoisonRecord(GuestlistError):
    """A stream record whose contact image cannot be read; reported, never retried into success."""

    status = 422


class HistoryEntry(msgspec.Struct, frozen=True):
    pk: str
    event_id: str
    identifier: str
    old_status: str | None
    new_status: str
    changed_at: str
    version: int
    cause: str
    cause_ref: str | None
    old_groups: frozenset = msgspec.field(default_factory=frozenset)
    new_groups: frozenset = msgspec.field(default_factory=frozenset)

    @property
    def sk(self) -> str:
        return _version_key(self.changed_at, self.version)

    def group_deltas(self) -> dict[str, tuple[int, int]]:
        """Per group: (change of `expected`, change of `checked_in`) this status change implies."""
        return group_deltas(self.old_status, self.old_groups, self.new_status, self.new_groups)


class GroupMove(msgspec.Struct, frozen=True):
    """A contact version that changed its groups and kept its status: the door's counters move, no entry is written."""

    pk: str
    event_id: str
    changed_at: str
    version: int
    deltas: dict[str, tuple[int, int]]

    @property
    def sk(self) -> str:
        return _version_key(self.changed_at, self.version)


def _version_key(changed_at: str, version: int) -> str:
    """Fixed by the contact's image: a replay of its record gets the same key, a later version (or a contact
    deleted and created again, whose version starts over) another."""
    return f"{changed_at}#{version:010d}"


def group_deltas(old_status: str | None, old_groups: frozenset, new_status: str | None,
                 new_groups: frozenset) -> dict[str, tuple[int, int]]:
    """Per group: (change of `expected`, change of `checked_in`) when a contact goes from one status and set
    of groups to another. The door counts a group's contacts registered or attended, and attended; this is
    the only place that says so, for status changes, group changes and deletions alike."""
    deltas: dict[str, tuple[int, int]] = {}
    for group in old_groups | new_groups:
        was = group in old_groups
        now = group in new_groups
        d_expected = int(now and (new_status or "") in _EXPECTED) - int(was and (old_status or "") in _EXPECTED)
        d_checked = int(now and new_status == "attended") - int(was and old_status == "attended")
        if d_expected or d_checked:
            deltas[group] = (d_expected, d_checked)
    return deltas


def _text(image: dict, name: str) -> str:
    value = image.get(name)
    if not isinstance(value, str) or not value:
        raise PoisonRecord(Code.MALFORMED_IMAGE, f"contact image: {name!r} is missing or not a string", {"attribute": name})
    return value


def _optional_text(image: dict, name: str) -> str | None:
    value = image.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PoisonRecord(Code.MALFORMED_IMAGE, f"contact image: {name!r} is missing or not a string", {"attribute": name})
    return value


def _number(image: dict, name: str) -> int:
    value = image.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or int(value) != value:
        raise PoisonRecord(Code.MALFORMED_IMAGE, f"contact image: {name!r} is not a whole number", {"attribute": name})
    return int(value)


def _groups(image: dict | None) -> frozenset:
    value = (image or {}).get("groups") or ()
    if isinstance(value, str) or not all(isinstance(g, str) for g in value):
        raise PoisonRecord(Code.MALFORMED_IMAGE, "contact image: 'groups' is not a set of names", {"attribute": "groups"})
    return frozenset(value)


def _cause(image: dict) -> tuple[str, str | None]:
    cause = image.get("last_cause") or {}
    if not isinstance(cause, dict):
        raise PoisonRecord(Code.MALFORMED_IMAGE, "contact image: 'last_cause' is not a map", {"attribute": "last_cause"})
    return str(cause.get("kind") or "system"), (str(cause["ref"]) if cause.get("ref") is not None else None)


def entry_for_change(old: dict | None, new: dict | None) -> HistoryEntry | None:
    """The entry a contact change implies; None for bookings and changes that keep the status.

    Raises PoisonRecord when an image is not a contact image this code can read.
    """
    image = new or old
    if not image:
        return None
    if not isinstance(image, dict) or image.get("sk") != CONTACT_SK:
        return None
    old_status = _optional_text(old, "status") if old else None
    if new is None:  # the contact was deleted: image is the old one
        _, ref = _cause(image)
        return HistoryEntry(_text(image, "pk"), _text(image, "event_id"), _text(image, "identifier"), old_status,
                            DELETED, _optional_text(image, "updated_at") or "", _number(image, "version") + 1,
                            "organiser", ref, old_groups=_groups(image))
    new_status = _text(new, "status")
    if new_status == old_status:
        return None
    kind, ref = _cause(new)
    return HistoryEntry(_text(new, "pk"), _text(new, "event_id"), _text(new, "identifier"), old_status, new_status,
                        _optional_text(new, "updated_at") or "", _number(new, "version"), kind, ref,
                        old_groups=_groups(old), new_groups=_groups(new))


def group_move_for_change(old: dict | None, new: dict | None) -> GroupMove | None:
    """The counter move a contact change implies when it keeps the status (entry_for_change covers the rest);
    None when no counter moves (also for contacts neither registered nor attended: an import into a group
    writes no counter).

    Raises PoisonRecord when an image is not a contact image this code can read.
    """
    if not old or not new or not isinstance(new, dict) or new.get("sk") != CONTACT_SK:
        return None
    status = _text(new, "status")
    if _optional_text(old, "status") != status:
        return None  # a status change: its history entry moves the counters
    deltas = group_deltas(status, _groups(old), status, _groups(new))
    if not deltas:
        return None
    return GroupMove(_text(new, "pk"), _text(new, "event_id"), _optional_text(new, "updated_at") or "",
                     _number(new, "version"), deltas)


def _item(entry: HistoryEntry, notify: bool):
    return HistoryModel(pk=entry.pk, sk=entry.sk, event_id=entry.event_id, identifier=entry.identifier,
                        old_status=entry.old_status, new_status=entry.new_status, changed_at=entry.changed_at,
                        cause=entry.cause, cause_ref=entry.cause_ref, notify="pending" if notify else None)


def _parts(deltas: dict[str, tuple[int, int]]) -> list[list[tuple[str, tuple[int, int]]]]:
    """The counter updates cut to fit a transaction, in a fixed order so a replay cuts them the same way."""
    updates = sorted(deltas.items())
    return [updates[i:i + _COUNTERS_PER_WRITE] for i in range(0, len(updates), _COUNTERS_PER_WRITE)] or [[]]


def _marker(pk: str, sk: str, event_id: str, part: int) -> GroupMoveModel:
    """Kept MARKER_DAYS: a record can only be delivered again while the stream holds it (24 hours; `admin dlq
    redrive` re-reads it from the stream too), so the markers do not pile up for the life of the table."""
    return GroupMoveModel(pk=f"GROUPMOVE#{pk}", sk=f"{sk}#{part}" if part else sk, event_id=event_id,
                          expires_at=int(utcnow().timestamp()) + MARKER_DAYS * 86_400)


def _write_once(key: HistoryModel | GroupMoveModel, event_id: str, updates: list[tuple[str, tuple[int, int]]], *,
                what: str) -> bool:
    """Save `key` unless it exists, with the counter updates in the same transaction; False when it exists
    (written by an earlier delivery, counters included)."""
    condition = type(key).pk.does_not_exist()

    def write() -> None:
        if not updates:
            key.save(condition=condition)
            return
        with storage.transaction(type(key)) as tx:
            tx.save(key, condition=condition)
            for group, (d_expected, d_checked) in updates:
                tx.update(GroupCounterModel(pk=f"GROUPS#{event_id}", sk=f"GROUP#{group}"),
                          actions=[GroupCounterModel.group.set(group), GroupCounterModel.expected.add(d_expected),
                                   GroupCounterModel.checked_in.add(d_checked)])

    try:
        retrying(write, what=what)
    except (PutError, TransactWriteError) as exc:
        if condition_failed(exc):
            return False  # `key` is the only conditional item
        raise
    return True


def record(entry: HistoryEntry, *, notify: bool = False) -> bool:
    """Write the entry (and move its groups' counters) unless it is there already; True when written.

    `notify` marks the entry as owing its account manager a mail (see mark_notified). Counters beyond one
    transaction's room go in further parts, each keyed by its own marker, also on a replay (the first
    delivery may have died between parts).
    """
    first, *rest = _parts(entry.group_deltas())
    written = _write_once(_item(entry, notify), entry.event_id, first, what="history entry")
    for part, updates in enumerate(rest, start=1):
        _write_once(_marker(entry.pk, entry.sk, entry.event_id, part), entry.event_id, updates, what="group counters")
    return written


def record_group_move(move: GroupMove) -> bool:
    """Move the counters of a group change unless this contact version moved them already; True when moved now."""
    moved = [_write_once(_marker(move.pk, move.sk, move.event_id, part), move.event_id, updates, what="group counters")
             for part, updates in enumerate(_parts(move.deltas))]
    return any(moved)


def notification_pending(entry: HistoryEntry) -> bool:
    """After a replay: is the entry's mail still owed (the first delivery died before sending)?"""
    try:
        item = HistoryModel.get(entry.pk, entry.sk, consistent_read=True)
    except HistoryModel.DoesNotExist:
        return False
    return item.notify == "pending"


def mail_owed(entry: HistoryEntry, mail: object | None, *, written: bool,
              still_pending: Callable[[HistoryEntry], bool] = notification_pending) -> bool:
    """The account manager's mail goes out once: when there is one and this delivery wrote the entry,
    or on a replay whose first delivery died before sending (the entry still `pending`, read only then)."""
    if mail is None:
        return False
    return written or still_pending(entry)


def mark_notified(entry: HistoryEntry, outcome: str) -> None:
    """`outcome` is `sent:{message_id}` or `rejected:{code}`; only a pending entry changes."""
    try:
        retrying(lambda: HistoryModel(pk=entry.pk, sk=entry.sk).update(actions=[HistoryModel.notify.set(outcome)],
                                                                        condition=HistoryModel.notify == "pending"),
                 what="notification mark")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def history_of(pk: str) -> list[dict]:
    """A contact's entries and notes, oldest first."""
    out: list[dict] = []
    for h in HistoryModel.query(pk, consistent_read=True):
        entry: dict[str, Any] = {"changed_at": h.changed_at, "old_status": h.old_status, "new_status": h.new_status,
                 "cause": h.cause, "cause_ref": h.cause_ref}
        if h.note:
            entry["note"] = h.note
        if h.detail:
            entry["detail"] = h.detail.as_dict() if hasattr(h.detail, "as_dict") else dict(h.detail)
        out.append(entry)
    return out
