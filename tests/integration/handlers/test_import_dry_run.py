"""`dry_run` (S3 metadata `dry-run: true`): the full report and the counts an import would have, nothing written."""

from __future__ import annotations

import pytest

from support.guests import organiser_call
from support.import_kit import (
    book_by_link,
    contacts_of,
    counts_add_up,
    create_event,
    deliver_all,
    queue_depth,
    report,
    run_import,
    start,
    upload,
    workbook,
)

pytestmark = pytest.mark.usefixtures("empty_queues")

HEADER = ["Identifier", "E-Mail", "Vorname"]
KNOWN = [["K-1", "k1@example.com", "Anna"], ["K-2", "k2@example.com", "Ben"], ["K-3", "k3@example.com", "Cleo"],
         ["K-4", "k4@example.com", "Dan"]]
# K-1 and K-2 known, N-1 new, N-2 skipped by validation (its e-mail), K-3 and K-4 absent (K-3 has a booking)
FILE = [HEADER, ["K-1", "k1@example.com", "Anna-Lena"], ["K-2", "k2@example.com", "Ben"],
        ["N-1", "n1@example.com", "Eva"], ["N-2", "kaputt@", "Fritz"]]


@pytest.fixture
def known_event(stack, organiser) -> str:
    event_id = create_event(stack, organiser)
    rep = run_import(stack, organiser, event_id, [HEADER, *KNOWN])
    assert rep["counts"]["created"] == 4, rep
    book_by_link(stack, event_id, "K-3")
    return event_id


def snapshot(event_id: str) -> dict:
    return {identifier: (c.version, c.firstname, c.updated_at) for identifier, c in contacts_of(event_id).items()}


def dry_run(stack, organiser, event_id: str, metadata: dict) -> dict:
    before = snapshot(event_id)
    import_id = start(stack, upload(stack, event_id, workbook(FILE), {"dry-run": "true", **metadata}))
    assert queue_depth(stack, "WorkQueue") == 0  # no chunk sent: nothing will be written later either
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "checked", rep
    assert snapshot(event_id) == before  # nothing written, nothing deleted
    assert counts_add_up(rep)
    return rep


def codes(rep) -> set[tuple]:
    return {(i["row"], i["identifier"], i["code"]) for i in rep["issues"]}


@pytest.mark.parametrize("metadata, counts, worker_issues", [
    ({}, {"created": 1, "updated": 2, "deleted": 0, "skipped": 1, "failed": 0}, set()),
    ({"mode": "create"}, {"created": 1, "updated": 0, "deleted": 0, "skipped": 3, "failed": 0},
     {(2, "K-1", "already_exists"), (3, "K-2", "already_exists")}),
    ({"mode": "update"}, {"created": 0, "updated": 2, "deleted": 0, "skipped": 2, "failed": 0},
     {(4, "N-1", "not_found")}),
    ({"delete-missing": "true"}, {"created": 1, "updated": 2, "deleted": 1, "skipped": 1, "failed": 0},
     {(None, "K-3", "kept_with_bookings")}),
], ids=["upsert", "create", "update", "upsert-delete-missing"])
def test_dry_run_counts_what_the_import_would_do_and_writes_nothing(stack, organiser, known_event, metadata, counts,
                                                                    worker_issues):
    rep = dry_run(stack, organiser, known_event, metadata)
    assert rep["rows_total"] == 4
    assert rep["counts"] == counts
    assert codes(rep) == {(5, "N-2", "invalid_email")} | worker_issues
    assert rep["report_url"]
    # the real import of the same file and options gives the same counts and issues
    real = run_import(stack, organiser, known_event, FILE, metadata)
    assert real["status"] != "checked"
    assert real["counts"] == counts and codes(real) == codes(rep)


def test_a_dry_run_of_a_bad_file_fails_like_the_import(stack, organiser, known_event):
    import_id = start(stack, upload(stack, known_event, workbook([["Vorname"], ["Anna"]]), {"dry-run": "true"}))
    rep = report(stack, organiser, known_event, import_id)
    assert rep["status"] == "failed" and rep["error"]["code"] == "no_identifier_column"


def test_a_redelivered_dry_run_stays_checked_and_writes_nothing(stack, organiser, known_event):
    before = snapshot(known_event)
    s3_event = upload(stack, known_event, workbook(FILE), {"dry-run": "true"})
    first = start(stack, s3_event)
    assert start(stack, s3_event) == first
    deliver_all(stack)
    assert report(stack, organiser, known_event, first)["status"] == "checked"
    assert snapshot(known_event) == before


def test_post_imports_binds_dry_run_to_the_upload(stack, organiser, known_event):
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{known_event}/imports",
                                     "/events/{event_id}/imports", body={"filename": "g.xlsx", "dry_run": True},
                                     path_parameters={"event_id": known_event})
    assert status == 201, body
    assert body["upload"]["fields"]["x-amz-meta-dry-run"] == "true" and body["options"]["dry_run"] is True


def test_an_invalid_dry_run_value_fails_the_import_naming_the_option(stack, organiser, known_event):
    import_id = start(stack, upload(stack, known_event, workbook(FILE), {"dry-run": "maybe"}))
    rep = report(stack, organiser, known_event, import_id)
    assert rep["error"]["code"] == "invalid_option" and "dry-run" in rep["error"]["message"]
