"""Personal links on the local stack: DynamoDB round trips per resolution and per booking, and
GET /e/{token} latency (p50/p99), next to GET /health (the gateway's own floor) in the same run.

    .venv/bin/python -m bench.guest_speed [--guests 200] [--requests 1000]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time
from collections import Counter

import requests


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", type=int, default=200)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    from botocore.client import BaseClient

    from guestlist_local.stack import LocalStack

    calls: Counter = Counter()
    original = BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls[operation] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counting
    with LocalStack(aws_port=_port(), http_port=_port(), isolated=False) as stack:  # counts calls in this process
        from guestlist.keys import ensure_organiser_key

        ensure_organiser_key("bench", "bench-key")
        api, admin = stack.api_url, {"Authorization": "Bearer bench-key"}
        event_id = requests.post(f"{api}/events", headers=admin, json={"name": "Bench", "capacity": args.guests}).json()["event_id"]
        links = [requests.post(f"{api}/events/{event_id}/contacts", headers=admin,
                               json={"identifier": f"g{i}@example.com", "firstname": f"G{i}"}).json()["personal_link"]
                 for i in range(args.guests)]
        requests.get(links[0])  # warm the event cache and the link secret
        stack.wait_idle(60)

        calls.clear()
        requests.get(links[1])
        per_resolution = dict(calls)
        calls.clear()
        token = links[2].split("/e/")[1].split("?")[0]
        requests.post(f"{api}/e/{token}/bookings", json={})
        per_booking = dict(calls)

        session = requests.Session()
        health, view, html = [], [], []
        for i in range(args.requests):
            t = time.perf_counter()
            session.get(f"{api}/health")
            health.append(time.perf_counter() - t)
            t = time.perf_counter()
            session.get(links[i % len(links)])
            view.append(time.perf_counter() - t)
        for i in range(min(args.requests, 300)):
            t = time.perf_counter()
            session.get(links[i % len(links)], headers={"Accept": "text/html"})
            html.append(time.perf_counter() - t)

    print(f"DynamoDB calls per GET /e/{{token}} (warm): {per_resolution}  total {sum(per_resolution.values())}")
    print(f"DynamoDB calls per booking (empty form):    {per_booking}  total {sum(per_booking.values())}")
    for name, samples in (("GET /health (floor)", health), ("GET /e/{token} JSON", view), ("GET /e/{token} HTML", html)):
        p50, p99 = _percentiles(samples)
        print(f"{name:<22} n={len(samples):<5} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    print(f"ratio p50 JSON / health: {statistics.median(view) / statistics.median(health):.1f}x")


if __name__ == "__main__":
    main()
