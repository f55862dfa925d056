"""Server secrets (the link secret, the unsubscribe secret), fetched once per container and kept 5 minutes."""

from __future__ import annotations

import threading
import time

from .aws import client
from .settings import get_settings

_TTL_SECONDS = 300.0
_lock = threading.Lock()
_cached: dict[str, tuple[float, bytes]] = {}


def secret_value(arn: str) -> bytes:
    """One Secrets Manager call per container, secret and TTL, shared by the container's threads."""
    with _lock:
        hit = _cached.get(arn)
        if hit is None or time.monotonic() - hit[0] > _TTL_SECONDS:
            value = client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
            hit = _cached[arn] = (time.monotonic(), value.encode("utf-8"))
        return hit[1]


def link_secret() -> bytes:
    """Personal-link tokens and ticket codes derive from this one."""
    return secret_value(get_settings().link_secret_arn)


def unsubscribe_secret() -> bytes:
    """Unsubscribe tokens derive from this one: a different secret, so neither kind of token opens the other."""
    arn = get_settings().unsubscribe_secret_arn
    if not arn:
        raise RuntimeError("UNSUBSCRIBE_SECRET_ARN is not set")
    return secret_value(arn)
