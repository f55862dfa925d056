"""Localised date and time texts for the guest page, in the event's time zone (no babel)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "it": ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
}
MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
}


def zone(name: str | None) -> tzinfo:
    """The IANA zone, or UTC when the name is missing or unknown (never fail a page on it)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_in_zone(value: str | datetime, tz: tzinfo) -> datetime:
    """An ISO-8601 value converted to `tz`; a value without offset is taken as local to `tz`."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def _lang(lang: str) -> str:
    return lang if lang in WEEKDAYS else "en"


def format_date(moment: datetime, lang: str, weekday: bool = True) -> str:
    lang = _lang(lang)
    day, month, year = moment.day, MONTHS[lang][moment.month - 1], moment.year
    name = WEEKDAYS[lang][moment.weekday()]
    if lang == "de":
        text = f"{day}. {month} {year}"
        return f"{name}, {text}" if weekday else text
    if lang == "fr":
        text = f"{'1er' if day == 1 else day} {month} {year}"
    elif lang == "it":
        text = f"{'1º' if day == 1 else day} {month} {year}"
    else:
        text = f"{day} {month} {year}"
    return f"{name} {text}" if weekday else text


def format_time(moment: datetime, lang: str) -> str:
    if _lang(lang) == "fr":
        return f"{moment.hour}\u00a0h\u00a0{moment.minute:02d}"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _clock_suffix(lang: str) -> str:
    # Non-breaking, so "Uhr" never starts a line on a narrow phone.
    return "\u00a0Uhr" if _lang(lang) == "de" else ""


def format_moment(value: str | datetime, tz: tzinfo, lang: str) -> str:
    """One point in time, e.g. a booking date: `14 June 2025, 18:30`."""
    moment = parse_in_zone(value, tz)
    return f"{format_date(moment, lang, weekday=False)}, {format_time(moment, lang)}{_clock_suffix(lang)}"


def format_range(start: str | datetime, end: str | datetime | None, tz: tzinfo, lang: str) -> str:
    """The event's span: one date when it starts and ends the same day, both otherwise."""
    first = parse_in_zone(start, tz)
    suffix = _clock_suffix(lang)
    head = f"{format_date(first, lang)}, {format_time(first, lang)}"
    if not end:
        return head + suffix
    last = parse_in_zone(end, tz)
    if last.date() == first.date():
        return f"{head} –\u00a0{format_time(last, lang)}{suffix}"
    return f"{head}{suffix} – {format_date(last, lang)}, {format_time(last, lang)}{suffix}"
