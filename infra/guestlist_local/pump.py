"""The event pump: delivers S3 notifications, SQS batches and DynamoDB stream records to handlers like Lambda does."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from .provision import client
from .runtime import FunctionRuntime
from .template import EventSourceMapping, InvokeConfig, Topology

log = logging.getLogger("guestlist_local")

_IDLE_POLL = 0.2  # seconds between polls of an empty source
DEFAULT_SQS_CONCURRENCY = 5  # batches of one SQS mapping in flight at once, unless the template bounds it
_BUSY_POLL = 0.01


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def _failure_record(function_arn: str, condition: str, invocations: int, *, error: bool, **detail: Any) -> dict[str, Any]:
    """Lambda's on-failure destination record (asynchronous invocations and stream batches alike);
    `detail` is what names the failed work: the event itself, or the stream batch's range."""
    return {
        "version": "1.0",
        "timestamp": _iso(time.time()),
        "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": function_arn, "condition": condition,
                           "approximateInvokeCount": invocations},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", **({"functionError": "Unhandled"} if error else {})},
        **detail,
    }


class _Poller:
    """A thread that polls one source; tracks what wait_idle needs to know."""

    name = "poller"

    def __init__(self, pump: EventPump):
        self.pump = pump
        self.runtime = pump.runtime
        self._stop = pump._stop
        self.wake = threading.Event()
        self.busy = False
        self.last_empty_poll_started = 0.0  # monotonic start of the last poll that found nothing to do
        self.last_activity = 0.0
        self.thread = threading.Thread(target=self._run, name=f"pump-{self.name}", daemon=True)

    def _run(self) -> None:
        delay = _IDLE_POLL
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                did_work = self.poll_once()
            except Exception:  # the emulator went away or a bug in the pump: say so, keep going
                if self._stop.is_set():
                    return
                log.exception("event pump %s: poll failed", self.name)
                did_work = False
                self._stop.wait(1.0)
            finally:
                self.busy = False
            if did_work:
                self.last_activity = time.monotonic()
                delay = _BUSY_POLL
            else:
                self.last_empty_poll_started = started
                delay = min(_IDLE_POLL, max(delay * 2, 0.02))
            self.wake.wait(delay)
            self.wake.clear()

    def poll_once(self) -> bool:
        raise NotImplementedError

    def pending(self) -> bool:
        """Work this poller holds outside the emulator (buffers, retries)."""
        return False


# --------------------------------------------------------------------------- S3


class S3Poller(_Poller):
    name = "s3"

    def __init__(self, pump: EventPump, queue_url: str):
        super().__init__(pump)
        self.queue_url = queue_url
        self.sqs = client("sqs", pump.endpoint_url)
        self._sequence = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pump-s3-invoke")
        self._buckets = {b.name: b for b in pump.topo.buckets.values()}

    def _next_sequencer(self) -> str:
        with self._lock:
            self._sequence = max(self._sequence + 1, time.time_ns() // 1000)
            return f"{self._sequence:018X}"

    def poll_once(self) -> bool:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return False
        self.busy = True
        for message in messages:
            body = json.loads(message["Body"])
            if body.get("Event") == "s3:TestEvent":  # moto's (and S3's) configuration probe: Lambda never sees it
                pass
            else:
                for record in body.get("Records", []):
                    self._dispatch(record)
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return True

    def _dispatch(self, raw: dict[str, Any]) -> None:
        record = json.loads(json.dumps(raw))
        s3 = record.setdefault("s3", {})
        obj = s3.setdefault("object", {})
        key = unquote_plus(obj.get("key", ""))  # moto quotes "/" as %2F; S3 keeps "/" and writes " " as "+"
        obj["key"] = quote_plus(key, safe="/")
        obj.setdefault("sequencer", self._next_sequencer())
        record.setdefault("userIdentity", {"principalId": "AWS:AIDAGUESTLISTLOCAL"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault("responseElements", {"x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                                               "x-amz-id-2": base64.b64encode(uuid.uuid4().bytes * 2).decode()})
        bucket = self._buckets.get(s3.get("bucket", {}).get("name", ""))
        if bucket is None:
            log.error("S3 event for a bucket not in the template: %s", s3.get("bucket"))
            return
        targets = [n for n in bucket.notifications
                   if n.configuration_id == s3.get("configurationId") and n.matches(record.get("eventName", ""), key)]
        for note in targets:
            with self._lock:
                self._in_flight += 1
            self._executor.submit(self._invoke_async, note.function, {"Records": [record]})

    def _invoke_async(self, function: str, event: dict[str, Any]) -> None:
        """Lambda's asynchronous invocation: the first try and MaximumRetryAttempts retries (2 unless the
        function's EventInvokeConfig says otherwise), then Lambda's failure record goes to the on-failure
        queue, or the event is dropped (loudly) when the function has none."""
        config = self.pump.topo.invoke_configs.get(function) or InvokeConfig(function=function)
        tries = 1 + config.maximum_retry_attempts
        error: Exception | None = None
        try:
            for attempt in range(tries):
                if self._stop.is_set():
                    return
                try:
                    self.runtime.invoke(function, event)
                    return
                except Exception as exc:
                    error = exc
                    log.exception("%s failed on S3 event (attempt %d of %d)", function, attempt + 1, tries)
                    if attempt + 1 < tries:
                        self._stop.wait(self.pump.async_retry_delays[min(attempt, len(self.pump.async_retry_delays) - 1)])
            self._on_failure(config, event, tries, error)
        finally:
            with self._lock:
                self._in_flight -= 1
            self.last_activity = time.monotonic()

    def _on_failure(self, config: InvokeConfig, event: dict[str, Any], tries: int, error: Exception | None) -> None:
        fn = self.pump.topo.functions[config.function]
        key = event["Records"][0]["s3"]["object"]["key"]
        if not config.on_failure_queue:
            log.error("%s: S3 event for %s dropped after %d attempts (no on-failure destination)", fn.logical_id, key, tries)
            return
        record = _failure_record(f"{fn.arn}:$LATEST", "RetriesExhausted", tries, error=True,
                                 requestPayload=event,
                                 responsePayload={"errorMessage": str(error)[:1000], "errorType": type(error).__name__})
        self.sqs.send_message(QueueUrl=self.pump.topo.queues[config.on_failure_queue].url, MessageBody=json.dumps(record))
        log.error("%s: S3 event for %s sent to %s after %d attempts", fn.logical_id, key, config.on_failure_queue, tries)

    def pending(self) -> bool:
        return self._in_flight > 0

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- SQS


def _lambda_message_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in attrs.items():
        item: dict[str, Any] = {
            "stringListValues": list(value.get("StringListValues", [])),
            "binaryListValues": [base64.b64encode(b).decode() for b in value.get("BinaryListValues", [])],
            "dataType": value["DataType"],
        }
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            item["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        out[name] = dict(sorted(item.items()))
    return out


class SqsPoller(_Poller):
    """One SQS event source mapping. Like Lambda, it has several batches in flight at once (each in its own
    instance): up to `concurrency`, while the poller goes on receiving. A batch's messages stay invisible
    while it runs; a failed one comes back after the visibility timeout (to the DLQ after maxReceiveCount)."""

    def __init__(self, pump: EventPump, mapping: EventSourceMapping):
        self.name = mapping.logical_id
        super().__init__(pump)
        self.mapping = mapping
        self.queue = pump.topo.queues[mapping.source]
        self.sqs = client("sqs", pump.endpoint_url)
        self.concurrency = pump.sqs_concurrency(mapping)
        self._slots = threading.Semaphore(self.concurrency)
        self._lock = threading.Lock()
        self._in_flight = 0
        self._executor = (ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix=f"pump-{self.name}")
                          if self.concurrency > 1 else None)

    def record(self, message: dict[str, Any]) -> dict[str, Any]:
        rec = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": _lambda_message_attributes(message.get("MessageAttributes", {})),
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue.arn,
            "awsRegion": self.pump.topo.region,
        }
        if message.get("MD5OfMessageAttributes"):
            rec["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return rec

    def poll_once(self) -> bool:
        while not self._slots.acquire(timeout=0.2):  # every batch slot busy: receive nothing meanwhile
            if self._stop.is_set():
                return False
        try:
            messages = self._receive()
        except BaseException:
            self._slots.release()
            raise
        if not messages:
            self._slots.release()
            return False
        self.busy = True
        records = [self.record(m) for m in messages]
        if self._executor is None:
            self._deliver(records, counted=False)
        else:
            with self._lock:
                self._in_flight += 1
            self._executor.submit(self._deliver, records, counted=True)
        return True

    def _receive(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue.url, MaxNumberOfMessages=min(self.mapping.batch_size, 10),
            AttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return []
        # Lambda gathers up to BatchSize (max 10 per ReceiveMessage call) before invoking
        while len(messages) < self.mapping.batch_size:
            more = self.sqs.receive_message(
                QueueUrl=self.queue.url, MaxNumberOfMessages=min(self.mapping.batch_size - len(messages), 10),
                AttributeNames=["All"], MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not more:
                break
            messages.extend(more)
        return messages

    def _deliver(self, records: list[dict[str, Any]], counted: bool) -> None:
        """One batch: invoke, then delete what succeeded; frees its slot (and wakes the poller) when done."""
        try:
            succeeded = self._invoke(records)
            for start in range(0, len(succeeded), 10):
                chunk = succeeded[start:start + 10]
                self.sqs.delete_message_batch(QueueUrl=self.queue.url, Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)])
        except Exception:
            if not self._stop.is_set():
                log.exception("event pump %s: delivering a batch failed; its messages return after the visibility "
                              "timeout", self.name)
            if not counted:
                raise
        finally:
            if counted:
                with self._lock:
                    self._in_flight -= 1
                self.last_activity = time.monotonic()
                self.wake.set()
            self._slots.release()

    def _invoke(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records to delete: all on success, none on an error, all but the reported ones on a partial failure."""
        fn = self.mapping.function
        try:
            response = self.runtime.invoke(fn, {"Records": records})
        except Exception:
            log.exception("%s failed on a batch of %d SQS messages from %s; they return after the visibility timeout",
                          fn, len(records), self.queue.logical_id)
            return []
        if not self.mapping.report_batch_item_failures or not response:
            return records
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        if not failures:
            return records
        ids = {r["messageId"] for r in records}
        failed: set[str] = set()
        for item in failures:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not ident or ident not in ids:
                log.error("%s returned an invalid batchItemFailures entry %r: the whole batch failed (as in AWS)", fn, item)
                return []
            failed.add(ident)
        log.warning("%s reported %d of %d SQS messages as failed", fn, len(failed), len(records))
        return [r for r in records if r["messageId"] not in failed]

    def pending(self) -> bool:
        return self._in_flight > 0

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def in_queue(self) -> int:
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue.url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
        ])["Attributes"]
        return sum(int(v) for v in attrs.values())


# --------------------------------------------------------------------------- DynamoDB streams


def _wire(value: Any) -> Any:
    """boto3's stream attribute values back to DynamoDB JSON as Lambda receives it (binary as base64)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "B" and isinstance(v, (bytes, bytearray)):
                out[k] = base64.b64encode(bytes(v)).decode()
            elif k == "BS":
                out[k] = [base64.b64encode(bytes(b)).decode() for b in v]
            else:
                out[k] = _wire(v)
        return out
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


class _Shard:
    def __init__(self, shard_id: str, iterator: str | None):
        self.shard_id = shard_id
        self.iterator = iterator
        self.buffer: list[dict[str, Any]] = []  # fetched, not yet delivered
        self.held_since: float | None = None


class StreamPoller(_Poller):
    # moto writes an UpdateItem that creates an item as two INSERTs; wait this long for the second before delivering
    HOLD_SECONDS = 0.3

    def __init__(self, pump: EventPump, mapping: EventSourceMapping):
        self.name = mapping.logical_id
        super().__init__(pump)
        self.mapping = mapping
        self.stream_arn = mapping.source_arn
        self.streams = client("dynamodbstreams", pump.endpoint_url)
        self.sqs = client("sqs", pump.endpoint_url)
        self.shards: dict[str, _Shard] = {}
        self.skip_existing = mapping.starting_position == "LATEST"
        self._last_shard_listing = 0.0

    def position_at_end(self) -> None:
        """Start after every record already in the stream (LATEST, or after a restore)."""
        self._list_shards(at_end=True)

    def _list_shards(self, at_end: bool) -> None:
        desc = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        done = self.pump.checkpoints.get(self.mapping.logical_id) if self.pump.checkpoints is not None else None
        for shard in desc.get("Shards", []):
            sid = shard["ShardId"]
            if sid in self.shards:
                continue
            start = int(shard["SequenceNumberRange"]["StartingSequenceNumber"])
            if done is not None and int(done) >= start:  # after a restart: right after the last delivered record
                iterator = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=sid,
                                                           ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                                           SequenceNumber=done)["ShardIterator"]
                self.shards[sid] = _Shard(sid, iterator)
                continue
            iterator = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            if at_end:
                while iterator:
                    resp = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                    iterator = resp.get("NextShardIterator")
                    if not resp.get("Records"):
                        break
            self.shards[sid] = _Shard(sid, iterator)
        self._last_shard_listing = time.monotonic()

    def poll_once(self) -> bool:
        if not self.shards or time.monotonic() - self._last_shard_listing > 5:
            self._list_shards(at_end=self.skip_existing and not self.shards)
        did = False
        for shard in list(self.shards.values()):
            did |= self._poll_shard(shard)
        return did

    def _poll_shard(self, shard: _Shard) -> bool:
        fetched = False
        if shard.iterator:
            resp = self.streams.get_records(ShardIterator=shard.iterator, Limit=1000)
            shard.iterator = resp.get("NextShardIterator")
            for raw in resp.get("Records", []):
                shard.buffer.append(self._record(raw))
                fetched = True
        if not shard.buffer:
            return False
        self.busy = True
        deliverable = self._absorb_moto_duplicates(shard)
        for start in range(0, len(deliverable), self.mapping.batch_size):
            if self._stop.is_set():
                return True
            batch = deliverable[start:start + self.mapping.batch_size]
            self._deliver(shard, batch)
            if self.pump.checkpoints is not None and not self._stop.is_set():
                self.pump.checkpoints.set(self.mapping.logical_id, batch[-1]["dynamodb"]["SequenceNumber"])
        return fetched or bool(deliverable)

    def _record(self, raw: dict[str, Any]) -> dict[str, Any]:
        d = raw["dynamodb"]
        created = d.get("ApproximateCreationDateTime")
        dynamodb: dict[str, Any] = {
            "ApproximateCreationDateTime": int(created.timestamp()) if isinstance(created, datetime) else created,
            "Keys": _wire(d.get("Keys", {})),
        }
        if "NewImage" in d:
            dynamodb["NewImage"] = _wire(d["NewImage"])
        if "OldImage" in d:
            dynamodb["OldImage"] = _wire(d["OldImage"])
        dynamodb.update(SequenceNumber=d["SequenceNumber"], SizeBytes=d.get("SizeBytes", 0),
                        StreamViewType=d.get("StreamViewType"))
        rec = {
            "eventID": raw.get("eventID") or uuid.uuid4().hex,
            "eventName": raw["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": raw.get("awsRegion", self.pump.topo.region),
            "dynamodb": dynamodb,
            "eventSourceARN": self.stream_arn,  # moto leaves it out; Lambda always sets it
        }
        if raw.get("userIdentity"):
            rec["userIdentity"] = raw["userIdentity"]
        return rec

    def _absorb_moto_duplicates(self, shard: _Shard) -> list[dict[str, Any]]:
        """Drops what AWS would not have emitted; returns the records to deliver now (the rest stay buffered)."""
        buf = shard.buffer
        out: list[dict[str, Any]] = []
        i = 0
        while i < len(buf):
            rec, d = buf[i], buf[i]["dynamodb"]
            if rec["eventName"] == "MODIFY" and "OldImage" in d and d.get("OldImage") == d.get("NewImage"):
                i += 1  # a no-op write: DynamoDB streams record nothing
                continue
            if rec["eventName"] == "INSERT":
                nxt = buf[i + 1] if i + 1 < len(buf) else None
                if nxt is None and d.get("NewImage") == d.get("Keys"):
                    # maybe the first half of moto's UpdateItem pair: wait briefly for the second half
                    now = time.monotonic()
                    if shard.held_since is None:
                        shard.held_since = now
                    if now - shard.held_since < self.HOLD_SECONDS:
                        break
                if nxt is not None and nxt["eventName"] == "INSERT" and nxt["dynamodb"]["Keys"] == d["Keys"]:
                    i += 1  # UpdateItem creating an item: moto's first INSERT holds only the key
                    continue
            out.append(rec)
            i += 1
        shard.buffer = buf[i:]
        if not shard.buffer:
            shard.held_since = None
        return out

    # delivery with Lambda's stream error handling -------------------------------------------------
    def _deliver(self, shard: _Shard, batch: list[dict[str, Any]]) -> None:
        m = self.mapping
        work: list[tuple[list[dict[str, Any]], int, int]] = [(batch, 0, 0)]  # (records, retries, invocations)
        while work and not self._stop.is_set():
            records, retries, invocations = work.pop(0)
            failed_from, error = self._invoke(records)
            invocations += 1
            if failed_from is None:
                continue
            remaining = records[failed_from:]
            if error and m.bisect_on_error and len(remaining) > 1:
                half = len(remaining) // 2  # splitting does not use up a retry
                work[0:0] = [(remaining[:half], retries, invocations), (remaining[half:], retries, invocations)]
                log.warning("%s failed on %d stream records: bisecting", m.function, len(remaining))
                continue
            retries += 1
            if self._exhausted(remaining, retries):
                self._send_on_failure(shard, remaining, invocations, error)
                continue
            work.insert(0, (remaining, retries, invocations))
            self._stop.wait(min(0.05 * 2 ** retries, 2.0))

    def _exhausted(self, records: list[dict[str, Any]], retries: int) -> bool:
        m = self.mapping
        if m.maximum_retry_attempts >= 0 and retries > m.maximum_retry_attempts:
            return True
        max_age = m.maximum_record_age if m.maximum_record_age > 0 else 86400  # streams keep records 24 h
        return time.time() - records[0]["dynamodb"]["ApproximateCreationDateTime"] > max_age

    def _invoke(self, records: list[dict[str, Any]]) -> tuple[int | None, bool]:
        """(index of the first record to retry or None, whether the function raised)."""
        fn = self.mapping.function
        try:
            response = self.runtime.invoke(fn, {"Records": records})
        except Exception:
            log.exception("%s failed on %d stream records", fn, len(records))
            return 0, True
        if not self.mapping.report_batch_item_failures or not isinstance(response, dict):
            return None, False
        failures = response.get("batchItemFailures") or []
        if not failures:
            return None, False
        positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(records)}
        first = None
        for item in failures:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if ident not in positions:
                log.error("%s returned an invalid batchItemFailures entry %r: retrying the whole batch", fn, item)
                return 0, False
            first = positions[ident] if first is None else min(first, positions[ident])
        log.warning("%s reported stream record %s as failed", fn, records[first]["dynamodb"]["SequenceNumber"])
        return first, False

    def _send_on_failure(self, shard: _Shard, records: list[dict[str, Any]], invocations: int, error: bool) -> None:
        m = self.mapping
        fn = self.pump.topo.functions[m.function]
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        message = _failure_record(fn.arn, "RetryAttemptsExhausted", invocations, error=error, DDBStreamBatchInfo={
            "shardId": shard.shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(first["ApproximateCreationDateTime"]),
            "approximateArrivalOfLastRecord": _iso(last["ApproximateCreationDateTime"]),
            "batchSize": len(records),
            "streamArn": self.stream_arn,
        })
        if m.on_failure_queue:
            self.sqs.send_message(QueueUrl=self.pump.topo.queues[m.on_failure_queue].url, MessageBody=json.dumps(message))
            log.error("%s: %d stream record(s) %s..%s sent to %s after %d invocations", m.function, len(records),
                      first["SequenceNumber"], last["SequenceNumber"], m.on_failure_queue, invocations)
        else:
            log.error("%s: %d stream record(s) %s..%s skipped after %d invocations (no on-failure destination)",
                      m.function, len(records), first["SequenceNumber"], last["SequenceNumber"], invocations)

    def pending(self) -> bool:
        return any(s.buffer for s in self.shards.values())


# --------------------------------------------------------------------------- the pump


class SchedulesPoller(_Poller):
    """EventBridge Scheduler's one-time schedules, fired when due (schedules.py)."""

    name = "schedules"

    def __init__(self, pump: EventPump):
        from .schedules import SchedulePoller

        super().__init__(pump)
        self.scheduler = SchedulePoller(pump.endpoint_url)

    def poll_once(self) -> bool:
        return self.scheduler.poll_once()


class EventPump:
    def __init__(self, topology: Topology, runtime: FunctionRuntime, endpoint_url: str, s3_events_queue_url: str,
                 async_retry_delays: tuple[float, ...] = (0.5, 1.0), checkpoints: Any = None):
        self.topo = topology
        self.checkpoints = checkpoints  # durable.StreamCheckpoints with a data directory: deliveries resume after them
        self.runtime = runtime
        self.endpoint_url = endpoint_url
        self.async_retry_delays = async_retry_delays
        self._stop = threading.Event()
        self.s3 = S3Poller(self, s3_events_queue_url)
        self.sqs_pollers = [SqsPoller(self, m) for m in topology.mappings if m.kind == "sqs"]
        self.stream_pollers = [StreamPoller(self, m) for m in topology.mappings if m.kind == "dynamodb"]
        self.schedules = SchedulesPoller(self)
        self.pollers: list[_Poller] = [self.s3, *self.sqs_pollers, *self.stream_pollers, self.schedules]
        self._started = False

    def skip_existing_stream_records(self) -> None:
        """Restored items are not new changes: every stream mapping starts after them."""
        for poller in self.stream_pollers:
            poller.position_at_end()

    def start(self) -> None:
        for poller in self.stream_pollers:
            if not poller.shards:
                poller._list_shards(at_end=poller.skip_existing and self.checkpoints is None)
        for poller in self.pollers:
            poller.thread.start()
        self._started = True

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for poller in self.pollers:
            poller.wake.set()
        if self._started:
            for poller in self.pollers:
                poller.thread.join(timeout)
        self.s3.shutdown()
        for poller in self.sqs_pollers:
            poller.shutdown()

    def sqs_concurrency(self, mapping: EventSourceMapping) -> int:
        """Batches of one SQS mapping in flight at once: as Lambda scales out (it starts with 5 concurrent
        batches), bounded by the mapping's MaximumConcurrency, the function's ReservedConcurrentExecutions
        and the instances the runtime runs side by side (1 when handlers run as threads of this process:
        one module, one instance)."""
        fn = self.topo.functions[mapping.function]
        bounds = [DEFAULT_SQS_CONCURRENCY, self.runtime.max_concurrency(mapping.function)]
        bounds += [n for n in (mapping.maximum_concurrency, fn.reserved_concurrency) if n is not None]
        return max(1, min(bounds))

    def _kick(self) -> None:
        for poller in self.pollers:
            poller.wake.set()

    def _quiet(self) -> bool:
        if any(p.busy or p.pending() for p in self.pollers):
            return False
        return all(p.in_queue() == 0 for p in self.sqs_pollers)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """True once every queue is empty (visible and in flight), every shard is delivered and nothing runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mark = time.monotonic()
            self._kick()
            if not self._quiet():
                time.sleep(0.02)
                continue
            # every poller must come back empty from a poll that started after the mark, with nothing done since
            while time.monotonic() < deadline and not all(p.last_empty_poll_started > mark for p in self.pollers):
                self._kick()
                time.sleep(0.01)
            if all(p.last_activity < mark for p in self.pollers) and self._quiet():
                return True
        return False
