"""Runs each function's handler (CodeUri + Handler) with Lambda's isolation and a Lambda-like context.

Lambda runs one invocation at a time per instance (an execution environment), several instances side by
side, and ends an invocation that outlives the function's Timeout. Here an instance is a worker process
forked from a server that has boto3 and Powertools loaded (multiprocessing's forkserver): module state,
Powertools logger keys and SDK clients never leak between concurrent invocations, and a timeout kills the
instance (the invocation fails; sources retry as on AWS). Instances start when needed, at most
`max_instances` per function, and are reused warm.
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from .template import Function, Topology

log = logging.getLogger("guestlist_local")


class HandlerImportError(RuntimeError):
    """A function's handler module failed to import or lacks its handler."""


class FunctionError(RuntimeError):
    """The invocation failed: the handler raised (its traceback is in the instance's log) or the instance died."""


class FunctionTimeout(FunctionError):
    """The invocation outlived the function's Timeout; the instance was ended, as Lambda does."""


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


def load_module(fn: Function, module_name: str, *, register: bool = False) -> ModuleType:
    """The function's module loaded by file path, its own directory importable (like /var/task), so
    its Router modules import; `register` puts it in sys.modules under module_name."""
    spec = importlib.util.spec_from_file_location(module_name, fn.module_file)
    if spec is None or spec.loader is None:
        raise HandlerImportError(f"{fn.logical_id}: cannot load {fn.module_file}")
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[module_name] = module
    sys.path.insert(0, str(fn.code_dir))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        if register:
            sys.modules.pop(module_name, None)
        raise
    finally:
        try:
            sys.path.remove(str(fn.code_dir))
        except ValueError:
            pass
    return module


def load_handler(fn: Function) -> Callable[[Any, Any], Any]:
    """The function's handler, its module loaded by file path (its own directory importable, like /var/task)."""
    try:
        module = load_module(fn, f"guestlist_fn_{fn.logical_id}", register=True)
    except HandlerImportError:
        raise
    except Exception as exc:
        log.exception("%s: importing %s failed", fn.logical_id, fn.module_file)
        raise HandlerImportError(f"{fn.logical_id}: importing {fn.module_file} failed: {type(exc).__name__}: {exc}") from exc
    handler = getattr(module, fn.handler_name, None)
    if not callable(handler):
        raise HandlerImportError(f"{fn.logical_id}: {fn.module_file} has no callable {fn.handler_name!r}")
    return handler


def new_context(fn: Function) -> LambdaContext:
    return LambdaContext(function_name=fn.name, invoked_function_arn=fn.arn, memory_limit_in_mb=fn.memory,
                         timeout_seconds=fn.timeout)


# --------------------------------------------------------------------------- one instance (a worker process)

_PRELOAD = ["boto3", "botocore.client", "aws_lambda_powertools", "aws_lambda_powertools.event_handler",
            "aws_lambda_powertools.utilities.data_classes", "guestlist"]
_context = None


def _mp_context():
    """The forkserver context, its server preloading what every handler imports (an instance starts in ~50 ms)."""
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        _context = ctx
    return _context


def _instance_main(conn: Any, fn: Function, env: dict[str, str], layer_dirs: list[str]) -> None:
    """The worker: load the handler once, then run one invocation at a time until the pipe closes."""
    os.environ.update(env)
    for layer in layer_dirs:
        if layer not in sys.path:
            sys.path.insert(0, layer)
    try:
        handler = load_handler(fn)
    except HandlerImportError as exc:
        conn.send(("import_error", str(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            event, request_id = conn.recv()
        except (EOFError, OSError):  # the stack went away: so does its instance
            return
        ctx = new_context(fn)
        ctx.aws_request_id = request_id
        try:
            result = handler(event, ctx)
        except Exception as exc:
            log.exception("%s raised (request %s)", fn.logical_id, request_id)
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            continue
        try:
            conn.send(("ok", result))
        except Exception as exc:  # not serialisable: Lambda answers Runtime.MarshalError
            conn.send(("error", f"Runtime.MarshalError: {type(exc).__name__}: {exc}"))


def timeout_scale() -> float:
    """GUESTLIST_TIMEOUT_SCALE stretches every Timeout (only for machines whose CPU is shared with other work,
    like a loaded CI runner: Lambda gives each instance its own CPU, a laptop running tests does not)."""
    try:
        return max(1.0, float(os.environ.get("GUESTLIST_TIMEOUT_SCALE", "1")))
    except ValueError:
        return 1.0


class _Instance:
    def __init__(self, fn: Function, env: dict[str, str]):
        ctx = _mp_context()
        self.fn = fn
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_instance_main, args=(child, fn, env, [str(p) for p in fn.layer_dirs]),
                                   name=f"lambda-{fn.logical_id}", daemon=True)
        self.process.start()
        child.close()
        self.invocations = 0

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise HandlerImportError(f"{self.fn.logical_id}: the handler did not load within {timeout:.0f} s")
        try:
            status, detail = self.conn.recv()
        except EOFError:
            raise HandlerImportError(f"{self.fn.logical_id}: its instance exited while loading the handler") from None
        if status != "ready":
            self.kill()
            raise HandlerImportError(detail)

    def invoke(self, event: Any, request_id: str) -> Any:
        self.invocations += 1
        self.conn.send((event, request_id))
        if not self.conn.poll(self.fn.timeout * timeout_scale()):
            self.kill()
            raise FunctionTimeout(f"{self.fn.logical_id}: Task timed out after {self.fn.timeout:.2f} seconds "
                                  f"(request {request_id})")
        try:
            status, value = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise FunctionError(f"{self.fn.logical_id}: the instance exited during request {request_id}") from None
        if status == "error":
            raise FunctionError(f"{self.fn.logical_id}: {value}")
        return value

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class _Pool:
    """A function's instances: an idle one is reused, a new one starts while fewer than max_instances exist."""

    def __init__(self, fn: Function, env: dict[str, str], max_instances: int):
        self.fn, self.env, self.max = fn, env, max_instances
        self.idle: list[_Instance] = []
        self.count = 0
        self.closed = False
        self.cond = threading.Condition()

    def acquire(self) -> _Instance:
        with self.cond:
            while True:
                if self.closed:
                    raise FunctionError(f"{self.fn.logical_id}: the local stack is stopping")
                if self.idle:
                    return self.idle.pop()
                if self.count < self.max:
                    self.count += 1
                    break
                self.cond.wait()
        try:
            instance = _Instance(self.fn, self.env)
            instance.wait_ready(max(60.0, self.fn.timeout))
            return instance
        except BaseException:
            self._gone()
            raise

    def release(self, instance: _Instance) -> None:
        if not instance.alive():
            instance.kill()
            self._gone()
            return
        with self.cond:
            if self.closed:
                instance.kill()
                return
            self.idle.append(instance)
            self.cond.notify()

    def _gone(self) -> None:
        with self.cond:
            self.count -= 1
            self.cond.notify()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            idle, self.idle = self.idle, []
            self.cond.notify_all()
        for instance in idle:
            instance.kill()


class FunctionRuntime:
    """Invokes the template's functions: in isolated instances (the default) or, with isolated=False, as threads
    of this process (only for benchmarks that measure what the isolation costs)."""

    def __init__(self, topology: Topology, *, isolated: bool = True, max_instances: int = 4,
                 environment: dict[str, str] | None = None):
        self.topo = topology
        self.isolated = isolated
        # handlers run in this process instead (benchmarks swap one for a stub): logical id -> handler
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._lock = threading.Lock()
        base = dict(environment if environment is not None else os.environ)
        self._pools = {lid: _Pool(fn, {**base, **fn.environment}, max_instances) for lid, fn in topology.functions.items()}
        for fn in topology.functions.values():
            for layer in fn.layer_dirs:  # a layer's code is importable by every function, like /opt/python
                if str(layer) not in sys.path:
                    sys.path.insert(0, str(layer))

    def load_all(self) -> None:
        """Loads every handler once (one warm instance each, started side by side): import errors fail the start."""
        errors: list[str] = []
        if not self.isolated:
            for logical_id in self.topo.functions:
                try:
                    self.handler(logical_id)
                except HandlerImportError as exc:
                    errors.append(str(exc))
        else:
            def warm(pool: _Pool) -> None:
                try:
                    pool.release(pool.acquire())
                except HandlerImportError as exc:
                    errors.append(str(exc))

            threads = [threading.Thread(target=warm, args=(pool,)) for pool in self._pools.values()]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        if errors:
            raise HandlerImportError("\n".join(errors))

    def handler(self, logical_id: str) -> Callable[[Any, Any], Any]:
        """The handler loaded in this process (isolated=False)."""
        with self._lock:
            if logical_id not in self._handlers:
                self._handlers[logical_id] = load_handler(self.topo.functions[logical_id])
            return self._handlers[logical_id]

    def max_concurrency(self, logical_id: str) -> int:
        """Invocations of one function that can run at once: its instances, or 1 for a handler run in this process."""
        if not self.isolated or logical_id in self._handlers:
            return 1
        return self._pools[logical_id].max

    def context(self, logical_id: str) -> LambdaContext:
        return new_context(self.topo.functions[logical_id])

    def invoke(self, logical_id: str, event: Any) -> Any:
        """The handler's result; FunctionError (or, in-process, the handler's own exception) when it fails."""
        if not self.isolated or logical_id in self._handlers:
            return self._invoke_here(logical_id, event)
        pool = self._pools[logical_id]
        instance = pool.acquire()
        try:
            return instance.invoke(event, str(uuid.uuid4()))
        finally:
            pool.release(instance)

    def _invoke_here(self, logical_id: str, event: Any) -> Any:
        handler = self.handler(logical_id)
        ctx = self.context(logical_id)
        started = time.monotonic()
        try:
            return handler(event, ctx)
        finally:
            elapsed = time.monotonic() - started
            if elapsed > ctx.timeout_seconds:
                log.warning("%s ran %.1f s, longer than its Timeout of %d s (a thread cannot be stopped)",
                            logical_id, elapsed, ctx.timeout_seconds)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
