"""The report organisers act on, delete-missing, and the organiser API's import routes."""

from __future__ import annotations

import io

import pytest
import requests
from openpyxl import load_workbook

from support.guests import organiser_call
from support.import_kit import (
    book_by_link,
    contacts_of,
    counts_add_up,
    create_event,
    deliver_all,
    report,
    run_import,
    start,
    upload,
    workbook,
)

pytestmark = pytest.mark.usefixtures("empty_queues")

MIXED = [
    ["Identifier", "E-Mail", "Vorname", "Sprache", "Notiz intern"],
    ["A-1", "a1@example.com", "Ada", "de", "x"],      # 2 created
    [None, None, None, None, None],                    # 3 blank: warning, reading goes on
    ["A-2", "not-an-address", "Bea", None, None],      # 4 skipped: invalid_email
    [None, "c@example.com", "Cleo", None, None],       # 5 skipped: missing_identifier
    ["A-1", "a1@example.com", "Ada again", None, None],  # 6 skipped: duplicate_identifier
    ["A-3", None, "Dora", "klingonisch", None],        # 7 created, warning unknown_language
]


def test_report_counts_add_up_and_list_every_skipped_row_and_warning(stack, organiser):
    event_id = create_event(stack, organiser)
    rep = run_import(stack, organiser, event_id, MIXED, {"mapping": '{"Notiz intern": ""}'})
    assert set(rep) >= {"import_id", "event_id", "source", "status", "error", "rows_total", "counts", "warnings",
                        "columns", "issues", "report_url"}
    assert rep["status"] == "completed_with_errors" and rep["error"] is None and rep["source"] == "xlsx"
    assert rep["rows_total"] == 5
    assert rep["counts"] == {"created": 2, "updated": 0, "deleted": 0, "skipped": 3, "failed": 0}
    assert counts_add_up(rep)
    assert rep["warnings"] == 2
    assert [(i["row"], i["code"]) for i in rep["issues"]] == [
        (3, "blank_row"), (4, "invalid_email"), (5, "missing_identifier"), (6, "duplicate_identifier"), (7, "unknown_language")]
    assert rep["columns"]["mapped"] == {"Identifier": "identifier", "E-Mail": "email", "Vorname": "firstname", "Sprache": "language"}
    assert rep["columns"]["ignored"] == ["Notiz intern"]
    assert set(contacts_of(event_id)) == {"A-1", "A-3"}


def test_report_url_downloads_an_xlsx_listing_the_skipped_rows_with_their_reason(stack, organiser):
    event_id = create_event(stack, organiser)
    rep = run_import(stack, organiser, event_id, MIXED)
    response = requests.get(rep["report_url"], timeout=10)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Row", "Identifier", "Column", "Code", "Message")
    listed = {(r[0], r[3]) for r in rows[1:]}
    assert {(4, "invalid_email"), (5, "missing_identifier"), (6, "duplicate_identifier")} <= listed
    assert all(r[4] for r in rows[1:])  # every line says why


def test_worker_skips_are_in_the_report_and_its_xlsx(stack, organiser):
    event_id = create_event(stack, organiser)
    run_import(stack, organiser, event_id, [["Identifier"], ["A-1"]])
    rep = run_import(stack, organiser, event_id, [["Identifier"], ["A-1"], ["A-2"]], {"mode": "create"})
    assert [(i["row"], i["identifier"], i["code"]) for i in rep["issues"]] == [(2, "A-1", "already_exists")]
    sheet = load_workbook(io.BytesIO(requests.get(rep["report_url"], timeout=10).content), read_only=True).active
    assert (2, "A-1", "already_exists") in {(r[0], r[1], r[3]) for r in sheet.iter_rows(min_row=2, values_only=True)}


def test_delete_missing_deletes_absent_contacts_and_keeps_and_reports_those_with_bookings(stack, organiser):
    event_id = create_event(stack, organiser)
    ids = ["K-1", "K-2", "K-3", "K-4", "K-5", "K-6"]
    run_import(stack, organiser, event_id, [["Identifier", "E-Mail"]] + [[i, f"{i.lower()}@example.com"] for i in ids])
    book_by_link(stack, event_id, "K-3")
    book_by_link(stack, event_id, "K-4", cancel=True)  # a cancelled booking is still a booking
    # K-1 stays, K-2 is in the file on a skipped row (still named by the file): neither goes
    rep = run_import(stack, organiser, event_id, [["Identifier", "E-Mail"], ["K-1", "k1@example.com"], ["K-2", "broken@"]],
                     {"delete-missing": "true"})
    assert rep["counts"] == {"created": 0, "updated": 1, "deleted": 2, "skipped": 1, "failed": 0}, rep
    assert counts_add_up(rep)
    assert set(contacts_of(event_id)) == {"K-1", "K-2", "K-3", "K-4"}
    kept = {(i["identifier"], i["code"]) for i in rep["issues"] if i["row"] is None}
    assert kept == {("K-3", "kept_with_bookings"), ("K-4", "kept_with_bookings")}
    assert rep["warnings"] == 2


def test_delete_missing_counts_each_deletion_once_when_a_second_finisher_wins_the_race(stack, organiser, monkeypatch):
    import guestlist.imports.completion as completion

    event_id = create_event(stack, organiser)
    run_import(stack, organiser, event_id, [["Identifier"], ["D-1"], ["D-2"], ["D-3"]])
    import_id = start(stack, upload(stack, event_id, workbook([["Identifier"], ["D-1"]]), {"delete-missing": "true"}))
    real_delete_missing = completion._delete_missing

    def first_finisher_deletes_then_second_finishes_first(job):
        kept = real_delete_missing(job)
        monkeypatch.setattr(completion, "_delete_missing", real_delete_missing)
        completion.finish(completion.get_job(job.import_id))  # another worker: nothing left to delete, writes the end first
        return kept

    monkeypatch.setattr(completion, "_delete_missing", first_finisher_deletes_then_second_finishes_first)
    deliver_all(stack)
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed" and rep["counts"]["deleted"] == 2
    assert set(contacts_of(event_id)) == {"D-1"}


def test_failed_import_report_has_the_error_and_a_downloadable_reason(stack, organiser):
    event_id = create_event(stack, organiser)
    rep = run_import(stack, organiser, event_id, [["Vorname"], ["Anna"]])
    assert rep["status"] == "failed" and rep["error"]["code"] == "no_identifier_column"
    assert rep["counts"] == {"created": 0, "updated": 0, "deleted": 0, "skipped": 0, "failed": 0}
    assert rep["issues"] == []
    sheet = load_workbook(io.BytesIO(requests.get(rep["report_url"], timeout=10).content), read_only=True).active
    assert "no_identifier_column" in {r[3] for r in sheet.iter_rows(min_row=2, values_only=True)}


def test_list_imports_shows_progress_and_finds_an_upload_by_its_key(stack, organiser):
    event_id = create_event(stack, organiser)
    s3_event = upload(stack, event_id, workbook([["Identifier"], ["L-1"], ["L-2"]]))
    import_id = start(stack, s3_event)
    status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                                     path_parameters={"event_id": event_id})
    assert status == 200
    [item] = body["imports"]
    assert item["import_id"] == import_id and item["status"] == "running"
    assert item["object_key"] == s3_event["Records"][0]["s3"]["object"]["key"]
    assert item["progress"] == {"chunks_total": 1, "chunks_done": 0}
    deliver_all(stack)
    status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                                     path_parameters={"event_id": event_id})
    assert body["imports"][0]["status"] == "completed" and body["imports"][0]["progress"]["chunks_done"] == 1


def test_import_of_another_events_id_is_not_found(stack, organiser):
    event_id, other = create_event(stack, organiser), create_event(stack, organiser)
    rep = run_import(stack, organiser, event_id, [["Identifier"], ["X-1"]])
    status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{other}/imports/{rep['import_id']}",
                                     "/events/{event_id}/imports/{import_id}",
                                     path_parameters={"event_id": other, "import_id": rep["import_id"]})
    assert status == 404 and body["error"]["code"] == "import_not_found"


def _post_import(stack, organiser, event_id, body):
    return organiser_call(stack, organiser, "POST", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                          body=body, path_parameters={"event_id": event_id})


def test_post_imports_returns_a_presigned_upload_carrying_the_options(stack, organiser):
    event_id = create_event(stack, organiser)
    status, body, _ = _post_import(stack, organiser, event_id, {"filename": "Gäste 2027.xlsx", "mode": "create",
                                                                "group": "Gäste", "delete_missing": True,
                                                                "mapping": {"Mail": "identifier"}})
    assert status == 201, body
    assert body["key"].startswith(f"imports/{event_id}/") and body["key"].endswith(".xlsx")
    fields = body["upload"]["fields"]
    assert fields["key"] == body["key"]
    assert fields["x-amz-meta-mode"] == "create" and fields["x-amz-meta-delete-missing"] == "true"
    from guestlist.import_options import ImportOptions

    options = ImportOptions.from_metadata({k[len("x-amz-meta-"):]: v for k, v in fields.items() if k.startswith("x-amz-meta-")})
    assert (options.group, options.mapping) == ("Gäste", {"Mail": "identifier"})


@pytest.mark.parametrize("body, code", [
    ({"source": "csv"}, "invalid_field"),  # refused at the edge, naming the field
    ({"source": "accounts", "account_group": "Sales"}, "unknown_account_group"),
    ({"source": "accounts", "account_group": "Sales", "mapping": {"A": "email"}}, "unknown_option"),
    ({"mode": "replace"}, "invalid_field"),
    ({"groop": "VIP"}, "unknown_field"),
    ({"filename": "guests.xls"}, "unsupported_file"),
])
def test_post_imports_refuses_what_the_import_would_refuse(stack, organiser, body, code):
    event_id = create_event(stack, organiser)
    status, answer, _ = _post_import(stack, organiser, event_id, body)
    assert (status, answer["error"]["code"]) == (422, code)
