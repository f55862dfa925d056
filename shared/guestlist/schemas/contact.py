"""A contact as it is read back: the organiser's contact list and the guest's page (DESIGN.md section 4).

Its own module: the guest function declares it without the organiser's contact shapes (cold start, s9).
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import UNSET, Struct, UnsetType

ContactStatus = Literal["open", "accessed", "registered", "unregistered", "waitlisted", "attended"]


class Contact(Struct):
    identifier: str
    event_id: str
    status: ContactStatus
    custom: dict[str, Any]
    groups: list[str]
    created_at: str
    updated_at: str
    personal_link: str | UnsetType = UNSET
    title: str | UnsetType = UNSET
    function: str | UnsetType = UNSET
    firstname: str | UnsetType = UNSET
    lastname: str | UnsetType = UNSET
    organization: str | UnsetType = UNSET
    phone_mobile: str | UnsetType = UNSET
    image: str | UnsetType = UNSET
    job_title: str | UnsetType = UNSET
    badge_info: str | UnsetType = UNSET
    email: str | UnsetType = UNSET
    street: str | UnsetType = UNSET
    zip: str | UnsetType = UNSET
    city: str | UnsetType = UNSET
    language: str | UnsetType = UNSET
    account_manager: str | UnsetType = UNSET
    permission_group: str | UnsetType = UNSET
