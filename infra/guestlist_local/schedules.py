"""EventBridge Scheduler on the local stack: one-time `at(...)` schedules fire when due.

moto stores schedules but never runs them. This poller does what the scheduler does for
the targets the template uses: at the schedule's time it sends the target's `Input` to
the target SQS queue, then deletes the schedule (ActionAfterCompletion DELETE; a one-time
schedule that stays would never fire again anyway). A crash between the send and the
delete fires it twice: the campaign's plan is idempotent for that reason.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .provision import client

log = logging.getLogger("guestlist.schedules")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CHECK_EVERY = 1.0  # seconds between listings (the scheduler's own granularity is a minute)


def due_time(schedule: dict) -> datetime | None:
    match = _AT.match(schedule.get("ScheduleExpression") or "")
    if not match:
        return None
    tz = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=tz)


def fire_due(endpoint_url: str, now: datetime | None = None) -> int:
    """Fire every due one-time schedule; returns how many fired."""
    return _fire_due(client("scheduler", endpoint_url), client("sqs", endpoint_url), now)


def _fire_due(scheduler: Any, sqs: Any, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    fired = 0
    for summary in scheduler.list_schedules().get("Schedules", []):
        group = summary.get("GroupName") or "default"
        schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
        when = due_time(schedule)
        if when is None:
            log.warning("schedule %s: only at(...) schedules run on the local stack", summary["Name"])
            continue
        if when > now or schedule.get("State") == "DISABLED":
            continue
        target = schedule["Target"]
        if not target["Arn"].startswith("arn:aws:sqs:"):
            log.warning("schedule %s: target %s is not a queue; the local stack fires only SQS targets",
                        summary["Name"], target["Arn"])
            continue
        url = sqs.get_queue_url(QueueName=target["Arn"].rsplit(":", 1)[1])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=target.get("Input") or "{}")
        scheduler.delete_schedule(Name=summary["Name"], GroupName=group)
        fired += 1
    return fired


class SchedulePoller:
    """Mixed into the event pump's pollers (see pump.EventPump)."""

    name = "schedules"

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url
        self._last = 0.0
        # made once: a new client per poll loaded the services' models again every second (a tenth of the
        # stack process's samples during the check-in benchmark, next to the emulator it slows down)
        self._clients: tuple[Any, Any] | None = None

    def poll_once(self) -> bool:
        if time.monotonic() - self._last < _CHECK_EVERY:
            return False
        self._last = time.monotonic()
        if self._clients is None:
            self._clients = client("scheduler", self.endpoint_url), client("sqs", self.endpoint_url)
        return _fire_due(*self._clients) > 0
