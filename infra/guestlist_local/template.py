"""Reads template.yaml, translates it offline with the SAM translator and resolves it into a typed Topology."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

STACK_NAME = "guestlist"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
LOCAL_API_ID = "guestlocal"
CODE_BUCKET_MARKER = "local"


class TemplateError(Exception):
    """The template holds something the local stack cannot run (the message names the resource)."""


# --------------------------------------------------------------------------- topology types


@dataclass(frozen=True)
class Table:
    logical_id: str
    name: str
    attribute_definitions: list[dict[str, str]]
    key_schema: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]]
    local_secondary_indexes: list[dict[str, Any]]
    stream_view_type: str | None
    ttl_attribute: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{self.name}"


@dataclass(frozen=True)
class Queue:
    logical_id: str
    name: str
    url: str
    arn: str
    attributes: dict[str, str]  # as SetQueueAttributes takes them; RedrivePolicy is a JSON string
    dead_letter_queue: str | None  # logical id
    max_receive_count: int | None

    @property
    def visibility_timeout(self) -> int:
        return int(self.attributes.get("VisibilityTimeout", "30"))


@dataclass(frozen=True)
class S3Notification:
    function: str  # logical id
    events: tuple[str, ...]  # "s3:ObjectCreated:*"
    prefix: str
    suffix: str
    configuration_id: str

    def matches(self, event_name: str, key: str) -> bool:
        """event_name like ObjectCreated:Put, key decoded."""
        full = "s3:" + event_name
        ok = any(full == e or (e.endswith(":*") and full.startswith(e[:-1])) for e in self.events)
        return ok and key.startswith(self.prefix) and key.endswith(self.suffix)


@dataclass(frozen=True)
class Bucket:
    logical_id: str
    name: str
    notifications: tuple[S3Notification, ...]

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"


@dataclass(frozen=True)
class Secret:
    logical_id: str
    name: str
    arn: str
    description: str
    secret_string: str | None
    generate: dict[str, Any] | None  # GenerateSecretString


@dataclass(frozen=True)
class Parameter:
    """An SSM parameter (String) the template creates."""

    logical_id: str
    name: str
    value: str


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    module_file: Path
    handler_name: str
    timeout: int
    memory: int
    environment: dict[str, str]
    layer_dirs: tuple[Path, ...]
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions: at most this many invocations at once


@dataclass(frozen=True)
class EventSourceMapping:
    logical_id: str
    function: str  # logical id
    kind: str  # "sqs" | "dynamodb"
    source: str  # logical id of the queue or table
    source_arn: str
    batch_size: int
    report_batch_item_failures: bool
    starting_position: str | None = None
    maximum_retry_attempts: int = -1
    bisect_on_error: bool = False
    maximum_record_age: int = -1
    on_failure_queue: str | None = None  # logical id
    maximum_concurrency: int | None = None  # SQS: ScalingConfig.MaximumConcurrency (batches in flight)


@dataclass(frozen=True)
class InvokeConfig:
    """A function's asynchronous invocation settings (S3 notifications): tries and the on-failure queue."""

    function: str  # logical id
    maximum_retry_attempts: int = 2
    on_failure_queue: str | None = None  # logical id


@dataclass(frozen=True)
class Authorizer:
    name: str
    function: str  # logical id
    identity_sources: tuple[str, ...]  # "$request.header.Authorization"
    simple_responses: bool
    payload_format_version: str
    ttl_seconds: int


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ..., ANY
    path: str  # /events/{event_id}
    function: str  # logical id
    authorizer: str | None

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Topology:
    stack_name: str
    account_id: str
    region: str
    parameters: dict[str, str]
    tables: dict[str, Table] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    buckets: dict[str, Bucket] = field(default_factory=dict)
    secrets: dict[str, Secret] = field(default_factory=dict)
    ssm_parameters: dict[str, Parameter] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    mappings: list[EventSourceMapping] = field(default_factory=list)
    invoke_configs: dict[str, InvokeConfig] = field(default_factory=dict)  # by function logical id
    routes: list[Route] = field(default_factory=list)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    api_id: str | None = None

    def physical(self, logical_id: str) -> str:
        """The name (table, bucket, function, secret) or URL (queue) of a resource."""
        for kind in (self.tables, self.buckets, self.functions):
            if logical_id in kind:
                return kind[logical_id].name
        if logical_id in self.queues:
            return self.queues[logical_id].url
        if logical_id in self.secrets:
            return self.secrets[logical_id].arn
        raise KeyError(f"no resource {logical_id!r} in the template")

    def shared_environment(self) -> dict[str, str]:
        """The Environment every function has; raises if two functions differ."""
        env: dict[str, str] | None = None
        first = None
        for fn in self.functions.values():
            if env is None:
                env, first = fn.environment, fn.logical_id
            elif fn.environment != env:
                diff = sorted(k for k in set(env) | set(fn.environment) if env.get(k) != fn.environment.get(k))
                raise TemplateError(
                    f"functions {first} and {fn.logical_id} have different Environment variables ({', '.join(diff)}); "
                    "the local stack runs all handlers in one process and needs them identical"
                )
        return dict(env or {})


# --------------------------------------------------------------------------- loading and translating


@dataclass
class TranslatedTemplate:
    """Plain CloudFormation (after the SAM transform) plus the real paths of code and layers."""

    resources: dict[str, dict[str, Any]]
    parameters: dict[str, dict[str, Any]]
    code_paths: dict[str, Path]  # marker key -> real directory
    root: Path
    conditions: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)


def load_raw(template_path: Path) -> dict[str, Any]:
    from cfnlint.decode import decode_str

    text = Path(template_path).read_text(encoding="utf-8")
    tpl, matches = decode_str(text)
    if matches or tpl is None:
        raise TemplateError(f"{template_path}: cannot parse: {'; '.join(str(m) for m in matches)}")
    return json.loads(json.dumps(tpl))  # plain dicts/lists/str, no cfn-lint node types


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


_TRANSLATED: dict[tuple[str, str], TranslatedTemplate] = {}


def translate(template_path: Path, raw: dict[str, Any] | None = None) -> TranslatedTemplate:
    """The SAM transform takes most of a second: the result is kept per template path and content."""
    if raw is None:
        path = Path(template_path).resolve()
        key = (str(path), hashlib.sha256(path.read_bytes()).hexdigest())
        if key not in _TRANSLATED:
            _TRANSLATED[key] = _translate(path, None)
        return copy.deepcopy(_TRANSLATED[key])
    return _translate(Path(template_path), raw)


def _translate(template_path: Path, raw: dict[str, Any] | None) -> TranslatedTemplate:
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    from samtranslator.translator.transform import transform

    template_path = Path(template_path).resolve()
    root = template_path.parent
    tpl = copy.deepcopy(raw) if raw is not None else load_raw(template_path)
    code_paths: dict[str, Path] = {}
    for logical_id, res in (tpl.get("Resources") or {}).items():
        props = res.get("Properties") or {}
        for rtype, prop in (("AWS::Serverless::Function", "CodeUri"), ("AWS::Serverless::LayerVersion", "ContentUri")):
            if res.get("Type") != rtype:
                continue
            uri = props.get(prop)
            if not isinstance(uri, str) or uri.startswith("s3://"):
                raise TemplateError(f"{logical_id}: {prop} must be a local directory, got {uri!r}")
            real = (root / uri).resolve()
            if not real.is_dir():
                raise TemplateError(f"{logical_id}: {prop} {uri!r} is not a directory ({real})")
            key = f"{logical_id}/{uri}"
            code_paths[key] = real
            props[prop] = f"s3://{CODE_BUCKET_MARKER}/{key}"
    try:
        out = transform(tpl, {}, _NoManagedPolicies())
    except Exception as exc:  # the translator's own message names the resource
        raise TemplateError(f"{template_path}: SAM translation failed: {exc}") from exc
    return TranslatedTemplate(
        resources=out.get("Resources") or {},
        parameters=out.get("Parameters") or {},
        code_paths=code_paths,
        root=root,
        conditions=out.get("Conditions") or {},
        outputs=out.get("Outputs") or {},
    )


# --------------------------------------------------------------------------- intrinsic functions


def _default_name(logical_id: str) -> str:
    return f"{STACK_NAME}-{logical_id}"


class Resolver:
    """Resolves Ref / Fn::GetAtt / Fn::Sub / Fn::Join / Fn::Select / Fn::Split with local physical names."""

    PSEUDO: ClassVar[dict[str, str | None]] = {
        "AWS::StackName": STACK_NAME,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Region": REGION,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::Partition": "aws",
        "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
        "AWS::NoValue": None,
    }

    def __init__(self, tt: TranslatedTemplate, parameters: dict[str, str], physical: dict[tuple[str, str], str]):
        self.tt = tt
        self.parameters = parameters
        self.physical = physical  # (logical id, "Ref" | attribute) -> value known only after provisioning
        self._names: dict[str, str] = {}
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str, _seen: tuple[str, ...] = ()) -> bool:
        """A template Condition (Fn::Equals / Not / And / Or / Condition over parameters)."""
        if name not in self._conditions:
            if name not in self.tt.conditions:
                raise TemplateError(f"unknown condition {name!r}")
            if name in _seen:
                raise TemplateError(f"condition {name} refers to itself")
            self._conditions[name] = self._truth(self.tt.conditions[name], (*_seen, name))
        return self._conditions[name]

    def _truth(self, node: Any, seen: tuple[str, ...]) -> bool:
        if not (isinstance(node, dict) and len(node) == 1):
            raise TemplateError(f"condition {seen[-1]}: {json.dumps(node)[:200]} is not a condition function")
        (key, arg), = node.items()
        if key == "Condition":
            return self.condition(arg, seen)
        if key == "Fn::Equals":
            a, b = (self.resolve(x) for x in arg)
            return str(a) == str(b)
        if key == "Fn::Not":
            return not self._truth(arg[0], seen)
        if key == "Fn::And":
            return all(self._truth(x, seen) for x in arg)
        if key == "Fn::Or":
            return any(self._truth(x, seen) for x in arg)
        raise TemplateError(f"condition {seen[-1] if seen else ''}: {json.dumps(node)[:200]} is not supported by the local stack")

    # physical names ---------------------------------------------------------
    def name(self, logical_id: str) -> str:
        if logical_id in self._names:
            return self._names[logical_id]
        res = self._resource(logical_id)
        props = res.get("Properties") or {}
        rtype = res["Type"]
        explicit = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::SecretsManager::Secret": "Name",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::IAM::Role": "RoleName",
        }.get(rtype)
        value = self.resolve(props.get(explicit)) if explicit and props.get(explicit) is not None else None
        if value is None:
            value = _default_name(logical_id)
            if rtype == "AWS::S3::Bucket":
                value = value.lower()
            if rtype == "AWS::SQS::Queue" and str(props.get("FifoQueue", "")).lower() == "true":
                value += ".fifo"
        self._names[logical_id] = str(value)
        return self._names[logical_id]

    def _resource(self, logical_id: str) -> dict[str, Any]:
        try:
            return self.tt.resources[logical_id]
        except KeyError:
            raise TemplateError(f"reference to unknown resource {logical_id!r}") from None

    def ref(self, logical_id: str) -> Any:
        if logical_id in self.PSEUDO:
            return self.PSEUDO[logical_id]
        if logical_id in self.parameters:
            return self.parameters[logical_id]
        if (logical_id, "Ref") in self.physical:
            return self.physical[(logical_id, "Ref")]
        rtype = self._resource(logical_id)["Type"]
        if rtype == "AWS::SQS::Queue":
            return f"http://sqs.{REGION}.localhost.localstack.cloud:4566/{ACCOUNT_ID}/{self.name(logical_id)}"
        if rtype == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{self.name(logical_id)}"
        if rtype == "AWS::Lambda::LayerVersion":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{logical_id}:1"
        if rtype == "AWS::ApiGatewayV2::Api":
            return LOCAL_API_ID
        if rtype == "AWS::ApiGatewayV2::Stage":
            return "$default"
        if rtype == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{self.name(logical_id)}"
        return self.name(logical_id)

    def get_att(self, logical_id: str, attr: str) -> Any:
        if (logical_id, attr) in self.physical:
            return self.physical[(logical_id, attr)]
        rtype = self._resource(logical_id)["Type"]
        name = self.name(logical_id)
        table = {
            ("AWS::DynamoDB::Table", "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}",
            ("AWS::DynamoDB::Table", "StreamArn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}/stream/local",
            ("AWS::SQS::Queue", "Arn"): f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}",
            ("AWS::SQS::Queue", "QueueName"): name,
            ("AWS::SQS::Queue", "QueueUrl"): self.ref(logical_id) if rtype == "AWS::SQS::Queue" else None,
            ("AWS::S3::Bucket", "Arn"): f"arn:aws:s3:::{name}",
            ("AWS::S3::Bucket", "DomainName"): f"{name}.s3.amazonaws.com",
            ("AWS::Lambda::Function", "Arn"): f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
            ("AWS::IAM::Role", "Arn"): f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
            ("AWS::ApiGatewayV2::Api", "ApiEndpoint"): f"https://{LOCAL_API_ID}.execute-api.{REGION}.amazonaws.com",
            ("AWS::ApiGatewayV2::Api", "ApiId"): LOCAL_API_ID,
            ("AWS::SecretsManager::Secret", "Id"): self.ref(logical_id) if rtype == "AWS::SecretsManager::Secret" else None,
        }
        value = table.get((rtype, attr))
        if value is None:
            raise TemplateError(f"{logical_id}: Fn::GetAtt {attr} of {rtype} is not supported by the local stack")
        return value

    # the resolver -------------------------------------------------------------
    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(x) for x in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                if isinstance(arg, str):
                    arg = arg.split(".", 1)
                return self.get_att(arg[0], self.resolve(arg[1]))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                sep, items = arg
                return str(sep).join(str(x) for x in self.resolve(items))
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Select":
                index, items = self.resolve(arg)
                return items[int(index)]
            if key == "Fn::Split":
                sep, text = self.resolve(arg)
                return text.split(sep)
            if key.startswith("Fn::") or key == "Condition":
                raise TemplateError(f"intrinsic {key} is not supported by the local stack: {json.dumps(node)[:200]}")
        resolved = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not None}  # AWS::NoValue removes the property

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def one(m: re.Match[str]) -> str:
            expr = m.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return str(variables[expr])
            if expr in self.PSEUDO or expr in self.parameters:
                return str(self.ref(expr))
            if "." in expr:
                logical_id, attr = expr.split(".", 1)
                return str(self.get_att(logical_id, attr))
            return str(self.ref(expr))

        return re.sub(r"\$\{([^}]+)\}", one, text)


# --------------------------------------------------------------------------- building the topology

# Properties the local stack accepts: either applied, or with no effect on one machine (IAM, encryption, PITR...).
_ACCEPTED = {
    "AWS::DynamoDB::Table": {
        "applied": {"TableName", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
                    "LocalSecondaryIndexes", "StreamSpecification", "BillingMode", "TimeToLiveSpecification"},
        "no_local_effect": {"PointInTimeRecoverySpecification", "SSESpecification", "Tags", "DeletionProtectionEnabled",
                            "ProvisionedThroughput", "TableClass", "ContributorInsightsSpecification"},
    },
    "AWS::SQS::Queue": {
        "applied": {"QueueName", "VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy", "DelaySeconds",
                    "MaximumMessageSize", "ReceiveMessageWaitTimeSeconds", "FifoQueue", "ContentBasedDeduplication"},
        "no_local_effect": {"SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "Tags"},
    },
    "AWS::S3::Bucket": {
        "applied": {"BucketName", "NotificationConfiguration"},
        "no_local_effect": {"PublicAccessBlockConfiguration", "BucketEncryption", "LifecycleConfiguration",
                            "Tags", "OwnershipControls", "VersioningConfiguration"},
    },
    "AWS::SecretsManager::Secret": {
        "applied": {"Name", "Description", "GenerateSecretString", "SecretString"},
        "no_local_effect": {"KmsKeyId", "Tags"},
    },
    "AWS::Lambda::Function": {
        "applied": {"Code", "Handler", "Runtime", "Timeout", "MemorySize", "Environment", "Layers", "FunctionName",
                    "ReservedConcurrentExecutions"},
        "no_local_effect": {"Role", "Description", "Tags", "Architectures", "TracingConfig", "LoggingConfig"},
    },
    "AWS::SSM::Parameter": {
        "applied": {"Name", "Type", "Value"},
        "no_local_effect": {"Description", "Tags", "Tier", "AllowedPattern", "DataType"},
    },
    "AWS::Lambda::EventInvokeConfig": {
        "applied": {"FunctionName", "Qualifier", "MaximumRetryAttempts", "DestinationConfig"},
        # the local pump delivers S3 events at once: none waits long enough to expire
        "no_local_effect": {"MaximumEventAgeInSeconds"},
    },
    "AWS::Lambda::EventSourceMapping": {
        "applied": {"EventSourceArn", "FunctionName", "BatchSize", "FunctionResponseTypes", "StartingPosition",
                    "MaximumRetryAttempts", "BisectBatchOnFunctionError", "DestinationConfig",
                    "MaximumRecordAgeInSeconds", "Enabled", "ScalingConfig"},
        # the pump polls continuously; batching windows only trade latency for cost
        "no_local_effect": {"MaximumBatchingWindowInSeconds"},
    },
}
# Resource types that need nothing locally: permissions and roles (everything runs as one process).
_NO_LOCAL_EFFECT_TYPES = {"AWS::Lambda::Permission", "AWS::IAM::Role", "AWS::ApiGatewayV2::Stage",
                          "AWS::Lambda::LayerVersion",
                          # SES bounce/complaint notifications: the emulator sends no real mail, so nothing
                          # bounces; tests deliver SES's notification shape to BounceFunction directly.
                          "AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::SES::ConfigurationSet",
                          "AWS::SES::ConfigurationSetEventDestination",
                          # operations on AWS (DESIGN.md s12): logs go to the terminal, metrics are EMF lines
                          # in them, and nothing watches alarms on one machine
                          "AWS::Logs::LogGroup", "AWS::CloudWatch::Alarm"}


def _check_properties(logical_id: str, res: dict[str, Any]) -> dict[str, Any]:
    props = res.get("Properties") or {}
    accepted = _ACCEPTED[res["Type"]]
    unknown = sorted(set(props) - accepted["applied"] - accepted["no_local_effect"])
    if unknown:
        raise TemplateError(
            f"{logical_id} ({res['Type']}): the local stack cannot run propert{'ies' if len(unknown) > 1 else 'y'} "
            f"{', '.join(unknown)}; teach infra/guestlist_local/template.py about it"
        )
    return props


def _arn_index(resolver: Resolver, resources: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """ARN -> (logical id, kind) for everything an event source or destination may name."""
    index: dict[str, tuple[str, str]] = {}
    for logical_id, res in resources.items():
        if res["Type"] == "AWS::SQS::Queue":
            index[resolver.get_att(logical_id, "Arn")] = (logical_id, "sqs")
        elif res["Type"] == "AWS::DynamoDB::Table":
            index[resolver.get_att(logical_id, "StreamArn")] = (logical_id, "dynamodb")
        elif res["Type"] == "AWS::Lambda::Function":
            index[resolver.get_att(logical_id, "Arn")] = (logical_id, "function")
    return index


def _function_from_arnish(value: str, functions: dict[str, str]) -> str:
    """A function name or ARN (possibly inside an apigateway invocation URI) -> logical id."""
    for logical_id, name in functions.items():
        if value == name or f":function:{name}/" in value + "/" or value.endswith(f":function:{name}"):
            return logical_id
    raise TemplateError(f"cannot tell which function {value!r} names")


def resolve_parameters(tt: TranslatedTemplate, overrides: dict[str, str] | None) -> dict[str, str]:
    overrides = dict(overrides or {})
    values: dict[str, str] = {}
    for name, spec in tt.parameters.items():
        if name in overrides:
            value = str(overrides.pop(name))
        elif "Default" in spec:
            value = str(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no Default; pass it as a parameter override")
        if spec.get("Type") == "Number":
            try:
                number = float(value)
            except ValueError:
                raise TemplateError(f"parameter {name}: {value!r} is not a number") from None
            if ("MinValue" in spec and number < float(spec["MinValue"])) or ("MaxValue" in spec and number > float(spec["MaxValue"])):
                raise TemplateError(f"parameter {name}: {value} is outside [{spec.get('MinValue')}, {spec.get('MaxValue')}]")
        if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
            raise TemplateError(f"parameter {name}: {value!r} is not one of {spec['AllowedValues']}")
        values[name] = value
    if overrides:
        raise TemplateError(f"unknown parameter override(s): {', '.join(sorted(overrides))}")
    return values


def build_topology(
    tt: TranslatedTemplate,
    parameter_overrides: dict[str, str] | None = None,
    physical: dict[tuple[str, str], str] | None = None,
) -> Topology:
    params = resolve_parameters(tt, parameter_overrides)
    r = Resolver(tt, params, dict(physical or {}))
    topo = Topology(stack_name=STACK_NAME, account_id=ACCOUNT_ID, region=REGION, parameters=params)
    # a resource whose Condition is false does not exist, as on AWS
    resources = {lid: res for lid, res in tt.resources.items() if not res.get("Condition") or r.condition(res["Condition"])}
    layer_dirs: dict[str, Path] = {}

    def code_dir(logical_id: str, code: dict[str, Any]) -> Path:
        key = code.get("S3Key") if isinstance(code, dict) else None
        if code.get("S3Bucket") != CODE_BUCKET_MARKER or key not in tt.code_paths:
            raise TemplateError(f"{logical_id}: code must come from a local CodeUri/ContentUri, got {code!r}")
        return tt.code_paths[key]

    for logical_id, res in resources.items():
        rtype = res.get("Type")
        if rtype == "AWS::Lambda::LayerVersion":
            layer_dirs[logical_id] = code_dir(logical_id, res["Properties"]["Content"])
        elif rtype not in _ACCEPTED and rtype not in _NO_LOCAL_EFFECT_TYPES and rtype != "AWS::ApiGatewayV2::Api":
            raise TemplateError(f"{logical_id}: resource type {rtype} is not supported by the local stack")

    function_names = {lid: r.name(lid) for lid, res in resources.items() if res["Type"] == "AWS::Lambda::Function"}

    for logical_id, res in resources.items():
        rtype = res["Type"]
        if rtype == "AWS::DynamoDB::Table":
            p = r.resolve(_check_properties(logical_id, res))
            stream = p.get("StreamSpecification") or {}
            ttl = p.get("TimeToLiveSpecification") or {}
            topo.tables[logical_id] = Table(
                logical_id=logical_id,
                name=r.name(logical_id),
                attribute_definitions=p["AttributeDefinitions"],
                key_schema=p["KeySchema"],
                global_secondary_indexes=p.get("GlobalSecondaryIndexes") or [],
                local_secondary_indexes=p.get("LocalSecondaryIndexes") or [],
                stream_view_type=stream.get("StreamViewType") if str(stream.get("StreamEnabled", True)).lower() != "false" else None,
                ttl_attribute=ttl.get("AttributeName") if str(ttl.get("Enabled", "")).lower() == "true" else None,
            )
        elif rtype == "AWS::SQS::Queue":
            p = r.resolve(_check_properties(logical_id, res))
            attrs: dict[str, str] = {}
            dlq = max_receive = None
            for key, value in p.items():
                if key == "QueueName" or key in _ACCEPTED[rtype]["no_local_effect"]:
                    continue
                if key == "RedrivePolicy":
                    policy = value if isinstance(value, dict) else json.loads(value)
                    max_receive = int(policy["maxReceiveCount"])
                    policy = {"deadLetterTargetArn": policy["deadLetterTargetArn"], "maxReceiveCount": max_receive}
                    attrs[key] = json.dumps(policy)
                    dlq = policy["deadLetterTargetArn"]
                else:
                    attrs[key] = str(value).lower() if isinstance(value, bool) else str(value)
            topo.queues[logical_id] = Queue(
                logical_id=logical_id, name=r.name(logical_id), url=r.ref(logical_id),
                arn=r.get_att(logical_id, "Arn"), attributes=attrs, dead_letter_queue=dlq,
                max_receive_count=max_receive,
            )
        elif rtype == "AWS::SSM::Parameter":
            p = r.resolve(_check_properties(logical_id, res))
            if p.get("Type", "String") != "String":
                raise TemplateError(f"{logical_id}: only String SSM parameters are supported locally")
            topo.ssm_parameters[logical_id] = Parameter(logical_id=logical_id, name=p.get("Name") or _default_name(logical_id),
                                                        value=str(p["Value"]))
        elif rtype == "AWS::SecretsManager::Secret":
            p = r.resolve(_check_properties(logical_id, res))
            if ("SecretString" in p) == ("GenerateSecretString" in p):
                raise TemplateError(f"{logical_id}: exactly one of SecretString and GenerateSecretString is needed")
            topo.secrets[logical_id] = Secret(
                logical_id=logical_id, name=r.name(logical_id), arn=r.ref(logical_id),
                description=p.get("Description", ""), secret_string=p.get("SecretString"),
                generate=p.get("GenerateSecretString"),
            )
        elif rtype == "AWS::Lambda::Function":
            p = _check_properties(logical_id, res)
            runtime = p.get("Runtime", "")
            if not str(runtime).startswith("python3"):
                raise TemplateError(f"{logical_id}: runtime {runtime!r} cannot run in the local stack (Python only)")
            cdir = code_dir(logical_id, p["Code"])
            handler = p["Handler"]
            module, _, attr = handler.rpartition(".")
            if not module:
                raise TemplateError(f"{logical_id}: Handler {handler!r} must look like module.function")
            module_file = cdir / (module.replace(".", "/") + ".py")
            if not module_file.is_file():
                raise TemplateError(f"{logical_id}: Handler {handler!r}: {module_file} does not exist")
            layers = []
            for layer in p.get("Layers") or []:
                if not (isinstance(layer, dict) and layer.get("Ref") in layer_dirs):
                    raise TemplateError(f"{logical_id}: layer {layer!r} is not a layer of this template")
                layers.append(layer_dirs[layer["Ref"]])
            env = r.resolve((p.get("Environment") or {}).get("Variables") or {})
            topo.functions[logical_id] = Function(
                logical_id=logical_id, name=function_names[logical_id],
                arn=r.get_att(logical_id, "Arn"), code_dir=cdir, module_file=module_file, handler_name=attr,
                timeout=int(p.get("Timeout", 3)), memory=int(p.get("MemorySize", 128)),
                environment={k: str(v) for k, v in env.items() if v is not None},
                layer_dirs=tuple(layers),
                reserved_concurrency=(int(p["ReservedConcurrentExecutions"]) if p.get("ReservedConcurrentExecutions")
                                      is not None else None),
            )

    arns = _arn_index(r, resources)
    for logical_id, res in resources.items():
        rtype = res["Type"]
        if rtype == "AWS::S3::Bucket":
            p = r.resolve(_check_properties(logical_id, res))
            notes = []
            config = p.get("NotificationConfiguration") or {}
            other = sorted(set(config) - {"LambdaConfigurations"})
            if other:
                raise TemplateError(f"{logical_id}: NotificationConfiguration {', '.join(other)} is not supported locally")
            for i, lc in enumerate(config.get("LambdaConfigurations") or []):
                fn = _function_from_arnish(lc["Function"], function_names)
                rules = {rule["Name"].lower(): rule["Value"] for rule in ((lc.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []}
                events = lc["Event"] if isinstance(lc["Event"], list) else [lc["Event"]]
                notes.append(S3Notification(function=fn, events=tuple(events), prefix=rules.get("prefix", ""),
                                            suffix=rules.get("suffix", ""), configuration_id=f"{fn}-{i}"))
            topo.buckets[logical_id] = Bucket(logical_id=logical_id, name=r.name(logical_id), notifications=tuple(notes))
        elif rtype == "AWS::Lambda::EventSourceMapping":
            p = r.resolve(_check_properties(logical_id, res))
            if str(p.get("Enabled", True)).lower() == "false":
                raise TemplateError(f"{logical_id}: disabled event source mappings are not supported locally")
            source_arn = p["EventSourceArn"]
            if source_arn not in arns or arns[source_arn][1] not in ("sqs", "dynamodb"):
                raise TemplateError(f"{logical_id}: event source {source_arn} is not a queue or table stream of this template")
            source, kind = arns[source_arn]
            on_failure = None
            dest = ((p.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            if dest:
                if arns.get(dest, ("", ""))[1] != "sqs":
                    raise TemplateError(f"{logical_id}: on-failure destination {dest} must be an SQS queue of this template")
                on_failure = arns[dest][0]
            if kind == "dynamodb" and topo.tables[source].stream_view_type is None:
                raise TemplateError(f"{logical_id}: table {source} has no StreamSpecification")
            responses = p.get("FunctionResponseTypes") or []
            topo.mappings.append(EventSourceMapping(
                logical_id=logical_id,
                function=_function_from_arnish(p["FunctionName"], function_names),
                kind=kind, source=source, source_arn=source_arn,
                batch_size=int(p.get("BatchSize", 10 if kind == "sqs" else 100)),
                report_batch_item_failures="ReportBatchItemFailures" in responses,
                starting_position=p.get("StartingPosition"),
                maximum_retry_attempts=int(p.get("MaximumRetryAttempts", -1)),
                bisect_on_error=str(p.get("BisectBatchOnFunctionError", False)).lower() == "true",
                maximum_record_age=int(p.get("MaximumRecordAgeInSeconds", -1)),
                on_failure_queue=on_failure,
                maximum_concurrency=(int(p["ScalingConfig"]["MaximumConcurrency"])
                                     if (p.get("ScalingConfig") or {}).get("MaximumConcurrency") else None),
            ))
        elif rtype == "AWS::Lambda::EventInvokeConfig":
            p = r.resolve(_check_properties(logical_id, res))
            if p.get("Qualifier", "$LATEST") != "$LATEST":
                raise TemplateError(f"{logical_id}: only the $LATEST qualifier runs locally")
            destinations = p.get("DestinationConfig") or {}
            if set(destinations) - {"OnFailure"}:
                raise TemplateError(f"{logical_id}: only an OnFailure destination is supported locally")
            on_failure = None
            dest = (destinations.get("OnFailure") or {}).get("Destination")
            if dest:
                if arns.get(dest, ("", ""))[1] != "sqs":
                    raise TemplateError(f"{logical_id}: on-failure destination {dest} must be an SQS queue of this template")
                on_failure = arns[dest][0]
            fn = _function_from_arnish(p["FunctionName"], function_names)
            topo.invoke_configs[fn] = InvokeConfig(function=fn, maximum_retry_attempts=int(p.get("MaximumRetryAttempts", 2)),
                                                   on_failure_queue=on_failure)
        elif rtype == "AWS::ApiGatewayV2::Api":
            if topo.api_id is not None:
                raise TemplateError(f"{logical_id}: the local stack serves one HTTP API; the template has more")
            _read_http_api(logical_id, res, r, topo, function_names)
    return topo


def _read_http_api(logical_id: str, res: dict[str, Any], r: Resolver, topo: Topology, function_names: dict[str, str]) -> None:
    props = res.get("Properties") or {}
    extra = sorted(set(props) - {"Body", "Tags"})
    if extra or "Body" not in props:
        raise TemplateError(f"{logical_id}: HTTP API properties {extra or ['(no Body)']} are not supported locally")
    body = r.resolve(props["Body"])
    topo.api_id = r.ref(logical_id)
    unknown_top = sorted(k for k in body if k not in {"openapi", "info", "paths", "components", "tags"})
    if unknown_top:
        raise TemplateError(f"{logical_id}: OpenAPI extensions {', '.join(unknown_top)} are not supported locally (e.g. CORS)")
    schemes = (body.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in schemes.items():
        auth = scheme.get("x-amazon-apigateway-authorizer")
        if not auth or auth.get("type") != "request":
            raise TemplateError(f"{logical_id}: authorizer {name} is not a Lambda REQUEST authorizer (JWT/IAM are not supported locally)")
        sources = auth.get("identitySource") or []
        if isinstance(sources, str):
            sources = [s.strip() for s in sources.split(",")]
        for src in sources:
            if not re.fullmatch(r"\$request\.(header|querystring)\.[A-Za-z0-9_\-]+", src):
                raise TemplateError(f"{logical_id}: authorizer {name}: identity source {src} is not supported locally")
        version = str(auth.get("authorizerPayloadFormatVersion", "2.0"))
        if version != "2.0":
            raise TemplateError(f"{logical_id}: authorizer {name}: payload format {version} is not supported locally")
        topo.authorizers[name] = Authorizer(
            name=name, function=_function_from_arnish(auth["authorizerUri"], function_names),
            identity_sources=tuple(sources), simple_responses=bool(auth.get("enableSimpleResponses", False)),
            payload_format_version=version, ttl_seconds=int(auth.get("authorizerResultTtlInSeconds", 0)),
        )
    for path, methods in (body.get("paths") or {}).items():
        for method, op in methods.items():
            integration = op.get("x-amazon-apigateway-integration") or {}
            if integration.get("type") != "aws_proxy" or str(integration.get("payloadFormatVersion", "2.0")) != "2.0":
                raise TemplateError(f"{logical_id}: route {method.upper()} {path}: only Lambda proxy integrations "
                                    "with payload format 2.0 are supported locally")
            authorizer = None
            for requirement in op.get("security") or []:
                for scheme_name in requirement:
                    if scheme_name == "NONE":
                        continue
                    if scheme_name not in topo.authorizers:
                        raise TemplateError(f"{logical_id}: route {method.upper()} {path} uses unknown authorizer {scheme_name}")
                    authorizer = scheme_name
            http_method = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            topo.routes.append(Route(method=http_method, path=path,
                                     function=_function_from_arnish(integration["uri"], function_names),
                                     authorizer=authorizer))


def resolve_outputs(
    tt: TranslatedTemplate,
    parameter_overrides: dict[str, str] | None = None,
    physical: dict[tuple[str, str], str] | None = None,
) -> dict[str, str]:
    """The template's Outputs as the local stack would answer DescribeStacks (what `guestlist admin` reads)."""
    r = Resolver(tt, resolve_parameters(tt, parameter_overrides), dict(physical or {}))
    return {key: str(r.resolve(out["Value"])) for key, out in tt.outputs.items()
            if not out.get("Condition") or r.condition(out["Condition"])}


def load_topology(
    template_path: Path,
    parameter_overrides: dict[str, str] | None = None,
    physical: dict[tuple[str, str], str] | None = None,
) -> Topology:
    return build_topology(translate(template_path), parameter_overrides, physical)
