"""What the history function writes: status history entries, group counters and their move markers, and
guest mail markers (history table)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import _meta


class HistoryModel(Model):
    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # contact pk
    sk = UnicodeAttribute(range_key=True)  # {changed_at}#{version:010d}
    event_id = UnicodeAttribute()
    identifier = UnicodeAttribute()
    old_status = UnicodeAttribute(null=True)
    new_status = UnicodeAttribute()
    changed_at = UnicodeAttribute()
    cause = UnicodeAttribute()
    cause_ref = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    detail: MapAttribute[str, Any] = MapAttribute(null=True)  # e.g. both scans of an offline_conflict
    notify = UnicodeAttribute(null=True)  # account-manager mail: pending | sent:{message_id} | none


class GroupCounterModel(Model):
    """Per contact group: contacts registered or attended, and attended; moved with each history entry,
    and by each group change that keeps the status (GroupMoveModel)."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # GROUPS#{event_id}
    sk = UnicodeAttribute(range_key=True)  # GROUP#{name}
    group = UnicodeAttribute()
    expected = NumberAttribute(default=0)
    checked_in = NumberAttribute(default=0)


class GroupMoveModel(Model):
    """One contact version whose group change (status kept) moved the group counters, written in the same
    transaction: a replayed stream record finds it and moves nothing. Not a history entry (own partition)."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # GROUPMOVE#{contact pk}
    sk = UnicodeAttribute(range_key=True)  # {updated_at}#{version:010d}, then #{part} for a write's 2nd, 3rd... part
    event_id = UnicodeAttribute()
    # epoch seconds; the table's TTL deletes it after that (only a replay within the stream's 24 hours needs it)
    expires_at = NumberAttribute(null=True)


class GuestMailModel(Model):
    """The marker of one transactional message owed for one status change, claimed before it is sent.

    state: pending (claimed; the send may or may not have happened) | retry (certainly not
    sent: may be claimed again) | sent | failed | skipped (no address).
    """

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # MAIL#{contact pk}
    sk = UnicodeAttribute(range_key=True)  # the history entry's key: {changed_at}#{version:010d}
    kind = UnicodeAttribute()
    state = UnicodeAttribute()
    channel = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    claimed_at = UnicodeAttribute()
    attempts = NumberAttribute(default=1)
