"""Exports of an event's contacts (DESIGN.md section 4)."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct, field

from .groups import ContactFilter


class ExportIn(Struct, forbid_unknown_fields=True):
    format: Literal["xlsx", "csv"] = "xlsx"
    filter: ContactFilter = field(default_factory=ContactFilter)


class ExportStarted(Struct):
    export_id: str
    status: Literal["running"]


class Export(Struct):
    """`url` is a short-lived presigned download, present once `completed`; a file past its
    keeping time is `expired` (ask for a new export)."""

    export_id: str
    status: Literal["running", "completed", "failed", "expired"]
    format: Literal["xlsx", "csv"]
    rows: int
    url: str | None
    created_at: str
    finished_at: str | None
    error: str | None
