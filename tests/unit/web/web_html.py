"""A tiny HTML scanner for the web tests: elements with attributes, inline script/style bodies."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    forms: list[int] = field(default_factory=list)  # index of the enclosing <form>, if any


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._raw: str | None = None
        self._buffer: list[str] = []
        self._form: int | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: (v or "") for k, v in attrs})
        if tag == "form":
            self._form = len(self.elements)
        if self._form is not None and tag != "form":
            element.forms.append(self._form)
        self.elements.append(element)
        if tag in ("script", "style"):
            self._raw, self._buffer = tag, []

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == self._raw:
            (self.scripts if tag == "script" else self.styles).append("".join(self._buffer))
            self._raw = None

    def handle_data(self, data):
        if self._raw:
            self._buffer.append(data)
        else:
            self.text.append(data)

    # queries
    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def inputs(self) -> dict[str, Element]:
        return {e.attrs["name"]: e for e in self.find("input") if e.attrs.get("type") != "hidden"}

    def forms(self) -> list[Element]:
        return self.find("form")

    def children_of_form(self, form: Element) -> list[Element]:
        index = self.elements.index(form)
        return [e for e in self.elements if index in e.forms]

    def all_text(self) -> str:
        # Only ASCII whitespace: non-breaking spaces are part of the French texts.
        return re.sub(r"[ \t\n\r\f]+", " ", " ".join(self.text)).strip()


def csp_source(body: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"


def csp_directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out
