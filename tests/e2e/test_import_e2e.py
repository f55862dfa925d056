"""`guestlist import` as a user runs it, against `guestlist up` over HTTP."""

from __future__ import annotations

import json
import subprocess

import requests
from conftest import GUESTLIST, ROOT
from openpyxl import Workbook

from support.network import free_port


def _event(running) -> str:
    response = requests.post(f"{running.api}/events", headers=running.admin, timeout=10, json={
        "name": "CLI import", "start": "2027-05-01T18:00:00+02:00", "end": "2027-05-01T22:00:00+02:00",
        "timezone": "Europe/Zurich"})
    assert response.status_code == 201, response.text
    return response.json()["event_id"]


def _xlsx(path, rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def _import(running, *args, key=None, api=None, aws=None):
    return subprocess.run([str(GUESTLIST), "import", *args, "--api", api or running.api, "--aws-endpoint", aws or running.aws,
                           "--key", key or running.admin_key], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_guestlist_import_json_prints_the_report_of_a_finished_job(running, tmp_path):
    event_id = _event(running)
    book = _xlsx(tmp_path / "gäste.xlsx", [["Mail", "Vorname", "PLZ"], ["ida@example.com", "Ida", 8001],
                                          ["jan@example.com", "Jan", 3000], [None, "Kai", 4000]])
    done = _import(running, str(book), "--event", event_id, "--json", "--group", "Gäste", "--mapping", '{"Mail": "identifier"}')
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "completed_with_errors"
    assert report["rows_total"] == 3
    assert report["counts"] == {"created": 2, "updated": 0, "deleted": 0, "skipped": 1, "failed": 0}
    assert [(i["row"], i["code"]) for i in report["issues"]] == [(4, "missing_identifier")]
    assert requests.get(report["report_url"], timeout=10).status_code == 200

    contact = requests.get(f"{running.api}/events/{event_id}/contacts/ida%40example.com", headers=running.admin, timeout=10).json()
    assert contact["groups"] == ["Gäste"] and contact["zip"] == "8001"

    again = _import(running, str(book), "--event", event_id, "--mode", "create", "--mapping", '{"Mail": "identifier"}')
    assert again.returncode == 0, again.stderr
    assert "completed_with_errors" in again.stdout and "already_exists" in again.stdout


def test_guestlist_import_dry_run_reports_the_counts_and_writes_nothing(running, tmp_path):
    event_id = _event(running)
    book = _xlsx(tmp_path / "preview.xlsx", [["E-Mail", "Vorname"], ["lea@example.com", "Lea"], ["kaputt@", "Max"]])
    done = _import(running, str(book), "--event", event_id, "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "checked"
    assert report["counts"] == {"created": 1, "updated": 0, "deleted": 0, "skipped": 1, "failed": 0}
    assert {i["code"] for i in report["issues"]} == {"email_as_identifier", "invalid_email"}
    contact = requests.get(f"{running.api}/events/{event_id}/contacts/lea%40example.com", headers=running.admin, timeout=10)
    assert contact.status_code == 404


def test_guestlist_import_exits_1_when_the_import_failed(running, tmp_path):
    event_id = _event(running)
    book = _xlsx(tmp_path / "no-id.xlsx", [["Vorname"], ["Lia"]])
    done = _import(running, str(book), "--event", event_id, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "no_identifier_column"


def test_guestlist_import_usage_errors_exit_2_with_one_line_and_no_traceback(running, tmp_path):
    event_id = _event(running)
    book = _xlsx(tmp_path / "ok.xlsx", [["Identifier"], ["M-1"]])
    cases = [
        ((str(tmp_path / "missing.xlsx"), "--event", event_id), {}, "no such file"),
        ((str(book), "--event", event_id, "--mapping", "{not json"), {}, "--mapping"),
        ((str(book), "--event", "no-such-event"), {}, "no event"),
        ((str(book), "--event", event_id), {"api": f"http://127.0.0.1:{free_port()}"}, "not reachable"),
        ((str(book), "--event", event_id), {"key": "wrong"}, "refused the key"),
    ]
    for args, where, says in cases:
        done = _import(running, *args, **where)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert says in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
