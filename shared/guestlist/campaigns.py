"""Campaigns of an event (invitations, reminders): create a draft, count and explain its recipients,
preview one contact's message, send now or at a time, cancel a scheduled send, report progress.

Who gets a campaign is decided by `recipients_of`: the audience's contacts (the contact
list's own filters, plus `identifiers`), each with its channel, or the reason it is left
out - `no_address`, `unsubscribed` (from this workspace's campaigns) or `undeliverable`
(a bounce or complaint). The send itself runs in the sender function (campaign_sender.py).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from . import aws, campaign_templates, mail
from .clock import now_iso, utcnow
from .codes import Code
from .contacts import contact_pages, fetch_existing, get_contact, personal_link
from .errors import Conflict, InvalidRequest, NotFound
from .events import event_json
from .fields import PROFILE_FIELDS, normalise_identifier
from .models import CampaignChunkModel, CampaignModel, ContactModel, EventModel, plain
from .retry import condition_failed, retrying
from .settings import get_settings

CHANNELS = ("email", "sms", "email_or_sms")
EXCLUSIONS = ("no_address", "unsubscribed", "undeliverable")
FILTERS = ("status", "group", "q", "permission_group")
SCHEDULE_MIN_LEAD = timedelta(minutes=1)
SHARDS_AHEAD = 8  # index shards read side by side when walking an audience (I/O bound)

# Footer and button words of campaign mails, per language.
WORDS = {
    "de": {"button": "Meine Einladung öffnen", "unsubscribe": "Keine weiteren Einladungen erhalten (abmelden)"},
    "fr": {"button": "Ouvrir mon invitation", "unsubscribe": "Ne plus recevoir d'invitations (se désabonner)"},
    "en": {"button": "Open my invitation", "unsubscribe": "Stop receiving invitations (unsubscribe)"},
    "it": {"button": "Apri il mio invito", "unsubscribe": "Non ricevere più inviti (annulla l'iscrizione)"},
}


# ------------------------------------------------------------------ recipients

class Recipient(msgspec.Struct, frozen=True):
    identifier: str
    channel: str | None  # email | sms | None when excluded
    address: str | None
    excluded: str | None = None  # no_address | unsubscribed | undeliverable | not_found


def channel_for(contact: ContactModel, channel: str) -> tuple[str | None, str | None]:
    """(channel, address) this contact is reached on, or (None, None)."""
    if channel in ("email", "email_or_sms") and contact.email:
        return "email", contact.email
    if channel in ("sms", "email_or_sms") and contact.phone_mobile:
        return "sms", contact.phone_mobile
    return None, None


def classify(contacts: Iterable[ContactModel], channel: str, workspace_id: str) -> list[Recipient]:
    """Each contact's channel, or why it is left out (one suppression BatchGet per 50 addresses)."""
    from .unsubscribe import normalise_address, suppressed

    reached = [(c, *channel_for(c, channel)) for c in contacts]
    blocked = suppressed([address for _, _, address in reached if address], workspace_id)
    out = []
    for contact, how, address in reached:
        if how is None or address is None:  # channel_for gives both or neither
            out.append(Recipient(contact.identifier, None, None, "no_address"))
        elif normalise_address(address) in blocked:
            out.append(Recipient(contact.identifier, None, None, blocked[normalise_address(address)]))
        else:
            out.append(Recipient(contact.identifier, how, address))
    return out


def audience_contacts(event_id: str, audience: dict) -> Iterable[list[ContactModel]]:
    """The audience's contacts page by page: the listing's filters, narrowed to `identifiers` when given."""
    filters = {k: audience[k] for k in FILTERS if audience.get(k)}
    identifiers = audience.get("identifiers")
    if identifiers and not filters:
        wanted = sorted({normalise_identifier(i) for i in identifiers})
        for start in range(0, len(wanted), 100):
            found = fetch_existing(event_id, wanted[start:start + 100])
            yield [found[i] for i in wanted[start:start + 100] if i in found]
        return
    wanted_set = {normalise_identifier(i) for i in identifiers} if identifiers else None
    for page in contact_pages(event_id, shards_ahead=SHARDS_AHEAD, **filters):
        yield [c for c in page if wanted_set is None or c.identifier in wanted_set]


def recipients_of(event_id: str, workspace_id: str, audience: dict, channel: str) -> list[Recipient]:
    out: list[Recipient] = []
    for page in audience_contacts(event_id, audience):
        out += classify(page, channel, workspace_id)
    return out


def count(recipients: list[Recipient]) -> dict:
    excluded = {reason: 0 for reason in EXCLUSIONS}
    for r in recipients:
        if r.excluded:
            excluded[r.excluded] = excluded.get(r.excluded, 0) + 1
    email = sum(1 for r in recipients if r.channel == "email")
    sms = sum(1 for r in recipients if r.channel == "sms")
    return {"total": email + sms, "email": email, "sms": sms, "excluded": excluded, "audience": len(recipients)}


# ------------------------------------------------------------------ drafts

def _validate(event: EventModel, body: dict) -> dict:
    channel = body.get("channel") or "email"
    if channel not in CHANNELS:
        raise InvalidRequest(Code.INVALID_FIELD, f"field 'channel': one of {', '.join(CHANNELS)}", {"field": "channel"})
    audience = {k: v for k, v in (body.get("audience") or {}).items() if v not in (None, "", [])}
    templates = {lang: {part: (parts or {}).get(part) or "" for part in ("subject", "body")}
                 for lang, parts in (body.get("templates") or {}).items()}
    campaign_templates.validate(templates, languages=list(event.languages), default_language=event.default_language,
                                channel=channel)
    return {"name": str(body.get("name") or "").strip(), "channel": channel, "audience": audience, "templates": templates}


def create_campaign(event: EventModel, body: dict) -> tuple[CampaignModel, list[Recipient]]:
    """A draft with its recipients counted; 422 naming the field for bad templates or unknown identifiers."""
    fields = _validate(event, body)
    recipients = recipients_of(event.event_id, event.workspace_id, fields["audience"], fields["channel"])
    if fields["audience"].get("identifiers"):
        known = {r.identifier for r in recipients}
        unknown = sorted({normalise_identifier(i) for i in fields["audience"]["identifiers"]} - known)
        if unknown and not any(fields["audience"].get(k) for k in FILTERS):
            raise InvalidRequest(Code.UNKNOWN_IDENTIFIER, f"field 'audience.identifiers': {len(unknown)} unknown "
                                 f"(first: {', '.join(unknown[:5])})", {"field": "audience.identifiers", "unknown": unknown[:50]})
    now = now_iso()
    campaign_id = f"cmp-{secrets.token_hex(6)}"
    campaign = CampaignModel(pk=f"EVENT#{event.event_id}", sk=f"CAMPAIGN#{campaign_id}", campaign_id=campaign_id,
                             event_id=event.event_id, workspace_id=event.workspace_id, status="draft",
                             recipients=count(recipients), created_at=now, updated_at=now, **fields)
    retrying(lambda: campaign.save(condition=CampaignModel.pk.does_not_exist()), what="campaign")
    return campaign, recipients


def get_campaign(event_id: str, campaign_id: str) -> CampaignModel:
    try:
        return CampaignModel.get(f"EVENT#{event_id}", f"CAMPAIGN#{campaign_id}", consistent_read=True)
    except CampaignModel.DoesNotExist:
        raise NotFound(Code.CAMPAIGN_NOT_FOUND, f"no campaign {campaign_id!r} in this event") from None


def list_campaigns(event_id: str) -> list[CampaignModel]:
    return list(CampaignModel.query(f"EVENT#{event_id}", CampaignModel.sk.startswith("CAMPAIGN#"), consistent_read=True))


def failures_of(campaign: CampaignModel) -> list[dict]:
    """Every recipient the current send did not reach, with the reason (failed, unconfirmed, excluded at send)."""
    out: list[dict] = []
    if not campaign.send_id:
        return out
    for chunk in CampaignChunkModel.query(f"CAMPAIGN#{campaign.campaign_id}",
                                          CampaignChunkModel.sk.startswith(f"CHUNK#{campaign.send_id}#"), consistent_read=True):
        outcomes = json.loads(chunk.outcomes or "{}")
        out += [{"identifier": i, "reason": r} for i, r in sorted((outcomes.get("failed") or {}).items())]
        out += [{"identifier": i, "reason": "unconfirmed"} for i in sorted(outcomes.get("unconfirmed") or [])]
    return out


def campaign_json(campaign: CampaignModel, *, detail: bool = False) -> dict:
    out = {"campaign_id": campaign.campaign_id, "event_id": campaign.event_id, "name": campaign.name,
           "status": campaign.status, "channel": campaign.channel, "audience": plain(campaign.audience),
           "recipients": plain(campaign.recipients),
           "counts": {"sent": int(campaign.sent or 0), "failed": int(campaign.failed or 0),
                      "excluded": int(campaign.excluded or 0), "unconfirmed": int(campaign.unconfirmed or 0)},
           "progress": {"chunks_total": int(campaign.chunks_total) if campaign.chunks_total is not None else None,
                        "chunks_done": int(campaign.chunks_done or 0)},
           "scheduled_at": campaign.scheduled_at, "created_at": campaign.created_at, "updated_at": campaign.updated_at,
           "started_at": campaign.started_at, "finished_at": campaign.finished_at}
    if detail:
        out["templates"] = plain(campaign.templates)
        out["failures"] = failures_of(campaign)
    return out


# ------------------------------------------------------------------ rendering

def contact_fields(contact: ContactModel) -> dict:
    return {**{name: getattr(contact, name) for name in PROFILE_FIELDS}, "identifier": contact.identifier,
            "custom": plain(contact.custom)}


def language_of(campaign: CampaignModel, contact: ContactModel, event: EventModel) -> str:
    """The contact's language when the campaign has a template for it, else the event's default."""
    from .web.i18n import normalize_language

    templates = plain(campaign.templates)
    lang = normalize_language(contact.language)
    return lang if lang is not None and lang in templates else event.default_language


def render_for(campaign: CampaignModel, event: EventModel, contact: ContactModel, channel: str, address: str,
               *, link: str, unsubscribe_url: str, sender: str | None = None) -> mail.Message:
    """One contact's message: a mail with text and HTML parts and RFC 8058 headers, or a short SMS."""
    lang = language_of(campaign, contact, event)
    words = WORDS.get(lang, WORDS["en"])
    context = campaign_templates.context_for(contact_fields(contact), link=link, event=event_json(event), lang=lang,
                                             unsubscribe_url=unsubscribe_url)
    parts = plain(campaign.templates)[lang]
    rendered = campaign_templates.render(parts, context, lang=lang, button_label=words["button"],
                                         unsubscribe_label=words["unsubscribe"] if channel == "email" else None)
    if channel == "sms":
        body = rendered.text.strip()
        return mail.Sms(to=address, text=body, kind="Promotional")
    return mail.Mail(to=address, subject=rendered.subject, text=rendered.text, html=rendered.html, sender=sender,
                     headers=(*mail.unsubscribe_headers(unsubscribe_url), ("X-Campaign-Id", campaign.campaign_id)),
                     configuration_set=get_settings().ses_configuration_set or None)


def preview(event: EventModel, campaign: CampaignModel, identifier: str) -> dict:
    """What `identifier` would receive (or why nothing), rendered exactly as the sender would."""
    from .unsubscribe import unsubscribe_url

    contact = get_contact(event.event_id, identifier)
    (recipient,) = classify([contact], campaign.channel, event.workspace_id)
    out: dict[str, Any] = {"identifier": contact.identifier, "language": language_of(campaign, contact, event),
                           "channel": recipient.channel, "excluded": recipient.excluded}
    how = recipient.channel or channel_for(contact, campaign.channel)[0] or ("sms" if campaign.channel == "sms" else "email")
    message = render_for(campaign, event, contact, how, recipient.address or "", link=personal_link(contact),
                         unsubscribe_url=unsubscribe_url(event.event_id, contact.identifier))
    if isinstance(message, mail.Sms):
        out["sms"] = message.text
    else:
        out.update({"subject": message.subject, "text": message.text, "html": message.html,
                    "headers": dict(message.headers)})
    return out


# ------------------------------------------------------------------ sending

def _parse_at(at: str) -> datetime:
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(Code.INVALID_FIELD, "field 'at': an ISO-8601 date-time with offset", {"field": "at"}) from None
    if moment.tzinfo is None:
        raise InvalidRequest(Code.INVALID_FIELD, "field 'at': needs a UTC offset, e.g. +01:00", {"field": "at"})
    if moment.astimezone(UTC) < utcnow() + SCHEDULE_MIN_LEAD:
        raise InvalidRequest(Code.INVALID_FIELD, "field 'at': must be at least a minute in the future (omit it to send now)",
                             {"field": "at"})
    return moment.astimezone(UTC)


def plan_message(campaign: CampaignModel, send_id: str) -> dict:
    return {"kind": "plan", "campaign_id": campaign.campaign_id, "event_id": campaign.event_id, "send_id": send_id}


def request_send(event: EventModel, campaign_id: str, at: str | None) -> CampaignModel:
    """draft -> sending (a plan message on the queue) or -> scheduled (an EventBridge Scheduler schedule
    whose target is that same message). A second send of a campaign that is not a draft is 409."""
    campaign = get_campaign(event.event_id, campaign_id)
    moment = _parse_at(at) if at else None
    send_id = secrets.token_hex(8)
    now = now_iso()
    actions: list[Action] = [CampaignModel.send_id.set(send_id), CampaignModel.updated_at.set(now),
               CampaignModel.sent.set(0), CampaignModel.failed.set(0), CampaignModel.excluded.set(0),
               CampaignModel.unconfirmed.set(0), CampaignModel.chunks_done.set(0), CampaignModel.chunks_total.remove()]
    if moment:
        name = f"{campaign_id}-{send_id}"
        actions += [CampaignModel.status.set("scheduled"), CampaignModel.scheduled_at.set(moment.isoformat()),
                    CampaignModel.schedule_name.set(name)]
    else:
        actions += [CampaignModel.status.set("sending"), CampaignModel.started_at.set(now)]
    try:
        retrying(lambda: campaign.update(actions=actions, condition=CampaignModel.status == "draft"), what="campaign")
    except UpdateError as exc:
        if condition_failed(exc) and get_campaign(event.event_id, campaign_id).send_id != send_id:
            raise Conflict(Code.CAMPAIGN_NOT_DRAFT, f"the campaign is {get_campaign(event.event_id, campaign_id).status}: "
                           "only a draft can be sent") from exc
        raise
    settings = get_settings()
    body = plan_message(campaign, send_id)
    try:
        if moment:
            aws.client("scheduler").create_schedule(
                Name=campaign.schedule_name, ScheduleExpression=f"at({moment:%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE", Description=f"campaign {campaign_id} of {event.event_id}",
                Target={"Arn": settings.campaign_queue_arn, "RoleArn": settings.scheduler_role_arn,
                        "Input": json.dumps(body)})
        else:
            aws.send_messages([body], queue_url=settings.campaign_queue_url)
    except Exception:
        # Nothing will fire: back to draft so the organiser can send again.
        retrying(lambda: campaign.update(
            actions=[CampaignModel.status.set("draft"), CampaignModel.send_id.remove(),
                     CampaignModel.scheduled_at.remove(), CampaignModel.schedule_name.remove()],
            condition=CampaignModel.send_id == send_id), what="campaign")
        raise
    return campaign


def cancel(event: EventModel, campaign_id: str) -> CampaignModel:
    """A scheduled campaign back to draft, its schedule deleted; a fired schedule whose plan is still
    queued finds a different send id and does nothing. Anything but `scheduled` is 409."""
    campaign = get_campaign(event.event_id, campaign_id)
    name = campaign.schedule_name
    try:
        retrying(lambda: campaign.update(
            actions=[CampaignModel.status.set("draft"), CampaignModel.send_id.remove(),
                     CampaignModel.scheduled_at.remove(), CampaignModel.schedule_name.remove(),
                     CampaignModel.updated_at.set(now_iso())],
            condition=CampaignModel.status == "scheduled"), what="campaign")
    except UpdateError as exc:
        if condition_failed(exc):
            raise Conflict(Code.CAMPAIGN_NOT_SCHEDULED, f"the campaign is {campaign.status}: only a scheduled one can be "
                           "cancelled") from exc
        raise
    if name:
        try:
            aws.client("scheduler").delete_schedule(Name=name)
        except Exception as exc:
            if "ResourceNotFound" not in type(exc).__name__ and "ResourceNotFound" not in str(exc):
                raise
    return campaign


def recipients_page(event: EventModel, campaign: CampaignModel, *, excluded: bool | None) -> list[dict]:
    """The audience as it stands now, each with its channel or its exclusion reason."""
    rows = recipients_of(event.event_id, event.workspace_id, plain(campaign.audience), campaign.channel)
    return [{"identifier": r.identifier, "channel": r.channel, "excluded": r.excluded} for r in rows
            if excluded is None or bool(r.excluded) == excluded]
