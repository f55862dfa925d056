"""What every model module shares: key helpers, the Meta that reads table names from the settings, and the
hook that gives PynamoDB the container's one botocore session (installed here, so before any model of any
submodule can make a connection)."""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.connection import base as _pynamodb_connection

from ..aws import shared_session
from ..settings import get_settings

CONTACT_SK = "CONTACT"
BOOKING_SK_PREFIX = "BOOKING#"


def contact_pk(event_id: str, identifier: str) -> str:
    return f"C#{event_id}#{identifier}"


def event_shard(event_id: str, identifier: str, shards: int | None = None) -> str:
    shards = shards or get_settings().event_shards
    return f"{event_id}#{zlib.crc32(identifier.encode('utf-8')) % shards:02d}"


def plain(value) -> dict:
    """A raw MapAttribute (or None) as a plain dict."""
    if value is None:
        return {}
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)


# PynamoDB makes a botocore session per model and thread: all of them share the container's one
_pynamodb_connection.get_session = lambda: shared_session


class _TableName:
    """A Meta's table_name, read from the settings when PynamoDB asks (its first call in a process makes
    the connection), never at import: the models import with no environment (unit tests, the OpenAPI
    build), and a handler's tables are those of the environment its instance runs in."""

    def __init__(self, setting: str) -> None:
        self.setting = setting

    def __get__(self, instance: object, owner: type | None = None) -> str:
        return getattr(get_settings(), self.setting)


def _meta(setting: str) -> Any:
    # region and host None: botocore resolves them when the connection is made (AWS_DEFAULT_REGION,
    # AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL), like every other client (aws.client)
    return type("Meta", (), {"table_name": _TableName(setting), "region": None, "host": None,
                             "max_retry_attempts": 5})
