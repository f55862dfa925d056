"""The server secret that links and tickets derive from, fetched once per container and kept 5 minutes."""

from __future__ import annotations

import threading
import time

from .aws import client
from .settings import get_settings

_TTL_SECONDS = 300.0
_lock = threading.Lock()
_cached: tuple[float, bytes] | None = None


def link_secret() -> bytes:
    """One Secrets Manager call per container and TTL, shared by the container's threads."""
    global _cached
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > _TTL_SECONDS:
            value = client("secretsmanager").get_secret_value(SecretId=get_settings().link_secret_arn)["SecretString"]
            _cached = (time.monotonic(), value.encode("utf-8"))
        return _cached[1]
