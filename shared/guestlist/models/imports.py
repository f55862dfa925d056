"""Import jobs, their listing per event and their chunks' counted results (events table)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import _meta


class ImportJobModel(Model):
    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # IMPORT#{import_id}
    sk = UnicodeAttribute(range_key=True, default="JOB")
    import_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    source = UnicodeAttribute(default="xlsx")
    object_key = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # validating | running | completed | completed_with_errors | failed | checked (dry run)
    error: MapAttribute[str, Any] = MapAttribute(null=True)
    options: MapAttribute[str, Any] = MapAttribute(default=dict)
    rows_total = NumberAttribute(default=0)
    chunks_total = NumberAttribute(default=0)
    chunks_sent = NumberAttribute(default=0)
    chunks_done = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    deleted = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    warnings = NumberAttribute(default=0)
    kept = NumberAttribute(default=0)  # delete-missing: absent from the file but kept for their bookings
    columns: MapAttribute[str, Any] = MapAttribute(default=dict)
    issues_key = UnicodeAttribute(null=True)  # S3 key of the validation issues (JSON)
    report_key = UnicodeAttribute(null=True)  # S3 key of the xlsx report
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)


class EventImportModel(Model):
    """Index item: the imports of an event, newest last, for listing without a scan."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EVENT#{event_id}
    sk = UnicodeAttribute(range_key=True)  # IMPORT#{created_at}#{import_id}
    import_id = UnicodeAttribute()


class ChunkResultModel(Model):
    """Marks one chunk as counted, with its rows' issues: a redelivery is never counted twice."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # IMPORT#{import_id}
    sk = UnicodeAttribute(range_key=True)  # CHUNK#{index:06d}
    outcome = UnicodeAttribute()  # processed | processing_failed
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    issues = UnicodeAttribute(default="[]")  # JSON list, at most one chunk's rows
    created_at = UnicodeAttribute()
