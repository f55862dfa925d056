"""The emulator finds a request's service once per host, not by listing moto's package for every
request under its server-wide lock; the local stack's pollers keep their clients (DESIGN.md s9)."""

from __future__ import annotations

import threading

import boto3
import moto.backends

from guestlist_local import schedules


def test_a_hosts_service_is_looked_up_once_and_requests_still_reach_their_service(shared, monkeypatch):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    listings = []
    real, here = moto.backends.list_of_moto_modules, threading.current_thread()

    def counting():
        if threading.current_thread() is here:  # not the running stack's threads meeting a new host meanwhile
            listings.append(1)
        return real()

    monkeypatch.setattr(moto.backends, "list_of_moto_modules", counting)
    dispatcher = DomainDispatcherApplication(create_app=lambda backend: backend)
    for _ in range(10):  # a host no other request of this stack uses
        assert dispatcher.get_backend_for_host("kinesis.eu-west-3.amazonaws.com") == "kinesis"
    assert listings == [1]
    kw = {"endpoint_url": shared.endpoint_url, "region_name": "us-east-1"}
    assert shared.physical("ContactsTable") in boto3.client("dynamodb", **kw).list_tables()["TableNames"]
    assert boto3.client("sqs", **kw).list_queues()["QueueUrls"]


def test_the_schedule_poller_makes_its_clients_once(shared, monkeypatch):
    made = []
    real, here = schedules.client, threading.current_thread()

    def counting(service: str, url: str):
        if threading.current_thread() is here:  # not the running stack's own threads, which use the module too
            made.append(service)
        return real(service, url)

    monkeypatch.setattr(schedules, "client", counting)
    poller = schedules.SchedulePoller(shared.endpoint_url)
    for _ in range(3):
        poller._last = 0.0  # due for its next listing
        assert poller.poll_once() is False  # nothing scheduled
    assert sorted(made) == ["scheduler", "sqs"]
