"""Loads each function's handler from its CodeUri + Handler and invokes it with a Lambda-like context."""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .template import Function, Topology

log = logging.getLogger("guestlist_local")


class HandlerImportError(RuntimeError):
    """A function's handler module failed to import or lacks its handler."""


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionRuntime:
    """One process runs every handler; each is its own module, loaded by file path."""

    def __init__(self, topology: Topology):
        self.topo = topology
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._lock = threading.Lock()
        for fn in topology.functions.values():
            for layer in fn.layer_dirs:  # a layer's code is importable by every function, like /opt/python
                if str(layer) not in sys.path:
                    sys.path.insert(0, str(layer))

    def load_all(self) -> None:
        errors = []
        for logical_id in self.topo.functions:
            try:
                self.handler(logical_id)
            except HandlerImportError as exc:
                errors.append(str(exc))
        if errors:
            raise HandlerImportError("\n".join(errors))

    def handler(self, logical_id: str) -> Callable[[Any, Any], Any]:
        with self._lock:
            if logical_id not in self._handlers:
                self._handlers[logical_id] = self._load(self.topo.functions[logical_id])
            return self._handlers[logical_id]

    @staticmethod
    def _load(fn: Function) -> Callable[[Any, Any], Any]:
        module_name = f"guestlist_fn_{fn.logical_id}"
        spec = importlib.util.spec_from_file_location(module_name, fn.module_file)
        if spec is None or spec.loader is None:
            raise HandlerImportError(f"{fn.logical_id}: cannot load {fn.module_file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        # like /var/task: the function's own directory is importable while its module loads
        sys.path.insert(0, str(fn.code_dir))
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            log.exception("%s: importing %s failed", fn.logical_id, fn.module_file)
            raise HandlerImportError(f"{fn.logical_id}: importing {fn.module_file} failed: {type(exc).__name__}: {exc}") from exc
        finally:
            try:
                sys.path.remove(str(fn.code_dir))
            except ValueError:
                pass
        handler = getattr(module, fn.handler_name, None)
        if not callable(handler):
            raise HandlerImportError(f"{fn.logical_id}: {fn.module_file} has no callable {fn.handler_name!r}")
        return handler

    def context(self, logical_id: str) -> LambdaContext:
        fn = self.topo.functions[logical_id]
        return LambdaContext(function_name=fn.name, invoked_function_arn=fn.arn,
                             memory_limit_in_mb=fn.memory, timeout_seconds=fn.timeout)

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Calls the handler; exceptions propagate (callers turn them into Lambda's error handling)."""
        handler = self.handler(logical_id)
        ctx = self.context(logical_id)
        started = time.monotonic()
        try:
            return handler(event, ctx)
        finally:
            elapsed = time.monotonic() - started
            if elapsed > ctx.timeout_seconds:
                # a thread cannot be killed; AWS would have ended this invocation as a timeout
                log.warning("%s ran %.1f s, longer than its Timeout of %d s (AWS would fail this invocation)",
                            logical_id, elapsed, ctx.timeout_seconds)
