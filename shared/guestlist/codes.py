"""Every error code the API answers in `{"error": {"code"}}`, declared once; raise sites and tests use these.

Plain string constants, not an Enum: a code only ever travels as its string (into JSON bodies, scan
records, an import job's error map), and Python 3.11 builds an Enum of this size in 6 M instructions,
1% of every handler's cold start against a 1.2x `import boto3` budget (bench/RESULTS.md). A test holds
the strings unique and unchanged, which `@unique` used to.

The import report's row and file codes keep their own enum (`workbook.codes.Code`); a string in
both means the same thing in both (`invalid_email`, `too_large`...). `checkin.CheckinCode` names a
scan's outcomes: `ok`, `offline_conflict`, and the refusals below.
"""

from __future__ import annotations


class Code:
    # 400 / 413: the body itself (DESIGN.md s4, "Bad input")
    INVALID_JSON = "invalid_json"
    INVALID_FORM = "invalid_form"  # a form post the edge cannot read, or an event's form definition
    INVALID_CURSOR = "invalid_cursor"
    BODY_TOO_LARGE = "body_too_large"
    TOO_LARGE = "too_large"  # the record would pass the store's 400 KB, or an import's size limit

    # 422: a field fails validation; detail.field names it
    INVALID_FIELD = "invalid_field"
    UNKNOWN_FIELD = "unknown_field"
    MISSING_FIELD = "missing_field"
    TOO_LONG = "too_long"
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    INVALID_OPTION = "invalid_option"
    UNKNOWN_OPTION = "unknown_option"
    UNKNOWN_LANGUAGE = "unknown_language"
    MISSING_IDENTIFIER = "missing_identifier"
    UNKNOWN_IDENTIFIER = "unknown_identifier"
    UNKNOWN_PERMISSION_GROUP = "unknown_permission_group"
    UNKNOWN_ACCOUNT_MANAGER = "unknown_account_manager"  # also an import warning
    UNKNOWN_ACCOUNT_GROUP = "unknown_account_group"
    INVALID_TEMPLATE = "invalid_template"
    UNSAFE_TEMPLATE = "unsafe_template"
    UNSUPPORTED_FILE = "unsupported_file"
    UNSUPPORTED_SOURCE = "unsupported_source"
    BATCH_TOO_LARGE = "batch_too_large"

    # 403
    FORBIDDEN = "forbidden"
    SELF_CANCELLATION_DISABLED = "self_cancellation_disabled"

    # 404: missing, or another tenant's (the same answer on purpose)
    NOT_FOUND = "not_found"  # no such route, or a path id over its limit
    WORKSPACE_NOT_FOUND = "workspace_not_found"
    KEY_NOT_FOUND = "key_not_found"
    EVENT_NOT_FOUND = "event_not_found"
    CONTACT_NOT_FOUND = "contact_not_found"
    LINK_NOT_FOUND = "link_not_found"
    BOOKING_NOT_FOUND = "booking_not_found"
    GROUP_NOT_FOUND = "group_not_found"
    ACCOUNT_NOT_FOUND = "account_not_found"
    ACCOUNT_GROUP_NOT_FOUND = "account_group_not_found"
    IMPORT_NOT_FOUND = "import_not_found"
    OBJECT_NOT_FOUND = "object_not_found"  # an import's upload is gone
    EXPORT_NOT_FOUND = "export_not_found"
    CAMPAIGN_NOT_FOUND = "campaign_not_found"
    UNSUBSCRIBE_NOT_FOUND = "unsubscribe_not_found"

    # 409: exists already, or the state forbids the change
    ALREADY_EXISTS = "already_exists"
    WORKSPACE_EXISTS = "workspace_exists"
    EVENT_EXISTS = "event_exists"
    GROUP_EXISTS = "group_exists"
    ACCOUNT_GROUP_EXISTS = "account_group_exists"
    CAPACITY_BELOW_CONFIRMED = "capacity_below_confirmed"
    EVENT_FULL = "event_full"
    BOOKING_LIMIT = "booking_limit"
    ALREADY_CHECKED_IN = "already_checked_in"  # a second scan, or cancelling a checked-in booking
    # One concept, two wire spellings, both kept: DESIGN.md names neither, and changing either
    # would change a route's contract. The organiser's DELETE of a contact answers HAS_BOOKINGS;
    # a guest's decline answers HAS_BOOKING (the guest page's notice key is `notice.has_booking`).
    HAS_BOOKINGS = "has_bookings"
    HAS_BOOKING = "has_booking"
    JOIN_NOT_OPEN = "join_not_open"
    EVENT_HAS_NO_DATE = "event_has_no_date"
    CAMPAIGN_NOT_DRAFT = "campaign_not_draft"
    CAMPAIGN_NOT_SCHEDULED = "campaign_not_scheduled"

    # check-in refusals (DESIGN.md s4): answered with {"result": "rejected", "reason"} too, and kept in
    # the scan records; HTTP status per code in checkin.HTTP_STATUS (ALREADY_CHECKED_IN is above)
    UNKNOWN_CODE = "unknown_code"
    NOT_REGISTERED = "not_registered"
    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"
    NONCE_REUSED = "nonce_reused"
    UNKNOWN_CHECKIN = "unknown_checkin"
    OTHER_DEVICE = "other_device"
    ANNUL_WINDOW_PASSED = "annul_window_passed"
    ALREADY_ANNULLED = "already_annulled"

    # 429 / 503 / 500: try again
    RATE_LIMITED = "rate_limited"
    BUSY = "busy"
    INTERNAL_ERROR = "internal_error"

    # not answered over HTTP: a stream record this code cannot read goes to the dead-letter queue
    MALFORMED_IMAGE = "malformed_image"
