"""Campaigns, their send chunks, per-recipient send claims and suppressed addresses."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import _meta


class CampaignModel(Model):
    """A campaign of an event: audience, channel, templates, and its send's progress and counts."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EVENT#{event_id}
    sk = UnicodeAttribute(range_key=True)  # CAMPAIGN#{campaign_id}
    campaign_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    audience: MapAttribute[str, Any] = MapAttribute(default=dict)
    channel = UnicodeAttribute()
    templates: MapAttribute[str, Any] = MapAttribute(default=dict)
    status = UnicodeAttribute()  # draft | scheduled | sending | sent
    recipients: MapAttribute[str, Any] = MapAttribute(default=dict)  # counts when created (or last planned)
    send_id = UnicodeAttribute(null=True)  # the current send (schedule or now); a stale plan is ignored
    scheduled_at = UnicodeAttribute(null=True)
    schedule_name = UnicodeAttribute(null=True)
    chunks_total = NumberAttribute(null=True)
    chunks_done = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    excluded = NumberAttribute(default=0)
    unconfirmed = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)


class CampaignChunkModel(Model):
    """One chunk of a send: its progress (kept across redeliveries) and, once done, its outcomes."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # CAMPAIGN#{campaign_id}
    sk = UnicodeAttribute(range_key=True)  # CHUNK#{send_id}#{index:06d}
    state = UnicodeAttribute()  # progress | done
    outcomes = UnicodeAttribute(default="{}")  # JSON {"sent": [...], "failed": {id: reason}, "unconfirmed": [...], "excluded": {id: reason}}
    updated_at = UnicodeAttribute()


class CampaignSendModel(Model):
    """Per recipient and campaign: claimed with a condition before the SES/SNS call (at most once)."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # SEND#{campaign_id}#{identifier}
    sk = UnicodeAttribute(range_key=True, default="SEND")
    attempt = UnicodeAttribute()  # the delivery that claimed it
    claimed_at = UnicodeAttribute()


class SuppressionModel(Model):
    """An address that gets no campaigns: unsubscribed from a workspace, or undeliverable (bounce, complaint)."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # ADDR#{email or phone, lower-cased}
    sk = UnicodeAttribute(range_key=True)  # UNSUB#{workspace_id} | UNDELIVERABLE
    kind = UnicodeAttribute()  # unsubscribed | bounce | complaint
    at = UnicodeAttribute()
    source = UnicodeAttribute(null=True)
