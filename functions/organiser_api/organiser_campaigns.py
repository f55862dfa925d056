"""Organiser API: campaigns of an event (create, list, show, recipients, preview, send, cancel)."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from guestlist.api import organiser_event
from guestlist.edge import Edge, given
from guestlist.lean_imports import on_first_use
from guestlist.schemas.campaigns import (
    Campaign,
    CampaignIn,
    CampaignList,
    Preview,
    PreviewQuery,
    RecipientList,
    RecipientsQuery,
    SendIn,
)

# campaigns imports the mail path (the email package, its dataclasses) and the templates: only these routes need them
campaigns = on_first_use("guestlist.campaigns")
router = Router()
edge = Edge(router, tag="campaigns")


def _event(event_id: str):
    return organiser_event(router, event_id)


@edge.post("/events/<event_id>/campaigns", body=CampaignIn, status=201, response=Campaign, errors=(404,),
           summary="Create a campaign (a draft)",
           description="Recipients are counted at once, with every exclusion (no_address, unsubscribed, undeliverable). "
                       "Templates are sandboxed Jinja2; one that reaches Python objects is 422 unsafe_template.")
def create_campaign(event_id: str, body: CampaignIn):
    campaign, _ = campaigns.create_campaign(_event(event_id), given(body))
    return campaigns.campaign_json(campaign, detail=True)


@edge.get("/events/<event_id>/campaigns", response=CampaignList, errors=(404,), summary="The event's campaigns")
def list_campaigns(event_id: str):
    _event(event_id)
    return {"campaigns": [campaigns.campaign_json(c) for c in campaigns.list_campaigns(event_id)]}


@edge.get("/events/<event_id>/campaigns/<campaign_id>", response=Campaign, errors=(404,),
          summary="One campaign: status, counts and every failure with its reason")
def get_campaign(event_id: str, campaign_id: str):
    _event(event_id)
    return campaigns.campaign_json(campaigns.get_campaign(event_id, campaign_id), detail=True)


@edge.get("/events/<event_id>/campaigns/<campaign_id>/recipients", query=RecipientsQuery, response=RecipientList,
          errors=(404,), summary="The campaign's audience now, each with its channel or why it is left out")
def list_recipients(event_id: str, campaign_id: str, query: RecipientsQuery):
    event = _event(event_id)
    campaign = campaigns.get_campaign(event_id, campaign_id)
    return {"recipients": campaigns.recipients_page(event, campaign, excluded=query.excluded)}


@edge.get("/events/<event_id>/campaigns/<campaign_id>/preview", query=PreviewQuery, response=Preview, errors=(404,),
          summary="One contact's message, rendered as it would be sent")
def preview(event_id: str, campaign_id: str, query: PreviewQuery):
    event = _event(event_id)
    return campaigns.preview(event, campaigns.get_campaign(event_id, campaign_id), query.identifier)


@edge.post("/events/<event_id>/campaigns/<campaign_id>/send", body=SendIn, status=202, response=Campaign,
           errors=(404, 409), summary="Send now, or at `at` (EventBridge Scheduler)",
           description="Only a draft can be sent (409 campaign_not_draft); each recipient gets it at most once.")
def send(event_id: str, campaign_id: str, body: SendIn):
    event = _event(event_id)
    campaigns.request_send(event, campaign_id, body.at)
    return campaigns.campaign_json(campaigns.get_campaign(event_id, campaign_id))


@edge.post("/events/<event_id>/campaigns/<campaign_id>/cancel", response=Campaign, errors=(404, 409),
           summary="Cancel a scheduled send (back to draft)")
def cancel(event_id: str, campaign_id: str):
    event = _event(event_id)
    campaigns.cancel(event, campaign_id)
    return campaigns.campaign_json(campaigns.get_campaign(event_id, campaign_id))
