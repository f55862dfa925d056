"""Properties over random grids: counts always add up, and nothing ever raises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CELL = st.one_of(
    st.none(),
    st.sampled_from(["", "  ", "A1", "A2", "a@example.ch", "A@EXAMPLE.CH", "bad@", "079 123 45 67", "12", "de", "xx"]),
    st.integers(min_value=0, max_value=99999),
    st.booleans(),
    st.text(alphabet="ab@.= ", max_size=6),
)
HEADERS = ["identifier", "E-Mail", "Mobile", "Sprache", "Notizen"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=st.lists(st.lists(CELL, min_size=5, max_size=5), max_size=12))
def test_counts_always_add_up_to_rows_total(kit, grid):
    report = kit.read(kit.xlsx(HEADERS, *grid))
    assert report.status in ("valid", "valid_with_errors")
    counts = report.counts()
    assert counts["valid"] + counts["skipped"] == report.rows_total
    assert counts["skipped"] == sum(1 for issue in report.issues if issue.severity == "skipped")
    rows = [issue.row for issue in report.issues if issue.severity == "skipped"] + [row.row for row in report.rows]
    assert len(rows) == len(set(rows))  # a row is either imported or skipped once
    identifiers = [row.identifier for row in report.rows]
    assert len(identifiers) == len(set(identifiers))
    assert [issue.row for issue in report.issues] == sorted(issue.row for issue in report.issues)
