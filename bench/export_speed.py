"""Benchmark of an xlsx export (DESIGN.md s9) against a bare floor, and its peak memory at two sizes.

    python -m bench.export_speed [--sizes 10000,50000]

The AWS emulator (moto, with the local stack's fixes) runs in a child process; this process
provisions the template's resources, creates an event and seeds contacts straight into the
contacts table with BatchWriteItem (the items `POST /contacts` would write; seeding through the
API would take the emulator an hour). Then, at each size:

- export: `guestlist.exports.run_export`, the export worker's whole path (the contact listing
  page by page, each row's cells and personal link, openpyxl write-only into /tmp, the upload);
- floor: the same Query pages of the event's index shards, then an openpyxl write-only pass of
  the same cells (computed before the clock starts), saved to /tmp;
- peak memory: tracemalloc's peak over one more export run (the emulator's memory is in the
  child process, so what grows with the contacts there is not counted here).

Ratio = floor time / export time (>= 0.5 is the target); peak memory should not grow with the
number of contacts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST = ("Anna", "Luca", "Marie", "Jonas", "Sofia", "Noah", "Lea", "Elias", "Chiara", "Louis")
LAST = ("Müller", "Rossi", "Favre", "Meier", "Bianchi", "Dubois", "Keller", "Weber", "Bernasconi", "Girard")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _emulator(port: int, ready, stop) -> None:
    sys.path.insert(0, str(ROOT / "infra"))
    from guestlist_local.provision import Emulator

    emulator = Emulator("127.0.0.1", port)
    emulator.start()
    ready.set()
    stop.wait()
    emulator.stop()


def seed(event, start: int, stop: int) -> None:
    from guestlist.contacts import _new_contact
    from guestlist.models import Cause, ContactModel

    now = "2026-12-01T12:00:00.000Z"
    cause = Cause(kind="import", ref="bench")
    with ContactModel.batch_write() as batch:
        for i in range(start, stop):
            first, last = FIRST[i % 10], LAST[(i // 10) % 10]
            profile = {"firstname": first, "lastname": last, "email": f"{first.lower()}.{i}@example{i % 50}.ch",
                       "organization": f"Company {i % 300}", "language": ("de", "fr", "it", "en")[i % 4]}
            batch.save(_new_contact(event, f"c{i:07d}@example.ch", profile, {}, groups=["vip"] if i % 7 == 0 else [],
                                    cause=cause, origin=None, now=now))


def floor(event) -> tuple[float, int]:
    """The same Query pages, then a bare openpyxl write-only pass of the same cells."""
    from openpyxl import Workbook

    from guestlist.contacts import iter_contacts
    from guestlist.exports import columns, contact_row
    from guestlist.models import ContactModel
    from guestlist.settings import get_settings

    header, form_ids = columns(event)
    cells = [contact_row(c, form_ids) for c in iter_contacts(event.event_id)]
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    started = time.perf_counter()
    items = 0
    for shard in range(get_settings().event_shards):
        for _item in ContactModel.by_event.query(f"{event.event_id}#{shard:02d}"):
            items += 1
    book = Workbook(write_only=True)
    sheet = book.create_sheet("contacts")
    sheet.append(header)
    for row in cells:
        sheet.append(row)
    book.save(path)
    elapsed = time.perf_counter() - started
    os.unlink(path)
    assert items == len(cells)
    return elapsed, items


def export(event) -> tuple[float, int]:
    from guestlist.exports import request_export, run_export

    export_id = request_export(event, "xlsx", {}, send=lambda bodies: None)["export_id"]
    started = time.perf_counter()
    rows = run_export(export_id)
    return time.perf_counter() - started, rows


def peak_memory(event) -> int:
    tracemalloc.start()
    try:
        export(event)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000", help="contact counts, ascending (default 10000,50000)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    # moto answers an index Query by scanning the whole table: at 50,000 contacts on a busy machine one
    # page can take longer than PynamoDB's default 30 s read timeout (the bench's client only)
    settings_file = Path(tempfile.mkdtemp()) / "pynamodb_settings.py"
    settings_file.write_text("read_timeout_seconds = 300\n")
    os.environ["PYNAMODB_CONFIG"] = str(settings_file)

    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_emulator, args=(port, ready, stop), daemon=True)
    child.start()
    if not ready.wait(60):
        raise SystemExit("the emulator did not start")
    try:
        sys.path.insert(0, str(ROOT / "infra"))
        from guestlist_local.provision import Provisioner, apply_environment
        from guestlist_local.template import load_topology

        endpoint = f"http://127.0.0.1:{port}"
        topology = load_topology(ROOT / "template.yaml")
        provisioned = Provisioner(topology, endpoint).create()
        apply_environment(endpoint, load_topology(ROOT / "template.yaml", physical=provisioned.physical))
        from guestlist.settings import get_settings

        shards = get_settings().event_shards
        from guestlist.event_changes import create_event

        event, _warnings = create_event("ws-bench", {"name": "Bench gala", "languages": ["de", "fr", "it", "en"]})
        print(f"export of N contacts to xlsx vs floor (same Query pages + openpyxl write-only of the same cells), "
              f"{shards} index shard(s)")
        seeded = 0
        for size in sizes:
            started = time.perf_counter()
            seed(event, seeded, size)
            seeded = size
            print(f"seeded {size} contacts in {time.perf_counter() - started:.0f} s")
            floor_s, items = floor(event)
            export_s, rows = export(event)
            assert rows == items == size, (rows, items, size)
            print(f"N={size:>6}  export {export_s:6.1f} s ({rows / export_s:6.0f} rows/s)  floor {floor_s:6.1f} s "
                  f"({items / floor_s:6.0f} rows/s)  ratio {floor_s / export_s:4.2f}x", flush=True)
            peak = peak_memory(event)
            print(f"N={size:>6}  export peak {peak / 2**20:5.1f} MB (tracemalloc)", flush=True)
    finally:
        stop.set()
        child.join(10)


if __name__ == "__main__":
    main()
