"""The guest's personal page: one server-rendered HTML document plus its CSP header value."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from .dates import format_moment, format_range, zone
from .i18n import SUPPORTED_LANGUAGES, normalize_language, notice_key, notice_kind, translate
from .qr import qr_svg

LANGUAGE_NAMES = {"de": "Deutsch", "fr": "Français", "en": "English", "it": "Italiano"}


@dataclass(frozen=True)
class Field:
    """One input of the registration form, pre-filled from the contact."""

    name: str
    id: str
    label: str
    type: str = "text"
    autocomplete: str | None = None
    inputmode: str | None = None
    required: bool = False
    value: str = ""


# (contact field, input type, autocomplete token, inputmode, required)
STANDARD_FIELDS = (
    ("firstname", "text", "given-name", None, True),
    ("lastname", "text", "family-name", None, True),
    ("email", "email", "email", "email", False),
    ("phone_mobile", "tel", "tel", "tel", False),
    ("organization", "text", "organization", None, False),
    ("job_title", "text", "organization-title", None, False),
)
# contact.custom entries post under their own name (`diet=vegan`): the booking handler
# stores every name that is not a predefined field as a custom answer. Names the form
# already uses, or that the handler reserves, are not offered as custom inputs.
RESERVED_NAMES = frozenset({"lang", "identifier", "custom", "language"}) | {f[0] for f in STANDARD_FIELDS}


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("guestlist.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _source(name: str) -> str:
    env = _environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source.strip()


def csp_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline script or style body."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    """(style, script, CSP): both inline bodies are constant, so is the header."""
    style = _source("guest.css")
    script = _source("visit.js")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {csp_hash(script)}",
            f"style-src {csp_hash(style)}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )
    return style, script, csp


def content_security_policy() -> str:
    return _assets()[2]


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list, tuple, set)):
        return ""
    return str(value).strip()


def _segment(value: Any) -> str:
    """A path segment that cannot turn a relative URL into a scheme or another path."""
    return quote(_text(value), safe="")


def _custom_label(key: str) -> str:
    words = re.sub(r"[_\-.]+", " ", key).strip()
    return words[:1].upper() + words[1:] if words else key


def _fields(contact: Mapping[str, Any], lang: str) -> list[Field]:
    fields = [
        Field(
            name=name,
            id=f"f-{name}",
            label=translate(f"field.{name}", lang),
            type=kind,
            autocomplete=autocomplete,
            inputmode=inputmode,
            required=required,
            value=_text(contact.get(name)),
        )
        for name, kind, autocomplete, inputmode, required in STANDARD_FIELDS
    ]
    custom = contact.get("custom") or {}
    if isinstance(custom, Mapping):
        for index, (key, value) in enumerate(custom.items()):
            if str(key) in RESERVED_NAMES:
                continue
            fields.append(
                Field(
                    name=str(key),
                    id=f"f-custom-{index}",
                    label=_custom_label(str(key)),
                    autocomplete="off",
                    value=_text(value),
                )
            )
    return fields


def _greeting(contact: Mapping[str, Any], lang: str) -> str:
    first, last = _text(contact.get("firstname")), _text(contact.get("lastname"))
    if not (first or last):
        return translate("greeting.anonymous", lang)
    name = " ".join(part for part in (_text(contact.get("title")), first, last) if part)
    return translate("greeting.named", lang, name=name)


def _status_text(status: str, lang: str, prefix: str) -> str:
    try:
        return translate(f"{prefix}{status}", lang)
    except KeyError:
        return status


def _safe_moment(value: Any, tz, lang: str) -> str:
    if not value:
        return ""
    try:
        return format_moment(value, tz, lang)
    except (TypeError, ValueError):
        return ""


def _bookings(view: Mapping[str, Any], base: str, lang: str, tz) -> list[dict[str, Any]]:
    can_cancel = bool((view.get("actions") or {}).get("can_cancel"))
    rows = []
    for booking in view.get("bookings") or []:
        status = _text(booking.get("status"))
        code = _text(booking.get("ticket_code"))
        confirmed = status == "confirmed" and code
        rows.append(
            {
                "status": status,
                "status_text": _status_text(status, lang, "booking.status."),
                "created": _safe_moment(booking.get("created_at"), tz, lang),
                "checked_in": _safe_moment(booking.get("checked_in_at"), tz, lang),
                "ticket_code": code if confirmed else "",
                "qr": Markup(qr_svg(code, title=translate("booking.qr_title", lang, code=code))) if confirmed else "",
                "cancel_url": (
                    f"{base}/bookings/{_segment(booking.get('booking_id'))}/cancel"
                    if can_cancel and status != "cancelled" and booking.get("booking_id")
                    else ""
                ),
            }
        )
    return rows


def render_guest_page(
    view: Mapping[str, Any], token: str, lang: str, notice: str | None = None
) -> tuple[str, str]:
    """The HTML page for `GET /e/{token}` and the value of its Content-Security-Policy header.

    URLs are relative to the page URL `/e/{token}` (no trailing slash), so `TOKEN/bookings`
    resolves to `/e/TOKEN/bookings` under any stage prefix, and the token appears only in
    the form actions and the calendar link.
    """
    lang = normalize_language(lang) or "en"
    event = view.get("event") or {}
    contact = view.get("contact") or {}
    actions = view.get("actions") or {}
    tz = zone(event.get("timezone"))
    base = _segment(token)

    try:
        when = format_range(event["start"], event.get("end"), tz, lang) if event.get("start") else ""
    except (TypeError, ValueError):
        when = ""

    offered = [code for code in (normalize_language(c) for c in event.get("languages") or ()) if code]
    languages = [(code, LANGUAGE_NAMES[code]) for code in dict.fromkeys(offered) if code in SUPPORTED_LANGUAGES]

    style, script, csp = _assets()
    status = _text(view.get("status"))
    html = _environment().get_template("guest.html").render(
        t=lambda key, **params: translate(key, lang, **params),
        lang=lang,
        languages=languages,
        event={key: _text(event.get(key)) for key in ("name", "venue", "description", "start")},
        when=when,
        timezone=_text(event.get("timezone")) or "UTC",
        greeting=_greeting(contact, lang),
        status=status,
        status_text=_status_text(status, lang, "status."),
        bookings=_bookings(view, base, lang, tz),
        actions={
            "can_book": bool(actions.get("can_book")),
            "can_cancel": bool(actions.get("can_cancel")),
            "can_decline": bool(actions.get("can_decline")),
        },
        fields=_fields(contact, lang),
        urls={
            "bookings": f"{base}/bookings",
            "decline": f"{base}/decline",
            "calendar": f"{base}/calendar.ics",
        },
        notice=(
            {"kind": notice_kind(notice), "text": translate(notice_key(notice), lang)} if notice else None
        ),
        style=Markup(style),
        script=Markup(script),
    )
    return html, csp
