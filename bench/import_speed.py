"""Benchmark of an import on the local stack (DESIGN.md s9) against a bare loop of the same writes.

    python -m bench.import_speed [--rows 10000] [--bare 3000]

One process: the local stack (moto server, pump, handlers) starts in-process on free ports, an
event is created over the HTTP API, a generated workbook (12 columns, openpyxl write-only) is
uploaded to the import bucket, and the time from upload to terminal job is measured. Then, in the
same run and against the same emulator, a bare loop from this process: the same PutItem with
`attribute_not_exists(pk)` of the same item (one of the imported contacts, re-keyed) into a table
of the same definition (keys, the four indexes, the stream), with no consumer on its stream.

Every AWS call made in the process is counted (botocore's _make_api_call), attributed to the
function by the thread the pump runs it in: DynamoDB writes per row of the import path (import
function, upsert workers, import failures) and of the history function, SendMessageBatch calls,
and the share of the import's writes that the busiest partition key takes (table keys and the
by_event index's shard keys).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
HEADERS = ("Identifier", "E-Mail", "Mobile", "Vorname", "Nachname", "Firma",
           "PLZ", "Ort", "Strasse", "Sprache", "Job title", "Diet")
FIRST = ("Anna", "Luca", "Marie", "Jonas", "Sofia", "Noah", "Lea", "Elias", "Chiara", "Louis")
LAST = ("Müller", "Rossi", "Favre", "Meier", "Bianchi", "Dubois", "Keller", "Weber", "Bernasconi", "Girard")
CITIES = (("Zürich", 8001), ("Genève", 1201), ("Lugano", 6900), ("Bern", 3011), ("Lausanne", 1003))
WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Guests")
    sheet.append(HEADERS)
    for i in range(rows):
        first, last = FIRST[i % 10], LAST[(i // 10) % 10]
        city, zip_code = CITIES[i % 5]
        sheet.append([f"C{i:07d}", f"{first.lower()}.{i}@example{i % 50}.ch",
                      f"+41 79 {i % 1000:03d} {i // 1000 % 100:02d} {i % 97:02d}", first, last, f"Company {i % 300}",
                      zip_code, city, f"Bahnhofstrasse {i % 200 + 1}", ("de", "fr", "it", "en")[i % 4],
                      "Engineer", ("vegetarian", "none", "vegan")[i % 3]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ counting every AWS call

class CallLog:
    """Counts DynamoDB writes (per item, with its table and partition key) and SQS batches, by function."""

    def __init__(self):
        self.lock = threading.Lock()
        self.writes: Counter = Counter()  # (who, table, pk) -> item writes
        self.index_writes: Counter = Counter()  # (who, event_shard) -> contact writes (by_event index)
        self.ops: Counter = Counter()  # (who, service, op) -> calls
        self.batch_sizes: list[int] = []
        self.all_calls: Counter = Counter()  # (thread, service.op) -> calls, every caller (pump, gateway, handlers)

    @staticmethod
    def who() -> str:
        name = threading.current_thread().name
        for fn in ("UpsertWorker", "import-writer", "ImportFailures", "History", "s3-invoke"):
            if fn in name:
                return "import" if fn != "History" else "history"
        return "other"

    def record(self, service: str, op: str, params: dict) -> None:
        who = self.who()
        items: list[tuple[str, dict]] = []
        if op in ("PutItem",):
            items.append((params["TableName"], params["Item"]))
        elif op in ("UpdateItem", "DeleteItem"):
            items.append((params["TableName"], params["Key"]))
        elif op == "TransactWriteItems":
            for entry in params["TransactItems"]:
                for kind in ("Put", "Update", "Delete"):
                    if kind in entry:
                        e = entry[kind]
                        items.append((e["TableName"], e.get("Item") or e["Key"]))
        elif op == "BatchWriteItem":
            for table, requests_ in params["RequestItems"].items():
                for r in requests_:
                    items.append((table, (r.get("PutRequest") or {}).get("Item") or r["DeleteRequest"]["Key"]))
        with self.lock:
            self.ops[(who, service, op)] += 1
            if op == "SendMessageBatch":
                self.batch_sizes.append(len(params["Entries"]))
            for table, item in items:
                pk = item["pk"]["S"]
                self.writes[(who, table, pk)] += 1
                if pk.startswith("C#") and "Contacts" in table:
                    self.index_writes[(who, _shard_of(pk))] += 1

    def install(self) -> None:
        from botocore.client import BaseClient

        real = BaseClient._make_api_call
        log = self

        def counting(client, operation_name, api_params):
            service = client.meta.service_model.service_name
            if service in ("dynamodb", "sqs") and (operation_name in WRITE_OPS or operation_name == "SendMessageBatch"):
                log.record(service, operation_name, api_params)
            with log.lock:
                log.all_calls[(threading.current_thread().name.split("_")[0], f"{service}.{operation_name}")] += 1
            return real(client, operation_name, api_params)

        BaseClient._make_api_call = counting

    def total_writes(self, who: str) -> int:
        return sum(n for (w, _t, _pk), n in self.writes.items() if w == who)


def _shard_of(contact_pk: str) -> str:
    from guestlist.models import event_shard

    _, event_id, identifier = contact_pk.split("#", 2)
    return event_shard(event_id, identifier)


# ------------------------------------------------------------------ the run

def run(rows: int, bare_rows: int, *, without_history: bool = False) -> dict:
    logging.basicConfig(level=logging.WARNING)
    sys.path.insert(0, str(ROOT / "infra"))
    from guestlist_local.stack import LocalStack

    calls = CallLog()
    calls.install()
    stack = LocalStack(repo_root=ROOT, aws_port=free_port(), http_port=free_port())
    stack.start()
    if without_history:  # diagnosis only: how much of the emulator the history function's writes take
        stack.runtime._handlers["HistoryFunction"] = lambda event, context: {"batchItemFailures": []}
    try:
        from guestlist.keys import ensure_organiser_key

        admin = {"Authorization": "Bearer bench-admin-key-0123456789"}
        ensure_organiser_key("default", admin["Authorization"].split()[1])
        event = requests.post(f"{stack.api_url}/events", headers=admin, timeout=30, json={
            "name": "Import benchmark", "start": "2027-09-01T18:00:00+02:00", "end": "2027-09-01T23:00:00+02:00",
            "timezone": "Europe/Zurich"}).json()
        event_id = event["event_id"]
        body = workbook(rows)
        import boto3

        s3 = boto3.client("s3")
        bucket = stack.physical("ImportBucket")
        stack.wait_idle(30)
        calls.writes.clear(), calls.index_writes.clear(), calls.ops.clear(), calls.batch_sizes.clear(), calls.all_calls.clear()

        t0 = time.perf_counter()
        s3.put_object(Bucket=bucket, Key=f"imports/{event_id}/bench.xlsx", Body=body)
        report = _wait_terminal(stack.api_url, admin, event_id)
        import_seconds = time.perf_counter() - t0
        history_at_end = calls.total_writes("history")
        during_import = dict(calls.all_calls)
        stack.wait_idle(600)  # the history function catches up with the stream
        idle_seconds = time.perf_counter() - t0
        print(f"import: {import_seconds:.1f} s, {rows / import_seconds:,.0f} rows/s, status {report['status']}", flush=True)

        bare_seconds = _bare_loop(stack, event_id, bare_rows)
        print(f"bare loop: {bare_seconds:.1f} s, {bare_rows / bare_seconds:,.0f} writes/s", flush=True)
        result = _summary(rows, bare_rows, import_seconds, bare_seconds, report, calls, history_at_end)
        result["seconds_until_history_caught_up"] = round(idle_seconds, 2)
        result["rows_per_s_until_history_caught_up"] = round(rows / idle_seconds, 1)
        result["emulator_calls_during_import"] = {f"{t} {op}": n for (t, op), n in
                                                  sorted(during_import.items(), key=lambda kv: -kv[1]) if n >= 5}
        return result
    finally:
        stack.stop()


def _wait_terminal(api: str, admin: dict, event_id: str) -> dict:
    while True:
        listed = requests.get(f"{api}/events/{event_id}/imports", headers=admin, timeout=30).json()["imports"]
        if listed and listed[0]["status"] in ("completed", "completed_with_errors", "failed"):
            return requests.get(f"{api}/events/{event_id}/imports/{listed[0]['import_id']}", headers=admin, timeout=30).json()
        time.sleep(0.5)  # each poll is ~4 emulator calls (authorizer, listing, job): keep the observer light


def _bare_loop(stack, event_id: str, n: int) -> float:
    """The same conditional PutItem of the same item, re-keyed, into a same-shaped table: one process, one thread."""
    import boto3

    from guestlist.models import contact_pk, event_shard

    ddb = boto3.client("dynamodb")
    source = stack.physical("ContactsTable")
    desc = ddb.describe_table(TableName=source)["Table"]
    bare = f"{source}-bare"
    ddb.create_table(
        TableName=bare, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=desc["AttributeDefinitions"],
        KeySchema=desc["KeySchema"], StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        GlobalSecondaryIndexes=[{"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
                                for g in desc["GlobalSecondaryIndexes"]])
    template = ddb.get_item(TableName=source, Key={"pk": {"S": contact_pk(event_id, "C0000001")}, "sk": {"S": "CONTACT"}},
                            ConsistentRead=True)["Item"]
    bare_event = f"{event_id}-bare"
    started = time.perf_counter()
    for i in range(n):
        identifier = f"C{i:07d}"
        item = dict(template)
        item.update(pk={"S": contact_pk(bare_event, identifier)}, identifier={"S": identifier},
                    event_id={"S": bare_event}, event_shard={"S": event_shard(bare_event, identifier)},
                    link_hash={"S": f"{i:064x}"})
        ddb.put_item(TableName=bare, Item=item, ConditionExpression="attribute_not_exists(pk)")
    return time.perf_counter() - started


def _summary(rows, bare_rows, import_seconds, bare_seconds, report, calls: CallLog, history_at_end) -> dict:
    import_rate, bare_rate = rows / import_seconds, bare_rows / bare_seconds
    imp_writes = calls.total_writes("import")
    hist_writes = calls.total_writes("history")
    chunks = report["progress"]["chunks_total"]
    per_pk = Counter()
    for (who, _table, pk), n in calls.writes.items():
        if who == "import":
            per_pk[pk] += n
    top_pk, top_pk_n = per_pk.most_common(1)[0]
    per_shard = Counter()
    for (who, shard), n in calls.index_writes.items():
        if who == "import":
            per_shard[shard] += n
    top_shard, top_shard_n = per_shard.most_common(1)[0]
    send_batches = sum(n for (who, _s, op), n in calls.ops.items() if op == "SendMessageBatch" and who == "import")
    ops = {f"{who} {op}": n for (who, _s, op), n in sorted(calls.ops.items()) if who != "other"}
    return {
        "rows": rows, "status": report["status"], "counts": report["counts"], "chunks": chunks,
        "import_seconds": round(import_seconds, 2), "import_rows_per_s": round(import_rate, 1),
        "bare_writes": bare_rows, "bare_seconds": round(bare_seconds, 2), "bare_writes_per_s": round(bare_rate, 1),
        "ratio": round(import_rate / bare_rate, 3),
        "import_writes": imp_writes, "import_writes_per_row": round(imp_writes / rows, 4),
        "import_writes_beyond_one_per_row_per_chunk": round((imp_writes - rows) / max(chunks, 1), 2),
        "history_writes": hist_writes, "history_writes_by_terminal": history_at_end,
        "send_message_batch_calls": send_batches, "messages_per_batch": sorted(set(calls.batch_sizes)),
        "top_partition_key": top_pk, "top_partition_share": round(top_pk_n / imp_writes, 4),
        "top_by_event_shard": top_shard, "top_by_event_shard_share": round(top_shard_n / imp_writes, 4),
        "import_calls": ops,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bare", type=int, default=3_000, help="writes in the bare loop (a rate, so fewer suffice)")
    parser.add_argument("--without-history", action="store_true",
                        help="diagnosis only: stub the history function out, to see the import path's own rate")
    args = parser.parse_args()
    os.environ.setdefault("GUESTLIST_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    result = run(args.rows, args.bare, without_history=args.without_history)
    result["history_function"] = "stubbed (diagnosis)" if args.without_history else "running"
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ok = result["ratio"] >= 0.5 and result["top_partition_share"] <= 0.05 and result["top_by_event_shard_share"] <= 0.05
    print(f"\nimport {result['import_rows_per_s']:,.0f} rows/s, bare {result['bare_writes_per_s']:,.0f} writes/s, "
          f"ratio {result['ratio']:.2f}x (target >= 0.5); {result['import_writes_per_row']:.3f} writes/row; "
          f"hottest key {result['top_partition_share']:.1%}, hottest shard {result['top_by_event_shard_share']:.1%}"
          f" -> {'OK' if ok else 'BELOW TARGET'}")


if __name__ == "__main__":
    main()
