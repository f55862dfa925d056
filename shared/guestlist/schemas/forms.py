"""What guests are shown of an event: its form, localised texts and organiser (DESIGN.md section 10).

Apart from `events` (the organiser's event shapes, which use these): the guest function declares
its routes with these alone (cold start, DESIGN.md s9).
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from .limits import Language, Name, RequiredName, Text

Url = Annotated[str, Meta(max_length=2_000, pattern="^https?://[^\\s]+$", description="An http(s) URL")]
Email = Annotated[str, Meta(max_length=254, pattern="^[^@\\s]+@[^@\\s]+$")]
FieldId = Annotated[str, Meta(pattern="^[a-z][a-z0-9_]{0,63}$", description="A predefined identifier or a snake_case id")]
FieldType = Literal["text", "textarea", "email", "phone", "select", "multiselect", "checkbox", "date", "number"]

# A text shown to guests: one string for every language, or {lang: text}.
LocalName = Name | Annotated[dict[Language, Name], Meta(min_length=1)]
LocalText = Text | Annotated[dict[Language, Text], Meta(min_length=1)]
LocalHelp = Annotated[str, Meta(max_length=1_000)] | Annotated[dict[Language, Annotated[str, Meta(max_length=1_000)]], Meta(min_length=1)]
RequiredLocalName = RequiredName | Annotated[dict[Language, RequiredName], Meta(min_length=1)]


class FormOption(Struct, forbid_unknown_fields=True):
    value: Annotated[str, Meta(min_length=1, max_length=200)]
    label: LocalName | UnsetType = UNSET


class FormField(Struct, forbid_unknown_fields=True):
    """One question of the registration form; a predefined id may leave out its label."""

    id: FieldId
    type: FieldType = "text"
    label: LocalName | UnsetType = UNSET
    required: bool = False
    options: Annotated[list[FormOption], Meta(max_length=200)] | UnsetType = UNSET
    max_length: Annotated[int, Meta(ge=1, le=2_000)] | UnsetType = UNSET
    help: LocalHelp | UnsetType = UNSET


Form = Annotated[list[FormField], Meta(max_length=100)]


class Organiser(Struct, forbid_unknown_fields=True):
    name: Name | None = None
    email: Email | None = None
    url: Url | None = None
