"""The guest's personal page: one server-rendered HTML document plus its CSP header value."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import tzinfo
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import jinja2
import msgspec
from markupsafe import Markup

from .dates import format_moment, format_range, zone
from .i18n import SUPPORTED_LANGUAGES, language_from_header, normalize_language, notice_key, notice_kind, translate
from .qr import qr_svg

LANGUAGE_NAMES = {"de": "Deutsch", "fr": "Français", "en": "English", "it": "Italiano"}
# An envelope, inline: no request for /favicon.ico, nothing from a third party (CSP img-src data:).
FAVICON = ("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
           "%3Crect width='16' height='16' rx='3' fill='%231747b5'/%3E%3Cpath d='M3 5h10v6H3z' fill='none' "
           "stroke='%23fff' stroke-width='1.2'/%3E%3Cpath d='M3 5l5 4 5-4' fill='none' stroke='%23fff' stroke-width='1.2'/%3E%3C/svg%3E")


class Field(msgspec.Struct, frozen=True):
    """One question of the event's form as the page shows it, pre-filled."""

    name: str
    id: str
    label: str
    type: str = "text"  # the form's type: text, textarea, email, phone, select, multiselect, checkbox, date, number
    input_type: str = "text"  # the <input type> for the simple types
    autocomplete: str | None = None
    inputmode: str | None = None
    required: bool = False
    value: str = ""
    values: tuple[str, ...] = ()  # multiselect: the chosen options
    checked: bool = False
    help: str = ""
    help_id: str = ""
    max_length: int | None = None
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    invalid: bool = False


_INPUT_TYPES = {"text": "text", "email": "email", "phone": "tel", "date": "date", "number": "number"}
_INPUTMODES = {"email": "email", "phone": "tel", "number": "decimal"}
# Predefined fields a browser can fill in for the guest (HTML autocomplete tokens).
_AUTOCOMPLETE = {
    "title": "honorific-prefix", "firstname": "given-name", "lastname": "family-name", "email": "email",
    "phone_mobile": "tel", "organization": "organization", "job_title": "organization-title",
    "street": "street-address", "zip": "postal-code", "city": "address-level2",
}
PREDEFINED_LABELS = ("title", "function", "firstname", "lastname", "organization", "phone_mobile", "image",
                     "job_title", "badge_info", "email", "street", "zip", "city")


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


def _label_of(lang: str):
    def label(field_id: str) -> str:
        return translate(f"field.{field_id}", lang) if field_id in PREDEFINED_LABELS else field_id
    return label


def _fields(event: Mapping[str, Any], contact: Mapping[str, Any], lang: str, submitted: Mapping[str, Any] | None,
            error_field: str | None) -> list[Field]:
    """The event's form in the guest's language, pre-filled with what the guest typed (after a
    refused post) or else what the contact already has."""
    from ..forms import default_form, localised_form

    form = event.get("form") or default_form()
    raw_custom = contact.get("custom")
    custom = raw_custom if isinstance(raw_custom, Mapping) else {}
    out = []
    for index, field in enumerate(localised_form(form, lang, event.get("default_language"), _label_of(lang))):
        name, kind = field["id"], field["type"]
        if submitted is not None:
            current = submitted.get(name)
        else:
            current = contact.get(name) if name in PREDEFINED_LABELS else custom.get(name)
        chosen = tuple(str(v) for v in current) if isinstance(current, (list, tuple)) else ((_text(current),) if _text(current) else ())
        out.append(Field(
            name=name, id=f"f-{index}", label=field["label"], type=kind, input_type=_INPUT_TYPES.get(kind, "text"),
            autocomplete=_AUTOCOMPLETE.get(name, "off" if kind in ("text", "textarea") else None),
            inputmode=_INPUTMODES.get(kind), required=field["required"],
            value="" if isinstance(current, (list, tuple, bool)) else _text(current),
            values=chosen, checked=current is True or (isinstance(current, str) and current.lower() in ("on", "true", "1")),
            help=field["help"], help_id=f"h-{index}" if field["help"] else "", max_length=field.get("max_length"),
            options=tuple((o["value"], o["label"]) for o in field.get("options", ())), invalid=name == error_field,
        ))
    return out


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
                "ticket_groups": ticket_groups(code) if confirmed else [],
                "qr": Markup(qr_svg(code, title=translate("booking.qr_title", lang, code=code))) if confirmed else "",
                "cancel_url": (
                    f"{base}/bookings/{_segment(booking.get('booking_id'))}/cancel"
                    if can_cancel and status != "cancelled" and booking.get("booking_id")
                    else ""
                ),
            }
        )
    return rows


def ticket_groups(code: str) -> list[str]:
    """The ticket code in groups of four, each kept on one line, so it never wraps mid-group."""
    return [code[i:i + 4] for i in range(0, len(code), 4)]


def _organiser(event: Mapping[str, Any]) -> dict | None:
    raw = event.get("organiser")
    organiser = raw if isinstance(raw, Mapping) else {}
    block = {key: _text(organiser.get(key)) for key in ("name", "email", "url")}
    if block["url"] and not block["url"].startswith(("https://", "http://")):
        block["url"] = ""
    return block if any(block.values()) else None


def _safe_url(value: Any) -> str:
    text = _text(value)
    return text if text.startswith(("https://", "http://")) else ""


def _when_and_languages(event: Mapping[str, Any], tz: tzinfo, lang: str) -> tuple[str, list[tuple[str, str]]]:
    """The event's time range in the page's language ("" when it has no or a broken start) and the
    (code, name) of each language it offers that the pages speak, for the language menu."""
    try:
        when = format_range(event["start"], event.get("end"), tz, lang) if event.get("start") else ""
    except (TypeError, ValueError):
        when = ""
    offered = [code for code in (normalize_language(c) for c in event.get("languages") or ()) if code]
    return when, [(code, LANGUAGE_NAMES[code]) for code in dict.fromkeys(offered) if code in SUPPORTED_LANGUAGES]


def render_guest_page(
    view: Mapping[str, Any], token: str, lang: str, notice: str | None = None,
    submitted: Mapping[str, Any] | None = None, error_field: str | None = None, page_path: str | None = None,
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
    # `page_path` (the page's absolute path) when the page is served at another URL: a refused
    # form post is answered at /e/{token}/bookings, where relative URLs would point elsewhere.
    base = quote(page_path, safe="/") if page_path else _segment(token)

    when, languages = _when_and_languages(event, tz, lang)

    from ..forms import pick_text

    style, script, csp = _assets()
    status = _text(view.get("status"))
    default = event.get("default_language")
    online = event.get("online") if isinstance(event.get("online"), Mapping) else None
    html = _environment().get_template("guest.html").render(
        t=lambda key, **params: translate(key, lang, **params),
        lang=lang,
        languages=languages,
        event={**{key: _text(pick_text(event.get(key), lang, default)) for key in ("name", "venue", "description")},
               "start": _text(event.get("start"))},
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
            "can_join": bool(actions.get("can_join")),
        },
        join_opens=(_safe_moment(online.get("opens_at"), tz, lang) if online and status == "registered"
                    and not actions.get("can_join") else ""),
        fields=_fields(event, contact, lang, submitted, error_field),
        organiser=_organiser(event),
        privacy_url=_safe_url(event.get("privacy_url")),
        favicon=FAVICON,
        urls={
            "bookings": f"{base}/bookings",
            "decline": f"{base}/decline",
            "calendar": f"{base}/calendar.ics",
            "page": base if page_path else "",
            "join": f"{base}/join",
        },
        notice=(
            {"kind": notice_kind(notice), "text": translate(notice_key(notice), lang)} if notice else None
        ),
        style=Markup(style),
        script=Markup(script),
    )
    return html, csp


@lru_cache(maxsize=1)
def _static_csp() -> str:
    """Pages without script: the same policy, scripts off."""
    style = _assets()[0]
    return "; ".join(("default-src 'none'", "script-src 'none'", f"style-src {csp_hash(style)}", "img-src 'self' data:",
                      "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"))


def render_not_found(query_lang: str | None, accept_language: str | None) -> tuple[str, str]:
    """The HTML 404 for an unknown link in a browser, in the browser's language (else English)."""
    lang = normalize_language(query_lang) or language_from_header(accept_language) or "en"
    html = _environment().get_template("notfound.html").render(
        t=lambda key, **params: translate(key, lang, **params), lang=lang, favicon=FAVICON, style=Markup(_assets()[0]))
    return html, _static_csp()


def render_public_page(event: Mapping[str, Any], lang: str, *, action: str, page: str = "", notice: str | None = None,
                       submitted: Mapping[str, Any] | None = None, error_field: str | None = None) -> tuple[str, str]:
    """`GET /r/{event_id}`: the event, its form plus email and language, who invites and the privacy notice."""
    from ..forms import pick_text

    lang = normalize_language(lang) or "en"
    tz = zone(event.get("timezone"))
    default = event.get("default_language")
    when, languages = _when_and_languages(event, tz, lang)
    submitted = submitted or {}
    fields = [f for f in _fields(event, {}, lang, submitted, error_field) if f.name != "email"]
    html = _environment().get_template("public.html").render(
        t=lambda key, **params: translate(key, lang, **params),
        lang=lang, languages=languages, favicon=FAVICON, style=Markup(_assets()[0]),
        event={**{key: _text(pick_text(event.get(key), lang, default)) for key in ("name", "venue", "description")},
               "start": _text(event.get("start"))},
        when=when, timezone=_text(event.get("timezone")) or "UTC",
        email=_text(submitted.get("email")), email_invalid=error_field == "email",
        fields=fields, action=action, page=page,
        notice=({"kind": notice_kind(notice), "text": translate(notice_key(notice), lang)} if notice else None),
        organiser=_organiser(event), privacy_url=_safe_url(event.get("privacy_url")),
    )
    return html, _static_csp()
