"""A guest view as `GET /e/{token}` returns it, shared by the web tests."""

from __future__ import annotations

import copy

import pytest

TOKEN = "tK3n_Abc-0123456789xyzQRSTuvw"

SAMPLE_VIEW = {
    "event": {
        "event_id": "evt-2025-summer",
        "name": "Sommerfest 2025",
        "start": "2025-06-14T16:30:00+00:00",
        "end": "2025-06-14T20:00:00+00:00",
        "timezone": "Europe/Zurich",
        "venue": "Zunfthaus zur Meisen, Münsterhof 20, 8001 Zürich",
        "languages": ["de", "fr", "en"],
        "default_language": "de",
        "capacity": 50,
        "self_cancellation": True,
        "personal_link_only": False,
        "description": "Apéro riche on the terrace.\nDress code: summer casual.",
        "form": [
            {"id": "firstname", "type": "text", "required": True},
            {"id": "lastname", "type": "text", "required": True},
            {"id": "email", "type": "email"},
            {"id": "phone_mobile", "type": "phone"},
            {"id": "organization", "type": "text"},
            {"id": "job_title", "type": "text"},
            {"id": "diet", "type": "text", "label": {"en": "Diet", "de": "Ernährung"}},
        ],
    },
    "contact": {
        "identifier": "anna.muster@example.ch",
        "title": "Dr.",
        "firstname": "Anna",
        "lastname": "Muster",
        "email": "anna.muster@example.ch",
        "phone_mobile": "+41 79 123 45 67",
        "organization": "Muster AG",
        "job_title": "CFO",
        "city": "Bern",
        "language": "fr",
        "custom": {"diet": "vegan"},
        "personal_link": f"https://guests.example.ch/e/{TOKEN}?lang=fr",
    },
    "status": "registered",
    "bookings": [
        {
            "booking_id": "bk-1",
            "status": "confirmed",
            "ticket_code": "T-7QX2-93KD",
            "created_at": "2025-05-02T08:15:00+00:00",
            "checked_in_at": None,
            "answers": {"diet": "vegan"},
        }
    ],
    "actions": {"can_book": False, "can_cancel": True, "can_decline": False},
}


@pytest.fixture
def view() -> dict:
    return copy.deepcopy(SAMPLE_VIEW)


@pytest.fixture
def token() -> str:
    return TOKEN
