"""What the local stack's fidelity costs per request: function isolation (worker processes vs threads of one
process) and the durable data directory (write-ahead log + fsync vs memory only), measured in one run.

    .venv/bin/python -m bench.local_stack [--requests 300]

For each configuration: start-up time, then p50/p99 of GET /health (gateway + one function), GET /events
(authorizer + organiser function + a DynamoDB query) and POST /events/{id}/contacts (a DynamoDB transaction),
sequential over keep-alive.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time

import requests


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"{statistics.median(ordered) * 1000:.1f} / {ordered[int(len(ordered) * 0.99) - 1] * 1000:.1f}"


AWS_PORT = _port()  # one emulator port for every run: pynamodb keeps the endpoint it first saw


def run(label: str, requests_n: int, **options) -> dict[str, str]:
    from guestlist_local.stack import LocalStack

    started = time.monotonic()
    stack = LocalStack(aws_port=AWS_PORT, http_port=_port(), admin_key="bench-key", **options).start()
    startup = time.monotonic() - started
    try:
        api, admin = stack.api_url, {"Authorization": "Bearer bench-key"}
        session = requests.Session()
        event_id = session.post(f"{api}/events", headers=admin, json={"name": "Bench", "capacity": 10_000}).json()["event_id"]
        out = {"configuration": label, "start-up s": f"{startup:.1f}"}
        for name, call in (
            ("GET /health", lambda i: session.get(f"{api}/health")),
            ("GET /events", lambda i: session.get(f"{api}/events", headers=admin)),
            ("POST contact", lambda i: session.post(f"{api}/events/{event_id}/contacts", headers=admin,
                                                    json={"identifier": f"{label[:3]}-{i}@example.com", "firstname": "B"})),
        ):
            for i in range(10):  # warm every instance and client
                call(-i - 1)
            samples = []
            for i in range(requests_n):
                t0 = time.perf_counter()
                response = call(i)
                samples.append(time.perf_counter() - t0)
                assert response.status_code < 300, response.text
            out[name + " p50/p99 ms"] = _ms(samples)
        return out
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    rows = [run("threads, memory", args.requests, isolated=False),
            run("isolated, memory", args.requests)]
    with tempfile.TemporaryDirectory(dir=".") as data_dir:  # on the repository's disk, like a user's directory
        rows.append(run("isolated, --data-dir", args.requests, data_dir=data_dir))
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(row.get(k, "") for k in keys) + " |")


if __name__ == "__main__":
    main()
