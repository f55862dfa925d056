"""Time in one place, so tests can pass a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    """UTC now as ISO-8601 with milliseconds; sorts lexically in time order."""
    return utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")
