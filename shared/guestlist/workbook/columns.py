"""Maps the organiser's headers to field identifiers: explicit mapping first, then known labels."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from .codes import Code
from .formulas import column_letters
from .model import IDENTIFIER, PREDEFINED_FIELDS, WorkbookError

# Labels organisers write in de/fr/en/it, compared after normalise_label (so "E-Mail",
# "e mail" and "EMAIL" are one label). A field identifier always maps to itself.
_LABELS: dict[str, tuple[str, ...]] = {
    IDENTIFIER: (
        "id", "identifier", "identifiant", "identifikator", "identifikation", "kennung",
        "identificatore", "identificativo", "unique id", "contact id",
    ),
    "title": (
        "title", "titel", "anrede", "titre", "civilite", "salutation", "titolo", "appellativo",
        "titolo di cortesia",
    ),
    "function": ("function", "funktion", "fonction", "funzione"),
    "firstname": (
        "firstname", "first name", "given name", "forename", "vorname", "prenom", "nome",
    ),
    "lastname": (
        "lastname", "last name", "surname", "family name", "nachname", "familienname",
        "nom", "nom de famille", "cognome",
    ),
    "organization": (
        "organization", "organisation", "company", "company name", "firma", "unternehmen",
        "entreprise", "societe", "azienda", "ditta", "organizzazione", "societa",
    ),
    "phone_mobile": (
        "phone mobile", "mobile", "mobile phone", "mobile number", "cell", "cell phone",
        "cellphone", "phone", "telephone", "handy", "handynummer", "natel", "mobiltelefon",
        "mobilnummer", "mobile telefon", "telefon", "telefonnummer", "telephone mobile",
        "portable", "mobile tel", "tel mobile", "numero de portable", "numero de mobile",
        "telephone portable", "cellulare", "telefono cellulare", "numero di cellulare",
        "telefono", "natel nummer",
    ),
    "image": ("image", "picture", "photo", "bild", "foto", "immagine"),
    "job_title": (
        "job title", "jobtitle", "position", "jobtitel", "berufsbezeichnung", "stellung",
        "poste", "titre du poste", "intitule du poste", "posizione", "qualifica",
        "titolo professionale",
    ),
    "badge_info": (
        "badge info", "badge", "badge information", "info badge", "badge infos", "informations badge",
        "informazioni badge", "badge informationen",
    ),
    "email": (
        "email", "e mail", "email address", "e mail address", "mail", "mail address",
        "e mail adresse", "email adresse", "mailadresse", "courriel", "adresse e mail",
        "adresse email", "adresse electronique", "adresse courriel", "posta elettronica",
        "indirizzo email", "indirizzo e mail", "indirizzo di posta elettronica",
    ),
    "street": (
        "street", "address", "street address", "strasse", "adresse", "strasse und nr",
        "strasse nr", "rue", "indirizzo", "via",
    ),
    "zip": (
        "zip", "zip code", "zipcode", "postcode", "postal code", "post code", "plz",
        "postleitzahl", "npa", "code postal", "cap", "codice postale", "numero postale",
    ),
    "city": (
        "city", "town", "ort", "stadt", "wohnort", "ville", "localite", "localita", "citta",
        "luogo", "commune", "gemeinde",
    ),
    "language": (
        "language", "sprache", "korrespondenzsprache", "langue", "langue de correspondance",
        "lingua", "lingua di corrispondenza",
    ),
    "account_manager": (
        "account manager", "kundenbetreuer", "kundenberater", "kundenverantwortlicher",
        "responsable de compte", "gestionnaire de compte", "responsabile del conto",
        "responsabile clienti",
    ),
    "permission_group": (
        "permission group", "berechtigungsgruppe", "berechtigung", "groupe d autorisation",
        "groupe de permissions", "groupe d autorisations", "gruppo di autorizzazione",
        "gruppo di permessi",
    ),
}


def normalise_label(text: str) -> str:
    """Case, accents, spacing and punctuation removed: 'Prénom ' -> 'prenom', 'E-Mail' -> 'email'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


LABELS: dict[str, str] = {}
for _field, _labels in _LABELS.items():
    for _label in (_field, *_labels):
        LABELS.setdefault(normalise_label(_label), _field)

# "Name" beside "Vorname"/"Prénom" is the last name in German- and French-speaking lists;
# on its own it is ambiguous (full name?) and stays unmapped.
_AMBIGUOUS_NAME = normalise_label("Name")


@dataclass
class ColumnPlan:
    """Which sheet column feeds which field; `index` is the 0-based column in the sheet."""

    mapped: list[tuple[int, str, str]] = field(default_factory=list)  # (index, header, field)
    ignored: list[str] = field(default_factory=list)

    @property
    def identifier_index(self) -> int | None:
        return next((index for index, _header, target in self.mapped if target == IDENTIFIER), None)

    def report(self) -> dict:
        return {"mapped": {header: target for _i, header, target in self.mapped}, "ignored": list(self.ignored)}


def header_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def plan_columns(headers: list[str], mapping: dict | None) -> ColumnPlan:
    """Resolves every header to a field or to 'ignored'; raises WorkbookError for a bad sheet or mapping."""
    duplicate_headers(headers)
    plan = ColumnPlan()
    taken: dict[str, str] = {}  # field -> header
    decided: dict[int, str | None] = {}  # column index -> field (None = ignored)

    for header, target in _explicit_mapping(headers, mapping):
        index = _find_header(headers, header)
        if target and target in taken:
            raise WorkbookError(
                Code.INVALID_MAPPING,
                f"The mapping sends both '{taken[target]}' and '{headers[index]}' to the field '{target}'.",
            )
        decided[index] = target or None
        if target:
            taken[target] = headers[index]

    for index, header in enumerate(headers):
        if not header or index in decided:
            continue
        target = LABELS.get(normalise_label(header))
        if target is not None and target not in taken:
            decided[index] = target
            taken[target] = header
        else:
            decided[index] = None

    name_means_lastname(headers, decided, taken)

    for index, header in enumerate(headers):
        if not header:
            continue
        target = decided.get(index)
        if target:
            plan.mapped.append((index, header, target))
        else:
            plan.ignored.append(header)
    if plan.identifier_index is None:
        raise WorkbookError(Code.NO_IDENTIFIER_COLUMN, no_identifier_message(headers, taken), {"columns": plan.report()})
    return plan


def duplicate_headers(headers: list[str]) -> None:
    """Two columns with the same header (ignoring case and surrounding spaces) make the mapping ambiguous."""
    seen: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if header:
            seen.setdefault(header.casefold(), []).append(index)
    repeated = [indexes for indexes in seen.values() if len(indexes) > 1]
    if repeated:
        names = "; ".join(
            f"'{headers[indexes[0]]}' (columns {', '.join(column_letters(i) for i in indexes)})" for indexes in repeated
        )
        raise WorkbookError(
            Code.DUPLICATE_HEADERS,
            f"Row 1 has duplicate headers: {names}. Give every column its own header.",
            {"headers": [headers[indexes[0]] for indexes in repeated]},
        )


def name_means_lastname(headers: list[str], decided: dict[int, str | None], taken: dict[str, str]) -> None:
    if "firstname" not in taken or "lastname" in taken:
        return
    for index, header in enumerate(headers):
        if header and decided.get(index) is None and normalise_label(header) == _AMBIGUOUS_NAME:
            decided[index] = "lastname"
            taken["lastname"] = header
            return


def no_identifier_message(headers: list[str], taken: dict[str, str]) -> str:
    if not any(headers):
        return "Row 1 is empty: the sheet needs a header row with an identifier column."
    message = "No column maps to 'identifier' (row 1 must have an identifier column, e.g. 'Identifier' or 'ID')."
    if "email" in taken:
        message += (
            f" To use the email column as identifier, map it: --mapping '{{\"{taken['email']}\": \"identifier\"}}'."
        )
    return message


def _explicit_mapping(headers: list[str], mapping: dict | None) -> list[tuple[str, str]]:
    if not mapping:
        return []
    if not isinstance(mapping, dict):
        raise WorkbookError(Code.INVALID_MAPPING, 'The mapping must be a JSON object {"Header": "field"}.')
    pairs = []
    for header, target in mapping.items():
        if not isinstance(header, str) or not isinstance(target, str):
            raise WorkbookError(Code.INVALID_MAPPING, 'The mapping must map header texts to field identifiers (strings).')
        pairs.append((header, target.strip()))
    return pairs


def _find_header(headers: list[str], wanted: str) -> int:
    if wanted in headers:
        return headers.index(wanted)
    folded = wanted.strip().casefold()
    for index, header in enumerate(headers):
        if header and header.casefold() == folded:
            return index
    known = ", ".join(f"'{header}'" for header in headers if header) or "none"
    raise WorkbookError(
        Code.INVALID_MAPPING,
        f"The mapping names the column '{wanted}', which is not in row 1 (headers: {known}).",
    )


def is_custom(target: str) -> bool:
    return target != IDENTIFIER and target not in PREDEFINED_FIELDS
