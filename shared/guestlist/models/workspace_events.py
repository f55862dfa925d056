"""The workspace's listing of its events (events table): the organiser's create and list only (cold start)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from .base import _meta


class WorkspaceEventModel(Model):
    """Index item: the events of a workspace, for listing without a scan."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # WS#{workspace_id}
    sk = UnicodeAttribute(range_key=True)  # EVENT#{event_id}
    event_id = UnicodeAttribute()
    name = UnicodeAttribute()
