"""Checks on the rows read from a workbook that need the event: form answers by field type, account managers."""

from __future__ import annotations

from ..accounts import manager_index, resolve_account_manager
from ..codes import Code
from ..errors import InvalidRequest


def form_targets(form: list[dict]):
    """The reader's mapping targets: the system fields plus the form's fields by id and by every label."""
    from ..workbook import SYSTEM_TARGETS

    def labels(value) -> list[str]:
        return [value] if isinstance(value, str) else list((value or {}).values())

    return SYSTEM_TARGETS.with_fields({f["id"]: labels(f.get("label")) for f in form})


def check_form_values(report, form: list[dict], region: str) -> None:
    """Custom form answers read from the sheet are checked by their field's type (select options,
    dates, numbers...): a row with a bad value is skipped naming its row, column and code."""
    from ..forms import PREDEFINED_IDS, check_value
    from ..workbook.codes import SKIPPED
    from ..workbook.model import Issue

    typed = {f["id"]: f for f in form if f["id"] not in PREDEFINED_IDS}
    if not typed:
        return
    headers = {target: header for header, target in (report.columns.get("mapped") or {}).items()}
    kept = []
    for row in report.rows:
        problem = None
        for field_id, value in row.custom.items():
            field = typed.get(field_id)
            if field is None:
                continue
            if field["type"] == "date" and isinstance(value, str) and len(value) == 19 and value[10] == "T":
                value = value[:10]  # a date cell read as midnight
            if field["type"] == "multiselect" and isinstance(value, str):
                value = [v.strip() for v in value.split(",")]
            try:
                row.custom[field_id] = check_value(field, value if field["type"] == "number" or isinstance(value, str) else str(value),
                                                   region=region, html=True)
            except InvalidRequest as exc:
                problem = Issue(row.row, row.identifier, headers.get(field_id, field_id), exc.code, exc.message, SKIPPED)
                break
        if problem is None:
            kept.append(row)
        else:
            report.issues.append(problem)
    if len(kept) != len(report.rows):
        report.rows = kept
        report.issues.sort(key=lambda issue: (issue.row or 0))
        if report.status == "valid":
            report.status = "valid_with_errors"


def unknown_account_manager(report, workspace_id: str) -> None:
    """Rule `unknown_account_manager`: a manager no account answers to is left empty, with a
    warning; the row is still imported. Known ones are stored by username. One query per import."""
    named = [row for row in report.rows if row.fields.get("account_manager")]
    if not named:
        return
    from ..workbook import Issue

    index = manager_index(workspace_id)
    column = next((h for h, f in report.columns["mapped"].items() if f == "account_manager"), "account_manager")
    for row in named:
        value = row.fields["account_manager"]
        username = resolve_account_manager(value, index)
        if username:
            row.fields["account_manager"] = username
            continue
        del row.fields["account_manager"]
        report.issues.append(Issue(row=row.row, identifier=row.identifier, column=column, code=Code.UNKNOWN_ACCOUNT_MANAGER,
                                   message=f"Row {row.row}, column '{column}': no account {value!r}; "
                                           "the account manager is left empty.", severity="warning"))
    report.issues.sort(key=lambda issue: (issue.row is None, issue.row or 0))
