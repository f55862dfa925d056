"""Organiser API: asynchronous exports of an event's contacts (xlsx or CSV, with personal links)."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from guestlist.api import organiser_event
from guestlist.edge import Edge
from guestlist.lean_imports import on_first_use
from guestlist.schemas.exports import Export, ExportIn, ExportStarted

exports = on_first_use("guestlist.exports")  # with the file writers: only these routes need them
router = Router()
edge = Edge(router, tag="exports")


@edge.post("/events/<event_id>/exports", body=ExportIn, status=202, response=ExportStarted, errors=(404,),
           summary="Export the event's contacts",
           description="The listing's filters select the contacts; poll the export for its file.")
def create_export(event_id: str, body: ExportIn):
    event = organiser_event(router, event_id)
    return exports.request_export(event, body.format, body.filter.as_kwargs())


@edge.get("/events/<event_id>/exports/<export_id>", response=Export, errors=(404,), summary="An export and its file")
def get_export(event_id: str, export_id: str):
    organiser_event(router, event_id)
    return exports.export_json(event_id, export_id)
