"""The workbook corpus (tests/data/workbooks): every file judged as its manifest says.

The manifest records, per file, its producer and source and the expected judgment: status,
file-level error code, rows_total, counts and how many issues of each code. A change in any
judgment fails here, naming the file; update the manifest only after looking at the file.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from guestlist.workbook import read_workbook

CORPUS = Path(__file__).resolve().parents[2] / "data" / "workbooks"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["workbooks"]


def judgment(path: Path) -> dict:
    report = read_workbook(path)
    return {
        "status": report.status,
        "error": (report.error or {}).get("code"),
        "rows_total": report.rows_total,
        "counts": report.counts(),
        "issues": dict(sorted(collections.Counter(issue.code for issue in report.issues).items())),
    }


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["file"] for entry in MANIFEST])
def test_every_corpus_workbook_is_judged_as_expected(entry):
    assert judgment(CORPUS / entry["file"]) == entry["expect"], entry["producer"]


def test_the_corpus_stays_small_and_every_file_is_in_the_manifest():
    files = {str(path.relative_to(CORPUS)) for path in CORPUS.rglob("*.xlsx")}
    assert files == {entry["file"] for entry in MANIFEST}
    assert sum((CORPUS / name).stat().st_size for name in files) < 4 * 1024 * 1024
    assert all(entry["producer"] and entry["source"] for entry in MANIFEST)
