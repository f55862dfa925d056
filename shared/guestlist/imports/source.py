"""Where an import comes from in S3: the upload's key, the job id derived from its event, the object read back."""

from __future__ import annotations

import hashlib

from .. import aws
from ..clock import now_iso
from ..codes import Code
from ..errors import NotFound
from .jobs import (
    is_missing_object,
)


def upload_key(event_id: str, filename: str, stamp: str | None = None) -> str:
    """imports/{event_id}/{time}-{name}: every upload gets its own key, so it is its own import."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)[-120:] or "contacts.xlsx"
    stamp = stamp or now_iso().replace(":", "").replace(".", "")
    return f"imports/{event_id}/{stamp}-{safe}"


def import_id_for(bucket: str, key: str, etag: str, version_id: str | None, sequencer: str | None) -> str:
    """Same S3 event -> same import; a new upload of the same key -> a new import."""
    ident = "|".join([bucket, key, etag or "", version_id or "", sequencer or ""])
    return "imp-" + hashlib.sha256(ident.encode()).hexdigest()[:20]


def event_id_from_key(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "imports" and parts[1] and parts[-1] else None


def read_upload(key: str, bucket: str | None = None) -> tuple[bytes, dict]:
    """The uploaded object and its metadata; a vanished object is NotFound, anything else propagates (retry)."""
    try:
        return aws.get_object(key, bucket)
    except Exception as exc:  # botocore's ClientError, kept out of the domain's signature
        if is_missing_object(exc):
            raise NotFound(Code.OBJECT_NOT_FOUND, f"the upload {key!r} no longer exists; upload the file again") from exc
        raise
