"""Campaigns at handler level: drafts with counted recipients and exclusions, the sandbox, previews, the
sender under redelivery, crashes, throttling and a second send, schedules, unsubscribe and bounces."""

from __future__ import annotations

import email
import json
import uuid
from datetime import UTC
from email.policy import default as default_policy

import boto3
import pytest

from support.checkin import new_guest
from support.events import http_event, sqs_record
from support.guests import new_event, organiser_call
from support.history import outbox

BASE = "/events/{event_id}/campaigns"
TEMPLATES = {
    "de": {"subject": "Einladung: {{ event.name }}", "body": "Guten Tag {{ firstname }}\n\n{{ event.start }}\n\n{{ link }}"},
    "en": {"subject": "Invitation: {{ event.name }}", "body": "Hello {{ firstname }},\n\nOn {{ event.start }}.\n\n{{ link }}"},
}


@pytest.fixture(scope="module", autouse=True)
def verified_sender(stack):
    from guestlist_local.outbox import ensure_sender_verified

    return ensure_sender_verified(stack.endpoint_url)


def call(stack, organiser, method, event_id, suffix="", body=None, query=None, campaign_id=None):
    params = {"event_id": event_id, **({"campaign_id": campaign_id} if campaign_id else {})}
    route = BASE + ("/{campaign_id}" if campaign_id else "") + suffix
    path = route.replace("{event_id}", event_id).replace("{campaign_id}", campaign_id or "")
    return organiser_call(stack, organiser, method, path, route, body=body, path_parameters=params, query=query)


def create(stack, organiser, event_id, **body):
    status, campaign, _ = call(stack, organiser, "POST", event_id, body={"name": "Invitation", "templates": TEMPLATES, **body})
    assert status == 201, campaign
    return campaign


def drain(stack, *, rounds: int = 30) -> list[dict]:
    """Deliver the campaign queue to the sender like Lambda's event source mapping; returns every failure."""
    sqs = boto3.client("sqs")
    url = stack.physical("CampaignQueue")
    failures = []
    for _ in range(rounds):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, VisibilityTimeout=0,
                                  AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
        if not got:
            return failures
        records = [sqs_record(m["Body"], queue="CampaignQueue", message_id=m["MessageId"],
                              receive_count=int(m["Attributes"]["ApproximateReceiveCount"])) for m in got]
        failed = {f["itemIdentifier"] for f in stack.invoke("CampaignSenderFunction", {"Records": records})["batchItemFailures"]}
        failures += [{"itemIdentifier": i} for i in failed]
        for message in got:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError("the campaign queue did not drain")


def guests(stack, organiser, event_id, n, **fields) -> list[tuple[str, str, str]]:
    """(identifier, address, link token) of n fresh contacts with an email."""
    out = []
    for _ in range(n):
        address = f"c-{uuid.uuid4().hex[:8]}@example.org"
        identifier, token = new_guest(stack, organiser, event_id, email=address, firstname="Ann", **fields)
        out.append((identifier, address, token))
    return out


def get(stack, organiser, event_id, campaign_id):
    status, body, _ = call(stack, organiser, "GET", event_id, campaign_id=campaign_id)
    assert status == 200, body
    return body


# ------------------------------------------------------------------ drafts, exclusions, sandbox

def test_a_draft_counts_recipients_and_explains_every_exclusion(stack, organiser):
    from guestlist.unsubscribe import mark_undeliverable

    event_id = new_event(stack, organiser)
    reachable = guests(stack, organiser, event_id, 2, groups=["vip"])
    new_guest(stack, organiser, event_id, identifier="no-address", groups=["vip"])
    bounced, bounced_address, _ = guests(stack, organiser, event_id, 1, groups=["vip"])[0]
    mark_undeliverable(bounced_address.upper(), "bounce", "bounce:General")
    phone_only, _ = new_guest(stack, organiser, event_id, identifier="phone-only", phone_mobile="+41791234567", groups=["vip"])
    guests(stack, organiser, event_id, 1, groups=["other"])  # outside the audience

    campaign = create(stack, organiser, event_id, audience={"group": "vip"})
    assert campaign["status"] == "draft"
    assert campaign["recipients"] == {"total": 2, "email": 2, "sms": 0, "audience": 5,
                                      "excluded": {"no_address": 2, "unsubscribed": 0, "undeliverable": 1}}
    status, listing, _ = call(stack, organiser, "GET", event_id, "/recipients", query={"excluded": "true"},
                              campaign_id=campaign["campaign_id"])
    assert status == 200
    assert sorted((r["identifier"], r["excluded"]) for r in listing["recipients"]) == sorted(
        [("no-address", "no_address"), (phone_only, "no_address"), (bounced, "undeliverable")])
    either = create(stack, organiser, event_id, audience={"group": "vip"}, channel="email_or_sms")
    assert (either["recipients"]["email"], either["recipients"]["sms"]) == (2, 1)
    only = create(stack, organiser, event_id, audience={"identifiers": [reachable[0][0]]})
    assert only["recipients"]["total"] == 1


@pytest.mark.parametrize("template", [
    "{{ ''.__class__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ link.__len__ }}",
    "{{ event['__class__'] }}", "{{ cycler.__init__.__globals__ }}", "{{ firstname|attr('__class__') }}",
    "{% include 'x' %}", "{{ link.upper() }}", "{{ broken",
])
def test_a_template_reaching_python_objects_is_refused_with_a_422_naming_the_field(stack, organiser, template):
    event_id = new_event(stack, organiser)
    status, body, _ = call(stack, organiser, "POST", event_id, body={
        "name": "x", "templates": {"de": {"subject": "s", "body": template}}})
    assert status == 422, body
    assert body["error"]["code"] in ("unsafe_template", "invalid_template")
    assert body["error"]["field"] == "templates.de.body"


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "templates": {"en": {"subject": "s", "body": "b"}}}, "templates.de"),  # default language missing
    ({"name": "x", "templates": {"it": {"subject": "s", "body": "b"}, "de": {"subject": "s", "body": "b"}}}, "templates.it"),
    ({"name": "x", "templates": {"de": {"subject": "", "body": "b"}}}, "templates.de.subject"),
    ({"name": "x", "channel": "fax", "templates": {"de": {"subject": "s", "body": "b"}}}, "channel"),
    ({"name": "x", "audience": {"status": "sleeping"}, "templates": {"de": {"subject": "s", "body": "b"}}}, "audience.status"),
    ({"name": "x", "surprise": 1, "templates": {"de": {"subject": "s", "body": "b"}}}, "surprise"),
    ({"templates": {"de": {"subject": "s", "body": "b"}}}, "name"),
    ({"name": "x", "audience": {"identifiers": ["nobody"]}, "templates": {"de": {"subject": "s", "body": "b"}}},
     "audience.identifiers"),
])
def test_bad_campaign_bodies_are_422_naming_the_field(stack, organiser, body, field):
    event_id = new_event(stack, organiser)
    status, answer, _ = call(stack, organiser, "POST", event_id, body=body)
    assert status == 422, answer
    assert answer["error"]["field"] == field


def test_preview_renders_one_contact_in_its_language_with_its_own_link(stack, organiser):
    from guestlist.contacts import resolve_link

    event_id = new_event(stack, organiser, name="Gala", start="2027-06-01T18:00:00+02:00")
    (identifier, _, token), = guests(stack, organiser, event_id, 1, language="en")
    (other_id, _, other_token), = guests(stack, organiser, event_id, 1, language="fr")  # no fr template: default de
    campaign = create(stack, organiser, event_id)
    status, preview, _ = call(stack, organiser, "GET", event_id, "/preview", query={"identifier": identifier},
                              campaign_id=campaign["campaign_id"])
    assert status == 200, preview
    assert preview["language"] == "en" and preview["subject"] == "Invitation: Gala"
    assert "On 1 June 2027, 18:00." in preview["text"] and f"/e/{token}" in preview["html"]
    assert preview["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert resolve_link(preview["text"].split("/e/")[1].split("?")[0])[0].contact.identifier == identifier
    status, fallback, _ = call(stack, organiser, "GET", event_id, "/preview", query={"identifier": other_id},
                               campaign_id=campaign["campaign_id"])
    assert fallback["language"] == "de" and "1. Juni 2027, 18:00\u00a0Uhr" in fallback["text"]
    assert f"/e/{other_token}" in fallback["text"] and f"/e/{token}" not in fallback["text"]


# ------------------------------------------------------------------ sending

def _send(stack, organiser, event_id, campaign_id, **body):
    return call(stack, organiser, "POST", event_id, "/send", body=body, campaign_id=campaign_id)


def test_send_reaches_each_recipient_once_with_rfc_8058_headers_and_its_own_link(stack, organiser):
    event_id = new_event(stack, organiser, name="Gala")
    people = guests(stack, organiser, event_id, 7, language="en")
    campaign = create(stack, organiser, event_id)
    status, sending, _ = _send(stack, organiser, event_id, campaign["campaign_id"])
    assert (status, sending["status"]) == (202, "sending")
    assert drain(stack) == []
    final = get(stack, organiser, event_id, campaign["campaign_id"])
    assert final["status"] == "sent"
    assert final["counts"] == {"sent": 7, "failed": 0, "excluded": 0, "unconfirmed": 0} and final["failures"] == []
    for identifier, address, token in people:
        (mail,) = outbox(stack, address)
        assert mail["subject"] == "Invitation: Gala"
        assert mail["headers"]["List-Unsubscribe"].startswith("<") and "/u/" in mail["headers"]["List-Unsubscribe"]
        assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"/e/{token}" in mail["body"] and f"/e/{token}" in mail["html"]
        others = [t for i, _, t in people if i != identifier]
        assert not any(f"/e/{t}" in mail["body"] + mail["html"] for t in others)
        unsubscribe = mail["headers"]["List-Unsubscribe"].strip("<>").split("/u/")[1]
        assert unsubscribe not in token and token not in unsubscribe  # its own secret, not the link token
    # a second send is refused; the recipients get nothing more
    status, answer, _ = _send(stack, organiser, event_id, campaign["campaign_id"])
    assert (status, answer["error"]["code"]) == (409, "campaign_not_draft")
    assert drain(stack) == [] and all(len(outbox(stack, a)) == 1 for _, a, _ in people)


def _chunk_messages(stack, organiser, event_id, campaign_id) -> list[dict]:
    """Run the plan and return the chunk messages it queued, without delivering them."""
    sqs = boto3.client("sqs")
    url = stack.physical("CampaignQueue")
    assert _send(stack, organiser, event_id, campaign_id)[0] == 202
    plan = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"][0]
    assert stack.invoke("CampaignSenderFunction", {"Records": [sqs_record(plan["Body"], queue="CampaignQueue")]})["batchItemFailures"] == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=plan["ReceiptHandle"])
    chunks = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        if not got:
            return chunks
        for m in got:
            chunks.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def _deliver(stack, bodies: list[dict], message_id: str | None = None, receive_count: int = 1) -> list[dict]:
    records = [sqs_record(b, queue="CampaignQueue", message_id=message_id, receive_count=receive_count) for b in bodies]
    return stack.invoke("CampaignSenderFunction", {"Records": records})["batchItemFailures"]


def test_replayed_chunk_messages_send_nothing_twice_and_count_once(stack, organiser, monkeypatch):
    import msgspec

    from guestlist import campaign_sender

    small = msgspec.structs.replace(campaign_sender.get_settings(), campaign_chunk_size=3)
    monkeypatch.setattr(campaign_sender, "get_settings", lambda: small)
    event_id = new_event(stack, organiser)
    people = guests(stack, organiser, event_id, 7)
    campaign = create(stack, organiser, event_id)
    chunks = _chunk_messages(stack, organiser, event_id, campaign["campaign_id"])
    assert len(chunks) == 3
    assert _deliver(stack, chunks + chunks) == []  # duplicates in one batch
    assert _deliver(stack, chunks[::-1]) == []  # and later, out of order
    final = get(stack, organiser, event_id, campaign["campaign_id"])
    assert final["status"] == "sent" and final["counts"]["sent"] == 7 and final["progress"]["chunks_done"] == 3
    assert all(len(outbox(stack, a)) == 1 for _, a, _ in people)


def _one_chunk_failing_on_the_third_call(stack, organiser, monkeypatch, n: int, failure: BaseException):
    """(event, people, campaign, chunk message) with SES failing once, on the third call."""
    from guestlist import mail

    event_id = new_event(stack, organiser)
    people = guests(stack, organiser, event_id, n)
    campaign = create(stack, organiser, event_id)
    (chunk,) = _chunk_messages(stack, organiser, event_id, campaign["campaign_id"])
    real, calls = mail.send_with_backoff, []

    def fails_on_the_third(message, **kw):
        calls.append(message.to)
        if len(calls) == 3:
            raise failure
        return real(message, **kw)

    monkeypatch.setattr(mail, "send_with_backoff", fails_on_the_third)
    return event_id, people, campaign, chunk


def test_a_crash_between_marker_and_send_never_sends_twice_and_is_reported_unconfirmed(stack, organiser, monkeypatch):
    import msgspec

    from guestlist import campaign_sender

    four = msgspec.structs.replace(campaign_sender.get_settings(), campaign_send_concurrency=4)  # waves of four calls in flight
    monkeypatch.setattr(campaign_sender, "get_settings", lambda: four)
    event_id, people, campaign, chunk = _one_chunk_failing_on_the_third_call(
        stack, organiser, monkeypatch, 6, SystemExit("container killed after the marker, before SES answered"))

    def dead(*_args, **_kw):  # the container is gone: nothing after the crash is written
        raise SystemExit("container killed")

    monkeypatch.setattr(campaign_sender, "_save_progress", dead)
    with pytest.raises(SystemExit):
        _deliver(stack, [chunk], message_id="m-1")
    monkeypatch.undo()
    assert _deliver(stack, [chunk], message_id="m-1", receive_count=2) == []
    assert _deliver(stack, [chunk], message_id="m-1", receive_count=3) == []
    final = get(stack, organiser, event_id, campaign["campaign_id"])
    # the first wave (4 calls in flight) claimed its recipients; three were sent, one crashed, none was reported:
    # all four are unconfirmed and none is sent again; the second wave goes out on the redelivery
    assert final["counts"] == {"sent": 2, "failed": 0, "excluded": 0, "unconfirmed": 4}
    assert sorted(f["reason"] for f in final["failures"]) == ["unconfirmed"] * 4
    assert sum(len(outbox(stack, a)) for _, a, _ in people) == 5
    assert all(len(outbox(stack, a)) <= 1 for _, a, _ in people)
    assert final["status"] == "sent"


def test_throttling_is_retried_then_the_unsent_rest_goes_on_redelivery_each_once(stack, organiser, monkeypatch):
    from guestlist import mail

    event_id, people, campaign, chunk = _one_chunk_failing_on_the_third_call(
        stack, organiser, monkeypatch, 5, mail.RetryableSendError("throttled", "Throttling"))  # backoff ran out of time
    from guestlist.workers import BatchFailed

    with pytest.raises(BatchFailed):  # the whole batch failed: Lambda gives the message back to the queue
        _deliver(stack, [chunk])
    assert get(stack, organiser, event_id, campaign["campaign_id"])["status"] == "sending"
    monkeypatch.undo()
    assert _deliver(stack, [chunk], receive_count=2) == []
    final = get(stack, organiser, event_id, campaign["campaign_id"])
    assert final["counts"] == {"sent": 5, "failed": 0, "excluded": 0, "unconfirmed": 0}
    assert all(len(outbox(stack, a)) == 1 for _, a, _ in people)


def test_permanent_rejections_are_reported_per_recipient(stack, organiser, monkeypatch):
    from guestlist import mail

    event_id = new_event(stack, organiser)
    people = guests(stack, organiser, event_id, 3)
    campaign = create(stack, organiser, event_id)
    real = mail.send_with_backoff
    rejected = people[1][1]

    def rejects_one(message, **kw):
        if message.to == rejected:
            raise mail.PermanentSendError("message_rejected", "MessageRejected")
        return real(message, **kw)

    monkeypatch.setattr(mail, "send_with_backoff", rejects_one)
    assert _send(stack, organiser, event_id, campaign["campaign_id"])[0] == 202
    assert drain(stack) == []
    final = get(stack, organiser, event_id, campaign["campaign_id"])
    assert final["counts"] == {"sent": 2, "failed": 1, "excluded": 0, "unconfirmed": 0}
    assert final["failures"] == [{"identifier": people[1][0], "reason": "message_rejected"}]


def test_campaign_mails_count_in_the_mails_sent_and_failed_metrics(stack, organiser, monkeypatch, capsys):
    """The MailsFailed alarm hears of a campaign SES refused, as it does of transactional mails."""
    from guestlist import mail

    event_id = new_event(stack, organiser)
    people = guests(stack, organiser, event_id, 3)
    campaign = create(stack, organiser, event_id)
    real = mail.send_with_backoff

    def rejects_one(message, **kw):
        if message.to == people[0][1]:
            raise mail.PermanentSendError("message_rejected", "MessageRejected")
        return real(message, **kw)

    monkeypatch.setattr(mail, "send_with_backoff", rejects_one)
    capsys.readouterr()
    assert _send(stack, organiser, event_id, campaign["campaign_id"])[0] == 202
    assert drain(stack) == []
    counted = {"MailsSent": 0, "MailsFailed": 0}
    for line in capsys.readouterr().out.splitlines():
        doc = json.loads(line) if line.startswith("{") else {}
        if "_aws" in doc:  # an EMF metrics line
            for name in counted:
                value = doc.get(name, 0)
                counted[name] += sum(value) if isinstance(value, list) else value
    assert counted == {"MailsSent": 2, "MailsFailed": 1}


def test_a_dead_lettered_chunk_is_reported_so_the_send_ends(stack, organiser):
    event_id = new_event(stack, organiser)
    guests(stack, organiser, event_id, 2)
    campaign = create(stack, organiser, event_id)
    (chunk,) = _chunk_messages(stack, organiser, event_id, campaign["campaign_id"])
    dead = stack.invoke("CampaignFailuresFunction", {"Records": [sqs_record(chunk, queue="CampaignDeadLetterQueue")]})
    assert dead["batchItemFailures"] == []
    final = get(stack, organiser, event_id, campaign["campaign_id"])
    assert final["status"] == "sent" and final["counts"]["failed"] == 2
    assert {f["reason"] for f in final["failures"]} == {"processing_failed"}
    assert _deliver(stack, [chunk]) == [] and get(stack, organiser, event_id, campaign["campaign_id"])["counts"]["sent"] == 0


def test_sms_campaign_reaches_phone_only_contacts_with_their_link(stack, organiser):
    event_id = new_event(stack, organiser)
    phone = "+41791112233"
    identifier, token = new_guest(stack, organiser, event_id, phone_mobile=phone, language="de")
    campaign = create(stack, organiser, event_id, channel="sms", audience={"identifiers": [identifier]},
                      templates={"de": {"body": "{{ event.name }} beginnt bald: {{ link }}"}})
    assert _send(stack, organiser, event_id, campaign["campaign_id"])[0] == 202
    assert drain(stack) == []
    sms = [m for m in outbox(stack, phone) if f"/e/{token}" in m["body"]]
    assert len(sms) == 1 and sms[0]["body"].startswith("Gala beginnt bald")


# ------------------------------------------------------------------ schedules

def test_a_scheduled_send_fires_at_its_time_and_can_be_cancelled_until_then(stack, organiser):
    from datetime import datetime, timedelta

    from guestlist_local.schedules import fire_due

    event_id = new_event(stack, organiser)
    people = guests(stack, organiser, event_id, 2)
    campaign = create(stack, organiser, event_id)
    cid = campaign["campaign_id"]
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0).isoformat()
    status, scheduled, _ = _send(stack, organiser, event_id, cid, at=at)
    assert (status, scheduled["status"]) == (202, "scheduled")
    scheduler = boto3.client("scheduler")
    assert any(s["Name"].startswith(cid) for s in scheduler.list_schedules()["Schedules"])
    assert fire_due(stack.endpoint_url) == 0  # not yet
    status, cancelled, _ = call(stack, organiser, "POST", event_id, "/cancel", campaign_id=cid)
    assert (status, cancelled["status"]) == (200, "draft")
    assert not any(s["Name"].startswith(cid) for s in scheduler.list_schedules()["Schedules"])
    assert call(stack, organiser, "POST", event_id, "/cancel", campaign_id=cid)[0] == 409

    assert _send(stack, organiser, event_id, cid, at=at)[0] == 202
    assert fire_due(stack.endpoint_url, now=datetime.now(UTC) + timedelta(hours=3)) == 1
    assert drain(stack) == []
    final = get(stack, organiser, event_id, cid)
    assert final["status"] == "sent" and final["counts"]["sent"] == 2
    assert all(len(outbox(stack, a)) == 1 for _, a, _ in people)


def test_a_schedule_in_the_past_is_422_and_a_cancelled_schedules_late_plan_does_nothing(stack, organiser):
    from guestlist import campaign_sender

    event_id = new_event(stack, organiser)
    campaign = create(stack, organiser, event_id)
    status, answer, _ = _send(stack, organiser, event_id, campaign["campaign_id"], at="2020-01-01T00:00:00+00:00")
    assert (status, answer["error"]["field"]) == (422, "at")
    assert campaign_sender.plan(campaign["campaign_id"], event_id, "stale-send-id") == 0
    assert get(stack, organiser, event_id, campaign["campaign_id"])["status"] == "draft"


# ------------------------------------------------------------------ unsubscribe and bounces

def _u(stack, method, token, accept="text/html"):
    event = http_event(method, f"/u/{token}", "/u/{token}", path_parameters={"token": token},
                       headers={"accept": accept, "content-type": "application/x-www-form-urlencoded"},
                       body="List-Unsubscribe=One-Click" if method == "POST" else None)
    return stack.http("GuestApiFunction", event)


def test_one_click_unsubscribe_is_recorded_once_and_later_campaigns_exclude_the_address(stack, organiser):
    from guestlist.history import history_of
    from guestlist.models import contact_pk

    event_id = new_event(stack, organiser)
    (identifier, address, link_token), = guests(stack, organiser, event_id, 1, language="fr")
    campaign = create(stack, organiser, event_id)
    status, preview, _ = call(stack, organiser, "GET", event_id, "/preview", query={"identifier": identifier},
                              campaign_id=campaign["campaign_id"])
    token = preview["headers"]["List-Unsubscribe"].strip("<>").split("/u/")[1]
    status, page, _ = _u(stack, "GET", token)
    assert status == 200 and "<form method=\"post\"" in page and "désabonner" in page
    assert create(stack, organiser, event_id)["recipients"]["total"] == 1  # GET alone changes nothing
    assert _u(stack, "POST", token)[0] == 200 and _u(stack, "POST", token, accept="*/*")[0] == 200
    notes = [h for h in history_of(contact_pk(event_id, identifier)) if h.get("note")]
    assert [(n["cause"], n["cause_ref"], n["note"]) for n in notes] == [("guest", "unsubscribe", "unsubscribed")]
    later = create(stack, organiser, new_event_same_workspace := event_id)
    assert later["recipients"]["excluded"]["unsubscribed"] == 1 and later["recipients"]["total"] == 0
    # the same person in another event of the workspace is unsubscribed too
    other_event = new_event(stack, organiser)
    new_guest(stack, organiser, other_event, email=address.upper())
    assert create(stack, organiser, other_event)["recipients"]["excluded"]["unsubscribed"] == 1
    assert new_event_same_workspace
    # the personal link token is no unsubscribe token, and a forged one is the same 404
    assert _u(stack, "POST", link_token)[0] == 404
    assert _u(stack, "POST", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))[0] == 404


def test_bounces_and_complaints_from_ses_mark_addresses_undeliverable(stack, organiser):
    event_id = new_event(stack, organiser)
    people = guests(stack, organiser, event_id, 4)
    notifications = [
        {"eventType": "Bounce", "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                                           "bouncedRecipients": [{"emailAddress": people[0][1]}]}},
        {"notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": people[1][1]}],
                                                        "complaintFeedbackType": "abuse"}},
        {"eventType": "Bounce", "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": people[2][1]}]}},
    ]
    event = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:x",
                          "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": "arn:aws:sns:x",
                                  "Subject": None, "Message": json.dumps(n), "Timestamp": "2027-01-01T00:00:00.000Z",
                                  "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x",
                                  "MessageAttributes": {}}} for n in notifications]}
    assert stack.invoke("BounceFunction", event) == {"marked": 2}
    campaign = create(stack, organiser, event_id)
    assert campaign["recipients"]["excluded"]["undeliverable"] == 2 and campaign["recipients"]["total"] == 2


def test_the_raw_mime_of_a_campaign_mail_has_text_html_and_unsubscribe_headers(stack, organiser):
    from guestlist_local.outbox import raw_message

    event_id = new_event(stack, organiser)
    (_, address, _), = guests(stack, organiser, event_id, 1)
    campaign = create(stack, organiser, event_id)
    assert _send(stack, organiser, event_id, campaign["campaign_id"])[0] == 202
    assert drain(stack) == []
    (mail,) = outbox(stack, address)
    msg = email.message_from_string(raw_message(stack.endpoint_url, mail["id"]), policy=default_policy)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/u/" in msg.get_body(preferencelist=("html",)).get_content()  # the footer link
