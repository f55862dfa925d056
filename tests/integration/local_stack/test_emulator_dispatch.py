"""The emulator finds a request's service once per host, not by listing moto's package for every
request under its server-wide lock; the local stack's pollers keep their clients (DESIGN.md s9)."""

from __future__ import annotations

import boto3
import moto.backends

from guestlist_local import schedules


def test_requests_after_the_first_of_a_service_do_not_list_motos_modules(shared, monkeypatch):
    kw = {"endpoint_url": shared.endpoint_url, "region_name": "us-east-1"}
    ddb, sqs = boto3.client("dynamodb", **kw), boto3.client("sqs", **kw)
    assert shared.physical("ContactsTable") in ddb.list_tables()["TableNames"]  # dispatched (and remembered) once
    sqs.list_queues()
    listings = []
    real = moto.backends.list_of_moto_modules
    monkeypatch.setattr(moto.backends, "list_of_moto_modules", lambda: listings.append(1) or real())
    for _ in range(10):
        assert shared.physical("ContactsTable") in ddb.list_tables()["TableNames"]
        assert sqs.list_queues()["QueueUrls"]
    assert listings == []


def test_the_schedule_poller_makes_its_clients_once(shared, monkeypatch):
    made = []
    real = schedules.client
    monkeypatch.setattr(schedules, "client", lambda service, url: made.append(service) or real(service, url))
    poller = schedules.SchedulePoller(shared.endpoint_url)
    for _ in range(3):
        poller._last = 0.0  # due for its next listing
        assert poller.poll_once() is False  # nothing scheduled
    assert sorted(made) == ["scheduler", "sqs"]
