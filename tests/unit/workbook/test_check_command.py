"""`guestlist check`: the report printed for people or as one JSON object, and its exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from guestlist_local.check import run_check


def run(path, mapping=None, as_json=False):
    out = io.StringIO()
    code = run_check(path, mapping, as_json, console=Console(file=out, width=200, force_terminal=False))
    return code, out.getvalue()


def test_check_json_prints_one_object_with_upsert_counts(kit, tmp_path):
    path = tmp_path / "guests.xlsx"
    path.write_bytes(kit.xlsx(["identifier", "E-Mail"], ["A1", "a@example.ch"], ["A2", "bad"], ["A1", "c@example.ch"]))
    code, out = run(path, as_json=True)
    assert code == 0
    body = json.loads(out)
    assert body["status"] == "valid_with_errors"
    assert body["rows_total"] == 3
    assert body["counts"] == {"created": 1, "updated": 0, "deleted": 0, "skipped": 2, "failed": 0}
    assert body["warnings"] == 0
    assert [item["code"] for item in body["issues"]] == ["invalid_email", "duplicate_identifier"]
    assert set(body["issues"][0]) == {"row", "identifier", "column", "code", "message"}
    assert body["columns"]["mapped"] == {"identifier": "identifier", "E-Mail": "email"}


def test_check_failed_file_exits_1(tmp_path):
    path = tmp_path / "guests.xlsx"
    path.write_bytes(b"a,b\n1,2\n")
    code, out = run(str(path), as_json=True)
    assert code == 1
    assert json.loads(out)["error"]["code"] == "unsupported_file"


def test_check_summary_names_status_columns_and_issues(kit, tmp_path):
    path = tmp_path / "guests.xlsx"
    path.write_bytes(kit.xlsx(["identifier", "Vorname", "Notizen"], ["A1", "Anna", "x"], [None, "[bold]Ben[/]", "y"]))
    code, out = run(path)
    assert code == 0
    assert "valid_with_errors" in out and "missing_identifier" in out
    assert "Vorname" in out and "firstname" in out and "ignored columns: Notizen" in out


def test_check_mapping_is_applied(kit, tmp_path):
    path = tmp_path / "guests.xlsx"
    path.write_bytes(kit.xlsx(["Mail"], ["a@example.ch"]))
    code, out = run(path, mapping='{"Mail": "identifier"}', as_json=True)
    assert code == 0 and json.loads(out)["counts"]["created"] == 1


def test_check_bad_mapping_json_exits_2(kit, tmp_path):
    path = tmp_path / "guests.xlsx"
    path.write_bytes(kit.xlsx(["identifier"], ["A1"]))
    assert run(path, mapping="{not json")[0] == 2
    assert run(path, mapping='["a"]')[0] == 2
    assert run(path, mapping='{"a": 1}')[0] == 2


def test_check_missing_file_exits_2(tmp_path):
    code, out = run(tmp_path / "nope.xlsx")
    assert code == 2 and "no such file" in out


def test_check_of_a_file_calamine_cannot_read_prints_only_the_report():
    damaged = Path(__file__).resolve().parents[2] / "data" / "workbooks" / "public" / "poi--60825.xlsx"
    result = subprocess.run([sys.executable, "-c", "import sys; from guestlist_local.check import run_check; "
                             f"sys.exit(run_check({str(damaged)!r}, None, True))"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["code"] == "unsupported_file"
    assert result.stderr == ""
