"""Powertools' packages imported for what a handler uses, not for every sibling (cold start, DESIGN.md s9).

`aws_lambda_powertools.event_handler/__init__.py` imports every resolver (AppSync's pulls asyncio,
Bedrock's, VPC Lattice's...) and `utilities.data_classes/__init__.py` every event class, whichever
one a handler names: about 30 ms of a cold start against ~110-170 ms for `import boto3` alone.
Both `__init__`s only re-export names from their submodules. So, imported first by each handler
(before its Powertools imports), this module registers those packages without running their
`__init__`: a re-exported name is imported from its submodule on first access, so
`from aws_lambda_powertools.event_handler import APIGatewayHttpResolver` loads `api_gateway` alone
and behaves as before. A package whose `__init__` does anything else, or that is already imported,
is left to the normal import.

Import depth: each handler imports botocore (with PynamoDB where it uses it at import) right after this
module, at the top of the stack, not from inside our modules. CPython 3.11 keeps Python frames in 16 KB
chunks and unmaps a chunk as soon as the stack shrinks below it; botocore's import compiles urllib3's
regular expressions (the recursive, pure-Python `re` compiler), and run ten imports deep it crossed a chunk
boundary back and forth: 1,583 mmap/munmap pairs in the guest function's cold start (history 841, exporter
694), ~12 ms of kernel time and page faults that `import boto3` alone does not pay. Imported first, 13-38
in all. Where a boundary falls depends on the exact depth (Lambda's bootstrap calls us a few frames deeper
than the bench), so the module each handler imports first was chosen by measuring: PynamoDB's models where
the handler loads them at import, else `botocore.httpsession`; tests/unit/test_lean_imports.py counts the
unmapped chunks (strace) so that a change which brings the churn back fails.

msgspec's `__init__` imports `inspect`, `yaml` and `toml` beside the codecs: pure-Python modules (~7 M
instructions, about 1% of `import boto3`) that only the OpenAPI document (`msgspec.inspect`) or nothing
here uses. They are registered to run on first use (`lazy_submodule`).
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import sys
import threading
from pathlib import Path
from typing import Any

LEAN_PACKAGES = (
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
)


def _reexports(package: str, source: bytes) -> tuple[dict[str, tuple[str, str]], list[str] | None] | None:
    """{name: (submodule, attribute)} and `__all__` of a re-export-only `__init__`, else None."""
    exports: dict[str, tuple[str, str]] = {}
    public = None
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module and all(alias.name != "*" for alias in node.names):
            module = importlib.util.resolve_name("." * node.level + node.module, package)
            if not module.startswith(package + "."):
                return None
            exports.update({alias.asname or alias.name: (module, alias.name) for alias in node.names})
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            public = list(ast.literal_eval(node.value))
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # the docstring
            return None
    return exports, public


# The names that handlers and Powertools' own modules take from the lean packages, with the submodule that
# defines each (None: a submodule itself, not a re-export): found without parsing the package's `__init__`
# (ast: ~3.5 M instructions a cold start, 0.6% of `import boto3`). Any other name parses it on first use.
# tests/unit/test_lean_imports.py checks these against the installed Powertools.
KNOWN_EXPORTS: dict[str, dict[str, str | None]] = {
    "aws_lambda_powertools.event_handler": {
        "APIGatewayHttpResolver": "api_gateway", "Response": "api_gateway", "content_types": None,
    },
    "aws_lambda_powertools.utilities.data_classes": {
        "ALBEvent": "alb_event", "APIGatewayProxyEvent": "api_gateway_proxy_event",
        "APIGatewayProxyEventV2": "api_gateway_proxy_event", "BedrockAgentEvent": "bedrock_agent_event",
        "DynamoDBStreamEvent": "dynamo_db_stream_event", "LambdaFunctionUrlEvent": "lambda_function_url_event",
        "S3Event": "s3_event", "SNSEvent": "sns_event", "SQSEvent": "sqs_event", "VPCLatticeEvent": "vpc_lattice",
        "VPCLatticeEventV2": "vpc_lattice", "event_source": "event_source",
    },
}


def lean_package(package: str, known: dict[str, str | None] | None = None) -> None:
    """Register `package` so that its re-exported names load from their submodule on first access.

    `known` ({name: submodule}) spares parsing the `__init__` until a name outside it is asked; an
    `__init__` found then to do more than re-export runs as it is, into the same module object.
    """
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None or not spec.origin.endswith("__init__.py") or package in sys.modules:
        return
    loader = spec.loader
    exports: dict[str, tuple[str, str]] = {}
    submodules = {name for name, submodule in (known or {}).items() if submodule is None}
    parsed = known is None
    public: list[str] | None = None
    if known is None:
        found = _reexports(package, Path(spec.origin).read_bytes())
        if found is None:
            return
        exports.update(found[0])
        public = found[1]
    else:
        exports.update({name: (f"{package}.{sub}", name) for name, sub in known.items() if sub is not None})
    module = importlib.util.module_from_spec(spec)

    def _parse() -> bool:
        """Every re-export of the `__init__`; False (and the `__init__` run) if it does more."""
        nonlocal parsed
        parsed = True
        found = _reexports(package, Path(str(spec.origin)).read_bytes())
        if found is None or loader is None:
            del module.__getattr__
            if loader is not None:
                loader.exec_module(module)
            return False
        exports.update(found[0])
        if found[1] is not None:
            module.__all__ = found[1]  # type: ignore[attr-defined]
        return True

    def __getattr__(name: str):
        unknown = name not in exports and name not in submodules and not parsed
        if unknown and (not _parse() or name in vars(module)):  # the `__init__` ran, or the name is `__all__`
            return getattr(module, name)
        try:
            submodule, attribute = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(submodule), attribute)
        setattr(module, name, value)
        return value

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    if public is not None:
        module.__all__ = public  # type: ignore[attr-defined]
    sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    # a name that is also its submodule's name (data_classes' `event_source`): the import system sets
    # the package attribute to the submodule when it first loads it, so bind the re-export now
    for name, (submodule, _attribute) in list(exports.items()):
        if submodule == f"{package}.{name}":
            __getattr__(name)


# submodules a package's `__init__` imports that no handler needs at import time
LAZY_SUBMODULES = ("msgspec.inspect", "msgspec.yaml", "msgspec.toml")


def lazy_submodule(name: str) -> None:
    """Register the submodule `name` so that its code runs when one of its names is first used.

    Not importlib.util.LazyLoader: the import system reads a module's `__spec__` when the package
    imports it, which makes LazyLoader run it at once. Here the module object has its spec, and
    a module `__getattr__` (PEP 562) runs its code into it on the first missing name.
    """
    parent, _, _ = name.rpartition(".")
    if name in sys.modules or parent in sys.modules:
        return
    parent_spec = importlib.util.find_spec(parent)  # finds without running the package
    if parent_spec is None or not parent_spec.submodule_search_locations:
        return
    spec = importlib.machinery.PathFinder.find_spec(name, parent_spec.submodule_search_locations)
    if spec is None or spec.loader is None:
        return
    loader = spec.loader
    module = importlib.util.module_from_spec(spec)
    running = threading.Lock()  # a second thread waits for the code to have run, then reads the name

    def __getattr__(attribute: str) -> Any:
        with running:
            if module.__dict__.pop("__getattr__", None) is not None:
                loader.exec_module(module)
        return object.__getattribute__(module, attribute)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = module


for _package in LEAN_PACKAGES:
    lean_package(_package, KNOWN_EXPORTS.get(_package))
for _submodule in LAZY_SUBMODULES:
    lazy_submodule(_submodule)


def on_first_use(name: str) -> Any:
    """The module `name`, imported when one of its names is first used: for a module only some routes need.

    `campaigns = on_first_use("guestlist.campaigns")`, then `campaigns.get_campaign(...)` as with
    `from guestlist import campaigns`; the import (and all it imports) happens in the first request
    that needs it instead of in every cold start. Attribute writes (tests' monkeypatch) reach the module.
    """
    return _OnFirstUse(name)


class _OnFirstUse:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __setattr__(self, attribute: str, value: Any) -> None:
        setattr(importlib.import_module(self._name), attribute, value)

    def __delattr__(self, attribute: str) -> None:
        delattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"
