"""Request counts per client address and time window, for public registration (events table)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import _meta


class RateLimitModel(Model):
    """One client address's requests to one event in one time window; expires by TTL."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # RATE#{event_id}#{address digest}
    sk = UnicodeAttribute(range_key=True)  # WINDOW#{window start}
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()
