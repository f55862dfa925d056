"""Maps the organiser's headers to field identifiers: explicit mapping first, then known labels."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from .codes import WARNING, Code
from .formulas import column_letters
from .model import IDENTIFIER, PREDEFINED_FIELDS, Issue, WorkbookError

# Labels organisers write in de/fr/en/it, compared after normalise_label (so "E-Mail",
# "e mail" and "EMAIL" are one label). A field identifier always maps to itself.
# Exact labels name only their field; a looser one (_LOOSE_LABELS) usually means it: an exact
# label beats a looser one whatever their order (`Mobile` over `Telefon` for phone_mobile).
_LABELS: dict[str, tuple[str, ...]] = {
    IDENTIFIER: (
        "id", "identifier", "identifiant", "identifikator", "identifikation", "kennung",
        "identificatore", "identificativo", "unique id", "contact id", "kontakt id", "id contact",
        "gast id", "guest id", "id invite",
    ),
    "title": (
        "title", "titel", "anrede", "titre", "civilite", "salutation", "titolo", "appellativo",
        "titolo di cortesia", "briefanrede", "formule d appel", "akademischer titel",
    ),
    "function": ("function", "funktion", "fonction", "funzione"),
    "firstname": (
        "firstname", "first name", "given name", "forename", "vorname", "prenom", "nome",
        "vornamen", "prenoms", "nome proprio",
    ),
    "lastname": (
        "lastname", "last name", "surname", "family name", "nachname", "familienname",
        "nom", "nom de famille", "cognome", "name des gastes",
    ),
    "organization": (
        "organization", "organisation", "company", "company name", "firma", "unternehmen",
        "entreprise", "societe", "azienda", "ditta", "organizzazione", "societa", "firmenname",
        "name der firma", "firmenbezeichnung", "organisation name", "organization name",
        "raison sociale", "nom de l entreprise", "nom de la societe", "ragione sociale",
        "nome azienda", "nome della ditta", "institution", "arbeitgeber", "employer",
    ),
    "phone_mobile": (
        "phone mobile", "mobile", "mobile phone", "mobile number", "cell", "cell phone",
        "cellphone", "handy", "handynummer", "natel", "natelnummer", "natel nr", "mobiltelefon",
        "mobilnummer", "mobile telefon", "mobiltelefonnummer", "telephone mobile", "mobile tel",
        "tel mobile", "mobile nr", "mobile no", "portable", "numero de portable",
        "numero de mobile", "telephone portable", "tel portable", "no portable", "n portable", "n de portable",
        "no de portable", "numero portable",
        "cellulare", "telefono cellulare", "numero di cellulare", "natel nummer", "tel natel",
        "telefon mobil", "mobile phone number", "handy nr", "cellulaire",
    ),
    "image": ("image", "picture", "photo", "bild", "foto", "immagine"),
    "job_title": (
        "job title", "jobtitle", "position", "jobtitel", "berufsbezeichnung", "stellung",
        "poste", "titre du poste", "intitule du poste", "posizione", "qualifica",
        "titolo professionale", "stelle", "beruf", "profession", "professione",
    ),
    "badge_info": (
        "badge info", "badge", "badge information", "info badge", "badge infos", "informations badge",
        "informazioni badge", "badge informationen", "badgetext", "texte badge", "testo badge",
    ),
    "email": (
        "email", "e mail", "email address", "e mail address", "mail", "mail address",
        "e mail adresse", "email adresse", "mailadresse", "courriel", "adresse e mail",
        "adresse email", "adresse electronique", "adresse courriel", "posta elettronica",
        "indirizzo email", "indirizzo e mail", "indirizzo di posta elettronica", "e mail adr",
    ),
    "street": (
        "street", "address", "street address", "strasse", "adresse", "strasse und nr",
        "strasse nr", "strasse und hausnummer", "rue", "indirizzo", "via", "address line 1",
        "adresse 1", "adresszeile 1", "rue et numero", "via e numero",
    ),
    "zip": (
        "zip", "zip code", "zipcode", "postcode", "postal code", "post code", "plz",
        "postleitzahl", "npa", "code postal", "cap", "codice postale", "numero postale",
        "numero postal", "no postal",
    ),
    "city": (
        "city", "town", "ort", "stadt", "wohnort", "ville", "localite", "localita", "citta",
        "luogo", "commune", "gemeinde", "ortschaft",
    ),
    "language": (
        "language", "sprache", "korrespondenzsprache", "langue", "langue de correspondance",
        "lingua", "lingua di corrispondenza", "preferred language", "bevorzugte sprache",
        "langue preferee", "lingua preferita", "sprachcode", "code langue", "language code",
    ),
    "account_manager": (
        "account manager", "kundenbetreuer", "kundenberater", "kundenverantwortlicher",
        "responsable de compte", "gestionnaire de compte", "responsabile del conto",
        "responsabile clienti", "betreuer", "key account manager", "kam",
    ),
    "permission_group": (
        "permission group", "berechtigungsgruppe", "berechtigung", "groupe d autorisation",
        "groupe de permissions", "groupe d autorisations", "gruppo di autorizzazione",
        "gruppo di permessi",
    ),
}

# Looser labels: a column that usually holds the field (a landline often is a mobile in
# organisers' lists, a business address is the address) but loses to an exact label.
_LOOSE_LABELS: dict[str, tuple[str, ...]] = {
    "phone_mobile": (
        "phone", "telephone", "tel", "tel nr", "tel no", "telefon", "telefonnummer", "telefon nr",
        "telefono", "numero di telefono", "numero de telephone", "no de telephone", "n de telephone", "phone number",
        "telefon geschaftlich", "telefon geschaeftlich", "geschaftstelefon", "business phone",
        "telephone professionnel", "tel prof", "telefono ufficio", "phone 1 value", "primary phone",
    ),
    "email": (
        "e mail geschaftlich", "e mail geschaeftlich", "geschaftliche e mail", "email geschaftlich",
        "e mail business", "business email", "business e mail", "work email", "email professionnel",
        "e mail professionnel", "adresse e mail professionnelle", "courriel professionnel",
        "email lavoro", "e mail aziendale", "e mail 1", "email 1", "e mail 1 value", "email 1 value",
        "e mail privat", "private email", "email privee", "e mail adresse 1",
    ),
    "street": (
        "strasse geschaftlich", "strasse geschaeftlich", "business street", "rue professionnelle",
        "postadresse", "adresse postale", "indirizzo postale",
    ),
    "zip": ("postleitzahl geschaftlich", "business postal code", "plz ort"),
    "city": ("ort geschaftlich", "business city", "ville professionnelle"),
    "organization": ("organization 1 name", "account name"),
    "job_title": ("organization 1 title", "funktion im unternehmen", "fonction dans l entreprise"),
    "lastname": ("family name 1", "nom du participant"),
}

EXACT, LOOSE = 0, 1


def normalise_label(text: str) -> str:
    """Case, accents, spacing and punctuation removed: 'Prénom ' -> 'prenom', 'E-Mail' -> 'email'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


@dataclass(frozen=True)
class Targets:
    """The mapping targets and the labels that find them: the one place the set comes from.

    `labels` maps a normalised label to (field, rank), rank EXACT or LOOSE. The default set is
    the system fields; `with_fields` adds more targets (an event's form fields) by id and label.
    """

    labels: dict[str, tuple[str, int]]

    def lookup(self, header: str) -> tuple[str, int] | None:
        return self.labels.get(normalise_label(header))

    def with_fields(self, fields: dict[str, tuple[str, ...] | list[str]]) -> Targets:
        """These targets plus `fields` ({field id: its labels}), each as an exact label; system labels keep theirs."""
        labels = dict(self.labels)
        for target, names in fields.items():
            for name in (target, *names):
                key = normalise_label(name)
                if key and (key not in labels or labels[key][1] == LOOSE):
                    labels[key] = (target, EXACT)
        return Targets(labels)


def _build_targets() -> Targets:
    labels: dict[str, tuple[str, int]] = {}
    for rank, table in ((EXACT, _LABELS), (LOOSE, _LOOSE_LABELS)):
        for target, names in table.items():
            for name in ((target, *names) if rank == EXACT else names):
                labels.setdefault(normalise_label(name), (target, rank))
    return Targets(labels)


SYSTEM_TARGETS = _build_targets()
LABELS: dict[str, str] = {label: target for label, (target, _rank) in SYSTEM_TARGETS.labels.items()}

# "Name" beside "Vorname"/"Prénom" is the last name in German- and French-speaking lists;
# on its own it is ambiguous (full name?) and stays unmapped.
_AMBIGUOUS_NAME = normalise_label("Name")


@dataclass
class ColumnPlan:
    """Which sheet column feeds which field; `index` is the 0-based column in the sheet."""

    mapped: list[tuple[int, str, str]] = field(default_factory=list)  # (index, header, field)
    ignored: list[str] = field(default_factory=list)
    # columns read into a second field without being its mapping (the email as identifier)
    derived: list[tuple[int, str, str]] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)  # header_row, competing_columns, email_as_identifier

    @property
    def read(self) -> list[tuple[int, str, str]]:
        """Every (index, header, field) the rows are read into."""
        return self.mapped + self.derived

    @property
    def identifier_index(self) -> int | None:
        return next((index for index, _header, target in self.read if target == IDENTIFIER), None)

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


def plan_columns(
    headers: list[str], mapping: dict | None, targets: Targets = SYSTEM_TARGETS, header_row: int = 1
) -> ColumnPlan:
    """Resolves every header to a field or to 'ignored'; raises WorkbookError for a bad sheet or mapping."""
    duplicate_headers(headers, header_row)
    plan = ColumnPlan()
    taken: dict[str, str] = {}  # field -> header
    decided: dict[int, str | None] = {}  # column index -> field (None = ignored)

    for header, target in _explicit_mapping(headers, mapping):
        index = _find_header(headers, header, header_row)
        if target and target in taken:
            raise WorkbookError(
                Code.INVALID_MAPPING,
                f"The mapping sends both '{taken[target]}' and '{headers[index]}' to the field '{target}'.",
            )
        decided[index] = target or None
        if target:
            taken[target] = headers[index]
    explicit = set(taken)

    # Exact labels first, then looser ones; leftmost first within a rank.
    candidates = []
    for index, header in enumerate(headers):
        if not header or index in decided:
            continue
        found = targets.lookup(header)
        decided[index] = None
        if found is not None:
            candidates.append((found[1], index, header, found[0]))
    for _rank, index, header, target in sorted(candidates):
        if target not in taken:
            decided[index] = target
            taken[target] = header
        elif target not in explicit:
            plan.warnings.append(competing_columns(header_row, target, taken[target], header))

    name_means_lastname(headers, decided, taken)

    for index, header in enumerate(headers):
        if not header:
            continue
        chosen = decided.get(index)
        if chosen:
            plan.mapped.append((index, header, chosen))
        else:
            plan.ignored.append(header)
    if plan.identifier_index is None and "email" in taken:
        email = next(entry for entry in plan.mapped if entry[2] == "email")
        plan.derived.append((email[0], email[1], IDENTIFIER))
        plan.warnings.append(email_as_identifier(header_row, email[1]))
    if plan.identifier_index is None:
        raise WorkbookError(
            Code.NO_IDENTIFIER_COLUMN, no_identifier_message(headers, header_row), {"columns": plan.report()}
        )
    return plan


def competing_columns(header_row: int, target: str, winner: str, loser: str) -> Issue:
    return Issue(
        header_row, None, loser, Code.COMPETING_COLUMNS.value,
        f"Columns '{winner}' and '{loser}' both look like the field '{target}': '{winner}' is used and "
        f"'{loser}' is ignored; map the columns explicitly to choose otherwise.",
        WARNING,
    )


def email_as_identifier(header_row: int, header: str) -> Issue:
    return Issue(
        header_row, None, header, Code.EMAIL_AS_IDENTIFIER.value,
        f"No column maps to 'identifier': the email column '{header}' is used as the identifier.",
        WARNING,
    )


def duplicate_headers(headers: list[str], header_row: int = 1) -> None:
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
            f"Row {header_row} has duplicate headers: {names}. Give every column its own header.",
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


def no_identifier_message(headers: list[str], header_row: int = 1) -> str:
    if not any(headers):
        return f"Row {header_row} is empty: the sheet needs a header row with an identifier column."
    return (
        f"No column maps to 'identifier' (the header row, row {header_row}, needs an identifier column, "
        "e.g. 'Identifier', 'ID' or 'E-Mail')."
    )


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


def _find_header(headers: list[str], wanted: str, header_row: int = 1) -> int:
    if wanted in headers:
        return headers.index(wanted)
    folded = wanted.strip().casefold()
    for index, header in enumerate(headers):
        if header and header.casefold() == folded:
            return index
    known = ", ".join(f"'{header}'" for header in headers if header) or "none"
    raise WorkbookError(
        Code.INVALID_MAPPING,
        f"The mapping names the column '{wanted}', which is not in the header row, row {header_row} (headers: {known}).",
    )


def is_custom(target: str) -> bool:
    return target != IDENTIFIER and target not in PREDEFINED_FIELDS
