"""Imports map to the event's form (DESIGN.md s10): its ids and labels in every language are targets,
anything else is refused before reading, and values are checked by the field's type."""

from __future__ import annotations

import datetime as dt

from support.guests import organiser_call
from support.import_kit import contacts_of, create_event, run_import

FORM = [
    {"id": "firstname"}, {"id": "email", "type": "email"},
    {"id": "diet", "type": "select", "label": {"de": "Ernährung", "fr": "Régime"}, "options": [{"value": "vegan"}, {"value": "meat"}]},
    {"id": "guests", "type": "number", "label": {"de": "Begleitpersonen", "en": "Companions"}},
    {"id": "arrival", "type": "date", "label": {"fr": "Arrivée"}},
]


def test_form_labels_in_every_language_map_and_values_are_checked_by_type(stack, organiser):
    event_id = create_event(stack, organiser, form=FORM, languages=["de", "fr"], default_language="de")
    rep = run_import(stack, organiser, event_id, [
        ["E-Mail", "Vorname", "Régime", "Companions", "Arrivée"],
        ["a@example.com", "Anna", "vegan", 2, dt.datetime(2027, 6, 1)],
        ["b@example.com", "Ben", "fish", 1, None],
        ["c@example.com", "Cem", "meat", "two", None],
        ["d@example.com", "Dan", None, None, "soon"],
    ])
    assert rep["columns"]["mapped"] == {"E-Mail": "email", "Vorname": "firstname", "Régime": "diet",
                                        "Companions": "guests", "Arrivée": "arrival"}
    assert rep["counts"]["created"] == 1 and rep["counts"]["skipped"] == 3
    skipped = {(i["row"], i["column"], i["code"]) for i in rep["issues"] if i["code"] != "email_as_identifier"}
    assert skipped == {(3, "Régime", "invalid_option"), (4, "Companions", "invalid_field"), (5, "Arrivée", "invalid_field")}
    contact = contacts_of(event_id)["a@example.com"]
    assert contact.custom.as_dict() == {"diet": "vegan", "guests": 2, "arrival": "2027-06-01"}


def test_a_mapping_to_a_field_the_event_does_not_have_fails_before_reading(stack, organiser):
    event_id = create_event(stack, organiser, form=FORM)
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                                     body={"filename": "g.xlsx", "mapping": {"Farbe": "colour"}}, path_parameters={"event_id": event_id})
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "unknown_field", "mapping")
    ok = organiser_call(stack, organiser, "POST", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                        body={"filename": "g.xlsx", "mapping": {"Essen": "diet", "Stadt": "city", "Gruppe": "permission_group"}},
                        path_parameters={"event_id": event_id})
    assert ok[0] == 201, ok[1]
    rep = run_import(stack, organiser, event_id, [["E-Mail", "Farbe"], ["x@example.com", "blue"]], {"mapping": '{"Farbe": "colour"}'})
    assert rep["status"] == "failed" and rep["error"]["code"] == "unknown_field" and rep["rows_total"] == 0
    assert contacts_of(event_id) == {}
