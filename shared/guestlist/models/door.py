"""The door: every scan, accepted scans by nonce, and the sharded checked-in counters (history table)."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import _meta


class ScanModel(Model):
    """Every scan at the door, accepted or not; sharded so a door rush spreads over partitions."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # SCANS#{event_id}#{shard:02d}
    sk = UnicodeAttribute(range_key=True)  # {received_at}#{nonce}
    event_id = UnicodeAttribute()
    nonce = UnicodeAttribute()
    result = UnicodeAttribute()  # ok | duplicate | rejected | annulled
    reason = UnicodeAttribute(null=True)
    device = UnicodeAttribute()
    scanned_at = UnicodeAttribute()  # the device's clock
    received_at = UnicodeAttribute()  # ours
    offline = BooleanAttribute(default=False)
    booking_id = UnicodeAttribute(null=True)
    identifier = UnicodeAttribute(null=True)
    code_hash = UnicodeAttribute(null=True)  # a prefix of the code's digest, never the code


class CheckinNonceModel(Model):
    """One accepted scan by its nonce: makes replays exact and lets the device annul it."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # NONCE#{event_id}#{nonce}
    sk = UnicodeAttribute(range_key=True, default="NONCE")
    booking_pk = UnicodeAttribute()
    booking_sk = UnicodeAttribute()
    device = UnicodeAttribute()
    scanned_at = UnicodeAttribute()
    received_at = UnicodeAttribute()
    annulled_at = UnicodeAttribute(null=True)


class CheckinCounterModel(Model):
    """One shard of an event's checked-in counter, moved in the check-in transaction."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # STATS#{event_id}#{shard:02d}
    sk = UnicodeAttribute(range_key=True, default="CHECKINS")
    checked_in = NumberAttribute(default=0)
