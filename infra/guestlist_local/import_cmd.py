"""`guestlist import`: upload a workbook to a running stack, follow its import job, print the report.

The upload goes straight to the stack's import bucket with the options as S3 user metadata
(DESIGN.md s3), exactly as an organiser's tool would; progress and the report come from the
organiser API. Exit codes: 0 completed (with or without errors) or checked (--dry-run),
1 failed, 2 usage error.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

TERMINAL = ("completed", "completed_with_errors", "failed", "checked")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Something the user can fix before anything was uploaded: one line, exit 2."""


@dataclass
class ImportRequest:
    file: Path
    event_id: str
    mode: str = "upsert"
    group: str | None = None
    permission_group: str | None = None
    mapping: str | None = None
    delete_missing: bool = False
    dry_run: bool = False  # the report and counts an import would have; nothing written
    api: str = "http://127.0.0.1:3000"
    aws_endpoint: str = "http://127.0.0.1:4566"
    key: str | None = None
    start_timeout: float = 60.0  # the stack must pick the upload up within this
    idle_timeout: float = 900.0  # and make progress at least this often


def metadata_for(req: ImportRequest) -> dict:
    """The options as S3 user metadata, in the encoding the import function reads back."""
    from guestlist.import_options import MODES, ImportOptions

    mapping = None
    if req.mapping is not None:
        try:
            mapping = json.loads(req.mapping)
        except ValueError as exc:
            raise UsageError(f"--mapping is not valid JSON ({exc.msg} at character {exc.pos})") from None
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            raise UsageError('--mapping must be a JSON object of header -> field, e.g. \'{"E-Mail": "identifier"}\'')
    if req.mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, not {req.mode!r}")
    options = ImportOptions(mode=req.mode, group=req.group or None, permission_group=req.permission_group or None,
                            delete_missing=req.delete_missing, mapping=mapping, dry_run=req.dry_run)
    return options.to_metadata()


def upload_key(event_id: str, filename: str) -> str:
    """imports/{event_id}/{time}-{name}: a key of its own, so every run is its own import."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)[-120:]
    return f"imports/{event_id}/{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}{int(time.time() * 1000) % 1000:03d}Z-{safe}"


class Api:
    def __init__(self, base: str, key: str):
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def get(self, path: str) -> requests.Response:
        try:
            return self.session.get(f"{self.base}{path}", timeout=30)
        except requests.ConnectionError:
            raise UsageError(f"the guestlist API at {self.base} is not reachable; start the stack with `guestlist up`") from None

    def json(self, path: str) -> dict:
        response = self.get(path)
        if response.status_code != 200:
            raise UsageError(f"GET {path}: {response.status_code} {_error_text(response)}")
        return response.json()


def _error_text(response: requests.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def _s3(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"),
                        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
                        config=Config(connect_timeout=3, read_timeout=120, retries={"max_attempts": 2}))


def _import_bucket(s3, endpoint: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        names = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(f"the AWS emulator at {endpoint} is not reachable ({type(exc).__name__}); "
                         "start the stack with `guestlist up` or pass --aws-endpoint") from None
    buckets = [n for n in names if "-imports-" in n]
    if len(buckets) != 1:
        raise UsageError(f"expected one import bucket at {endpoint}, found {len(buckets)} ({', '.join(names) or 'no buckets'})")
    return buckets[0]


def upload(req: ImportRequest, api: Api) -> tuple[str, str]:
    """Checks everything that can be checked, then uploads. Returns (bucket, key)."""
    if not req.file.is_file():
        raise UsageError(f"no such file: {req.file}")
    if req.file.suffix.lower() != ".xlsx":
        raise UsageError(f"{req.file.name}: only .xlsx workbooks can be imported")
    metadata = metadata_for(req)
    response = api.get(f"/events/{req.event_id}")
    if response.status_code in (401, 403):
        raise UsageError(f"the API refused the key ({response.status_code}); pass --key or set GUESTLIST_ADMIN_KEY")
    if response.status_code == 404:
        raise UsageError(f"no event {req.event_id!r} in this workspace")
    if response.status_code != 200:
        raise UsageError(f"GET /events/{req.event_id}: {response.status_code} {_error_text(response)}")
    s3 = _s3(req.aws_endpoint)
    bucket = _import_bucket(s3, req.aws_endpoint)
    key = upload_key(req.event_id, req.file.name)
    s3.put_object(Bucket=bucket, Key=key, Body=req.file.read_bytes(), Metadata=metadata)
    return bucket, key


def follow(req: ImportRequest, api: Api, key: str, console: Console, show_progress: bool) -> dict:
    """Waits for the job of `key` to appear and to end, showing chunks done; returns the full report."""
    listing = f"/events/{req.event_id}/imports"
    started = last_change = time.monotonic()
    seen, job = None, None
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True, disable=not show_progress)
    with progress:
        task = progress.add_task("uploaded, waiting for the stack", total=None)
        while True:
            job = next((j for j in api.json(listing)["imports"] if j.get("object_key") == key), None)
            now = time.monotonic()
            if job is None:
                if now - started > req.start_timeout:
                    raise TimeoutError(f"the stack did not start an import for {key} within {req.start_timeout:.0f} s")
            else:
                state = (job["status"], job["progress"]["chunks_done"], job["progress"]["chunks_total"])
                if state != seen:
                    seen, last_change = state, now
                    total = job["progress"]["chunks_total"] or None
                    progress.update(task, description=f"{job['status']} ({job['rows_total']} rows)", total=total,
                                    completed=job["progress"]["chunks_done"])
                if job["status"] in TERMINAL:
                    break
                if now - last_change > req.idle_timeout:
                    raise TimeoutError(f"import {job['import_id']} made no progress for {req.idle_timeout:.0f} s")
            time.sleep(0.25)
    return api.json(f"{listing}/{job['import_id']}")


def print_summary(report: dict, console: Console, bucket: str, key: str) -> None:
    status = report["status"]
    colour = {"completed": "green", "completed_with_errors": "yellow", "failed": "red", "checked": "cyan"}[status]
    console.print(f"[bold {colour}]{status}[/]  import {report['import_id']}  ({key})")
    if status == "checked":
        console.print("  dry run: nothing was written; the counts are what this import would do now")
    if report.get("error"):
        console.print(f"  [red]{report['error']['code']}[/]: {report['error']['message']}")
    c = report["counts"]
    console.print(f"  rows {report['rows_total']}: created {c['created']}, updated {c['updated']}, skipped {c['skipped']}, "
                  f"failed {c['failed']}; deleted {c['deleted']}; warnings {report['warnings']}")
    columns = report.get("columns") or {}
    if columns.get("mapped"):
        console.print("  columns " + ", ".join(f"{h} -> {f}" for h, f in columns["mapped"].items()))
    if columns.get("ignored"):
        console.print("  ignored " + ", ".join(columns["ignored"]))
    issues = report.get("issues") or []
    for issue in issues[:10]:
        where = f"row {issue['row']}" if issue.get("row") else (issue.get("identifier") or "file")
        console.print(f"  {where:>10}  {issue['code']:<22} {issue['message']}", markup=False, highlight=False)
    if len(issues) > 10 or report.get("issues_total", 0) > len(issues):
        console.print(f"  ... {max(report.get('issues_total', 0), len(issues)) - 10} more in the report")
    if report.get("report_url"):
        console.print(f"  report  {report['report_url']}", markup=False, highlight=False)


def run_import(req: ImportRequest, *, json_output: bool = False) -> int:
    out = Console(soft_wrap=True)
    err = Console(stderr=True)
    key_value = req.key or os.environ.get("GUESTLIST_ADMIN_KEY")
    try:
        if not key_value:
            raise UsageError("no organiser key: pass --key or set GUESTLIST_ADMIN_KEY")
        api = Api(req.api, key_value)
        bucket, key = upload(req, api)
        if not json_output:
            err.print(f"uploaded {req.file.name} to s3://{bucket}/{key}", markup=False, highlight=False, soft_wrap=True)
        report = follow(req, api, key, err, show_progress=not json_output and err.is_terminal)
    except UsageError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_USAGE
    except TimeoutError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_FAILED
    if json_output:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_summary(report, out, bucket, key)
    return EXIT_FAILED if report["status"] == "failed" else EXIT_OK
