"""Cell values to field values: numbers keep their digits, emails and phones are normalised."""

from __future__ import annotations

import datetime as dt

from ..fields import normalise_email, normalise_identifier, normalise_phone  # noqa: F401  (one place for these rules)
from .columns import normalise_label


def number_text(value: float) -> str:
    """8001.0 -> '8001'; 1.5 -> '1.5' (calamine reads every number as a float)."""
    if value.is_integer():
        return str(int(value))
    return repr(value)


def other_value(value):
    """Dates and times become ISO strings; anything else unusual becomes its text."""
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def custom_number(value: float):
    """Custom fields keep numbers as numbers, integral ones as int (JSON-friendly)."""
    return int(value) if value.is_integer() else value


_LANGUAGE_NAMES = {
    "de": ("de", "deu", "ger", "deutsch", "german", "allemand", "tedesco", "alemannisch", "schweizerdeutsch"),
    "fr": ("fr", "fra", "fre", "francais", "french", "franzosisch", "franzoesisch", "francese"),
    "en": ("en", "eng", "english", "englisch", "anglais", "inglese"),
    "it": ("it", "ita", "italiano", "italian", "italienisch", "italien"),
    "rm": ("rm", "roh", "rumantsch", "romanche", "ratoromanisch", "romansh", "romancio"),
    "es": ("es", "spa", "espanol", "spanish", "spanisch", "espagnol", "spagnolo"),
    "pt": ("pt", "por", "portugues", "portuguese", "portugiesisch", "portugais", "portoghese"),
    "nl": ("nl", "nld", "dut", "nederlands", "dutch", "niederlandisch", "neerlandais", "olandese"),
}
LANGUAGES: dict[str, str] = {
    normalise_label(name): code for code, names in _LANGUAGE_NAMES.items() for name in names
}


_LANGUAGE_SEEN: dict[str, str | None] = {}  # a column holds a handful of spellings: remember them


def normalise_language(value) -> str | None:
    """'DE', 'Deutsch', 'français', 'fr-CH', 'de_CH' -> 'de'/'fr'; None when unknown."""
    if not isinstance(value, str):
        return None
    try:
        return _LANGUAGE_SEEN[value]
    except KeyError:
        pass
    code = _language_code(value)
    if len(_LANGUAGE_SEEN) < 4096:
        _LANGUAGE_SEEN[value] = code
    return code


def _language_code(value: str) -> str | None:
    text = value.strip()
    code = LANGUAGES.get(normalise_label(text))
    if code is None and len(text) > 2 and text[2:3] in ("-", "_"):
        code = LANGUAGES.get(normalise_label(text[:2]))
    return code
