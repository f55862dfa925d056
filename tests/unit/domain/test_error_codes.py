"""Error codes are declared once (guestlist.codes.Code) and their wire strings never change by accident."""

from __future__ import annotations

import ast
from pathlib import Path

from guestlist.codes import Code
from guestlist.errors import InvalidRequest

ROOT = Path(__file__).resolve().parents[3]
ERROR_CALLS = {"GuestlistError", "InvalidRequest", "NotFound", "Conflict", "Forbidden", "MalformedRequest",
               "PayloadTooLarge", "Busy", "TooManyRequests", "PoisonRecord", "error_response"}

# The contract: what clients and reports match on. Changing a string here changes the HTTP API.
WIRE = {
    "account_group_exists", "account_group_not_found", "account_not_found", "already_annulled", "already_checked_in",
    "already_exists", "annul_window_passed", "cancelled", "nonce_reused", "not_registered", "other_device",
    "unknown_checkin", "unknown_code", "waitlisted",
    "batch_too_large", "body_too_large", "booking_limit", "booking_not_found", "busy", "campaign_not_draft",
    "campaign_not_found", "campaign_not_scheduled", "capacity_below_confirmed", "contact_not_found", "event_exists",
    "event_full", "event_has_no_date", "event_not_found", "export_not_found", "forbidden", "group_exists",
    "group_not_found", "has_booking", "has_bookings", "import_not_found", "internal_error", "invalid_cursor",
    "invalid_email", "invalid_field", "invalid_form", "invalid_json", "invalid_option", "invalid_phone",
    "invalid_template", "join_not_open", "key_not_found", "link_not_found", "malformed_image", "missing_field",
    "missing_identifier", "not_found", "object_not_found", "rate_limited", "self_cancellation_disabled", "too_large",
    "too_long", "unknown_account_group", "unknown_account_manager", "unknown_field", "unknown_identifier",
    "unknown_language", "unknown_option", "unknown_permission_group", "unsafe_template", "unsubscribe_not_found",
    "unsupported_file", "unsupported_source", "workspace_exists", "workspace_not_found",
}


def _declared() -> list[str]:
    return [value for name, value in vars(Code).items() if name.isupper()]


def test_every_code_keeps_its_wire_string():
    assert set(_declared()) == WIRE


def test_no_two_codes_share_a_wire_string():
    strings = _declared()
    assert sorted(s for s in set(strings) if strings.count(s) > 1) == []


def test_raise_sites_name_their_code_from_code():
    """A bare string where an error takes its code means a code declared outside Code."""
    bare = []
    for path in [*(ROOT / "shared" / "guestlist").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            if name in ERROR_CALLS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno} {first.value!r}")
    assert bare == []


def test_an_error_carries_its_code_as_a_plain_string():
    """Codes flow into storage (an import job's error map): PynamoDB's maps refuse an enum member."""
    error = InvalidRequest(Code.UNKNOWN_OPTION, "unknown import option(s): colour")
    assert type(error.code) is str and error.code == "unknown_option"
