"""The data directory's write-ahead journal: nothing the emulator acknowledged is lost on kill -9.

Every change the emulator makes to DynamoDB items (with the stream records it emitted), S3 objects and
SQS messages is appended to `journal.log` as one JSON line, and the request's response leaves only after
an fsync of the journal (concurrent requests share one fsync). On start the journal is replayed into the
fresh emulator - items, objects, queued messages, stream records with their sequence numbers - and
rewritten compacted (the current state only). The pump keeps each stream mapping's last delivered
sequence number in `streams.json`, so deliveries resume after it; queued messages (S3 events included)
resume by themselves. Not kept: SQS receive counts and messages moved to a DLQ by the emulator (they come
back to their queue, to be delivered again - at least once, as every consumer already tolerates).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from .template import ACCOUNT_ID, REGION

log = logging.getLogger("guestlist_local")

JOURNAL = "journal.log"
STREAMS = "streams.json"
SECRETS = "secrets.json"
_DDB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"__b64__": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        return {"__dt__": value.isoformat()}
    raise TypeError(type(value).__name__)


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "__b64__" in obj:
            return base64.b64decode(obj["__b64__"])
        if "__dt__" in obj:
            return datetime.fromisoformat(obj["__dt__"])
    return obj


def write_atomically(path: Path, text: str, sync: bool = True) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
        if sync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if sync:
        _sync_dir(path.parent)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """Appends records; sync() returns once everything this thread appended is on disk (group commit)."""

    def __init__(self, data_dir: Path):
        self.dir = Path(data_dir)
        (self.dir / "blobs").mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.dir / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._written = 0
        self._synced = 0
        self._local = threading.local()
        self.records = 0

    def append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, default=_default, separators=(",", ":")) + "\n").encode()
        with self._lock:
            os.write(self._fd, line)
            self._written += 1
            self._local.mark = self._written
            self.records += 1

    def sync(self) -> None:
        mark = getattr(self._local, "mark", 0)
        if mark <= self._synced:
            return
        with self._sync_lock:
            if mark <= self._synced:
                return  # another thread's fsync covered this thread's records
            target = self._written
            os.fsync(self._fd)
            self._synced = target
        self._local.mark = 0

    def blob(self, data: bytes) -> str:
        name = uuid.uuid4().hex
        path = self.dir / "blobs" / name
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return name

    def close(self) -> None:
        with self._lock:
            os.fsync(self._fd)
            os.close(self._fd)


_journal: Journal | None = None
_s3_dirty = threading.local()


def active() -> Journal | None:
    return _journal


# --------------------------------------------------------------------------- capture (hooks in moto)

def _ddb_table_key(table: Any, item: dict[str, Any]) -> dict[str, Any]:
    key = {table.hash_key_attr: item[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = item[table.range_key_attr]
    return key


def _ddb_touched(backend: Any, operation: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table name, key) of every item the request may have changed."""
    touched: list[tuple[str, dict[str, Any]]] = []
    if operation == "PutItem":
        table = backend.get_table(body["TableName"])
        touched.append((body["TableName"], _ddb_table_key(table, body["Item"])))
    elif operation in ("UpdateItem", "DeleteItem"):
        touched.append((body["TableName"], body["Key"]))
    elif operation == "BatchWriteItem":
        for name, requests in (body.get("RequestItems") or {}).items():
            table = backend.get_table(name)
            for request in requests:
                if "PutRequest" in request:
                    touched.append((name, _ddb_table_key(table, request["PutRequest"]["Item"])))
                elif "DeleteRequest" in request:
                    touched.append((name, request["DeleteRequest"]["Key"]))
    elif operation == "TransactWriteItems":
        for entry in body.get("TransactItems") or []:
            kind, op = next(iter(entry.items()))
            if kind == "Put":
                touched.append((op["TableName"], _ddb_table_key(backend.get_table(op["TableName"]), op["Item"])))
            elif kind in ("Update", "Delete"):
                touched.append((op["TableName"], op["Key"]))
    return touched


def _install_dynamodb() -> None:
    from moto.dynamodb.responses import DynamoHandler

    from .emulator_fixes import _lock

    inner = DynamoHandler.call_action

    def call_action(self):
        journal = _journal
        if journal is None:
            return inner(self)
        operation = self._get_action()
        if operation not in _DDB_WRITES:
            return inner(self)
        with _lock:  # the emulator's DynamoDB lock: the journal's order is the order writes were applied
            backend = self.dynamodb_backend
            shards = {t.name: len(t.stream_shard.items) for t in backend.tables.values() if t.stream_shard is not None}
            result = inner(self)
            if int(result[0]) < 300:
                items = []
                for table_name, key in _ddb_touched(backend, operation, self.body):
                    item = backend.get_item(table_name, key)
                    items.append([table_name, key, item.to_json()["Attributes"] if item is not None else None])
                streams = {}
                for table in backend.tables.values():
                    if table.stream_shard is not None and len(table.stream_shard.items) > shards.get(table.name, 0):
                        streams[table.name] = [r.to_json() for r in table.stream_shard.items[shards.get(table.name, 0):]]
                journal.append({"ddb": items, "streams": streams})
        return result

    DynamoHandler.call_action = call_action


def _install_sqs() -> None:
    from moto.sqs.models import Queue, SQSBackend

    send, delete, purge = SQSBackend.send_message, Queue.delete_message, SQSBackend.purge_queue

    def send_message(self, queue_name, message_body, *args, **kwargs):
        message = send(self, queue_name, message_body, *args, **kwargs)
        if _journal is not None:
            _journal.append({"sqs_send": queue_name, "id": message.id, "body": message.body,
                             "attributes": message.message_attributes, "group": message.group_id,
                             "dedup": message.deduplication_id})
        return message

    def delete_message(self, receipt_handle):
        ids = [m.id for m in self._messages if m.had_receipt_handle(receipt_handle)]
        delete(self, receipt_handle)
        if _journal is not None:
            for message_id in ids:
                _journal.append({"sqs_delete": self.name, "id": message_id})

    def purge_queue(self, queue_name):
        purge(self, queue_name)
        if _journal is not None:
            _journal.append({"sqs_purge": queue_name})

    SQSBackend.send_message = send_message
    Queue.delete_message = delete_message
    SQSBackend.purge_queue = purge_queue


def _install_s3() -> None:
    """put_object/delete_object mark the key; its final state (metadata is set after put_object) is journaled
    when the request ends, before the response leaves."""
    from moto.s3.models import S3Backend

    put, delete = S3Backend.put_object, S3Backend.delete_object

    def mark(bucket: str, key: str) -> None:
        if _journal is not None:
            if not hasattr(_s3_dirty, "keys"):
                _s3_dirty.keys = []
            _s3_dirty.keys.append((bucket, key))

    def put_object(self, bucket_name, key_name, *args, **kwargs):
        result = put(self, bucket_name, key_name, *args, **kwargs)
        mark(bucket_name, key_name)
        return result

    def delete_object(self, bucket_name, key_name, *args, **kwargs):
        result = delete(self, bucket_name, key_name, *args, **kwargs)
        mark(bucket_name, key_name)
        return result

    S3Backend.put_object = put_object
    S3Backend.delete_object = delete_object


def _flush_s3(journal: Journal) -> None:
    dirty = getattr(_s3_dirty, "keys", None)
    if not dirty:
        return
    _s3_dirty.keys = []
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT_ID]["aws"]
    for bucket_name, key_name in dict.fromkeys(dirty):
        bucket = backend.buckets.get(bucket_name)
        key = bucket.keys.get(key_name) if bucket is not None else None
        if key is None:
            journal.append({"s3_delete": bucket_name, "key": key_name})
            continue
        journal.append({"s3_put": bucket_name, "key": key_name, "blob": journal.blob(key.value),
                        "metadata": dict(key.metadata)})  # Content-Type is one of them


def finish_request() -> None:
    """At the end of each emulator request: journal touched S3 keys, then fsync what this thread appended."""
    journal = _journal
    if journal is None:
        return
    _flush_s3(journal)
    journal.sync()


_installed = False


def install() -> None:
    """Hooks moto once per process; they journal only while a Journal is open (a stack with --data-dir)."""
    global _installed
    if _installed:
        return
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    _install_dynamodb()
    _install_sqs()
    _install_s3()
    outer = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        response = outer(self, environ, start_response)
        finish_request()  # the handler has run; the response has not left yet
        return response

    DomainDispatcherApplication.__call__ = __call__
    _installed = True


# --------------------------------------------------------------------------- replay


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    records = []
    with open(path, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break  # the write a crash cut short was never acknowledged
            records.append(json.loads(line, object_hook=_hook))
    return records


class _RestoredStreamRecord:
    def __init__(self, record: dict[str, Any]):
        self.record = record

    def to_json(self) -> dict[str, Any]:
        return self.record


def replay(data_dir: Path) -> bool:
    """Puts the journal's state into the fresh emulator (called before anything else uses it); True if there was one."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends

    records = _read(Path(data_dir) / JOURNAL)
    if not records:
        return False
    ddb = dynamodb_backends[ACCOUNT_ID][REGION]
    items: dict[tuple[str, str], tuple[dict, dict | None]] = {}
    streams: dict[str, list[dict[str, Any]]] = {}
    stream_start: dict[str, int] = {}
    objects: dict[tuple[str, str], dict[str, Any] | None] = {}
    messages: dict[str, dict[str, Any]] = {}
    for record in records:
        if "ddb" in record:
            for table_name, key, item in record["ddb"]:
                items[(table_name, json.dumps(key, sort_keys=True, default=_default))] = (key, item)
            for table_name, recs in record.get("streams", {}).items():
                streams.setdefault(table_name, []).extend(recs)
            for table_name, start in record.get("stream_start", {}).items():
                stream_start[table_name] = start
        elif "s3_put" in record:
            objects[(record["s3_put"], record["key"])] = record
        elif "s3_delete" in record:
            objects[(record["s3_delete"], record["key"])] = None
        elif "sqs_send" in record:
            messages[record["id"]] = record
        elif "sqs_delete" in record:
            messages.pop(record["id"], None)
        elif "sqs_purge" in record:
            messages = {k: m for k, m in messages.items() if m["sqs_send"] != record["sqs_purge"]}
    shards = {}
    for table in ddb.tables.values():  # replayed items are not new changes: the stream gets its own records back
        shards[table.name], table.stream_shard = table.stream_shard, None
    try:
        for (table_name, _), (key, item) in items.items():
            if table_name not in ddb.tables:
                log.warning("data directory has items of table %s, which the template no longer declares", table_name)
                continue
            if item is None:
                ddb.delete_item(table_name, key)
            else:
                ddb.put_item(table_name, item)
    finally:
        for table in ddb.tables.values():
            table.stream_shard = shards[table.name]
    for table in ddb.tables.values():
        if table.stream_shard is not None:
            if table.name in stream_start:
                table.stream_shard.starting_sequence_number = stream_start[table.name]
            table.stream_shard.items = [_RestoredStreamRecord(r) for r in streams.get(table.name, [])]
    s3 = s3_backends[ACCOUNT_ID]["aws"]
    for (bucket_name, key_name), obj in objects.items():
        if obj is None or bucket_name not in s3.buckets:
            continue
        key = s3.put_object(bucket_name, key_name, (Path(data_dir) / "blobs" / obj["blob"]).read_bytes(),
                            disable_notification=True)
        key.set_metadata(dict(obj.get("metadata") or {}), replace=True)
    sqs = sqs_backends[ACCOUNT_ID][REGION]
    for message_id, m in messages.items():
        try:
            sent = sqs.send_message(m["sqs_send"], m["body"], m.get("attributes") or None,
                                    deduplication_id=m.get("dedup"), group_id=m.get("group"))
        except Exception:
            log.warning("data directory has a message for queue %s, which no longer exists", m["sqs_send"])
            continue
        sent.id = message_id
    return True


def compact(data_dir: Path, trim_before: dict[str, int] | None = None) -> None:
    """Rewrites the journal as the emulator's current state (called after replay, before the journal opens)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends

    data_dir = Path(data_dir)
    (data_dir / "blobs").mkdir(parents=True, exist_ok=True)
    tmp = data_dir / (JOURNAL + ".compact")
    keep: set[str] = set()
    with open(tmp, "w") as f:
        def write(record: dict[str, Any]) -> None:
            f.write(json.dumps(record, default=_default, separators=(",", ":")) + "\n")

        ddb = dynamodb_backends[ACCOUNT_ID][REGION]
        for table in ddb.tables.values():
            batch = []
            for item in table.all_items():
                attrs = item.to_json()["Attributes"]
                batch.append([table.name, _ddb_table_key(table, attrs), attrs])
                if len(batch) == 500:
                    write({"ddb": batch})
                    batch = []
            shard = table.stream_shard
            if shard is not None:
                # records every mapping has delivered are dropped; sequence numbers stay as they were
                drop = 0
                bound = (trim_before or {}).get(table.name)
                if bound is not None:
                    drop = max(0, min(len(shard.items), bound + 1 - shard.starting_sequence_number))
                write({"ddb": batch, "streams": {table.name: [r.to_json() for r in shard.items[drop:]]},
                       "stream_start": {table.name: shard.starting_sequence_number + drop}})
            elif batch:
                write({"ddb": batch})
        s3 = s3_backends[ACCOUNT_ID]["aws"]
        for bucket in s3.buckets.values():
            for key_name in list(bucket.keys.keys()):
                key = bucket.keys.get(key_name)
                if key is None:
                    continue
                existing = _blob_of(data_dir, key)
                write({"s3_put": bucket.name, "key": key_name, "blob": existing, "metadata": dict(key.metadata)})
                keep.add(existing)
        sqs = sqs_backends[ACCOUNT_ID][REGION]
        for queue in sqs.queues.values():
            for m in queue._messages:
                write({"sqs_send": queue.name, "id": m.id, "body": m.body, "attributes": m.message_attributes,
                       "group": m.group_id, "dedup": m.deduplication_id})
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, data_dir / JOURNAL)
    _sync_dir(data_dir)
    for blob in (data_dir / "blobs").iterdir():
        if blob.name not in keep:
            blob.unlink()


def _blob_of(data_dir: Path, key: Any) -> str:
    """The blob holding this object's bytes: written once per compaction."""
    name = uuid.uuid4().hex
    path = data_dir / "blobs" / name
    with open(path, "wb") as f:
        f.write(key.value)
        f.flush()
        os.fsync(f.fileno())
    return name


def open_journal(data_dir: Path) -> Journal:
    global _journal
    _journal = Journal(data_dir)
    return _journal


def close_journal() -> None:
    global _journal
    journal, _journal = _journal, None
    if journal is not None:
        journal.close()


# --------------------------------------------------------------------------- stream checkpoints


class StreamCheckpoints:
    """Each stream mapping's last delivered sequence number (lost ones mean redelivery, never loss)."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / STREAMS
        self._lock = threading.Lock()
        self.values: dict[str, str] = json.loads(self.path.read_text()) if self.path.is_file() else {}

    def get(self, mapping: str) -> str | None:
        return self.values.get(mapping)

    def set(self, mapping: str, sequence_number: str) -> None:
        with self._lock:
            if int(sequence_number) <= int(self.values.get(mapping, "0")):
                return
            self.values[mapping] = sequence_number
            write_atomically(self.path, json.dumps(self.values), sync=False)
