"""Campaign templates: organisers' Jinja2 in a sandbox, checked when saved, rendered per contact.

The sandbox (`jinja2.sandbox.SandboxedEnvironment`) refuses attribute access to anything
private (`__class__`, `__globals__`, `mro`...) and calls to unsafe callables; on top of
it a template that even names an underscore attribute is refused when it is saved (422),
so no campaign waits for its send to fail. Placeholders: the contact's fields (and its
custom fields by id), `link`, `event.name`, `event.start` (formatted for the language and
the event's time zone), `event.end`, `event.venue`, `event.when`, `unsubscribe_url`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import msgspec

from .codes import Code
from .errors import InvalidRequest
from .fields import PROFILE_FIELDS

SUBJECT_MAX = 200
BODY_MAX = 10_000
_URL = re.compile(r"(https?://[^\s<>\"']+)")


@lru_cache(maxsize=2)
def environment(autoescape: bool = False):
    from jinja2 import StrictUndefined  # noqa: F401 - documented: we choose the lenient Undefined below
    from jinja2.sandbox import SandboxedEnvironment

    # Unknown placeholders render empty (a contact without a title must not stop a campaign);
    # validation below refuses names that are not placeholders at all.
    env = SandboxedEnvironment(autoescape=autoescape, trim_blocks=True, lstrip_blocks=True)
    env.globals.clear()  # no range(), lipsum(), dict(), cycler(): nothing but the context
    return env


@lru_cache(maxsize=64)
def compiled(source: str):
    """A campaign renders the same few templates for every recipient: compile each once per container."""
    return environment().from_string(source)


def _refuse(field: str, message: str, code: str = Code.INVALID_TEMPLATE) -> InvalidRequest:
    return InvalidRequest(code, f"field {field!r}: {message}", {"field": field})


def _check_ast(source: str, field: str) -> None:
    from jinja2 import TemplateSyntaxError, nodes

    env = environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise _refuse(field, f"template syntax error on line {exc.lineno}: {exc.message}") from None
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name, nodes.Call, nodes.Filter, nodes.Test)):
        name = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            name = node.arg.value
        elif isinstance(node, nodes.Name):
            name = node.name
        if name is not None and name.startswith("_"):
            raise _refuse(field, f"{name!r} is not a placeholder (names starting with '_' reach Python internals)",
                          Code.UNSAFE_TEMPLATE)
        if isinstance(node, nodes.Call):
            raise _refuse(field, "templates cannot call functions", Code.UNSAFE_TEMPLATE)
        if isinstance(node, nodes.Filter) and node.name in ("attr", "map", "selectattr", "rejectattr", "groupby", "sort"):
            # filters that look attributes up by a name given as text: the sandbox would stop them, we refuse them
            raise _refuse(field, f"the {node.name!r} filter is not available in campaign templates", Code.UNSAFE_TEMPLATE)
    for _node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        raise _refuse(field, "templates cannot include or import other templates", Code.UNSAFE_TEMPLATE)


def sample_context(lang: str = "en") -> dict:
    contact = {name: f"<{name}>" for name in PROFILE_FIELDS}
    return {**contact, "identifier": "<identifier>", "custom": {}, "link": "https://example.com/e/TOKEN",
            "unsubscribe_url": "https://example.com/u/TOKEN",
            "event": {"name": "Event", "start": "1 January 2030, 18:00", "end": "", "venue": "", "when": ""}}


def validate(templates: Mapping[str, Mapping[str, str]], *, languages: list[str], default_language: str,
             channel: str) -> None:
    """Refuse (422, naming `templates.{lang}.{part}`) what could not render for every contact."""
    from jinja2.exceptions import SecurityError, TemplateError

    if default_language not in templates:
        raise _refuse(f"templates.{default_language}", "the event's default language needs a template "
                      "(contacts whose language has none get it)", Code.INVALID_FIELD)
    for lang, parts in templates.items():
        if lang not in languages:
            raise _refuse(f"templates.{lang}", f"the event does not offer {lang!r} ({', '.join(languages)})",
                          Code.INVALID_FIELD)
        for part in ("subject", "body"):
            source = parts.get(part) or ""
            where = f"templates.{lang}.{part}"
            if part == "subject" and channel != "sms" and not source.strip():
                raise _refuse(where, "a mail needs a subject", Code.INVALID_FIELD)
            if part == "body" and not source.strip():
                raise _refuse(where, "the message needs a body", Code.INVALID_FIELD)
            _check_ast(source, where)
            try:
                environment().from_string(source).render(sample_context(lang))
            except SecurityError:
                raise _refuse(where, "the template tries to reach Python objects", Code.UNSAFE_TEMPLATE) from None
            except TemplateError as exc:
                raise _refuse(where, f"the template cannot render: {exc}") from None


class Rendered(msgspec.Struct, frozen=True):
    subject: str
    text: str
    html: str


def context_for(contact: Mapping[str, Any], *, link: str, event: Mapping[str, Any], lang: str,
                unsubscribe_url: str | None) -> dict:
    from .transactional import localised, when_text
    from .web.dates import format_moment, zone

    default = event.get("default_language")
    tz = zone(event.get("timezone"))
    fields = {name: contact.get(name) or "" for name in PROFILE_FIELDS}
    custom = dict(contact.get("custom") or {})
    return {**custom, **fields, "identifier": contact.get("identifier") or "", "custom": custom, "link": link,
            "unsubscribe_url": unsubscribe_url or "",
            "event": {"name": localised(event.get("name"), lang, default),
                      "venue": localised(event.get("venue"), lang, default),
                      "start": format_moment(event["start"], tz, lang) if event.get("start") else "",
                      "end": format_moment(event["end"], tz, lang) if event.get("end") else "",
                      "when": when_text(event, lang) or ""}}


def render(parts: Mapping[str, str], context: Mapping[str, Any], *, lang: str, button_label: str,
           unsubscribe_label: str | None) -> Rendered:
    """Subject, text part and HTML part (escaped paragraphs, the link as a button, the unsubscribe footer)."""
    from .transactional import button_html, html_document

    subject = " ".join(compiled(parts.get("subject") or "").render(context).split())[:SUBJECT_MAX]
    body = compiled(parts.get("body") or "").render(context).strip()
    link, unsubscribe = context.get("link") or "", context.get("unsubscribe_url") or ""
    text = body if link in body else f"{body}\n\n{link}"
    html_body = "".join(f"<p>{_linkify(p)}</p>" for p in re.split(r"\n\s*\n", body) if p.strip())
    html_body += button_html(link, button_label)
    if unsubscribe and unsubscribe_label:
        text += f"\n\n-- \n{unsubscribe_label}: {unsubscribe}"
        html_body += (f'<p style="color:#555;font-size:12px;margin-top:32px">'
                      f'<a href="{html.escape(unsubscribe)}" style="color:#555">{html.escape(unsubscribe_label)}</a></p>')
    return Rendered(subject, text + "\n", html_document(lang, subject, html_body))


def _linkify(paragraph: str) -> str:
    escaped = html.escape(paragraph).replace("\n", "<br>")
    return _URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', escaped)
