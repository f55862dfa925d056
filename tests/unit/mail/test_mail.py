"""The one sending path: raw MIME structure, error classification, backoff, transactional texts."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from guestlist import mail, transactional

EVENT = {"event_id": "evt-1", "name": {"de": "Sommerfest", "fr": "Fête d'été", "en": "Summer party"},
         "start": "2026-06-14T18:00:00+02:00", "end": "2026-06-14T23:00:00+02:00", "timezone": "Europe/Zurich",
         "venue": "Zunfthaus, Zürich", "languages": ["de", "fr", "en"], "default_language": "de"}
LINK = "https://guests.example.com/e/TOKEN123?lang=fr"


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=default_policy)


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x@example.org is bad"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "SendEmail")


def test_mime_has_text_and_html_alternatives_then_attachments_with_their_types():
    message = transactional.compose("booking_confirmed", event=EVENT, ticket_code="ABCDEFGH234567",
                                    contact={"email": "anne@example.org", "firstname": "Anne", "language": "fr"},
                                    link=LINK, sender="guestlist@example.com")
    raw = mail.build_mime(message)
    assert raw.isascii() and b"\r\n" in raw
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/mixed"
    alternative, *attachments = msg.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [
        ("image/png", "ticket-qr.png"), ("text/calendar", "event.ics")]
    assert attachments[0].get_payload(decode=True).startswith(b"\x89PNG")
    ics = attachments[1].get_payload(decode=True)
    assert b"BEGIN:VCALENDAR" in ics and b"TOKEN123" in ics
    assert attachments[1].get_param("method") == "PUBLISH"
    assert "MIME-Version" not in alternative and msg["MIME-Version"] == "1.0"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert LINK in text and 'href="https://guests.example.com/e/TOKEN123?lang=fr"' in html
    assert str(msg["Subject"]) == "Inscription confirmée\u00a0: Fête d'été"


def test_unsubscribe_headers_follow_rfc_8058():
    message = mail.Mail(to="a@example.org", subject="s", text="t", sender="guestlist@example.com",
                        headers=mail.unsubscribe_headers("https://g.example.com/u/UNSUB"))
    msg = parse(mail.build_mime(message))
    assert msg["List-Unsubscribe"] == "<https://g.example.com/u/UNSUB>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "text/plain"


def test_header_injection_through_a_subject_is_impossible():
    message = mail.Mail(to="a@example.org", subject="hi\r\nBcc: evil@example.org", text="t", sender="s@example.com")
    msg = parse(mail.build_mime(message))
    assert msg["Bcc"] is None


@pytest.mark.parametrize(("code", "status", "kind", "reason"), [
    ("Throttling", 400, mail.RetryableSendError, "throttled"),
    ("TooManyRequestsException", 429, mail.RetryableSendError, "throttled"),
    ("ThrottledException", 400, mail.RetryableSendError, "throttled"),
    ("InternalFailure", 500, mail.RetryableSendError, "unavailable"),
    ("SomethingNew", 503, mail.RetryableSendError, "unavailable"),
    ("MessageRejected", 400, mail.PermanentSendError, "message_rejected"),
    ("AccessDeniedException", 403, mail.PermanentSendError, "access_denied"),
    ("BadRequestException", 400, mail.PermanentSendError, "invalid_address"),
    ("InvalidParameter", 400, mail.PermanentSendError, "invalid_address"),
    ("SomethingElse", 400, mail.PermanentSendError, "rejected"),
])
def test_aws_errors_are_classified_retryable_or_permanent_with_a_safe_reason(code, status, kind, reason):
    error = mail.classify(client_error(code, status))
    assert type(error) is kind and error.reason == reason
    assert "@" not in error.message  # the AWS message may quote the address: never kept


def test_a_connection_that_never_reached_aws_is_retryable_but_a_lost_answer_is_not():
    assert isinstance(mail.classify(EndpointConnectionError(endpoint_url="https://x")), mail.RetryableSendError)
    unsure = mail.classify(ReadTimeoutError(endpoint_url="https://x"))
    assert isinstance(unsure, mail.PermanentSendError) and unsure.reason == "send_unconfirmed"


class FakeSes:
    def __init__(self, failures: list[Exception]):
        self.failures, self.calls = list(failures), []

    def send_email(self, **request):
        self.calls.append(request)
        if self.failures:
            raise self.failures.pop(0)
        return {"MessageId": f"m-{len(self.calls)}"}


def test_throttling_is_retried_with_backoff_then_sent_once():
    ses = FakeSes([client_error("Throttling"), client_error("Throttling")])
    pauses = []
    sent = mail.send_with_backoff(mail.Mail(to="a@example.org", subject="s", text="t", sender="s@example.com"),
                                  client=ses, sleep=pauses.append)
    assert sent.message_id == "m-3" and sent.attempts == 3 and len(pauses) == 2
    assert all(0 <= p <= 5.0 for p in pauses)
    assert ses.calls[0]["Content"]["Raw"]["Data"].startswith(b"From: s@example.com")


def test_backoff_gives_up_at_the_deadline_and_raises_for_the_queue():
    ses = FakeSes([client_error("Throttling")] * 50)
    now = [0.0]
    with pytest.raises(mail.RetryableSendError):
        mail.send_with_backoff(mail.Mail(to="a@example.org", subject="s", text="t", sender="s@example.com"),
                               client=ses, deadline=1.0, clock=lambda: now[0],
                               sleep=lambda p: now.__setitem__(0, now[0] + p))
    assert now[0] < 1.0


def test_a_permanent_refusal_is_never_retried():
    ses = FakeSes([client_error("MessageRejected")])
    with pytest.raises(mail.PermanentSendError):
        mail.send_with_backoff(mail.Mail(to="a@example.org", subject="s", text="t", sender="s@example.com"),
                               client=ses, sleep=lambda p: None)
    assert len(ses.calls) == 1


def test_every_transactional_text_exists_in_every_language_with_the_same_placeholders():
    import string

    keys = set(transactional.TEXTS["en"])
    for kind in transactional.KINDS:
        assert {f"{kind}.subject", f"{kind}.lead", f"{kind}.sms"} <= keys
    for lang, table in transactional.TEXTS.items():
        assert set(table) == keys, lang
        for key, value in table.items():
            fields = {f for _, f, _, _ in string.Formatter().parse(value) if f}
            english = {f for _, f, _, _ in string.Formatter().parse(transactional.TEXTS["en"][key]) if f}
            assert fields == english, (lang, key)


@pytest.mark.parametrize(("contact_lang", "expected"), [("fr", "fr"), ("de-CH", "de"), ("it", "de"), (None, "de")])
def test_language_is_the_contacts_when_the_event_offers_it_else_the_events_default(contact_lang, expected):
    message = transactional.compose("waitlisted", event=EVENT, link=LINK, sender="s@example.com",
                                    contact={"email": "a@example.org", "language": contact_lang})
    assert message.subject == transactional.text("waitlisted.subject", expected,
                                                 event=transactional.localised(EVENT["name"], expected))


def test_a_contact_with_only_a_phone_gets_a_short_sms_with_the_link_and_one_with_neither_gets_nothing():
    sms = transactional.compose("promoted", event=EVENT, link=LINK, contact={"phone_mobile": "+41791234567", "language": "en"})
    assert isinstance(sms, mail.Sms) and sms.to == "+41791234567" and LINK in sms.text and len(sms.text) <= 160
    assert transactional.compose("promoted", event=EVENT, link=LINK, contact={"firstname": "X"}) is None


def test_only_confirmations_carry_the_ticket_and_calendar():
    for kind in transactional.KINDS:
        message = transactional.compose(kind, event=EVENT, link=LINK, ticket_code="ABC", sender="s@example.com",
                                        contact={"email": "a@example.org", "language": "en"})
        assert bool(message.attachments) == (kind in ("booking_confirmed", "promoted")), kind
        assert LINK in message.text


def test_html_escapes_contact_values():
    message = transactional.compose("cancelled", event=EVENT, link=LINK, sender="s@example.com",
                                    contact={"email": "a@example.org", "firstname": "<script>x</script>"})
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html


def test_a_long_unsubscribe_url_is_never_folded():
    url = "https://guests.example.com/u/" + "A" * 300
    raw = mail.build_mime(mail.Mail(to="a@example.org", subject="s", text="t", sender="s@example.com",
                                    headers=mail.unsubscribe_headers(url)))
    assert f"List-Unsubscribe: <{url}>\r\n".encode() in raw
