"""Door check-in: a scanned ticket code becomes one conditional write.

Two round trips at most: the ticket index (hash of the code), then one transaction that
marks the booking attended only if it is confirmed and not yet checked in, and moves the
contact to `attended`. Twenty devices scanning one ticket at once give exactly one ok.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from .clock import now_iso
from .models import BookingModel, Cause, ContactModel, CONTACT_SK
from .status import Status
from .tokens import digest


class CheckinCode:
    OK = "ok"
    ALREADY_CHECKED_IN = "already_checked_in"
    UNKNOWN_CODE = "unknown_code"
    NOT_REGISTERED = "not_registered"
    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"


HTTP_STATUS = {
    CheckinCode.OK: 201,
    CheckinCode.ALREADY_CHECKED_IN: 409,
    CheckinCode.UNKNOWN_CODE: 404,
    CheckinCode.NOT_REGISTERED: 422,
    CheckinCode.CANCELLED: 422,
    CheckinCode.WAITLISTED: 422,
}


@dataclass
class CheckinResult:
    result: str  # ok | rejected
    reason: str | None = None
    booking: BookingModel | None = None
    replay: bool = False
    detail: dict = field(default_factory=dict)

    @property
    def http_status(self) -> int:
        if self.result == "ok":
            return 200 if self.replay else 201
        return HTTP_STATUS[self.reason]

    def to_dict(self) -> dict:
        body: dict = {"result": self.result}
        if self.reason:
            body["reason"] = self.reason
        if self.booking is not None:
            body["booking_id"] = self.booking.booking_id
            body["identifier"] = self.booking.identifier
            body["checked_in_at"] = self.booking.checked_in_at
        body.update(self.detail)
        return body


def _rejected(reason: str, booking: BookingModel | None = None, **detail) -> CheckinResult:
    return CheckinResult("rejected", reason, booking, detail=detail)


def perform_checkin(event_id: str, code: str, *, nonce: str | None = None, device: str | None = None,
                    scanned_at: str | None = None) -> CheckinResult:
    code = (code or "").strip().upper()
    booking = next(iter(BookingModel.by_ticket.query(digest(code), limit=1)), None) if code else None
    if booking is None or booking.event_id != event_id:
        return _rejected(CheckinCode.UNKNOWN_CODE)
    if booking.checked_in_at:
        if nonce and booking.checkin_nonce == nonce:
            return CheckinResult("ok", booking=booking, replay=True)
        return _rejected(CheckinCode.ALREADY_CHECKED_IN, booking, first_checked_in_at=booking.checked_in_at,
                         first_device=booking.checkin_device)
    if booking.status != "confirmed":
        return _rejected({"cancelled": CheckinCode.CANCELLED, "waitlisted": CheckinCode.WAITLISTED}.get(booking.status, CheckinCode.NOT_REGISTERED), booking)
    when = scanned_at or now_iso()
    try:
        with TransactWrite(connection=BookingModel._get_connection().connection) as tx:
            tx.update(booking, actions=[BookingModel.checked_in_at.set(when), BookingModel.checkin_device.set(device or "unknown"),
                                        BookingModel.checkin_nonce.set(nonce or ""), BookingModel.updated_at.set(now_iso())],
                      condition=BookingModel.checked_in_at.does_not_exist() & (BookingModel.status == "confirmed"))
            tx.update(ContactModel(pk=booking.pk, sk=CONTACT_SK),
                      actions=[ContactModel.attended_count.add(1), ContactModel.status.set(Status.ATTENDED.value),
                               ContactModel.version.add(1), ContactModel.updated_at.set(now_iso()),
                               ContactModel.last_cause.set(Cause(kind="checkin", ref=device or "unknown"))],
                      condition=ContactModel.pk.exists())
    except TransactWriteError as exc:
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        # Lost a race: the winner's write is now visible; answer as the winner would see us.
        fresh = BookingModel.get(booking.pk, booking.sk, consistent_read=True)
        if fresh.checked_in_at and nonce and fresh.checkin_nonce == nonce:
            return CheckinResult("ok", booking=fresh, replay=True)
        if fresh.checked_in_at:
            return _rejected(CheckinCode.ALREADY_CHECKED_IN, fresh, first_checked_in_at=fresh.checked_in_at, first_device=fresh.checkin_device)
        return _rejected(CheckinCode.NOT_REGISTERED if fresh.status == "confirmed" else fresh.status, fresh)
    booking.checked_in_at, booking.checkin_device, booking.checkin_nonce = when, device or "unknown", nonce or ""
    return CheckinResult("ok", booking=booking)
