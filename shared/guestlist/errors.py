"""Domain errors: one family, each carrying a snake_case code the API and reports share."""

from __future__ import annotations


class GuestlistError(Exception):
    """Base of every error the domain raises on purpose; `status` is its HTTP meaning."""

    status = 400

    def __init__(self, code: str, message: str, detail: dict | None = None):
        super().__init__(message)
        self.code = str(code)  # plain even from an enum (workbook.codes): storage (PynamoDB maps) refuses a member
        self.message = message
        self.detail = detail or {}

    def to_dict(self) -> dict:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        return body


class InvalidRequest(GuestlistError):
    """The request is malformed or a field fails validation."""

    status = 422


class NotFound(GuestlistError):
    """The thing does not exist, or belongs to someone else (same answer on purpose)."""

    status = 404


class Conflict(GuestlistError):
    """The thing exists already, or its state forbids the change."""

    status = 409


class Forbidden(GuestlistError):
    """The caller's key does not allow this action."""

    status = 403


class MalformedRequest(GuestlistError):
    """The body is not a UTF-8 JSON object (or is nested too deeply) — 400 `invalid_json`."""

    status = 400


class PayloadTooLarge(GuestlistError):
    """The body is over the edge's size limit — 413 `body_too_large`."""

    status = 413


class Busy(GuestlistError):
    """A storage call kept colliding or being throttled within the time left; retry later."""

    status = 503


class TooManyRequests(GuestlistError):
    """The caller sent more requests than its limit allows in this time window; retry later."""

    status = 429
