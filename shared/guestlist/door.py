"""The door's reads: guest search by name, the live check-in counters and the newest scans (no writes)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .checkin import COUNTER_SHARDS, SCAN_SHARDS
from .codes import Code
from .errors import InvalidRequest
from .guest_state import load_state_by_pk
from .models import CheckinCounterModel, ContactModel, GroupCounterModel, ScanModel
from .settings import get_settings


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Zoë Müller' -> 'zoe muller'."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def _words(contact) -> list[str]:
    values = [contact.firstname, contact.lastname, contact.organization, contact.identifier, contact.email]
    return [w for v in values if v for w in _fold(str(v)).replace("@", " ").replace(".", " ").split()] + \
           [_fold(contact.identifier)]


def search_guests(event_id: str, q: str, *, limit: int = 20) -> list[dict]:
    """Guests whose name, organisation or identifier starts with every word of `q`; what the door needs only.

    Reads the event's `by_event` index shards in parallel, then the matches' partitions.
    """
    from .bookings import ticket_for  # cold start: the check-in API loads the booking module only for a search

    needles = _fold(q or "").split()
    if not needles or len(q) > 100:
        raise InvalidRequest(Code.INVALID_FIELD, "query 'q': part of a name, organisation or identifier (1-100 characters)",
                             {"field": "q"})

    def shard(i: int) -> list:
        hits = []
        for contact in ContactModel.by_event.query(f"{event_id}#{i:02d}"):
            words = _words(contact)
            if all(any(w.startswith(n) for w in words) for n in needles):
                hits.append(contact)
        return hits

    with ThreadPoolExecutor(max_workers=8) as pool:
        found = [c for hits in pool.map(shard, range(get_settings().event_shards)) for c in hits]
    found.sort(key=lambda c: (_fold(c.lastname or ""), _fold(c.firstname or ""), c.identifier))
    found = found[:limit]
    with ThreadPoolExecutor(max_workers=8) as pool:
        states = list(pool.map(lambda c: load_state_by_pk(c.pk), found))
    out = []
    for contact, state in zip(found, states):
        bookings = state.bookings if state else []
        out.append({
            "identifier": contact.identifier, "firstname": contact.firstname, "lastname": contact.lastname,
            "organization": contact.organization, "status": (state.contact.status if state else contact.status),
            "bookings": [{"booking_id": b.booking_id, "status": b.status, "ticket_code": ticket_for(b),
                          "checked_in_at": b.checked_in_at} for b in bookings if b.status != "cancelled"],
        })
    return out


def checkin_stats(event) -> dict:
    """The door's live counter from counter items only: no table scan."""
    eid = event.event_id
    shards = CheckinCounterModel.batch_get([(f"STATS#{eid}#{i:02d}", "CHECKINS") for i in range(COUNTER_SHARDS)])
    checked_in = sum(int(s.checked_in or 0) for s in shards)
    groups = {g.group: {"expected": int(g.expected or 0), "checked_in": int(g.checked_in or 0)}
              for g in GroupCounterModel.query(f"GROUPS#{eid}")}
    return {"event_id": eid, "checked_in": checked_in, "expected": int(event.confirmed_count or 0),
            "capacity": int(event.capacity) if event.capacity is not None else None, "by_group": groups}


SCAN_RESULTS = ("ok", "duplicate", "rejected", "annulled")


def recent_scans(event_id: str, *, result: str | None = None, limit: int = 50) -> list[dict]:
    """The newest scans of the event (all shards merged), optionally only one result."""
    if result is not None and result not in SCAN_RESULTS:
        raise InvalidRequest(Code.INVALID_FIELD, f"query 'result': one of {', '.join(SCAN_RESULTS)}", {"field": "result"})
    condition = (ScanModel.result == result) if result else None

    def shard(i: int) -> list[ScanModel]:
        return list(ScanModel.query(f"SCANS#{event_id}#{i:02d}", scan_index_forward=False, limit=limit,
                                    filter_condition=condition))

    with ThreadPoolExecutor(max_workers=8) as pool:
        scans = [s for part in pool.map(shard, range(SCAN_SHARDS)) for s in part]
    scans.sort(key=lambda s: s.sk, reverse=True)
    return [{"nonce": s.nonce, "result": s.result, "reason": s.reason, "device": s.device, "scanned_at": s.scanned_at,
             "received_at": s.received_at, "offline": bool(s.offline), "booking_id": s.booking_id,
             "identifier": s.identifier} for s in scans[:limit]]
