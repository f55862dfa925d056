"""The row rules of the import contract (DESIGN.md s3), one small function each.

A rule gets what it needs and returns an Issue (or None); the reader applies them in order
and a row gets at most one skipping issue, so counts add up.
"""

from __future__ import annotations

from .codes import SKIPPED, WARNING, Code
from .columns import normalise_label
from .model import Issue
from .values import normalise_email, normalise_language, normalise_phone


def shown(value, limit: int = 60) -> str:
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


def error_value(row: int, identifier: str | None, errors: list[tuple[str, str]]) -> Issue:
    """A mapped cell shows an Excel error (#N/A, #VALUE!...): the organiser sees it, so it is never read as empty."""
    shown = ", ".join(f"'{header}' shows {text}" for header, text in errors)
    return Issue(
        row, identifier, errors[0][0], Code.ERROR_VALUE.value,
        f"Row {row}: column {shown}; correct the cell or clear it.",
        SKIPPED,
    )


def formula(row: int, identifier: str | None, headers: list[str]) -> Issue:
    names = ", ".join(f"'{header}'" for header in headers)
    plural = "s" if len(headers) > 1 else ""
    return Issue(
        row, identifier, headers[0], Code.FORMULA.value,
        f"Row {row}: column{plural} {names} hold{'' if plural else 's'} a formula; type the value instead.",
        SKIPPED,
    )


# What a totals row at the foot of a list says in its identifier column (de/fr/en/it).
TOTAL_WORDS = frozenset(normalise_label(word) for word in (
    "Total", "Totals", "Totaux", "Totale", "Totali", "Summe", "Gesamt", "Gesamttotal", "Total général",
    "Somme", "Sum", "Anzahl", "Nombre", "Numero totale", "Grand total", "Subtotal", "Zwischensumme",
))
TOTAL_PREFIXES = frozenset(word[:3] for word in TOTAL_WORDS)  # a word's first letters, lower-cased


def totals_row(row: int, identifier: str | None, header: str, fields: dict) -> Issue | None:
    """'Total' (Summe, Totale...) in the identifier column and no e-mail: a totals row, not a guest."""
    if not identifier or len(identifier) > 30 or normalise_label(identifier) not in TOTAL_WORDS or (
        fields.get("email") and "@" in fields["email"]
    ):
        return None
    return Issue(
        row, None, header, Code.TOTALS_ROW.value,
        f"Row {row} looks like a totals row ({shown(identifier)} in column '{header}'); it is not imported.",
        SKIPPED,
    )


def repeated_header(row: int, identifier: str | None, header: str) -> Issue | None:
    """The header row again further down (a list pasted twice, print titles): not a guest."""
    if not identifier or identifier.casefold() != header.casefold():
        return None
    return Issue(
        row, None, header, Code.REPEATED_HEADER.value,
        f"Row {row} repeats the header row ({shown(header)} in its identifier column); it is not imported.",
        SKIPPED,
    )


def missing_identifier(row: int, identifier: str | None, header: str) -> Issue | None:
    if identifier:
        return None
    return Issue(
        row, None, header, Code.MISSING_IDENTIFIER.value,
        f"Row {row}: the identifier column '{header}' is empty.",
        SKIPPED,
    )


def duplicate_identifier(row: int, identifier: str, header: str, first_rows: dict[str, int]) -> Issue | None:
    """The first row with an identifier wins; later rows with the same one are skipped."""
    first = first_rows.setdefault(identifier, row)
    if first == row:
        return None
    return Issue(
        row, identifier, header, Code.DUPLICATE_IDENTIFIER.value,
        f"Row {row}: identifier {shown(identifier)} already appears in row {first}; this row is skipped.",
        SKIPPED,
    )


def invalid_email(row: int, identifier: str, header: str, fields: dict) -> Issue | None:
    """Replaces fields['email'] by its normalised form, or reports why it is not an address."""
    value = fields["email"]
    try:
        fields["email"] = normalise_email(value)
    except ValueError as exc:
        return Issue(
            row, identifier, header, Code.INVALID_EMAIL.value,
            f"Row {row}, column '{header}': {shown(value)} is not a valid email address ({exc}).",
            SKIPPED,
        )
    return None


def invalid_phone(row: int, identifier: str, header: str, fields: dict, region: str) -> Issue | None:
    """Replaces fields['phone_mobile'] by its E.164 form, or reports it."""
    value = fields["phone_mobile"]
    try:
        fields["phone_mobile"] = normalise_phone(value, region)
    except ValueError:
        return Issue(
            row, identifier, header, Code.INVALID_PHONE.value,
            f"Row {row}, column '{header}': {shown(value)} is not a valid phone number; "
            "write it with its country code, e.g. +41 79 123 45 67.",
            SKIPPED,
        )
    return None


def unknown_language(
    row: int, identifier: str, header: str, fields: dict, languages: tuple[str, ...], default: str
) -> Issue | None:
    """An unknown language, or one the event does not offer, becomes the default language."""
    value = fields["language"]
    code = normalise_language(value)
    if code is not None and code in languages:
        fields["language"] = code
        return None
    fields["language"] = default
    reason = "is not a language the event offers" if code is not None else "is not a known language"
    return Issue(
        row, identifier, header, Code.UNKNOWN_LANGUAGE.value,
        f"Row {row}, column '{header}': {shown(value)} {reason}; the default language '{default}' is used.",
        WARNING,
    )


def header_row(row: int, reason: str) -> Issue:
    return Issue(
        row, None, None, Code.HEADER_ROW.value,
        f"Row {row} is used as the header row: {reason}. Rows are numbered as in Excel.",
        WARNING,
    )


def blank_row(first_blank: int, last_blank: int) -> Issue:
    rows = f"Row {first_blank} is" if first_blank == last_blank else f"Rows {first_blank}-{last_blank} are"
    return Issue(
        first_blank, None, None, Code.BLANK_ROW.value,
        f"{rows} empty between data rows; reading continued after the gap.",
        WARNING,
    )
