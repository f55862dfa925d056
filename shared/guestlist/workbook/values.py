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


# Codes (ISO 639-1/2, and the one-letter codes Swiss CRMs use: D, F, I, E, R) and names in
# de/fr/en/it, compared after normalise_label; a region in brackets or after '-'/'_' is dropped.
_LANGUAGE_NAMES = {
    "de": ("de", "d", "deu", "ger", "deutsch", "german", "allemand", "tedesco", "alemannisch",
           "schweizerdeutsch", "hochdeutsch", "dt", "deutsche", "deutsche sprache", "tedesca"),
    "fr": ("fr", "f", "fra", "fre", "francais", "french", "franzosisch", "franzoesisch", "francese",
           "franz", "frz", "francaise", "langue francaise"),
    "en": ("en", "e", "eng", "english", "englisch", "anglais", "inglese", "engl", "anglaise"),
    "it": ("it", "i", "ita", "italiano", "italian", "italienisch", "italien", "ital", "italienne",
           "italiana"),
    "rm": ("rm", "r", "roh", "rumantsch", "romanche", "ratoromanisch", "raetoromanisch", "romansh",
           "romancio", "romontsch"),
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
    """'Deutsch (Schweiz)', 'de-CH', 'fr_ch', 'Français', 'F' -> a code; None when unknown."""
    text = value.strip()
    code = LANGUAGES.get(normalise_label(text))
    if code is None and "(" in text:  # 'Deutsch (Schweiz)', 'English (UK)'
        code = LANGUAGES.get(normalise_label(text.split("(", 1)[0]))
    if code is None:  # 'de-CH', 'fr_CH', 'Deutsch - Schweiz', 'de CH', 'zh-Hant-TW' (unknown)
        for separator in ("-", "_", " ", "/", ","):
            if separator in text:
                code = LANGUAGES.get(normalise_label(text.split(separator, 1)[0]))
                break
    return code
