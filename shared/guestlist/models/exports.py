"""Export jobs (events table)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import _meta


class ExportJobModel(Model):
    """One export of an event's contacts: requested by the API, written by the export worker."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EXPORT#{export_id}
    sk = UnicodeAttribute(range_key=True, default="JOB")
    export_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    format = UnicodeAttribute()  # xlsx | csv
    filter: MapAttribute[str, Any] = MapAttribute(default=dict)
    status = UnicodeAttribute()  # running | completed | failed
    rows = NumberAttribute(default=0)
    object_key = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
