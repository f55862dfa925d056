from datetime import UTC, datetime

import icalendar

from guestlist.web import build_calendar

LINK = "https://guests.example.ch/e/TOKEN123?lang=fr"
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def _parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def _vevent(cal):
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def test_calendar_has_one_event_in_the_event_time_zone(view):
    body = build_calendar(view["event"], LINK, "fr", now=NOW)
    cal = _parse(body)
    event = _vevent(cal)
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert str(start.tzinfo) == "Europe/Zurich"
    assert (start.hour, start.minute) == (18, 30)
    assert (end.hour, end.minute) == (22, 0)
    assert start == datetime.fromisoformat(view["event"]["start"])
    assert event["dtstart"].params["TZID"] == "Europe/Zurich"
    assert b"DTSTART;TZID=Europe/Zurich:20250614T183000" in body
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Zurich"]


def test_calendar_carries_the_personal_link(view):
    event = _vevent(_parse(build_calendar(view["event"], LINK, "de", now=NOW)))
    assert str(event["url"]) == LINK
    assert LINK in str(event["description"])
    assert "Apéro riche" in str(event["description"])


def test_calendar_summary_location_prodid_dtstamp(view):
    cal = _parse(build_calendar(view["event"], LINK, "en", now=NOW))
    event = _vevent(cal)
    assert str(cal["prodid"]) == "-//guestlist//EN"
    assert str(event["summary"]) == "Sommerfest 2025"
    assert str(event["location"]) == view["event"]["venue"]
    assert event.decoded("dtstamp") == NOW


def test_uid_is_stable_and_the_same_for_every_guest(view):
    first = _vevent(_parse(build_calendar(view["event"], LINK, "en", now=NOW)))["uid"]
    second = _vevent(_parse(build_calendar(view["event"], "https://x/e/OTHER", "de")))["uid"]
    assert first == second
    assert view["event"]["event_id"] in str(first)


def test_event_without_end_or_description_still_builds(view):
    event = dict(view["event"], end=None, description=None, venue=None)
    parsed = _vevent(_parse(build_calendar(event, LINK, "it", now=NOW)))
    assert "dtend" not in parsed
    assert LINK in str(parsed["description"])


def test_special_characters_survive_the_round_trip(view):
    event = dict(view["event"], name="Fête; «Été», 2025\\ ok")
    assert str(_vevent(_parse(build_calendar(event, LINK, "fr", now=NOW)))["summary"]) == "Fête; «Été», 2025\\ ok"
