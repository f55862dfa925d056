"""The event as an iCalendar file, carrying the guest's personal link."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import icalendar

from .dates import parse_in_zone, zone
from .i18n import translate

PRODID = "-//guestlist//EN"
UID_DOMAIN = "guestlist"


def event_uid(event_id: str) -> str:
    """The same for every guest of an event, so a re-download updates the calendar entry."""
    return f"event-{event_id}@{UID_DOMAIN}"


def build_calendar(
    event: Mapping[str, Any],
    personal_link: str,
    lang: str,
    *,
    now: datetime | None = None,
) -> bytes:
    """A `text/calendar` body with one VEVENT in the event's time zone (TZID + VTIMEZONE)."""
    tz = zone(event.get("timezone"))
    stamp = (now or datetime.now(UTC)).astimezone(UTC)

    vevent = icalendar.Event()
    vevent.add("uid", event_uid(str(event["event_id"])))
    vevent.add("dtstamp", stamp)
    start = parse_in_zone(event["start"], tz)
    end = parse_in_zone(event["end"], tz) if event.get("end") else start
    vevent.add("dtstart", start)
    if event.get("end"):
        vevent.add("dtend", end)
    vevent.add("summary", event.get("name") or "")
    if event.get("venue"):
        vevent.add("location", event["venue"])
    link_text = translate("calendar.personal_link", lang, link=personal_link)
    description = (event.get("description") or "").strip()
    vevent.add("description", f"{description}\n\n{link_text}" if description else link_text)
    vevent.add("url", personal_link)

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add_component(vevent)
    # Only the transitions around the event: keeps the file small (the default spans 1970-2038).
    cal.add_missing_timezones(
        first_date=date(start.year - 1, 1, 1), last_date=date(end.year + 2, 1, 1)
    )
    return cal.to_ical()
