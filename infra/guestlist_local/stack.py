"""LocalStack: the whole system on one machine - emulator, resources from template.yaml, handlers, HTTP API, pump."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from . import chaos, durable, snapshot
from .gateway import HttpGateway
from .provision import Emulator, Provisioner, apply_environment, ensure_port_free
from .pump import EventPump
from .runtime import FunctionRuntime
from .template import Topology, build_topology, translate

log = logging.getLogger("guestlist_local")

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def default_template_path() -> Path:
    here = Path.cwd() / "template.yaml"
    return here if here.is_file() else PACKAGE_ROOT / "template.yaml"


class LocalStack:
    # moto keeps one state per process, and os.environ is per process too: one running stack per process
    _running_in_process: LocalStack | None = None

    def __init__(self, template_path: str | Path | None = None, *, host: str = "127.0.0.1", aws_port: int = 4566,
                 http_port: int = 3000, data_dir: str | Path | None = None,
                 parameter_overrides: dict[str, str] | None = None, repo_root: str | Path | None = None,
                 admin_key: str | None = None, chaos_rate: float = 0.0, chaos_seed: int | None = None,
                 isolated: bool = True):
        if template_path is None:
            template_path = Path(repo_root) / "template.yaml" if repo_root else default_template_path()
        self.template_path = Path(template_path).resolve()
        self.host = host
        self.aws_port = aws_port
        self.http_port = http_port
        self.data_dir = Path(data_dir).resolve() if data_dir else None
        self.parameter_overrides = dict(parameter_overrides or {})
        self.topology: Topology | None = None
        self.emulator = Emulator(host, aws_port)
        self.gateway: HttpGateway | None = None
        self.pump: EventPump | None = None
        self.runtime: FunctionRuntime | None = None
        self._secret_values: dict[str, str] = {}
        self.admin_key = admin_key
        self.isolated = isolated  # False: handlers as threads of this process (benchmarks that count SDK calls)
        self.chaos_rate, self.chaos_seed = chaos_rate, chaos_seed
        self._lock = threading.Lock()
        self._running = False
        self.ready = threading.Event()

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def endpoint_url(self) -> str:
        return self.emulator.endpoint_url

    def physical(self, logical_id: str) -> str:
        if self.topology is None:
            raise RuntimeError("the stack is not started")
        return self.topology.physical(logical_id)

    def start(self, ready: bool = True) -> LocalStack:
        """Everything up and the admin key registered; with ready=False, /health answers 503 (and chaos
        stays off) until mark_ready() - the CLI creates the demo data in between."""
        with self._lock:
            if self._running:
                return self
            other = LocalStack._running_in_process
            if other is not None:
                raise RuntimeError(f"another LocalStack is running in this process ({other.api_url}); stop it first "
                                   "(the AWS emulator's state and the environment are per process)")
            ensure_port_free(self.host, self.http_port, "HTTP API")  # before spending seconds on the rest
            ensure_port_free(self.host, self.aws_port, "AWS emulator")
            translated = translate(self.template_path)
            overrides = dict(self.parameter_overrides)
            # empty PublicBaseUrl means "the API's own URL": locally that is the gateway, over http
            if "PublicBaseUrl" in translated.parameters and "PublicBaseUrl" not in overrides:
                overrides["PublicBaseUrl"] = self.api_url
            names = build_topology(translated, overrides)  # names are known before anything exists
            names.shared_environment()  # fail before starting anything if functions disagree
            try:
                self.emulator.start()
                provisioner = Provisioner(names, self.endpoint_url)
                provisioned = provisioner.create(snapshot.secret_values(self.data_dir))
                self._secret_values = provisioned.secret_values
                if self.data_dir is not None:  # the link secret is on disk before anything uses it
                    self.data_dir.mkdir(parents=True, exist_ok=True)
                    durable.write_atomically(self.data_dir / durable.SECRETS, json.dumps(self._secret_values))
                # what only the emulator knows (queue URLs, secret and stream ARNs) completes the topology
                self.topology = build_topology(translated, overrides, provisioned.physical)
                apply_environment(self.endpoint_url, self.topology)
                self.runtime = FunctionRuntime(self.topology, isolated=self.isolated)
                self.runtime.load_all()
                checkpoints = durable.StreamCheckpoints(self.data_dir) if self.data_dir is not None else None
                self.pump = EventPump(self.topology, self.runtime, self.endpoint_url, provisioned.s3_events_queue_url,
                                      checkpoints=checkpoints)
                if self.data_dir is not None:
                    self._open_data_dir(checkpoints)
                provisioner.wire_notifications(provisioned.s3_events_queue_url)  # after the restore: no replayed uploads
                self._prepare_workspace()
                self.gateway = HttpGateway(self.topology, self.runtime, self.host, self.http_port, self.ready)
                self.gateway.start()
                self.pump.start()
            except BaseException:
                self._teardown(save=False)
                raise
            self._running = True
            LocalStack._running_in_process = self
            log.info("local stack up: API %s, AWS emulator %s", self.api_url, self.endpoint_url)
        if ready:
            self.mark_ready()
        return self

    def _open_data_dir(self, checkpoints: durable.StreamCheckpoints) -> None:
        """Replays the journal (or an old clean-stop snapshot), compacts it, and journals from now on."""
        assert self.data_dir is not None and self.topology is not None and self.pump is not None
        if not durable.replay(self.data_dir) and snapshot.restore(self.topology, self.endpoint_url, self.data_dir):
            self.pump.skip_existing_stream_records()  # a snapshot has no stream records: they were delivered
        trim: dict[str, int] = {}
        for mapping in self.topology.mappings:  # stream records every consumer has delivered need not be kept
            if mapping.kind == "dynamodb":
                table = self.topology.tables[mapping.source].name
                done = checkpoints.get(mapping.logical_id)
                trim[table] = min(trim.get(table, int(done or 0)), int(done or 0))
        durable.compact(self.data_dir, {t: n for t, n in trim.items() if n})
        (self.data_dir / "snapshot.json").unlink(missing_ok=True)  # the journal holds everything now
        durable.open_journal(self.data_dir)

    def _prepare_workspace(self) -> None:
        """What every route needs besides resources: the admin key, SES's verified sender."""
        from .outbox import ensure_sender_verified

        if self.admin_key:
            from guestlist.keys import ensure_organiser_key

            ensure_organiser_key(workspace_id="default", key=self.admin_key)
        ensure_sender_verified(self.endpoint_url)  # SES refuses unverified senders; `guestlist outbox` shows the mail

    def mark_ready(self) -> None:
        """/health answers 200 from now on; chaos (if asked for) starts now, after the stack's own setup."""
        if self.chaos_rate > 0:
            chaos.configure(self.chaos_rate, self.chaos_seed)
            log.warning("chaos: %.0f%% of the functions' AWS calls fail with conflicts, throttling or 5xx (seed %s)",
                        self.chaos_rate * 100, self.chaos_seed)
        self.ready.set()

    def stop(self) -> None:
        with self._lock:
            if not self._running:
                return
            self._running = False
            self.ready.clear()
            if self.chaos_rate > 0:
                chaos.configure(0)
            LocalStack._running_in_process = None
            self._teardown(save=self.data_dir is not None)

    def _teardown(self, save: bool) -> None:
        if self.pump is not None:
            self.pump.stop()
            self.pump = None
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        if self.runtime is not None:
            self.runtime.close()
        if self.data_dir is not None:
            durable.close_journal()  # every acknowledged change is in it already: nothing to save
        self.emulator.stop()
        if os.environ.get("AWS_ENDPOINT_URL") == self.endpoint_url:
            os.environ.pop("AWS_ENDPOINT_URL", None)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        if self.pump is None:
            raise RuntimeError("the stack is not started")
        return self.pump.wait_idle(timeout)

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
