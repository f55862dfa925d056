"""Contact fields: the one place where an identifier, an email or a phone number is cleaned.

The workbook import and the API both call these, so a value accepted in one is accepted
in the other.
"""

from __future__ import annotations

from .codes import Code
from .errors import InvalidRequest

# Fields an organiser or guest may set on a contact (seed: predefined identifiers).
PROFILE_FIELDS = (
    "title", "function", "firstname", "lastname", "organization", "phone_mobile", "image",
    "job_title", "badge_info", "email", "street", "zip", "city",
    "language", "account_manager", "permission_group",
)


def normalise_identifier(value: object) -> str:
    """Trimmed; an identifier that is an email compares case-insensitively, so lower-case it."""
    text = str(value).strip()
    return text.lower() if "@" in text else text


def normalise_email(value) -> str:
    """The email-validator normalised form (no DNS); raises ValueError with the reason."""
    from email_validator import EmailNotValidError, validate_email  # heavy: only paths that validate pay for it

    if not isinstance(value, str):
        raise ValueError("it is not text")
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def normalise_phone(value, region: str = "CH") -> str:
    """E.164 ('+41791234567'); numbers without a country code are read in `region`."""
    import phonenumbers  # heavy: only paths that validate pay for it

    if not isinstance(value, str):
        raise ValueError("it is not a phone number")
    value = value.strip()
    try:
        number = phonenumbers.parse(value, region)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    # A number typed into a numeric cell loses its '+': 41791234567 is +41 79 123 45 67.
    if value.isdigit() and not value.startswith("0"):
        try:
            number = phonenumbers.parse("+" + value, None)
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
    raise ValueError("it is not a valid phone number")


def clean_profile(fields: dict, *, region: str = "CH", languages: tuple[str, ...] | list[str] = ()) -> tuple[dict, dict]:
    """Split API input into (predefined fields, custom fields), validating what has rules.

    Empty values are dropped: an empty field never erases a stored value.
    """
    profile, custom = {}, {}
    for name, value in fields.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if name == "custom":
            if not isinstance(value, dict):
                raise InvalidRequest(Code.INVALID_FIELD, "field 'custom': an object of form answers", {"field": "custom"})
            custom.update({str(k): v for k, v in value.items() if v not in (None, "")})
            continue
        if name not in PROFILE_FIELDS:
            custom[name] = value
            continue
        if isinstance(value, (dict, list)):
            raise InvalidRequest(Code.INVALID_FIELD, f"field {name!r}: a text value", {"field": name})
        text = str(value).strip()
        try:
            if name == "email":
                text = normalise_email(text)
            elif name == "phone_mobile":
                text = normalise_phone(text, region)
        except ValueError as exc:
            code = Code.INVALID_EMAIL if name == "email" else Code.INVALID_PHONE
            raise InvalidRequest(code, f"field {name!r}: {exc}", {"field": name}) from None
        if name == "language":
            text = text.lower()[:2]
            if languages and text not in languages:
                raise InvalidRequest(Code.UNKNOWN_LANGUAGE, f"field 'language': one of {', '.join(languages)}", {"field": name})
        profile[name] = text
    return profile, custom
