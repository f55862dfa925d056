"""The event's registration form (DESIGN.md section 10): its definition and the one validation of answers.

Pure: no storage, no HTTP. The organiser API normalises a form with `normalise_form`, the
guest page, the booking API, public registration and the import all validate values with
`validate_answers` / `check_value`, so a value accepted in one place is accepted in all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from .codes import Code
from .errors import InvalidRequest
from .fields import normalise_email, normalise_phone
from .schemas.limits import storable_number

FIELD_TYPES = ("text", "textarea", "email", "phone", "select", "multiselect", "checkbox", "date", "number")
# The seed's predefined identifiers a form may ask for (section 2); each keeps one meaning.
PREDEFINED_IDS = (
    "title", "function", "firstname", "lastname", "organization", "phone_mobile", "image",
    "job_title", "badge_info", "email", "street", "zip", "city",
)
# Set by the system or the organiser, never a form answer.
SYSTEM_FIELDS = ("identifier", "language", "account_manager", "permission_group")
# Types a predefined id may take: the contact stores these as text.
_PREDEFINED_TYPES = {"email": ("email",), "phone_mobile": ("phone",)}
_TEXT_TYPES = ("text", "textarea", "select", "date")
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000, "email": 254, "phone": 40}
ANSWER_MAX = 2000
FORM_JSON_MAX = 100_000
_CUSTOM_ID = r"^[a-z][a-z0-9_]{0,63}$"  # compiled on first use (re's cache): cold start
_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"off", "false", "0", "no"})

def default_form() -> list[dict]:
    """What a new event (or one stored before forms existed) asks: the seed's four usual fields."""
    return [
        {"id": "firstname", "type": "text", "required": False},
        {"id": "lastname", "type": "text", "required": False},
        {"id": "email", "type": "email", "required": False},
        {"id": "organization", "type": "text", "required": False},
    ]


def pick_text(value: Any, lang: str, default_language: str | None = None) -> str:
    """A localised text (a string or {lang: text}) in `lang`, else the default language, else any."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for code in (lang, default_language):
            if code and value.get(code):
                return str(value[code])
        return next((str(v) for v in value.values() if v), "")
    return ""


def _local(value: Any, where: str, limit: int) -> str | dict | None:
    """A localised text as stored: a stripped string, or {lang: stripped text} without empties."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > limit:
            raise InvalidRequest(Code.TOO_LONG, f"field {where!r}: at most {limit} characters", {"field": where})
        return text or None
    if isinstance(value, Mapping):
        out = {}
        for lang, text in value.items():
            if not isinstance(text, str):
                raise InvalidRequest(Code.INVALID_FIELD, f"field '{where}.{lang}': a text", {"field": f"{where}.{lang}"})
            if len(text.strip()) > limit:
                raise InvalidRequest(Code.TOO_LONG, f"field '{where}.{lang}': at most {limit} characters", {"field": f"{where}.{lang}"})
            if text.strip():
                out[str(lang)] = text.strip()
        return out or None
    raise InvalidRequest(Code.INVALID_FIELD, f"field {where!r}: a text or {{language: text}}", {"field": where})


def normalise_form(form: Any) -> tuple[list[dict], list[dict]]:
    """An organiser's form -> (the form as stored, warnings). Refuses what cannot be served.

    Warnings name custom fields whose label is one of a predefined field's known labels
    ("E-Mail" for a custom `mail`): the same information would end up in two columns.
    """
    if not isinstance(form, list):
        raise InvalidRequest(Code.INVALID_FORM, "field 'form': a list of fields", {"field": "form"})
    if len(form) > 100:
        raise InvalidRequest(Code.TOO_LONG, "field 'form': at most 100 fields", {"field": "form"})
    out: list[dict] = []
    warnings: list[dict] = []
    seen: set[str] = set()
    for index, raw in enumerate(form):
        where = f"form[{index}]"
        if not isinstance(raw, Mapping):
            raise InvalidRequest(Code.INVALID_FORM, f"field {where!r}: an object", {"field": where})
        field_id = str(raw.get("id") or "")
        kind = raw.get("type") or "text"
        if field_id in SYSTEM_FIELDS:
            raise InvalidRequest(Code.INVALID_FORM, f"field '{where}.id': {field_id!r} is set by the organiser or the import, not by a form",
                                 {"field": f"{where}.id"})
        if not re.match(_CUSTOM_ID, field_id):
            raise InvalidRequest(Code.INVALID_FORM, f"field '{where}.id': a predefined identifier or a snake_case id", {"field": f"{where}.id"})
        if field_id in seen:
            raise InvalidRequest(Code.INVALID_FORM, f"field '{where}.id': {field_id!r} appears twice", {"field": f"{where}.id"})
        seen.add(field_id)
        if kind not in FIELD_TYPES:
            raise InvalidRequest(Code.INVALID_FORM, f"field '{where}.type': one of {', '.join(FIELD_TYPES)}", {"field": f"{where}.type"})
        if field_id in PREDEFINED_IDS:
            allowed = _PREDEFINED_TYPES.get(field_id, _TEXT_TYPES)
            if kind not in allowed:
                raise InvalidRequest(Code.INVALID_FORM, f"field '{where}.type': {field_id!r} takes {' or '.join(allowed)}",
                                     {"field": f"{where}.type"})
        label = _local(raw.get("label"), f"{where}.label", 200)
        if label is None and field_id not in PREDEFINED_IDS:
            raise InvalidRequest(Code.INVALID_FORM, f"field '{where}.label': a custom field needs a label", {"field": f"{where}.label"})
        field: dict[str, Any] = {"id": field_id, "type": kind, "required": bool(raw.get("required"))}
        if label is not None:
            field["label"] = label
        help_text = _local(raw.get("help"), f"{where}.help", 1000)
        if help_text is not None:
            field["help"] = help_text
        options = raw.get("options")
        if kind in ("select", "multiselect"):
            field["options"] = _options(options, f"{where}.options")
        elif options:
            raise InvalidRequest(Code.INVALID_FORM, f"field '{where}.options': only select and multiselect have options",
                                 {"field": f"{where}.options"})
        max_length = raw.get("max_length")
        if max_length is not None:
            if kind not in DEFAULT_MAX_LENGTH or not isinstance(max_length, int) or isinstance(max_length, bool) \
                    or not 1 <= max_length <= ANSWER_MAX:
                raise InvalidRequest(Code.INVALID_FORM, f"field '{where}.max_length': 1 to {ANSWER_MAX}, for text fields",
                                     {"field": f"{where}.max_length"})
            field["max_length"] = max_length
        out.append(field)
        if field_id not in PREDEFINED_IDS and label is not None:
            predefined = _predefined_label(label)
            if predefined:
                warnings.append({"code": "duplicates_predefined_field", "field": f"{where}.label",
                                 "message": f"the custom field {field_id!r} is labelled like the predefined field "
                                            f"{predefined!r}; use id {predefined!r} so the information stays in one column",
                                 "predefined": predefined})
    return out, warnings


def _options(options: Any, where: str) -> list[dict]:
    if not isinstance(options, list) or not options:
        raise InvalidRequest(Code.INVALID_FORM, f"field {where!r}: a select needs at least one option", {"field": where})
    out, seen = [], set()
    for index, option in enumerate(options):
        value = str((option or {}).get("value") or "").strip() if isinstance(option, Mapping) else ""
        if not value or value in seen:
            raise InvalidRequest(Code.INVALID_FORM, f"field '{where}[{index}].value': a non-empty value, unique in the field",
                                 {"field": f"{where}[{index}].value"})
        seen.add(value)
        item: dict[str, object] = {"value": value}
        label = _local(option.get("label"), f"{where}[{index}].label", 200)
        if label is not None:
            item["label"] = label
        out.append(item)
    return out


def _predefined_label(label: str | dict) -> str | None:
    from .workbook.columns import LABELS, normalise_label  # the import's label table: one list of known labels

    texts = [label] if isinstance(label, str) else list(label.values())
    for text in texts:
        hit = LABELS.get(normalise_label(text))
        if hit and hit in PREDEFINED_IDS:
            return hit
    return None


# ------------------------------------------------------------------ answers


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def check_value(field: Mapping[str, Any], value: Any, *, region: str = "CH", html: bool = False) -> Any:
    """One non-empty answer, cleaned for storage; raises InvalidRequest naming the field.

    `html`: the value came from a browser form, where every value is text (a checkbox is
    "on", a number "12"); JSON clients send typed values.
    """
    field_id, kind = field["id"], field["type"]
    where = {"field": field_id}

    def refuse(code: str, reason: str) -> InvalidRequest:
        return InvalidRequest(code, f"field {field_id!r}: {reason}", where)

    if kind == "multiselect":
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or any(not isinstance(v, str) for v in values):
            raise refuse(Code.INVALID_FIELD, "a list of options")
        allowed = {o["value"] for o in field.get("options") or ()}
        chosen = list(dict.fromkeys(v.strip() for v in values if v.strip()))
        if any(v not in allowed for v in chosen):
            raise refuse(Code.INVALID_OPTION, f"choose among {', '.join(sorted(allowed))}")
        return chosen
    if kind == "checkbox":
        if isinstance(value, bool):
            return value
        if html and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise refuse(Code.INVALID_FIELD, "true or false")
    if kind == "number":
        if isinstance(value, str) and html:
            try:
                value = float(value.strip().replace("'", "").replace(",", "."))
            except ValueError:
                raise refuse(Code.INVALID_FIELD, "a number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise refuse(Code.INVALID_FIELD, "a number")
        if not storable_number(value):
            raise refuse(Code.INVALID_FIELD, "0, or a number of magnitude 1e-130 to 1e125")
        return int(value) if float(value).is_integer() and abs(value) < 2 ** 53 else value
    if not isinstance(value, str):
        raise refuse(Code.INVALID_FIELD, "a text")
    text = value.strip()
    limit = min(int(field.get("max_length") or DEFAULT_MAX_LENGTH.get(kind, ANSWER_MAX)), ANSWER_MAX)
    if len(text) > limit:
        raise refuse(Code.TOO_LONG, f"at most {limit} characters")
    if kind == "email":
        try:
            return normalise_email(text)
        except ValueError as exc:
            raise refuse(Code.INVALID_EMAIL, str(exc)) from None
    if kind == "phone":
        try:
            return normalise_phone(text, region)
        except ValueError as exc:
            raise refuse(Code.INVALID_PHONE, str(exc)) from None
    if kind == "select":
        values = [o["value"] for o in field.get("options") or ()]
        if text not in values:
            raise refuse(Code.INVALID_OPTION, f"choose among {', '.join(values)}")
    if kind == "date":
        try:
            if len(text) != 10:
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise refuse(Code.INVALID_FIELD, "a date as YYYY-MM-DD") from None
    return text


def has_value(field: Mapping[str, Any], value: Any) -> bool:
    """Does a stored value answer this field? (A required checkbox must be ticked.)"""
    if field["type"] == "checkbox":
        return value is True
    return not is_empty(value)


def validate_answers(form: Iterable[Mapping[str, Any]], answers: Mapping[str, Any], *,
                     existing: Mapping[str, Any] | None = None, region: str = "CH", html: bool = False) -> dict:
    """The answers to store: every key a form field, each value valid for its type.

    Empty answers are not answers (they never erase a stored value); a required field is
    satisfied by an answer or by a value the contact already has. Refusals raise
    InvalidRequest (`unknown_field`, `missing_field`, `invalid_field`, `invalid_option`,
    `too_long`, `invalid_email`, `invalid_phone`) naming the first field at fault.
    """
    fields = {f["id"]: f for f in form}
    existing = existing or {}
    unknown = sorted(k for k in answers if k not in fields)
    if unknown:
        raise InvalidRequest(Code.UNKNOWN_FIELD, f"field {unknown[0]!r} is not a field of this event's form", {"field": unknown[0]})
    cleaned: dict[str, Any] = {}
    for field_id, field in fields.items():
        value = answers.get(field_id)
        if not is_empty(value):
            value = check_value(field, value, region=region, html=html)
            if not (field["type"] == "checkbox" and value is False and html):
                cleaned[field_id] = value
        if field.get("required") and not has_value(field, cleaned.get(field_id)) and not has_value(field, existing.get(field_id)):
            raise InvalidRequest(Code.MISSING_FIELD, f"field {field_id!r} is required", {"field": field_id})
    return cleaned


def split_answers(answers: Mapping[str, Any]) -> tuple[dict, dict]:
    """(predefined contact fields, custom fields) of validated answers."""
    profile = {k: v for k, v in answers.items() if k in PREDEFINED_IDS}
    custom = {k: v for k, v in answers.items() if k not in PREDEFINED_IDS}
    return profile, custom


def localised_form(form: Iterable[Mapping[str, Any]], lang: str, default_language: str | None, label_of) -> list[dict]:
    """The form as a guest sees it: labels, help and option labels in one language.

    `label_of(field_id)` gives the standard label of a predefined field with no label of its own.
    """
    out = []
    for field in form:
        item = {"id": field["id"], "type": field["type"], "required": bool(field.get("required")),
                "label": pick_text(field.get("label"), lang, default_language) or label_of(field["id"]),
                "help": pick_text(field.get("help"), lang, default_language)}
        if field.get("max_length"):
            item["max_length"] = field["max_length"]
        if "options" in field:
            item["options"] = [{"value": o["value"], "label": pick_text(o.get("label"), lang, default_language) or o["value"]}
                               for o in field["options"]]
        out.append(item)
    return out
