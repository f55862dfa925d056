"""The server secret that links and tickets derive from, fetched once per container."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from .settings import get_settings


def link_secret() -> bytes:
    # Cached by Powertools for 5 minutes: one Secrets Manager call per cold start.
    value = parameters.get_secret(get_settings().link_secret_arn, max_age=300)
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)
