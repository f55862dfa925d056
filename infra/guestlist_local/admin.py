"""`guestlist admin`: an operator's commands (DESIGN.md s12) - workspaces, organiser keys, dead letters, teardown.

Every command works against the running local stack by default and against a deployed stack
with `--stack NAME [--region R]`: the names come from the stack's outputs (CloudFormation
DescribeStacks), or for the local stack from the same outputs of template.yaml resolved
against the emulator. `--json` prints machine-readable output on every command.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from .output import print_json, print_table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Operator commands: workspaces, organiser keys, dead letters, teardown (local stack or --stack NAME).")
workspace_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Workspaces (tenants) and their first key.")
key_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Organiser keys of a workspace (stored hashed).")
dlq_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Dead-letter and on-failure queues.")
app.add_typer(workspace_app, name="workspace")
app.add_typer(key_app, name="key")
app.add_typer(dlq_app, name="dlq")
console = Console()
err = Console(stderr=True)

LOCAL_ENDPOINT = "http://127.0.0.1:4566"
# stack output -> the environment variable the functions (and guestlist.settings) read it from
OUTPUT_ENV = {
    "ContactsTableName": "CONTACTS_TABLE",
    "EventsTableName": "EVENTS_TABLE",
    "HistoryTableName": "HISTORY_TABLE",
    "ImportBucketName": "IMPORT_BUCKET",
    "WorkQueueUrl": "WORK_QUEUE_URL",
    "LinkSecretArn": "LINK_SECRET_ARN",
    "ReportQueueUrl": "REPORT_QUEUE_URL",
}


class AdminError(Exception):
    """Something the operator must fix (the message says what); exit code 1."""


# ------------------------------------------------------------------ where the stack is


@dataclass
class Target:
    """A stack's outputs plus how to reach its AWS (the local emulator, or a region of a real account)."""

    outputs: dict[str, str]
    stack_name: str | None = None  # None: the local stack
    region: str | None = None
    endpoint_url: str | None = None
    environment: dict[str, str] = field(default_factory=dict)  # what the functions see (local: every variable)

    @property
    def where(self) -> str:
        return f"stack {self.stack_name} ({self.region})" if self.stack_name else f"the local stack ({self.endpoint_url})"

    def client(self, service: str):
        import boto3

        credentials = {}
        if not self.stack_name:  # the emulator takes any credentials; an operator's shell may have none
            credentials = {"aws_access_key_id": self.environment.get("AWS_ACCESS_KEY_ID", "testing"),
                           "aws_secret_access_key": self.environment.get("AWS_SECRET_ACCESS_KEY", "testing")}
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url, **credentials)

    def apply(self) -> None:
        """The process environment the guestlist package reads its settings from (at their first use)."""
        env = dict(self.environment)
        for output, name in OUTPUT_ENV.items():
            if output in self.outputs:
                env[name] = self.outputs[output]
        missing = [o for o in ("ContactsTableName", "EventsTableName", "HistoryTableName", "ImportBucketName",
                               "WorkQueueUrl", "LinkSecretArn") if o not in self.outputs]
        if missing:
            raise AdminError(f"{self.where} has no output(s) {', '.join(missing)}: deploy the current template.yaml")
        if self.region:  # the target's: botocore (every client, the models' too) reads AWS_DEFAULT_REGION
            env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = self.region
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        os.environ.update(env)
        if "guestlist.settings" in sys.modules:  # already read in this process (tests): read again
            from guestlist.settings import get_settings

            get_settings.cache_clear()

    def dead_letter_queues(self) -> list[str]:
        return [url for url in (self.outputs.get("DeadLetterQueues") or "").split(",") if url]


def stack_outputs(stack_name: str, cloudformation) -> dict[str, str]:
    """DescribeStacks' outputs of a deployed stack, as {OutputKey: OutputValue}."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        raise AdminError(f"cannot read stack {stack_name!r}: {exc.response.get('Error', {}).get('Message', exc)}") from None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs") or []}


def deployed_target(stack_name: str, region: str | None) -> Target:
    import boto3

    session = boto3.session.Session(region_name=region)
    region = session.region_name
    if not region:
        raise AdminError("no AWS region: pass --region or set AWS_REGION")
    outputs = stack_outputs(stack_name, session.client("cloudformation"))
    return Target(outputs=outputs, stack_name=stack_name, region=region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))


def local_target(endpoint_url: str, template: Path | None) -> Target:
    """The running local stack: template.yaml's outputs, with what only the emulator knows (queue URLs, secret ARNs)."""
    from .provision import aws_environment, client
    from .stack import default_template_path
    from .template import build_topology, resolve_outputs, translate

    translated = translate(template or default_template_path())
    names = build_topology(translated)
    physical: dict[tuple[str, str], str] = {}
    try:
        sqs = client("sqs", endpoint_url)
        for queue in names.queues.values():
            url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
            physical[(queue.logical_id, "Ref")] = physical[(queue.logical_id, "QueueUrl")] = url
        sm = client("secretsmanager", endpoint_url)
        for secret in names.secrets.values():
            arn = sm.describe_secret(SecretId=secret.name)["ARN"]
            physical[(secret.logical_id, "Ref")] = physical[(secret.logical_id, "Id")] = arn
    except Exception as exc:  # connection refused, or an emulator without our resources
        raise AdminError(f"no local stack answers at {endpoint_url} ({type(exc).__name__}); start it with "
                         "`guestlist up`, or pass --stack NAME for a deployed stack") from None
    topology = build_topology(translated, None, physical)
    environment = {**aws_environment(endpoint_url), **topology.shared_environment()}
    return Target(outputs=resolve_outputs(translated, None, physical), region=topology.region,
                  endpoint_url=endpoint_url, environment=environment)


def target(stack: str | None, region: str | None, aws_endpoint: str, template: Path | None) -> Target:
    return deployed_target(stack, region) if stack else local_target(aws_endpoint, template)


# ------------------------------------------------------------------ common options

StackOpt = typer.Option(None, "--stack", help="A deployed stack's name (default: the running local stack).")
RegionOpt = typer.Option(None, "--region", help="AWS region of --stack (default: your AWS configuration's).")
EndpointOpt = typer.Option(LOCAL_ENDPOINT, "--aws-endpoint", help="The local stack's AWS emulator.")
TemplateOpt = typer.Option(None, "--template", help="SAM template of the local stack (default: ./template.yaml or the repository's).")
JsonOpt = typer.Option(False, "--json", help="Print JSON.")


def _run(fn, *args: Any) -> Any:
    """Domain and admin errors become a one-line message and exit 1, never a traceback."""
    try:
        return fn(*args)
    except AdminError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except Exception as exc:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, (BotoCoreError, ClientError)):  # credentials, permissions, a resource gone
            err.print(f"[red]error:[/] AWS refused: {exc}")
            raise typer.Exit(1) from None
        if "guestlist.errors" in sys.modules:
            from guestlist.errors import GuestlistError

            if isinstance(exc, GuestlistError):
                err.print(f"[red]error:[/] {exc.message} ({exc.code})")
                raise typer.Exit(1) from None
        raise


# ------------------------------------------------------------------ workspaces


def _keys_on(stack: str | None, region: str | None, aws_endpoint: str, template: Path | None):
    """The target and `guestlist.keys` bound to its tables (the package reads their names when first imported)."""
    where = _run(target, stack, region, aws_endpoint, template)
    _run(where.apply)
    from guestlist import keys

    return where, keys


@workspace_app.command("create")
def workspace_create(name: str = typer.Argument(..., help="The workspace's name."),
                     workspace_id: str | None = typer.Option(None, "--id", help="Its id (default: generated ws-…)."),
                     stack: str | None = StackOpt, region: str | None = RegionOpt,
                     aws_endpoint: str = EndpointOpt, template: Path | None = TemplateOpt, json_output: bool = JsonOpt) -> None:
    """Create a workspace; prints its first organiser key, once (it is stored hashed)."""
    where, keys = _keys_on(stack, region, aws_endpoint, template)
    workspace, key = _run(keys.create_workspace, name, workspace_id)
    if json_output:
        print_json({"workspace_id": workspace["workspace_id"], "name": workspace["name"], "key": key})
        return
    console.print(f"workspace [bold]{workspace['name']}[/] ({workspace['workspace_id']}) created on {where.where}")
    console.print(f"  organiser key  {key}", soft_wrap=True, highlight=False)
    console.print("  shown once: only its hash is stored (guestlist admin key create makes another)")


@workspace_app.command("list")
def workspace_list(stack: str | None = StackOpt, region: str | None = RegionOpt,
                   aws_endpoint: str = EndpointOpt, template: Path | None = TemplateOpt, json_output: bool = JsonOpt) -> None:
    """The workspaces."""
    where, keys = _keys_on(stack, region, aws_endpoint, template)
    found = _run(keys.list_workspaces)
    if json_output:
        print_json({"workspaces": found})
        return
    print_table(f"workspaces on {where.where}", ["workspace_id", "name", "created_at"],
                [[w["workspace_id"], w["name"], w["created_at"]] for w in found])


# ------------------------------------------------------------------ organiser keys


WorkspaceOpt = typer.Option(..., "--workspace", help="The workspace id.")


@key_app.command("create")
def key_create(workspace: str = WorkspaceOpt, label: str | None = typer.Option(None, "--label", help="What the key is for."),
               stack: str | None = StackOpt, region: str | None = RegionOpt,
               aws_endpoint: str = EndpointOpt, template: Path | None = TemplateOpt, json_output: bool = JsonOpt) -> None:
    """Another organiser key of a workspace, printed once."""
    where, keys = _keys_on(stack, region, aws_endpoint, template)
    key, listing = _run(keys.create_organiser_key, workspace, label)
    if json_output:
        print_json({"workspace_id": workspace, **listing, "key": key})
        return
    console.print(f"organiser key {listing['key_id']} of {workspace} created on {where.where}")
    console.print(f"  key  {key}", soft_wrap=True, highlight=False)
    console.print("  shown once: only its hash is stored")


@key_app.command("list")
def key_list(workspace: str = WorkspaceOpt, stack: str | None = StackOpt, region: str | None = RegionOpt,
             aws_endpoint: str = EndpointOpt, template: Path | None = TemplateOpt, json_output: bool = JsonOpt) -> None:
    """A workspace's organiser keys (ids and labels; the keys themselves are not stored)."""
    where, keys = _keys_on(stack, region, aws_endpoint, template)
    found = _run(keys.list_organiser_keys, workspace)
    if json_output:
        print_json({"workspace_id": workspace, "keys": found})
        return
    print_table(f"organiser keys of {workspace} on {where.where}", ["key_id", "label", "created_at"],
                [[k["key_id"], k["label"], k["created_at"]] for k in found])


@key_app.command("revoke")
def key_revoke(key_id: str = typer.Argument(..., help="The key's id (guestlist admin key list)."), workspace: str = WorkspaceOpt,
               stack: str | None = StackOpt, region: str | None = RegionOpt,
               aws_endpoint: str = EndpointOpt, template: Path | None = TemplateOpt, json_output: bool = JsonOpt) -> None:
    """Revoke an organiser key: it stops working at once."""
    where, keys = _keys_on(stack, region, aws_endpoint, template)
    _run(keys.revoke_organiser_key, workspace, key_id)
    if json_output:
        print_json({"workspace_id": workspace, "key_id": key_id, "revoked": True})
        return
    console.print(f"organiser key {key_id} of {workspace} revoked on {where.where}")


# ------------------------------------------------------------------ dead letters


def _summary(body: str) -> dict:
    """What a parked message is about, without its rows (guests' addresses) or any secret."""
    try:
        doc = json.loads(body)
    except ValueError:
        return {"kind": "unreadable", "bytes": len(body)}
    if not isinstance(doc, dict):
        return {"kind": "unknown"}
    if "DDBStreamBatchInfo" in doc:
        info, ctx = doc["DDBStreamBatchInfo"], doc.get("requestContext") or {}
        return {"kind": "stream batch", "function": str(ctx.get("functionArn", "")).rsplit(":", 1)[-1],
                "condition": ctx.get("condition"), "records": info.get("batchSize"), "shard": info.get("shardId"),
                "first": info.get("startSequenceNumber"), "last": info.get("endSequenceNumber")}
    if "requestPayload" in doc:  # an asynchronous invocation's failure record (an upload the import never started)
        ctx, payload = doc.get("requestContext") or {}, doc.get("requestPayload") or {}
        keys = [((r.get("s3") or {}).get("object") or {}).get("key") for r in payload.get("Records") or [] if isinstance(r, dict)]
        return {"kind": "failed invocation", "function": str(ctx.get("functionArn", "")).split(":function:")[-1].split(":")[0],
                "condition": ctx.get("condition"), "tries": ctx.get("approximateInvokeCount"),
                "error": ((doc.get("responsePayload") or {}).get("errorType")), "objects": [k for k in keys if k][:5]}
    if "rows" in doc and "chunk" in doc:
        return {"kind": "import chunk", "import_id": doc.get("import_id"), "event_id": doc.get("event_id"),
                "chunk": doc.get("chunk"), "rows": len(doc.get("rows") or [])}
    if set(doc) == {"import_id"}:
        return {"kind": "import report", "import_id": doc["import_id"]}
    return {"kind": "message", "fields": sorted(doc)[:10]}


def _peek(sqs, url: str, limit: int) -> list[dict]:
    """Up to `limit` messages, each made visible again right away (listing consumes nothing)."""
    seen: dict[str, dict] = {}
    handles = []
    for _ in range(max(1, limit // 10 + 2)):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, limit), VisibilityTimeout=30,
                                  AttributeNames=["All"]).get("Messages", [])
        if not got:
            break
        for m in got:
            handles.append(m["ReceiptHandle"])
            seen.setdefault(m["MessageId"], m)
        if len(seen) >= limit:
            break
    for handle in handles:
        try:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        except Exception:
            pass
    return list(seen.values())[:limit]


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _selected(where: Target, queue: str | None) -> list[str]:
    urls = where.dead_letter_queues()
    if not urls:
        raise AdminError(f"{where.where} lists no dead-letter queues (output DeadLetterQueues): deploy the current template.yaml")
    if queue:
        urls = [u for u in urls if _queue_name(u) == queue or _queue_name(u).endswith(queue)]
        if not urls:
            raise AdminError(f"no dead-letter queue named {queue!r}; they are "
                             f"{', '.join(_queue_name(u) for u in where.dead_letter_queues())}")
    return urls


QueueOpt = typer.Option(None, "--queue", help="Only this queue (its name, or the end of it, e.g. ParkedQueue).")


def _list_dlq(where: Target, queue: str | None, limit: int) -> list[dict]:
    sqs = where.client("sqs")
    out = []
    for url in _selected(where, queue):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                       "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        messages = []
        for m in _peek(sqs, url, limit) if int(attrs.get("ApproximateNumberOfMessages", 0)) else []:
            a = m.get("Attributes") or {}
            messages.append({"message_id": m["MessageId"], "sent_at": a.get("SentTimestamp"),
                             "receive_count": int(a.get("ApproximateReceiveCount", 0)), **_summary(m["Body"])})
        out.append({"queue": _queue_name(url), "url": url, "waiting": int(attrs.get("ApproximateNumberOfMessages", 0)),
                    "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)), "messages": messages})
    return out


@dlq_app.command("list")
def dlq_list(queue: str | None = QueueOpt, limit: int = typer.Option(20, "--limit", help="Messages shown per queue."),
             stack: str | None = StackOpt, region: str | None = RegionOpt,
             aws_endpoint: str = EndpointOpt, template: Path | None = TemplateOpt, json_output: bool = JsonOpt) -> None:
    """Parked messages of every dead-letter and on-failure queue (what they are about, never their rows)."""
    where = _run(target, stack, region, aws_endpoint, template)
    queues = _run(_list_dlq, where, queue, limit)
    if json_output:
        print_json({"queues": queues})
        return
    print_table(f"dead letters on {where.where}", ["queue", "waiting", "in flight"],
                [[q["queue"], q["waiting"], q["in_flight"]] for q in queues])
    for q in queues:
        if q["messages"]:
            rows = [[m["message_id"], m["kind"], m["receive_count"],
                     ", ".join(f"{k}={v}" for k, v in m.items() if k not in ("message_id", "kind", "receive_count", "sent_at"))]
                    for m in q["messages"]]
            print_table(q["queue"], ["message", "kind", "receives", "about"], rows)


def _stream_records(where: Target, info: dict) -> list[dict]:
    """The records a failed stream batch named, read again from the stream (they stay 24 hours)."""
    streams = where.client("dynamodbstreams")
    iterator = streams.get_shard_iterator(StreamArn=info["streamArn"], ShardId=info["shardId"],
                                          ShardIteratorType="AT_SEQUENCE_NUMBER",
                                          SequenceNumber=info["startSequenceNumber"])["ShardIterator"]
    end = int(info["endSequenceNumber"])
    records: list[dict] = []
    for _ in range(1000):
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in page.get("Records", []):
            if int(record["dynamodb"]["SequenceNumber"]) > end:
                return records
            records.append(record)
        iterator = page.get("NextShardIterator")
        if not iterator or not page.get("Records"):
            break
    return records


def _as_lambda_record(record: dict, stream_arn: str, region: str) -> dict:
    """GetRecords' shape -> the DynamoDB stream event record Lambda delivers."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if hasattr(created, "timestamp"):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {"eventID": record["eventID"], "eventName": record["eventName"], "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb", "awsRegion": region, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


def _invoke(where: Target, function_arn: str, event: dict, template: Path | None) -> dict:
    """The function a stream batch failed in, once more with the same records: Lambda on AWS; locally
    the handler itself, in this process, with the functions' environment (as the local stack runs it)."""
    if where.stack_name:
        response = where.client("lambda").invoke(FunctionName=function_arn, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise AdminError(f"{function_arn.rsplit(':', 1)[-1]} failed again: {str(payload)[:300]}")
        return payload or {}
    from .runtime import FunctionRuntime
    from .stack import default_template_path
    from .template import load_topology

    topology = load_topology(template or default_template_path())
    unqualified = function_arn.removesuffix(":$LATEST")  # asynchronous failure records name the version
    logical = next((fn.logical_id for fn in topology.functions.values() if unqualified.endswith(f":function:{fn.name}")), None)
    if logical is None:
        raise AdminError(f"no function of the template is {function_arn}")
    import contextlib

    # the handler's logs and metrics go to stderr, not into this command's output (also from other
    # threads or processes of the runtime: the file descriptor itself is pointed at stderr meanwhile)
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            try:
                return FunctionRuntime(topology).invoke(logical, event) or {}
            except Exception as exc:  # the handler failed again: the message stays for the next redrive
                raise AdminError(f"{logical} failed again: {str(exc)[:300]}") from exc
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _redrive_stream_batch(where: Target, doc: dict, template: Path | None) -> int:
    info = doc["DDBStreamBatchInfo"]
    records = _stream_records(where, info)
    if not records:
        raise AdminError(f"the stream no longer holds records {info['startSequenceNumber']}..{info['endSequenceNumber']} "
                         "(streams keep 24 hours)")
    event = {"Records": [_as_lambda_record(r, info["streamArn"], where.region or "us-east-1") for r in records]}
    result = _invoke(where, doc["requestContext"]["functionArn"], event, template)
    failed = (result or {}).get("batchItemFailures") or []
    if failed:
        raise AdminError(f"{len(failed)} record(s) failed again (first {failed[0].get('itemIdentifier')})")
    return len(records)


def _redrive(where: Target, queue: str | None, limit: int, template: Path | None) -> list[dict]:
    sqs = where.client("sqs")
    out = []
    for url in _selected(where, queue):
        sources = sqs.list_dead_letter_source_queues(QueueUrl=url).get("queueUrls", [])
        moved = failed = 0
        errors: list[str] = []
        while moved + failed < limit:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, limit - moved - failed),
                                      VisibilityTimeout=60, AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
            if not got:
                break
            for m in got:
                try:
                    doc = json.loads(m["Body"]) if m["Body"].startswith("{") else {}
                    if sources:  # a dead-letter queue: back to the queue it came from, as SQS's own redrive does
                        if len(sources) != 1:
                            raise AdminError(f"{_queue_name(url)} is the dead-letter queue of {len(sources)} queues")
                        args = {"QueueUrl": sources[0], "MessageBody": m["Body"]}
                        if m.get("MessageAttributes"):
                            args["MessageAttributes"] = m["MessageAttributes"]
                        sqs.send_message(**args)
                    elif "DDBStreamBatchInfo" in doc:  # an on-failure destination: the batch goes to its function again
                        _redrive_stream_batch(where, doc, template)
                    elif "requestPayload" in doc:  # an asynchronous invocation's failure record: the event goes again
                        _invoke(where, doc["requestContext"]["functionArn"], doc["requestPayload"], template)
                    else:
                        raise AdminError("neither a dead-letter queue's message nor a failure record: left in place")
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    moved += 1
                except AdminError as exc:
                    failed += 1
                    errors.append(f"{m['MessageId']}: {exc}")
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            if failed and not moved:
                break  # every message refuses: do not spin on them
        out.append({"queue": _queue_name(url), "to": [_queue_name(s) for s in sources] or ["its function"],
                    "redriven": moved, "failed": failed, "errors": errors})
    return out


@dlq_app.command("redrive")
def dlq_redrive(queue: str | None = QueueOpt, limit: int = typer.Option(1000, "--limit", help="At most this many per queue."),
                stack: str | None = StackOpt, region: str | None = RegionOpt,
                aws_endpoint: str = EndpointOpt, template: Path | None = TemplateOpt, json_output: bool = JsonOpt) -> None:
    """Send parked messages back to their source: a dead-letter queue's to the queue it came from, a failed
    stream batch to its function (re-read from the stream). Exit 1 when any message could not be redriven."""
    where = _run(target, stack, region, aws_endpoint, template)
    if not where.stack_name:
        _run(where.apply)  # the handlers of a local redrive read the same environment
    results = _run(_redrive, where, queue, limit, template)
    if json_output:
        print_json({"queues": results})
    else:
        print_table(f"redrive on {where.where}", ["queue", "to", "redriven", "failed"],
                    [[r["queue"], ", ".join(r["to"]), r["redriven"], r["failed"]] for r in results])
        for r in results:
            for line in r["errors"]:
                err.print(f"[yellow]{r['queue']}[/] {line}", highlight=False)
    if any(r["failed"] for r in results):
        raise typer.Exit(1)


# ------------------------------------------------------------------ teardown


def _empty_bucket(s3, bucket: str) -> int:
    removed = 0
    paginator = s3.get_paginator("list_object_versions")
    try:
        pages = list(paginator.paginate(Bucket=bucket))
    except Exception as exc:
        if "NoSuchBucket" in str(exc):
            return 0
        raise
    for page in pages:
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start:start + 1000], "Quiet": True})
            removed += len(doomed[start:start + 1000])
    return removed


def _teardown(where: Target, purge: bool, wait: bool) -> dict:
    """The tables and the link secret have DeletionPolicy Retain in the template: deleting the stack keeps
    them, and --purge deletes them afterwards, by name. The bucket must be empty before CloudFormation can delete it."""
    tables = [where.outputs[k] for k in ("ContactsTableName", "EventsTableName", "HistoryTableName") if k in where.outputs]
    secrets = [where.outputs[k] for k in ("LinkSecretArn", "UnsubscribeSecretArn") if k in where.outputs]
    bucket = where.outputs.get("ImportBucketName")
    removed = _empty_bucket(where.client("s3"), bucket) if bucket else 0
    cfn = where.client("cloudformation")
    cfn.delete_stack(StackName=where.stack_name)
    if wait or purge:
        cfn.get_waiter("stack_delete_complete").wait(StackName=where.stack_name, WaiterConfig={"Delay": 10, "MaxAttempts": 180})
    if purge:
        ddb = where.client("dynamodb")
        for table in tables:
            try:
                ddb.delete_table(TableName=table)
            except ddb.exceptions.ResourceNotFoundException:
                pass
        for secret in secrets:
            where.client("secretsmanager").delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    return {"stack": where.stack_name, "bucket": bucket, "objects_removed": removed, "tables": tables,
            "secrets": secrets, "retained": not purge, "deleted": wait or purge}


@app.command("teardown")
def teardown(stack: str = typer.Option(..., "--stack", help="The deployed stack to delete."), region: str | None = RegionOpt,
             purge: bool = typer.Option(False, "--purge", help="Delete the tables too (all events, contacts, history)."),
             yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
             wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait until CloudFormation has deleted the stack."),
             json_output: bool = JsonOpt) -> None:
    """Empty the import bucket and delete the stack; the tables are kept unless --purge."""
    where = _run(target, stack, region, LOCAL_ENDPOINT, None)
    what = "the stack AND its tables" if purge else "the stack (tables kept)"
    if not yes and not typer.confirm(f"Delete {what} {stack} in {where.region}? Uploads and reports in the bucket are removed."):
        raise typer.Exit(1)
    result = _run(_teardown, where, purge, wait)
    if json_output:
        print_json(result)
        return
    console.print(f"stack {stack}: bucket {result['bucket']} emptied ({result['objects_removed']} objects), "
                  f"delete {'complete' if wait else 'started'}")
    if not purge:
        console.print(f"  kept (DeletionPolicy Retain): tables {', '.join(result['tables'])} and the link and unsubscribe secrets; "
                      "--purge deletes them too")
