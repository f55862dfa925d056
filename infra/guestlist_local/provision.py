"""Starts the in-process AWS emulator (moto server) and creates the template's resources in it."""

from __future__ import annotations

import json
import logging
import os
import secrets as pysecrets
import socket
import string
import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from .chaos import INTERNAL_AGENT
from .template import ACCOUNT_ID, REGION, Topology

log = logging.getLogger("guestlist_local")

# The one queue that is not in the template: moto cannot invoke Lambda, so buckets notify this queue and the pump
# turns its messages into the Lambda S3 events the template asks for.
S3_EVENTS_QUEUE = "guestlist-local-s3-events"


class PortInUseError(RuntimeError):
    """A port the local stack needs is taken."""


def ensure_port_free(host: str, port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise PortInUseError(f"port {host}:{port} ({what}) is already in use; stop the other process or pick another port") from None


class Emulator:
    """moto server in a thread of this process."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._server = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        from . import chaos, durable
        from .emulator_fixes import apply as apply_emulator_fixes

        apply_emulator_fixes()
        durable.install()  # journals only while a data directory's journal is open
        chaos.install()  # faults only once chaos.configure() asks for them (outermost: before the journal)
        ensure_port_free(self.host, self.port, "AWS emulator")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per AWS call drowns everything else
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.02)
        else:
            raise RuntimeError(f"the AWS emulator did not start on {self.endpoint_url}")
        # moto keeps its state per process, not per server: a new stack must not see an earlier one's resources
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST"), timeout=10).read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def aws_environment(endpoint_url: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def client(service: str, endpoint_url: str):
    """A client of the emulator that does not depend on process environment (the pump and provisioning use it)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        # the user agent marks the stack's own plumbing (it plays AWS's part): chaos never faults it
        config=Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=20,
                      user_agent_extra=INTERNAL_AGENT),
    )


def generate_secret(spec: dict[str, Any]) -> str:
    """A value like Secrets Manager's GetRandomPassword with the template's GenerateSecretString settings."""
    length = int(spec.get("PasswordLength", 32))
    groups = {
        "upper": "" if spec.get("ExcludeUppercase") else string.ascii_uppercase,
        "lower": "" if spec.get("ExcludeLowercase") else string.ascii_lowercase,
        "digits": "" if spec.get("ExcludeNumbers") else string.digits,
        "punct": "" if spec.get("ExcludePunctuation") else "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        "space": " " if spec.get("IncludeSpace") else "",
    }
    excluded = set(spec.get("ExcludeCharacters", ""))
    groups = {k: "".join(c for c in v if c not in excluded) for k, v in groups.items() if v}
    alphabet = "".join(groups.values())
    if not alphabet:
        raise ValueError("GenerateSecretString excludes every character")
    while True:
        value = "".join(pysecrets.choice(alphabet) for _ in range(length))
        required = [g for k, g in groups.items() if k != "space" and g]
        if not spec.get("RequireEachIncludedType", True) or length < len(required) or all(any(c in g for c in value) for g in required):
            break
    if spec.get("SecretStringTemplate") and spec.get("GenerateStringKey"):
        doc = json.loads(spec["SecretStringTemplate"])
        doc[spec["GenerateStringKey"]] = value
        return json.dumps(doc)
    return value


@dataclass
class Provisioned:
    """What the emulator assigned that the template cannot know in advance."""

    physical: dict[tuple[str, str], str]
    s3_events_queue_url: str
    secret_values: dict[str, str]


class Provisioner:
    def __init__(self, topology: Topology, endpoint_url: str):
        self.topo = topology
        self.endpoint_url = endpoint_url

    def create(self, secret_values: dict[str, str] | None = None) -> Provisioned:
        """Every resource, without the S3 notifications (wire_notifications does those after a restore)."""
        ep = self.endpoint_url
        physical: dict[tuple[str, str], str] = {}
        values: dict[str, str] = {}
        sm = client("secretsmanager", ep)
        for secret in self.topo.secrets.values():
            value = (secret_values or {}).get(secret.logical_id)
            if value is None:
                value = secret.secret_string if secret.secret_string is not None else generate_secret(secret.generate or {})
            arn = sm.create_secret(Name=secret.name, Description=secret.description, SecretString=value)["ARN"]
            physical[(secret.logical_id, "Ref")] = arn
            physical[(secret.logical_id, "Id")] = arn
            values[secret.logical_id] = value

        ssm = client("ssm", ep)
        for parameter in self.topo.ssm_parameters.values():
            ssm.put_parameter(Name=parameter.name, Value=parameter.value, Type="String", Overwrite=True)

        ddb = client("dynamodb", ep)
        for table in self.topo.tables.values():
            args: dict[str, Any] = {
                "TableName": table.name,
                "AttributeDefinitions": table.attribute_definitions,
                "KeySchema": table.key_schema,
                "BillingMode": "PAY_PER_REQUEST",
            }
            if table.global_secondary_indexes:
                args["GlobalSecondaryIndexes"] = [
                    {k: v for k, v in gsi.items() if k != "ProvisionedThroughput"} for gsi in table.global_secondary_indexes
                ]
            if table.local_secondary_indexes:
                args["LocalSecondaryIndexes"] = table.local_secondary_indexes
            if table.stream_view_type:
                args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream_view_type}
            desc = ddb.create_table(**args)["TableDescription"]
            if table.stream_view_type:
                physical[(table.logical_id, "StreamArn")] = desc["LatestStreamArn"]
            if table.ttl_attribute:
                ddb.update_time_to_live(TableName=table.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute})

        sqs = client("sqs", ep)
        created: set[str] = set()
        by_arn = {q.arn: q for q in self.topo.queues.values()}

        def create_queue(logical_id: str, chain: tuple[str, ...] = ()) -> None:
            if logical_id in created:
                return
            if logical_id in chain:
                raise RuntimeError(f"queue {logical_id}: RedrivePolicy forms a cycle ({' -> '.join(chain)})")
            queue = self.topo.queues[logical_id]
            if queue.dead_letter_queue:  # a DLQ must exist before the queue that names it
                if queue.dead_letter_queue not in by_arn:
                    raise RuntimeError(f"queue {logical_id}: dead-letter queue {queue.dead_letter_queue} is not in the template")
                create_queue(by_arn[queue.dead_letter_queue].logical_id, (*chain, logical_id))
            url = sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)["QueueUrl"]
            physical[(logical_id, "Ref")] = url
            physical[(logical_id, "QueueUrl")] = url
            created.add(logical_id)

        for logical_id in self.topo.queues:
            create_queue(logical_id)
        s3_events_url = sqs.create_queue(QueueName=S3_EVENTS_QUEUE)["QueueUrl"]

        s3 = client("s3", ep)
        for bucket in self.topo.buckets.values():
            s3.create_bucket(Bucket=bucket.name)
        return Provisioned(physical=physical, s3_events_queue_url=s3_events_url, secret_values=values)

    def wire_notifications(self, s3_events_queue_url: str) -> None:
        sqs = client("sqs", self.endpoint_url)
        s3 = client("s3", self.endpoint_url)
        queue_arn = sqs.get_queue_attributes(QueueUrl=s3_events_queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for bucket in self.topo.buckets.values():
            if not bucket.notifications:
                continue
            configs = []
            for note in bucket.notifications:
                rules = [{"Name": n, "Value": v} for n, v in (("prefix", note.prefix), ("suffix", note.suffix)) if v]
                config: dict[str, Any] = {"Id": note.configuration_id, "QueueArn": queue_arn, "Events": list(note.events)}
                if rules:
                    config["Filter"] = {"Key": {"FilterRules": rules}}
                configs.append(config)
            s3.put_bucket_notification_configuration(Bucket=bucket.name, NotificationConfiguration={"QueueConfigurations": configs})


def apply_environment(endpoint_url: str, topology: Topology) -> dict[str, str]:
    """Process environment for clients and handlers: the emulator's endpoint and the functions' Environment."""
    env = aws_environment(endpoint_url)
    env.update(topology.shared_environment())
    os.environ.update(env)
    return env


__all__ = ["ACCOUNT_ID", "S3_EVENTS_QUEUE", "Emulator", "PortInUseError", "Provisioner", "apply_environment", "client"]
