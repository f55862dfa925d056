"""Metrics and Tracer of one function (DESIGN.md s12), made the same way by every handler.

Metrics are CloudWatch EMF lines in the function's log (no AWS call, so they work anywhere,
the local stack included); each handler module has its own set (EphemeralMetrics), so two
handlers in one process never flush each other's metrics.

Powertools' Tracer imports the X-Ray SDK: about 25 ms inside Lambda with only botocore
patched, about 200 ms elsewhere (outside Lambda the SDK builds a botocore client for its
sampling rules), and it records nothing outside Lambda. So the real Tracer is built only
where it records (in Lambda, unless POWERTOOLS_TRACE_DISABLED); elsewhere a stand-in with
the same decorators costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

NAMESPACE = "guestlist"

__all__ = ["MetricUnit", "count_mail", "new_metrics", "new_tracer", "tracing_enabled"]


def new_metrics() -> EphemeralMetrics:
    return EphemeralMetrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE)


def count_mail(metrics: EphemeralMetrics, sent: bool) -> None:
    """One SES/SNS send, accepted or refused: MailsSent/MailsFailed (the MailsFailed alarm), for
    transactional mails, account managers' notices and campaigns alike."""
    metrics.add_metric(name="MailsSent" if sent else "MailsFailed", unit=MetricUnit.Count, value=1)


def tracing_enabled(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    disabled = str(env.get("POWERTOOLS_TRACE_DISABLED", "")).lower() in ("1", "true", "yes", "on")
    return bool(env.get("LAMBDA_TASK_ROOT")) and not env.get("AWS_SAM_LOCAL") and not disabled


class _NoTracer:
    """Tracer's decorators and annotations, doing nothing (where no X-Ray daemon listens)."""

    def capture_lambda_handler(self, handler: Callable | None = None, **_: Any):
        return handler if handler is not None else (lambda fn: fn)

    def capture_method(self, method: Callable | None = None, **_: Any):
        return method if method is not None else (lambda fn: fn)

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        pass


def new_tracer():
    """Powertools Tracer in Lambda (AWS calls traced through botocore: boto3 and PynamoDB), else a no-op."""
    if not tracing_enabled():
        return _NoTracer()
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=("botocore",))
