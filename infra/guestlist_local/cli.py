"""The guestlist command line: `guestlist up` runs the local stack, `guestlist check` validates a workbook,
`guestlist import` imports one into a running stack."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import threading
import time
from pathlib import Path

import typer
from rich.console import Console

from .output import print_json

app = typer.Typer(add_completion=False, no_args_is_help=True, help="guestlist: event guest lists on AWS, or on this machine.")
console = Console()


@app.command()
def up(
    demo: bool = typer.Option(False, "--demo", help="Create a sample event, import a sample workbook, print links."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Keep tables, uploads and the link secret here across restarts."),
    port: int = typer.Option(3000, "--port", help="Port of the HTTP API."),
    aws_port: int = typer.Option(4566, "--aws-port", help="Port of the AWS emulator (moto)."),
    template: Path | None = typer.Option(None, "--template", help="SAM template (default: ./template.yaml or the repository's)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    chaos: float = typer.Option(0.0, "--chaos", min=0.0, max=1.0, help="Share of the functions' AWS calls that fail "
                                "with DynamoDB conflicts, throttling or 5xx, as under real load (0.2 = one in five)."),
    chaos_seed: int | None = typer.Option(None, "--chaos-seed", help="Seed for --chaos: the same faults for the same calls."),
) -> None:
    """Run the whole system on this machine until Ctrl-C."""
    from .provision import PortInUseError
    from .runtime import HandlerImportError
    from .stack import LocalStack
    from .template import TemplateError

    logging.basicConfig(level=os.environ.get("GUESTLIST_LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("botocore", "pynamodb", "samtranslator", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    started = time.monotonic()
    admin_key = os.environ.get("GUESTLIST_ADMIN_KEY") or secrets.token_urlsafe(32)
    stack = LocalStack(template, host=host, aws_port=aws_port, http_port=port, data_dir=data_dir, admin_key=admin_key,
                       chaos_rate=chaos, chaos_seed=chaos_seed)
    try:
        stack.start(ready=False)  # /health answers 503 until the demo data is in place too
    except (PortInUseError, TemplateError, HandlerImportError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    try:
        ready = time.monotonic() - started
        topo = stack.topology
        console.print(f"[bold green]guestlist is up[/] (ready in {ready:.1f} s)")
        console.print(f"  HTTP API        {stack.api_url}")
        console.print(f"  AWS emulator    {stack.endpoint_url}  (AWS_ENDPOINT_URL for aws/boto3)")
        for bucket in topo.buckets.values():
            console.print(f"  bucket          {bucket.name}  ({bucket.logical_id})")
        for queue in topo.queues.values():
            console.print(f"  queue           {queue.name}")
        for table in topo.tables.values():
            console.print(f"  table           {table.name}")
        source = "from GUESTLIST_ADMIN_KEY" if os.environ.get("GUESTLIST_ADMIN_KEY") else "generated"
        console.print(f"  admin key       {admin_key}  ({source})")
        if data_dir:
            console.print(f"  data directory  {Path(data_dir).resolve()}  (journaled: survives kill -9)")
        if demo:
            from .demo import run_demo

            run_demo(stack, admin_key, console)
        if chaos:
            console.print(f"  chaos           {chaos:.0%} of the functions' AWS calls fail (seed {chaos_seed})")
        stack.mark_ready()
        console.print("Ctrl-C to stop.")
        _block_until_signal()
    finally:
        console.print("stopping...")
        stack.stop()
        console.print("stopped.")


def _block_until_signal() -> None:
    done = threading.Event()

    def handler(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not done.wait(0.5):
        pass


@app.command()
def check(
    file: Path = typer.Argument(..., help="The workbook (.xlsx) to validate."),
    mapping: str | None = typer.Option(None, "--mapping", help="Column mapping as JSON."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Validate a workbook exactly as an import would, without importing it."""
    from . import check as check_module

    raise typer.Exit(check_module.run_check(file, mapping, json_output))


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="The workbook (.xlsx) to import."),
    event: str = typer.Option(..., "--event", help="The event to import into."),
    mode: str = typer.Option("upsert", "--mode", help="upsert (default), create or update."),
    group: str | None = typer.Option(None, "--group", help="Contact group to add every imported row to."),
    permission_group: str | None = typer.Option(None, "--permission-group", help="Permission group for every imported row."),
    mapping: str | None = typer.Option(None, "--mapping", help='Column mapping as JSON, e.g. \'{"E-Mail": "identifier"}\'.'),
    delete_missing: bool = typer.Option(False, "--delete-missing", help="Delete the event's contacts absent from the file (except those with bookings)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and count against the event's contacts; write nothing (job ends 'checked')."),
    json_output: bool = typer.Option(False, "--json", help="Print exactly the import report as JSON."),
    api: str = typer.Option("http://127.0.0.1:3000", "--api", help="The running stack's HTTP API."),
    aws_endpoint: str = typer.Option("http://127.0.0.1:4566", "--aws-endpoint", help="The running stack's AWS emulator."),
    key: str | None = typer.Option(None, "--key", help="Organiser key (default: GUESTLIST_ADMIN_KEY)."),
) -> None:
    """Import a workbook into an event of the running stack and follow the job to its end.

    Exit 0 when completed (with or without errors) or checked (--dry-run), 1 when the import failed,
    2 on usage errors.
    """
    from .import_cmd import ImportRequest, run_import

    request = ImportRequest(file=file, event_id=event, mode=mode, group=group, permission_group=permission_group,
                            mapping=mapping, delete_missing=delete_missing, dry_run=dry_run, api=api,
                            aws_endpoint=aws_endpoint, key=key)
    raise typer.Exit(run_import(request, json_output=json_output))


@app.command()
def outbox(
    aws_endpoint: str = typer.Option("http://127.0.0.1:4566", "--aws-endpoint", help="The running stack's AWS emulator."),
    to: str | None = typer.Option(None, "--to", help="Only messages to this address or phone number."),
    channel: str | None = typer.Option(None, "--channel", help="Only 'email' or only 'sms'."),
    raw: str | None = typer.Option(None, "--raw", help="Print one mail's raw MIME (its id), exactly as sent."),
    json_output: bool = typer.Option(False, "--json", help="Print the messages as JSON."),
) -> None:
    """Show the mails and SMS the running stack sent (guests and account managers), mails first."""

    import requests

    from .outbox import raw_message, sent_messages

    try:
        if raw:
            text = raw_message(aws_endpoint, raw)
            if text is None:
                console.print(f"[red]error:[/] no mail with id {raw}")
                raise typer.Exit(1)
            print(text)
            return
        messages = sent_messages(aws_endpoint, to=to, channel=channel)
    except requests.RequestException as exc:
        console.print(f"[red]error:[/] cannot read the outbox at {aws_endpoint}: {exc}")
        raise typer.Exit(1) from None
    if json_output:
        print_json(messages)
        return
    if not messages:
        console.print("nothing sent")
    for message in messages:
        if message["channel"] == "sms":
            console.print(f"[bold]SMS[/] to {', '.join(message['to'])}  ({message['id']})")
        else:
            files = ", ".join(f"{a['filename']} ({a['content_type']})" for a in message["attachments"])
            console.print(f"[bold]{message['subject']}[/]  to {', '.join(message['to'])}  from {message['source']}  "
                          f"({message['id']}){'  attached: ' + files if files else ''}")
        console.print(message["body"], markup=False, highlight=False)


@app.command()
def openapi(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the document here (default: print it)."),
    server: str | None = typer.Option(None, "--server", help="Base URL to put in `servers`, e.g. http://127.0.0.1:3000."),
    template: Path | None = typer.Option(None, "--template", help="SAM template (default: ./template.yaml or the repository's)."),
) -> None:
    """Print the HTTP API's OpenAPI document, generated from the handlers' routes."""
    import json

    from .openapi import build_from_template
    from .stack import default_template_path

    text = json.dumps(build_from_template(template or default_template_path(), server), indent=2, ensure_ascii=False)
    if output:
        output.write_text(text + "\n")
        console.print(f"wrote {output}")
    else:
        print(text)


from .organiser_cli import register as _register_organiser_commands  # noqa: E402

_register_organiser_commands(app)  # events, contacts, groups, export

from .campaigns_cmd import app as campaigns_app  # noqa: E402 - `guestlist campaigns ...` lives in its own module

app.add_typer(campaigns_app, name="campaigns")

from .admin import app as admin_app  # noqa: E402 - operator commands, their own module

app.add_typer(admin_app, name="admin")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
