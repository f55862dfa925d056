"""Workspaces and the keys that open them: organiser keys, check-in keys and their listings (events table)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from .base import _meta


class KeyModel(Model):
    """An organiser or check-in key, found by its digest; the key itself is never stored."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # KEY#{digest}
    sk = UnicodeAttribute(range_key=True, default="KEY")
    key_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # organiser | checkin
    workspace_id = UnicodeAttribute()
    event_id = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class EventKeyModel(Model):
    """Index item: the check-in keys of an event (without the key), for listing and revoking."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EVENT#{event_id}
    sk = UnicodeAttribute(range_key=True)  # CHECKINKEY#{key_id}
    key_id = UnicodeAttribute()
    key_digest = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class WorkspaceModel(Model):
    """A workspace (tenant): its name, and an index item under WORKSPACES for listing them without a scan."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # WORKSPACE#{workspace_id} (the record) | WORKSPACES (the listing)
    sk = UnicodeAttribute(range_key=True)  # WORKSPACE | WS#{workspace_id}
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()


class WorkspaceKeyModel(Model):
    """Index item: the organiser keys of a workspace (without the key), for listing and revoking."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # WORKSPACE#{workspace_id}
    sk = UnicodeAttribute(range_key=True)  # ORGKEY#{key_id}
    key_id = UnicodeAttribute()
    key_digest = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
