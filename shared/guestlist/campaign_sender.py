"""The campaign sender: a send's plan, then its chunks of recipients, each recipient at most once.

Messages on the campaign queue (from `POST .../send`, or from the EventBridge schedule):
- `plan`: resolve the audience once per send and freeze it in S3 (`campaigns/{id}/{send}.json`),
  so redeliveries and every chunk see the same recipients; then one `chunk` message per
  `campaign_chunk_size` recipients.
- `chunk`: for each recipient, claim the per-(campaign, recipient) marker with a condition,
  then make the one SES/SNS call. The chunk's outcomes are kept on one chunk item (progress
  while retrying, `done` with the campaign's counters in one transaction).

At most once, and what happens to a marker left by a crash: a marker is written before the
call and never deleted except when the call certainly did not happen (throttled past the
function's time budget: released, and the message is redelivered). A redelivery that
finds a marker it did not write cannot know whether the crashed attempt reached SES, so
the recipient is *not* sent again and is reported `unconfirmed` (counted apart from sent
and failed, listed among the failures). We prefer a rare unconfirmed guest to a duplicate
invitation. Budget per recipient: one DynamoDB write (the marker) and one SES/SNS call;
per chunk: O(1) (the chunk item and the counters).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import msgspec
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from . import aws, storage
from .clock import now_iso
from .errors import NotFound
from .lean_imports import on_first_use
from .models import CampaignChunkModel, CampaignModel, CampaignSendModel, plain
from .retry import carry_deadline, condition_failed, retrying
from .settings import get_settings

# The campaign, audience and guest modules are imported inside the functions that use them: the
# campaign functions' cold start leaves them (contacts, events, templates) to the first message.

if TYPE_CHECKING:
    from . import mail
else:  # the send path only: the dead-letter function imports this module and never mails (cold start, DESIGN.md s9)
    mail = on_first_use("guestlist.mail")


def plan_key(campaign_id: str, send_id: str) -> str:
    return f"campaigns/{campaign_id}/{send_id}.json"


def _current(campaign_id: str, event_id: str, send_id: str) -> CampaignModel | None:
    """The campaign if this send is still its current one (a cancelled or replaced send is ignored)."""
    from .campaigns import get_campaign

    try:
        campaign = get_campaign(event_id, campaign_id)
    except NotFound:
        return None
    if campaign.send_id != send_id or campaign.status not in ("scheduled", "sending", "sent"):
        return None
    return campaign


def load_plan(campaign: CampaignModel, send_id: str) -> dict | None:
    try:
        body, _ = aws.get_object(plan_key(campaign.campaign_id, send_id))
    except Exception as exc:
        if "NoSuchKey" in str(exc) or "404" in str(exc) or "Not Found" in str(exc):
            return None
        raise
    return json.loads(body)


def plan(campaign_id: str, event_id: str, send_id: str) -> int:
    """Freeze the audience (once per send) and queue its chunks; returns the number of chunks queued."""
    from .campaigns import recipients_of
    from .events import get_event

    campaign = _current(campaign_id, event_id, send_id)
    if campaign is None or campaign.status == "sent":
        return 0
    if campaign.status == "scheduled":  # the schedule fired
        scheduled = campaign  # not None; a name the retried closure can rely on (campaign is re-read below)
        try:
            retrying(lambda: scheduled.update(
                actions=[CampaignModel.status.set("sending"), CampaignModel.started_at.set(now_iso())],
                condition=(CampaignModel.send_id == send_id) & (CampaignModel.status == "scheduled")), what="campaign")
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
            campaign = _current(campaign_id, event_id, send_id)
            if campaign is None or campaign.status != "sending":
                return 0  # cancelled meanwhile
    frozen = load_plan(campaign, send_id)
    if frozen is None:
        event = get_event(event_id)
        recipients = recipients_of(event_id, event.workspace_id, plain(campaign.audience), campaign.channel)
        size = max(1, get_settings().campaign_chunk_size)
        ids = [r.identifier for r in recipients if not r.excluded]
        frozen = {"chunks": [ids[i:i + size] for i in range(0, len(ids), size)],
                  "excluded": {r.identifier: r.excluded for r in recipients if r.excluded}}
        aws.put_object(plan_key(campaign_id, send_id), json.dumps(frozen).encode(), "application/json")
    total = len(frozen["chunks"])
    try:  # the first plan of this send sets the totals; a replay changes nothing
        retrying(lambda: campaign.update(
            actions=[CampaignModel.chunks_total.set(total), CampaignModel.excluded.add(len(frozen["excluded"]))],
            condition=(CampaignModel.send_id == send_id) & CampaignModel.chunks_total.does_not_exist()), what="campaign")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    if total == 0:
        _finish_if_done(campaign_id, event_id, send_id)
        return 0
    base = {"kind": "chunk", "campaign_id": campaign_id, "event_id": event_id, "send_id": send_id}
    aws.send_messages([{**base, "index": i} for i in range(total)], queue_url=get_settings().campaign_queue_url)
    return total


# ------------------------------------------------------------------ chunks

class Outcomes(msgspec.Struct):
    sent: list[str] = msgspec.field(default_factory=list)
    failed: dict[str, str] = msgspec.field(default_factory=dict)
    unconfirmed: list[str] = msgspec.field(default_factory=list)
    excluded: dict[str, str] = msgspec.field(default_factory=dict)

    def seen(self) -> set[str]:
        return set(self.sent) | set(self.failed) | set(self.unconfirmed) | set(self.excluded)

    def to_json(self) -> str:
        return json.dumps({"sent": self.sent, "failed": self.failed, "unconfirmed": self.unconfirmed,
                           "excluded": self.excluded}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> Outcomes:
        data = json.loads(text or "{}")
        return cls(list(data.get("sent") or []), dict(data.get("failed") or {}), list(data.get("unconfirmed") or []),
                   dict(data.get("excluded") or {}))


def _chunk_key(campaign_id: str, send_id: str, index: int) -> tuple[str, str]:
    return f"CAMPAIGN#{campaign_id}", f"CHUNK#{send_id}#{index:06d}"


def claim(campaign_id: str, identifier: str, attempt: str) -> bool:
    """The per-recipient marker, written with a condition before the call: True when this attempt owns it.

    A write retried after a lost answer finds its own marker: the attempt id tells it apart.
    """
    pk = f"SEND#{campaign_id}#{identifier}"
    try:
        retrying(lambda: CampaignSendModel(pk=pk, attempt=attempt, claimed_at=now_iso()).save(
            condition=CampaignSendModel.pk.does_not_exist()), what="send marker")
        return True
    except PutError as exc:
        if not condition_failed(exc):
            raise
    try:
        return CampaignSendModel.get(pk, "SEND", consistent_read=True).attempt == attempt
    except CampaignSendModel.DoesNotExist:
        return False


def release(campaign_id: str, identifier: str, attempt: str) -> None:
    """The call certainly did not happen: let a redelivery claim the recipient again."""
    try:
        retrying(lambda: CampaignSendModel(pk=f"SEND#{campaign_id}#{identifier}").delete(
            condition=CampaignSendModel.attempt == attempt), what="send marker")
    except Exception as exc:
        if not condition_failed(exc):
            raise


def _save_progress(key: tuple[str, str], outcomes: Outcomes) -> None:
    try:
        retrying(lambda: CampaignChunkModel(*key, state="progress", outcomes=outcomes.to_json(), updated_at=now_iso()).save(
            condition=CampaignChunkModel.pk.does_not_exist() | (CampaignChunkModel.state == "progress")),
            what="campaign chunk")
    except PutError as exc:
        if not condition_failed(exc):
            raise  # a chunk already done keeps its outcomes


def _open_chunk(campaign_id: str, event_id: str, send_id: str, index: int):
    """(key, campaign, outcomes so far, identifiers still to do) of a chunk, or None when done or stale."""
    key = _chunk_key(campaign_id, send_id, index)
    try:
        existing = CampaignChunkModel.get(*key, consistent_read=True)
    except CampaignChunkModel.DoesNotExist:
        existing = None
    if existing is not None and existing.state == "done":
        return None
    campaign = _current(campaign_id, event_id, send_id)
    if campaign is None:
        return None
    frozen = load_plan(campaign, send_id) or {"chunks": []}
    identifiers = frozen["chunks"][index] if index < len(frozen["chunks"]) else []
    outcomes = Outcomes.from_json(existing.outcomes if existing else None)
    return key, campaign, outcomes, [i for i in identifiers if i not in outcomes.seen()]


def run_chunk(campaign_id: str, event_id: str, send_id: str, index: int, *, attempt: str | None = None,
              deadline: float | None = None, sender=None, on_sent: Callable[[str], None] | None = None) -> Outcomes | None:
    """Send one chunk; returns its outcomes (None when there is nothing to do: done, stale or cancelled).
    `on_sent` hears "sent" or "failed" for each SES/SNS call this delivery made (the handler's metrics).

    Raises RetryableSendError when throttling outlasted the time budget: progress is saved,
    the unsent recipient released, and the queue redelivers the message.
    """
    from .campaigns import classify, render_for
    from .contacts import fetch_existing, personal_link
    from .events import get_event_cached
    from .notifications import sender as default_sender
    from .unsubscribe import unsubscribe_url

    attempt = attempt or uuid.uuid4().hex
    send = sender or mail.send_with_backoff
    opened = _open_chunk(campaign_id, event_id, send_id, index)
    if opened is None:
        return None
    key, campaign, outcomes, todo = opened
    event = get_event_cached(event_id)
    contacts = fetch_existing(event_id, todo)
    for identifier in todo:
        if identifier not in contacts:
            outcomes.excluded[identifier] = "not_found"  # deleted since the plan
    reachable = [contacts[i] for i in todo if i in contacts]
    from_address = default_sender()
    ready: list[tuple[str, mail.Message]] = []
    for recipient, contact in zip(classify(reachable, campaign.channel, event.workspace_id), reachable):
        if recipient.excluded:  # unsubscribed or bounced since the plan
            outcomes.excluded[recipient.identifier] = recipient.excluded
            continue
        assert recipient.channel is not None and recipient.address is not None  # classify: both, or a reason
        ready.append((contact.identifier, render_for(
            campaign, event, contact, recipient.channel, recipient.address, link=personal_link(contact),
            unsubscribe_url=unsubscribe_url(event_id, contact.identifier), sender=from_address)))

    def deliver(identifier: str, message: mail.Message) -> tuple[str, str, str | None]:
        """Claim, then the one SES/SNS call: (identifier, sent | failed | unconfirmed | retry, reason)."""
        if not claim(campaign_id, identifier, attempt):
            return identifier, "unconfirmed", None  # an earlier delivery claimed it and did not report
        try:
            send(message, deadline=deadline)
        except mail.RetryableSendError as exc:
            release(campaign_id, identifier, attempt)
            return identifier, "retry", exc.reason
        except mail.PermanentSendError as exc:
            return identifier, "failed", exc.reason
        return identifier, "sent", None

    for service in {"sns" if isinstance(m, mail.Sms) else "sesv2" for _, m in ready}:
        mail.client_for(service)  # made once, before the threads share it
    workers = max(1, get_settings().campaign_send_concurrency)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="campaign-send") as pool:
        for start in range(0, len(ready), workers):  # in waves: a throttled wave stops the chunk cleanly
            futures = [pool.submit(carry_deadline(deliver), identifier, message)
                       for identifier, message in ready[start:start + workers]]
            results, crash = [], None
            for future in futures:
                try:
                    results.append(future.result())
                except BaseException as exc:
                    crash = crash or exc
            for identifier, state, reason in results:
                if on_sent is not None and state in ("sent", "failed"):
                    on_sent(state)
                if state == "sent":
                    outcomes.sent.append(identifier)
                elif state == "failed":
                    outcomes.failed[identifier] = reason
                elif state == "unconfirmed":
                    outcomes.unconfirmed.append(identifier)
            if crash is not None:
                _save_progress(key, outcomes)
                raise crash
            throttled = [r for r in results if r[1] == "retry"]
            if throttled:
                _save_progress(key, outcomes)
                raise mail.RetryableSendError(throttled[0][2] or "throttled")
    _complete(campaign_id, event_id, send_id, key, outcomes)
    return outcomes


def _complete(campaign_id: str, event_id: str, send_id: str, key: tuple[str, str], outcomes: Outcomes) -> None:
    """The chunk's outcomes and the campaign's counters, in one transaction, once."""
    chunk = CampaignChunkModel(*key, state="done", outcomes=outcomes.to_json(), updated_at=now_iso())
    campaign = CampaignModel(pk=f"EVENT#{event_id}", sk=f"CAMPAIGN#{campaign_id}")
    def items(tx: TransactWrite) -> None:
        tx.save(chunk, condition=CampaignChunkModel.pk.does_not_exist() | (CampaignChunkModel.state == "progress"))
        tx.update(campaign, actions=[CampaignModel.sent.add(len(outcomes.sent)),
                                     CampaignModel.failed.add(len(outcomes.failed)),
                                     CampaignModel.unconfirmed.add(len(outcomes.unconfirmed)),
                                     CampaignModel.excluded.add(len(outcomes.excluded)),
                                     CampaignModel.chunks_done.add(1), CampaignModel.updated_at.set(now_iso())],
                  condition=CampaignModel.send_id == send_id)

    try:
        storage.transact_write(CampaignModel, items, what="campaign chunk")
    except TransactWriteError as exc:
        if not condition_failed(exc):
            raise
        return  # counted by an earlier delivery, or the send was replaced
    _finish_if_done(campaign_id, event_id, send_id)


def _finish_if_done(campaign_id: str, event_id: str, send_id: str) -> None:
    campaign = _current(campaign_id, event_id, send_id)
    if campaign is None or campaign.chunks_total is None or int(campaign.chunks_done or 0) < int(campaign.chunks_total):
        return
    try:
        retrying(lambda: campaign.update(
            actions=[CampaignModel.status.set("sent"), CampaignModel.finished_at.set(now_iso())],
            condition=(CampaignModel.send_id == send_id) & (CampaignModel.status == "sending")), what="campaign")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def dead_chunk(campaign_id: str, event_id: str, send_id: str, index: int) -> None:
    """A chunk that exhausted its deliveries: everyone not yet reported is reported, so the send ends.

    Recipients with a marker may have been sent (unconfirmed); those without were not (failed).
    """
    opened = _open_chunk(campaign_id, event_id, send_id, index)
    if opened is None:
        return
    key, _campaign, outcomes, todo = opened
    keys = [(f"SEND#{campaign_id}#{i}", "SEND") for i in todo]
    claimed = {m.pk.split("#", 2)[2] for m in CampaignSendModel.batch_get(keys, consistent_read=True)} if keys else set()
    for identifier in todo:
        if identifier in claimed:
            outcomes.unconfirmed.append(identifier)
        else:
            outcomes.failed[identifier] = "processing_failed"
    _complete(campaign_id, event_id, send_id, key, outcomes)


def handle(message: dict, *, attempt: str | None = None, deadline: float | None = None,
           on_sent: Callable[[str], None] | None = None) -> None:
    kind = message.get("kind")
    if kind == "plan":
        plan(message["campaign_id"], message["event_id"], message["send_id"])
    elif kind == "chunk":
        run_chunk(message["campaign_id"], message["event_id"], message["send_id"], int(message["index"]),
                  attempt=attempt, deadline=deadline, on_sent=on_sent)
    else:
        raise ValueError(f"unknown campaign message kind {kind!r}")


def handle_dead(message: dict) -> None:
    if message.get("kind") == "chunk":
        dead_chunk(message["campaign_id"], message["event_id"], message["send_id"], int(message["index"]))
    elif message.get("kind") == "plan":
        _plan_died(message["campaign_id"], message["event_id"], message["send_id"])


def _plan_died(campaign_id: str, event_id: str, send_id: str) -> None:
    """A plan that could not run: the campaign goes back to draft (nothing was sent), so it can be sent again."""
    campaign = _current(campaign_id, event_id, send_id)
    if campaign is None or campaign.chunks_total is not None:
        return
    try:
        retrying(lambda: campaign.update(
            actions=[CampaignModel.status.set("draft"), CampaignModel.send_id.remove()],
            condition=(CampaignModel.send_id == send_id) & CampaignModel.chunks_total.does_not_exist()), what="campaign")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise

