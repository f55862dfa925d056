"""Imports: a presigned workbook upload, or an account group's import (DESIGN.md sections 3 and 4)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from .limits import Name

Mapping = Annotated[dict[Annotated[str, Meta(max_length=200)], Annotated[str, Meta(max_length=64)]],
                    Meta(max_length=100, description='{"Column header": "field"}')]


class ImportRequest(Struct, forbid_unknown_fields=True):
    source: Literal["xlsx", "accounts"] = "xlsx"
    filename: Name | None = None
    account_group: Name | None = None
    mode: Literal["upsert", "create", "update"] | None = None
    group: Name | None = None
    permission_group: Name | None = None
    delete_missing: bool | None = None
    mapping: Mapping | None = None
    dry_run: bool | None = None


class ImportOptions(Struct):
    mode: str
    group: str | None
    permission_group: str | None
    delete_missing: bool
    mapping: dict[str, str] | None
    dry_run: bool | UnsetType = UNSET


class PresignedPost(Struct):
    url: str
    fields: dict[str, str]


class ImportUpload(Struct):
    """Upload the workbook with this presigned POST; its options travel with it."""

    key: str
    options: ImportOptions
    upload: PresignedPost


class ImportCounts(Struct):
    created: int
    updated: int
    deleted: int
    skipped: int
    failed: int


class ImportColumns(Struct):
    mapped: dict[str, Any]
    ignored: list[Any]


class ImportProgress(Struct):
    chunks_total: int
    chunks_done: int


class ImportIssue(Struct):
    row: int | None
    identifier: str | None
    column: str | None
    code: str | None
    message: str | None


class ImportReport(Struct):
    import_id: str
    event_id: str
    source: str | None
    status: str
    error: Any
    rows_total: int
    counts: ImportCounts
    warnings: int
    columns: ImportColumns
    progress: ImportProgress
    object_key: str | None
    account_group: str | None
    created_at: str | None
    finished_at: str | None
    issues: list[ImportIssue] | UnsetType = UNSET
    issues_total: int | UnsetType = UNSET
    report_url: str | UnsetType | None = UNSET


class ImportList(Struct):
    imports: list[ImportReport]
