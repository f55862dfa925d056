"""Transactional guest mails from the contacts stream: once per status change, in the guest's language,
with the ticket and calendar attached; replays and a crash between marker and send never send twice."""

from __future__ import annotations

import random
import uuid

import pytest

from support.checkin import book, guest, new_guest
from support.guests import new_event
from support.history import deliver, outbox, stream_records


@pytest.fixture(scope="module", autouse=True)
def verified_sender(stack):
    from guestlist_local.outbox import ensure_sender_verified

    return ensure_sender_verified(stack.endpoint_url)


def _address() -> str:
    return f"guest-{uuid.uuid4().hex[:8]}@example.org"


def test_confirmation_waitlist_promotion_and_cancel_each_mail_once_in_the_guests_language(stack, organiser):
    event_id = new_event(stack, organiser, capacity=1, name="Gala")
    first, second = _address(), _address()
    _, token_a = new_guest(stack, organiser, event_id, email=first, firstname="Anne", language="fr")
    _, token_b = new_guest(stack, organiser, event_id, email=second, firstname="Bruno", language="de")
    seat = book(stack, token_a)
    waiting = book(stack, token_b)
    assert (seat["status"], waiting["status"]) == ("confirmed", "waitlisted")
    assert deliver(stack, stream_records(stack, event_id)) == []  # the stream keeps up: mails go out before the cancel
    assert guest(stack, "POST", token_a, f"/bookings/{seat['booking_id']}/cancel", booking_id=seat["booking_id"])[0] == 200
    records = stream_records(stack, event_id)
    assert deliver(stack, records) == []
    for seed in (3, 4):  # replayed, shuffled, in odd batches: nothing more goes out
        again = records * 2
        random.Random(seed).shuffle(again)
        assert deliver(stack, again, batch=3) == []

    mails_a = outbox(stack, first)
    assert [m["subject"] for m in mails_a] == ["Inscription confirmée\u00a0: Gala", "Réservation annulée\u00a0: Gala"]
    mails_b = outbox(stack, second)
    assert [m["subject"] for m in mails_b] == ["Warteliste: Gala", "Ein Platz ist frei geworden: Gala"]
    confirmation, promotion = mails_a[0], mails_b[1]
    for message, token in ((confirmation, token_a), (promotion, token_b)):
        assert [(a["filename"], a["content_type"]) for a in message["attachments"]] == [
            ("ticket-qr.png", "image/png"), ("event.ics", "text/calendar")]
        assert f"/e/{token}" in message["body"] and f"/e/{token}" in message["html"]
    # each mail carries its own contact's link and nobody else's
    assert f"/e/{token_b}" not in "".join(m["body"] + (m["html"] or "") for m in mails_a)
    assert f"/e/{token_a}" not in "".join(m["body"] + (m["html"] or "") for m in mails_b)


def test_the_link_in_a_mail_resolves_to_its_own_contact(stack, organiser):
    from guestlist.contacts import resolve_link

    event_id = new_event(stack, organiser)
    address = _address()
    identifier, token = new_guest(stack, organiser, event_id, email=address, language="en")
    book(stack, token)
    assert deliver(stack, stream_records(stack, event_id)) == []
    (mail,) = outbox(stack, address)
    link_token = mail["body"].split("/e/")[1].split("?")[0]
    assert link_token == token and resolve_link(link_token)[0].contact.identifier == identifier


def test_a_contact_with_only_a_phone_gets_an_sms_with_the_link(stack, organiser):
    event_id = new_event(stack, organiser)
    phone = f"+4179{random.randint(1000000, 9999999)}"
    _, token = new_guest(stack, organiser, event_id, phone_mobile=phone, language="en")
    book(stack, token)
    assert deliver(stack, stream_records(stack, event_id)) == []
    sms = outbox(stack, phone)
    assert len(sms) == 1 and sms[0]["channel"] == "sms" and f"/e/{token}" in sms[0]["body"]


def _booked(stack, organiser) -> tuple[str, str, str, list[dict]]:
    """(event, identifier, address, stream records) of a guest with a fresh confirmed booking."""
    event_id = new_event(stack, organiser)
    address = _address()
    identifier, token = new_guest(stack, organiser, event_id, email=address)
    book(stack, token)
    return event_id, identifier, address, stream_records(stack, event_id)


def test_a_crash_between_marker_and_send_never_sends_twice_and_leaves_it_pending(stack, organiser, monkeypatch):
    from guestlist import guest_mail, mail
    from guestlist.models import contact_pk

    event_id, identifier, address, records = _booked(stack, organiser)

    def crash(message, **_):
        raise SystemError("the container died after the marker, before SES answered")

    monkeypatch.setattr(mail, "send_with_backoff", crash)
    failures = deliver(stack, records)
    assert failures  # the record failed: the stream redelivers it
    monkeypatch.undo()
    assert deliver(stack, records) == [] and deliver(stack, records) == []
    assert outbox(stack, address) == []  # at most once: the pending claim is not sent again...
    states = [m["state"] for m in guest_mail.mails_of(contact_pk(event_id, identifier)) if m["kind"] == "booking_confirmed"]
    assert states == ["pending"]  # ...and is reported as unconfirmed


def test_throttling_leaves_the_marker_retryable_and_the_redelivery_sends_exactly_once(stack, organiser, monkeypatch):
    from guestlist import guest_mail, mail
    from guestlist.models import contact_pk

    event_id, identifier, address, records = _booked(stack, organiser)
    real = mail.send_with_backoff

    def throttled(message, **_):
        raise mail.RetryableSendError("throttled", "Throttling")

    monkeypatch.setattr(mail, "send_with_backoff", throttled)
    assert deliver(stack, records)  # failed, to be redelivered
    assert [m["state"] for m in guest_mail.mails_of(contact_pk(event_id, identifier))] == ["retry"]
    monkeypatch.setattr(mail, "send_with_backoff", real)
    assert deliver(stack, records) == [] and deliver(stack, records) == []
    assert len(outbox(stack, address)) == 1
    (marker,) = guest_mail.mails_of(contact_pk(event_id, identifier))
    assert (marker["state"], marker["attempts"], marker["channel"]) == ("sent", 2, "email")


def test_a_permanent_rejection_is_recorded_and_not_retried(stack, organiser, monkeypatch):
    from guestlist import guest_mail, mail
    from guestlist.models import contact_pk

    event_id, identifier, _, records = _booked(stack, organiser)
    calls = []

    def rejected(message, **_):
        calls.append(message)
        raise mail.PermanentSendError("message_rejected", "MessageRejected")

    monkeypatch.setattr(mail, "send_with_backoff", rejected)
    assert deliver(stack, records) == [] and deliver(stack, records) == []
    assert len(calls) == 1
    (marker,) = guest_mail.mails_of(contact_pk(event_id, identifier))
    assert (marker["state"], marker["reason"]) == ("failed", "message_rejected")
