"""Door check-in: a scanned ticket code becomes one conditional transaction, online or offline.

Two round trips: the ticket index (hash of the code), then one transaction that marks the
booking checked in only if it is confirmed and not yet checked in, moves the contact to
`attended`, bumps one shard of the event's counter, claims the scan's nonce and records
the scan. A rejected scan costs the index read and the put of its scan record. Twenty
devices scanning one ticket at once give exactly one ok; the same nonce again gives the
same ok and writes nothing.

Offline scans (`perform_checkin(..., offline=True)`) are facts that already happened at
the door: the earliest scan of a ticket wins (a stored later scan is corrected to it),
later ones are accepted as duplicates, and both cases leave an `offline_conflict` note
in the guest's status history.

The clock (`received_at`) and the idempotency key (`nonce`) are parameters, as in
pretix's `perform_checkin`, so tests and replays are deterministic.
"""

from __future__ import annotations

import re
import uuid
import zlib
from datetime import UTC, datetime, timedelta

import msgspec
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from . import storage
from .clock import now_iso
from .codes import Code
from .errors import GuestlistError, InvalidRequest
from .guest_state import load_state_by_pk
from .models import (
    CONTACT_SK,
    BookingModel,
    Cause,
    CheckinCounterModel,
    CheckinNonceModel,
    ContactModel,
    ScanModel,
)
from .retry import Again, carry_deadline, condition_failed, is_retryable, retrying
from .status import status_after
from .tokens import digest

COUNTER_SHARDS = 8  # concurrent check-ins of different tickets rarely touch the same counter item
SCAN_SHARDS = 16  # scan records of one event spread over this many partitions
MAX_BATCH = 500
ANNUL_WINDOW = timedelta(minutes=15)
_NONCE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class CheckinCode:
    """Every outcome of a scan, as the API and the scan records spell it; refusals are error codes (Code),
    held as their plain strings since scan records store them."""

    OK = "ok"
    OFFLINE_CONFLICT = "offline_conflict"
    ALREADY_CHECKED_IN = Code.ALREADY_CHECKED_IN
    UNKNOWN_CODE = Code.UNKNOWN_CODE
    NOT_REGISTERED = Code.NOT_REGISTERED
    CANCELLED = Code.CANCELLED
    WAITLISTED = Code.WAITLISTED
    NONCE_REUSED = Code.NONCE_REUSED
    # annulling
    UNKNOWN_CHECKIN = Code.UNKNOWN_CHECKIN
    OTHER_DEVICE = Code.OTHER_DEVICE
    ANNUL_WINDOW_PASSED = Code.ANNUL_WINDOW_PASSED
    ALREADY_ANNULLED = Code.ALREADY_ANNULLED


HTTP_STATUS: dict[str, int] = {
    CheckinCode.ALREADY_CHECKED_IN: 409,
    CheckinCode.UNKNOWN_CODE: 404,
    CheckinCode.NOT_REGISTERED: 422,
    CheckinCode.CANCELLED: 422,
    CheckinCode.WAITLISTED: 422,
    CheckinCode.NONCE_REUSED: 409,
    CheckinCode.UNKNOWN_CHECKIN: 404,
    CheckinCode.OTHER_DEVICE: 403,
    CheckinCode.ANNUL_WINDOW_PASSED: 409,
    CheckinCode.ALREADY_ANNULLED: 409,
}

_MESSAGES: dict[str, str] = {
    CheckinCode.ALREADY_CHECKED_IN: "this ticket was checked in already",
    CheckinCode.UNKNOWN_CODE: "this code is not a ticket of this event",
    CheckinCode.NOT_REGISTERED: "this guest is not registered for the event",
    CheckinCode.CANCELLED: "this booking was cancelled",
    CheckinCode.WAITLISTED: "this booking is on the waiting list",
    CheckinCode.NONCE_REUSED: "this nonce was used for another scan",
    CheckinCode.UNKNOWN_CHECKIN: "no check-in with this nonce in this event",
    CheckinCode.OTHER_DEVICE: "only the device that scanned may annul the check-in",
    CheckinCode.ANNUL_WINDOW_PASSED: "a check-in can be annulled only within 15 minutes",
    CheckinCode.ALREADY_ANNULLED: "this check-in was annulled already",
}


class CheckinError(GuestlistError):
    """A scan or an annulment was refused; `code` is one of CheckinCode."""

    def __init__(self, code: str, detail: dict | None = None, message: str | None = None):
        super().__init__(code, message or _MESSAGES.get(code, code), detail)
        self.status = HTTP_STATUS.get(code, 422)


class CheckinResult(msgspec.Struct):
    """An accepted scan: a new check-in (201), a replay of one (200) or an offline duplicate (200)."""

    booking: BookingModel
    nonce: str
    replay: bool = False
    duplicate: bool = False
    corrected: bool = False
    detail: dict = msgspec.field(default_factory=dict)

    @property
    def http_status(self) -> int:
        return 200 if (self.replay or self.duplicate) else 201

    def to_dict(self) -> dict:
        body: dict[str, object] = {"result": CheckinCode.OK, "nonce": self.nonce, "booking_id": self.booking.booking_id,
                "identifier": self.booking.identifier, "checked_in_at": self.booking.checked_in_at,
                "device": self.booking.checkin_device}
        if self.replay:
            body["replay"] = True
        if self.duplicate:
            body["duplicate"] = True
        if self.corrected:
            body["corrected"] = True
        body.update(self.detail)
        return body


class Scan(msgspec.Struct, frozen=True):
    """One scan as a device reports it, cleaned."""

    code: str
    nonce: str
    device: str
    scanned_at: str  # UTC, ISO-8601 with milliseconds and Z: sorts in time order

    @classmethod
    def parse(cls, body: dict, *, received_at: str, new_nonce=lambda: uuid.uuid4().hex) -> Scan:
        """A scan from request JSON, or InvalidRequest naming the field."""
        code = body.get("code")
        if not isinstance(code, str) or not code.strip():
            raise InvalidRequest(Code.INVALID_FIELD, "field 'code': the ticket code from the QR code", {"field": "code"})
        nonce = body.get("nonce")
        if nonce is None:
            nonce = new_nonce()
        elif not isinstance(nonce, str) or not _NONCE.match(nonce):
            raise InvalidRequest(Code.INVALID_FIELD, "field 'nonce': 1-128 letters, digits or . _ : -", {"field": "nonce"})
        device = body.get("device") or "unknown"
        if not isinstance(device, str) or len(device) > 64:
            raise InvalidRequest(Code.INVALID_FIELD, "field 'device': a name of at most 64 characters", {"field": "device"})
        scanned = body.get("scanned_at")
        scanned_at = received_at if scanned is None else parse_time(scanned, "scanned_at")
        return cls(code=code.strip().upper(), nonce=nonce, device=device.strip() or "unknown", scanned_at=scanned_at)


def parse_time(value: object, name: str) -> str:
    """An ISO-8601 date-time with an offset, as UTC with milliseconds; InvalidRequest otherwise."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidRequest(Code.INVALID_FIELD, f"field {name!r}: an ISO-8601 date-time with offset, e.g. 2027-06-01T18:05:00+02:00",
                             {"field": name})
    return _iso(parsed)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _shard(value: str, shards: int) -> int:
    return zlib.crc32(value.encode("utf-8")) % shards


def counter_key(event_id: str, booking_pk: str) -> str:
    return f"STATS#{event_id}#{_shard(booking_pk, COUNTER_SHARDS):02d}"


def nonce_key(event_id: str, nonce: str) -> str:
    return f"NONCE#{event_id}#{nonce}"


class _Tx:
    """A TransactWrite that remembers which item is which: PynamoDB sends puts before updates,
    so cancellation reasons come back in that order, not in the order of the calls."""

    def __init__(self) -> None:
        self.tx = storage.transaction(BookingModel)
        self._puts: list[str] = []
        self._updates: list[str] = []

    def save(self, label: str, model, **kwargs) -> None:
        self._puts.append(label)
        self.tx.save(model, **kwargs)

    def update(self, label: str, model, actions, **kwargs) -> None:
        self._updates.append(label)
        self.tx.update(model, actions=actions, **kwargs)

    def commit(self) -> None:
        with self.tx:
            pass

    def reasons(self, exc: TransactWriteError) -> dict:
        """label -> CancellationReason of the items that failed (code, raw_item)."""
        reasons = list(getattr(exc, "cancellation_reasons", None) or [])
        return {label: r for label, r in zip(self._puts + self._updates, reasons) if r is not None}


# ------------------------------------------------------------------ scan records

def _scan_record(event_id: str, scan: Scan, received_at: str, result: str, *, reason: str | None = None,
                 booking: BookingModel | None = None, offline: bool = False) -> ScanModel:
    return ScanModel(pk=f"SCANS#{event_id}#{_shard(scan.nonce, SCAN_SHARDS):02d}", sk=f"{received_at}#{scan.nonce}",
                     event_id=event_id, nonce=scan.nonce, result=result, reason=reason, device=scan.device,
                     scanned_at=scan.scanned_at, received_at=received_at, offline=offline,
                     booking_id=booking.booking_id if booking else None, identifier=booking.identifier if booking else None,
                     code_hash=digest(scan.code)[:12])


def _reject(event_id: str, scan: Scan, received_at: str, reason: str, *, booking: BookingModel | None = None,
            offline: bool = False, **detail) -> CheckinError:
    """Record the refused scan (one PutItem) and return the error to raise."""
    record = _scan_record(event_id, scan, received_at, "rejected", reason=reason, booking=booking, offline=offline)
    retrying(record.save, what="scan record")
    return CheckinError(reason, {k: v for k, v in detail.items() if v is not None} or None)


def _first_scan(booking: BookingModel) -> dict:
    return {"first_checked_in_at": booking.checked_in_at, "first_device": booking.checkin_device}


def _accepted_nonces(booking: BookingModel) -> set[str]:
    return set(booking.checkin_nonces or ()) | ({booking.checkin_nonce} if booking.checkin_nonce else set())


def _status_reason(booking: BookingModel) -> str:
    return {"cancelled": CheckinCode.CANCELLED, "waitlisted": CheckinCode.WAITLISTED}.get(booking.status, CheckinCode.NOT_REGISTERED)


# ------------------------------------------------------------------ check-in

def find_booking(code: str) -> BookingModel | None:
    """The booking a ticket code belongs to (one Query of the ticket index), or None."""
    code = (code or "").strip().upper()
    if not code or len(code) > 128:
        return None
    return next(iter(BookingModel.by_ticket.query(digest(code), limit=1)), None)


def perform_checkin(event_id: str, scan: Scan, *, received_at: str | None = None, offline: bool = False) -> CheckinResult:
    """Check the scanned ticket in, or raise CheckinError after recording the refused scan."""
    received_at = received_at or now_iso()
    booking = find_booking(scan.code)
    if booking is None or booking.event_id != event_id:
        raise _reject(event_id, scan, received_at, CheckinCode.UNKNOWN_CODE, offline=offline)
    current = booking

    def attempt() -> CheckinResult:
        nonlocal current
        booking = current
        if booking.checked_in_at:
            if scan.nonce in _accepted_nonces(booking):
                return CheckinResult(booking, scan.nonce, replay=True)
            if offline:
                return _offline_conflict(event_id, scan, booking, received_at)
            raise _reject(event_id, scan, received_at, CheckinCode.ALREADY_CHECKED_IN, booking=booking, **_first_scan(booking))
        if booking.status != "confirmed":
            raise _reject(event_id, scan, received_at, _status_reason(booking), booking=booking, offline=offline)
        tx = _check_in(event_id, scan, booking, received_at, offline)
        try:
            tx.commit()
        except TransactWriteError as exc:
            if is_retryable(exc):
                raise  # a conflict or throttling: the same transaction again
            outcome = _after_lost_race(event_id, scan, booking, received_at, tx.reasons(exc), exc, offline)
            if isinstance(outcome, CheckinResult):
                return outcome
            current = outcome
            raise Again("the booking changed meanwhile") from exc
        booking.checked_in_at, booking.checkin_device, booking.checkin_nonce = scan.scanned_at, scan.device, scan.nonce
        booking.checkin_received_at = received_at
        return CheckinResult(booking, scan.nonce)

    return retrying(attempt, what="check-in")


def _check_in(event_id: str, scan: Scan, booking: BookingModel, received_at: str, offline: bool) -> _Tx:
    """Build the check-in transaction; the caller commits it."""
    cause = Cause(kind="checkin", ref=scan.device)
    tx = _Tx()
    tx.update("booking", booking, actions=[
        BookingModel.checked_in_at.set(scan.scanned_at), BookingModel.checkin_device.set(scan.device),
        BookingModel.checkin_nonce.set(scan.nonce), BookingModel.checkin_nonces.add({scan.nonce}),
        BookingModel.checkin_received_at.set(received_at), BookingModel.updated_at.set(received_at),
    ], condition=BookingModel.checked_in_at.does_not_exist() & (BookingModel.status == "confirmed"), return_values="ALL_OLD")
    tx.update("contact", ContactModel(pk=booking.pk, sk=CONTACT_SK), actions=[
        ContactModel.attended_count.add(1), ContactModel.status.set("attended"), ContactModel.version.add(1),
        ContactModel.updated_at.set(received_at), ContactModel.last_cause.set(cause),
        ContactModel.checked_in_at.set(ContactModel.checked_in_at | scan.scanned_at),
    ], condition=ContactModel.pk.exists())
    tx.update("counter", CheckinCounterModel(pk=counter_key(event_id, booking.pk)), actions=[CheckinCounterModel.checked_in.add(1)])
    tx.save("nonce", CheckinNonceModel(pk=nonce_key(event_id, scan.nonce), booking_pk=booking.pk, booking_sk=booking.sk,
                              device=scan.device, scanned_at=scan.scanned_at, received_at=received_at),
            condition=CheckinNonceModel.pk.does_not_exist(), return_values="ALL_OLD")
    tx.save("scan", _scan_record(event_id, scan, received_at, "ok", booking=booking, offline=offline))
    return tx


def _after_lost_race(event_id: str, scan: Scan, booking: BookingModel, received_at: str, reasons: dict,
                     exc: TransactWriteError, offline: bool) -> BookingModel | CheckinResult:
    """Why the transaction was cancelled (a failed condition), answered from the items it returned (no extra read)."""
    if exc.cause_response_code != "TransactionCanceledException":
        raise exc
    code = lambda label: reasons[label].code if label in reasons else None  # noqa: E731
    if code("nonce") == "ConditionalCheckFailed":  # the nonce was claimed before
        raw = reasons["nonce"].raw_item or {}
        if raw.get("booking_sk", {}).get("S") == booking.sk and not raw.get("annulled_at"):
            fresh = BookingModel.get(booking.pk, booking.sk, consistent_read=True)
            return CheckinResult(fresh, scan.nonce, replay=True)
        raise _reject(event_id, scan, received_at, CheckinCode.NONCE_REUSED, booking=booking, offline=offline)
    if code("booking") == "ConditionalCheckFailed":  # someone else checked it in, or its status changed
        raw = reasons["booking"].raw_item
        return BookingModel.from_raw_data(raw) if raw else BookingModel.get(booking.pk, booking.sk, consistent_read=True)
    if code("contact") == "ConditionalCheckFailed":  # the guest was deleted from the list; the booking stayed
        raise _reject(event_id, scan, received_at, CheckinCode.NOT_REGISTERED, booking=booking, offline=offline)
    raise exc


def _offline_conflict(event_id: str, scan: Scan, booking: BookingModel, received_at: str) -> CheckinResult:
    """Another scan checked this ticket in: the earlier of the two stays the first; both are noted."""
    from .models import HistoryModel  # with the history table's other models: only this rare path writes one

    stored = {"device": booking.checkin_device, "scanned_at": booking.checked_in_at}
    this = {"device": scan.device, "scanned_at": scan.scanned_at, "nonce": scan.nonce}
    earlier = scan.scanned_at < (booking.checked_in_at or "")
    actions: list[Action] = [BookingModel.checkin_nonces.add({scan.nonce}), BookingModel.updated_at.set(received_at)]
    condition = (BookingModel.checked_in_at == booking.checked_in_at) & ~BookingModel.checkin_nonces.contains(scan.nonce)
    if earlier:
        actions += [BookingModel.checked_in_at.set(scan.scanned_at), BookingModel.checkin_device.set(scan.device),
                    BookingModel.checkin_nonce.set(scan.nonce)]
        detail = {"first": this, "second": stored}
    else:
        detail = {"first": stored, "second": this}
    note = HistoryModel(pk=booking.pk, sk=f"{received_at}#N#{scan.nonce}", event_id=event_id, identifier=booking.identifier,
                        old_status="attended", new_status="attended", changed_at=received_at, cause="checkin",
                        cause_ref=scan.device, note=CheckinCode.OFFLINE_CONFLICT,
                        detail={**detail, "booking_id": booking.booking_id, "corrected": earlier})

    def items(tx: TransactWrite) -> None:
        tx.update(booking, actions=actions, condition=condition)
        tx.save(note, condition=HistoryModel.pk.does_not_exist())
        tx.save(CheckinNonceModel(pk=nonce_key(event_id, scan.nonce), booking_pk=booking.pk, booking_sk=booking.sk,
                                  device=scan.device, scanned_at=scan.scanned_at, received_at=received_at),
                condition=CheckinNonceModel.pk.does_not_exist())
        tx.save(_scan_record(event_id, scan, received_at, "ok" if earlier else "duplicate",
                             reason=CheckinCode.OFFLINE_CONFLICT, booking=booking, offline=True))

    try:
        storage.transact_write(BookingModel, items, what="offline conflict")
    except TransactWriteError as exc:
        if not condition_failed(exc):
            raise
        fresh = BookingModel.get(booking.pk, booking.sk, consistent_read=True)
        if scan.nonce in _accepted_nonces(fresh):
            return CheckinResult(fresh, scan.nonce, replay=True)
        if not fresh.checked_in_at:  # annulled meanwhile: this scan is now an ordinary one
            return perform_checkin(event_id, scan, received_at=received_at, offline=True)
        return _offline_conflict(event_id, scan, fresh, received_at)
    first, second = detail["first"], detail["second"]
    if earlier:
        booking.checked_in_at, booking.checkin_device, booking.checkin_nonce = scan.scanned_at, scan.device, scan.nonce
    return CheckinResult(booking, scan.nonce, duplicate=not earlier, corrected=earlier,
                         detail={"conflict": CheckinCode.OFFLINE_CONFLICT, "first_checked_in_at": first["scanned_at"],
                                 "first_device": first["device"], "second_checked_in_at": second["scanned_at"],
                                 "second_device": second["device"]})


# ------------------------------------------------------------------ offline batches

class BatchItem(msgspec.Struct):
    index: int
    status: int
    body: dict


def perform_batch(event_id: str, scans: list, *, received_at: str | None = None, workers: int = 8) -> list[BatchItem]:
    """Offline scans, each idempotent by nonce; results in request order.

    Scans of one ticket run in their device-time order in one worker (so the earliest is
    checked in first and the others become duplicates); different tickets run in parallel.
    """
    from concurrent.futures import ThreadPoolExecutor

    if not isinstance(scans, list):
        raise InvalidRequest(Code.INVALID_FIELD, "field 'scans': a list of {code, nonce, scanned_at, device}", {"field": "scans"})
    if len(scans) > MAX_BATCH:
        raise InvalidRequest(Code.BATCH_TOO_LARGE, f"at most {MAX_BATCH} scans per batch; send the rest in another batch",
                             {"field": "scans", "max": MAX_BATCH, "got": len(scans)})
    received_at = received_at or now_iso()
    results: list[BatchItem | None] = [None] * len(scans)
    groups: dict[str, list[tuple[int, Scan]]] = {}
    for index, raw in enumerate(scans):
        try:
            if not isinstance(raw, dict):
                raise InvalidRequest(Code.INVALID_FIELD, "each scan: an object {code, nonce, scanned_at, device}", {"field": "scans"})
            if not raw.get("nonce"):
                raise InvalidRequest(Code.INVALID_FIELD, "field 'nonce': offline scans need one, so a resent batch counts once",
                                     {"field": "nonce"})
            scan = Scan.parse(raw, received_at=received_at)
        except InvalidRequest as exc:
            results[index] = BatchItem(index, exc.status, {"result": "error", "error": {"code": exc.code, "message": exc.message}})
            continue
        groups.setdefault(scan.code, []).append((index, scan))

    def run(group: list[tuple[int, Scan]]) -> None:
        for index, scan in sorted(group, key=lambda item: (item[1].scanned_at, item[0])):
            results[index] = _one(event_id, scan, received_at, index)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(groups)))) as pool:
        list(pool.map(carry_deadline(run), groups.values()))
    return [r for r in results if r is not None]


def _one(event_id: str, scan: Scan, received_at: str, index: int) -> BatchItem:
    try:
        result = perform_checkin(event_id, scan, received_at=received_at, offline=True)
    except CheckinError as exc:
        return BatchItem(index, exc.status, {"result": "rejected", "reason": exc.code, "nonce": scan.nonce, **exc.detail})
    return BatchItem(index, result.http_status, result.to_dict())


# ------------------------------------------------------------------ annul

def annul_checkin(event_id: str, nonce: str, device: str, *, now: datetime | None = None,
                  window: timedelta = ANNUL_WINDOW) -> BookingModel:
    """The device that scanned undoes a mistaken check-in within the window; one transaction."""
    now = now or datetime.now(UTC)
    try:
        claim = CheckinNonceModel.get(nonce_key(event_id, nonce), "NONCE", consistent_read=True)
    except CheckinNonceModel.DoesNotExist as exc:
        raise CheckinError(CheckinCode.UNKNOWN_CHECKIN) from exc
    if claim.annulled_at:
        raise CheckinError(CheckinCode.ALREADY_ANNULLED, {"annulled_at": claim.annulled_at})
    if claim.device != device:
        raise CheckinError(CheckinCode.OTHER_DEVICE)
    received = datetime.fromisoformat(claim.received_at.replace("Z", "+00:00"))
    if now - received > window:
        raise CheckinError(CheckinCode.ANNUL_WINDOW_PASSED, {"checked_in_at": claim.scanned_at})
    at = _iso(now)

    def attempt() -> BookingModel:
        state = load_state_by_pk(claim.booking_pk)
        booking = next((b for b in (state.bookings if state else []) if b.sk == claim.booking_sk), None)
        if state is None or booking is None or not booking.checked_in_at:
            raise CheckinError(CheckinCode.UNKNOWN_CHECKIN, message="this booking is not checked in")
        contact = state.contact
        status = status_after(contact, d_attended=-1).value
        scan = Scan(code="", nonce=nonce, device=device, scanned_at=at)
        tx = _Tx()
        try:
            tx.update("booking", booking, actions=[
                BookingModel.checked_in_at.remove(), BookingModel.checkin_device.remove(), BookingModel.checkin_nonce.remove(),
                BookingModel.checkin_nonces.remove(), BookingModel.checkin_received_at.remove(), BookingModel.updated_at.set(at),
            ], condition=BookingModel.checked_in_at == booking.checked_in_at)
            tx.update("contact", contact, actions=[
                ContactModel.attended_count.add(-1), ContactModel.status.set(status), ContactModel.version.add(1),
                ContactModel.updated_at.set(at), ContactModel.last_cause.set(Cause(kind="checkin", ref=device)),
                *([ContactModel.checked_in_at.remove()] if int(contact.attended_count or 0) <= 1 else []),
            ], condition=ContactModel.version == contact.version)
            tx.update("counter", CheckinCounterModel(pk=counter_key(event_id, booking.pk)),
                      actions=[CheckinCounterModel.checked_in.add(-1)])
            tx.update("claim", claim, actions=[CheckinNonceModel.annulled_at.set(at)],
                      condition=CheckinNonceModel.annulled_at.does_not_exist())
            record = _scan_record(event_id, scan, at, "annulled", booking=booking)
            record.code_hash = None
            tx.save("scan", record)
            tx.commit()
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise  # a conflict or throttling is tried again by the helper
            if getattr(tx.reasons(exc).get("claim"), "code", None) == "ConditionalCheckFailed":
                raise CheckinError(CheckinCode.ALREADY_ANNULLED) from exc
            raise Again("the guest changed meanwhile") from exc
        booking.checked_in_at = None
        return booking

    return retrying(attempt, what="annulment")
