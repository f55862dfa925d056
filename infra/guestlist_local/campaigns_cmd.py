"""`guestlist campaigns ...`: drive campaigns from the terminal over the HTTP API (local stack or deployed)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import requests
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .output import print_json, print_table

app = typer.Typer(no_args_is_help=True, help="Campaigns (invitations, reminders): create, list, show, send, cancel.")
console = Console()

API = typer.Option("http://127.0.0.1:3000", "--api", help="The HTTP API (default: the local stack).")
KEY = typer.Option(None, "--key", help="Organiser key (default: GUESTLIST_ADMIN_KEY).")
EVENT = typer.Option(..., "--event", "-e", help="The event id.")
JSON = typer.Option(False, "--json", help="Print the API's JSON answer.")


class Client:
    """The organiser API with a key; every failure becomes one readable line and exit code 1."""

    def __init__(self, api: str, key: str | None):
        key = key or os.environ.get("GUESTLIST_ADMIN_KEY")
        if not key:
            _fail("no organiser key: pass --key or set GUESTLIST_ADMIN_KEY")
        self.base = api.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
             expect: tuple[int, ...] = (200,)) -> dict:
        try:
            response = self.session.request(method, f"{self.base}{path}", json=body, params=params, timeout=60)
        except requests.ConnectionError:
            _fail(f"the guestlist API at {self.base} is not reachable; start the stack with `guestlist up`")
        if response.status_code not in expect:
            try:
                error = response.json().get("error") or {"code": "error", "message": response.json().get("message")}
                text = f"{error['code']}: {error['message']}" + (f" (field {error['field']})" if error.get("field") else "")
            except (ValueError, KeyError, AttributeError):
                text = response.text[:300]
            _fail(f"{method} {path}: {response.status_code} {text}")
        return response.json()


def _fail(message: str):
    console.print(f"[red]error:[/] {message}")
    raise typer.Exit(1)


def _path(event: str, campaign: str | None = None, suffix: str = "") -> str:
    return f"/events/{event}/campaigns" + (f"/{campaign}" if campaign else "") + suffix


def _templates(templates: Path | None, lang: str, subject: str | None, body: str | None,
               body_file: Path | None) -> dict:
    if templates:
        try:
            return json.loads(templates.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _fail(f"--templates {templates}: {exc}")
    text = body_file.read_text(encoding="utf-8") if body_file else body
    if not text:
        _fail("give --templates FILE.json, or --body/--body-file (with --subject for mail)")
    return {lang: {"subject": subject or "", "body": text}}


def _summary(campaign: dict) -> None:
    r, c = campaign["recipients"], campaign["counts"]
    excluded = ", ".join(f"{k} {v}" for k, v in r["excluded"].items())
    console.print(f"[bold]{campaign['name']}[/] ({campaign['campaign_id']})  status [bold]{campaign['status']}[/]"
                  + (f"  at {campaign['scheduled_at']}" if campaign.get("scheduled_at") else ""))
    console.print(f"  recipients {r['total']} (email {r['email']}, sms {r['sms']}); excluded: {excluded}")
    if campaign["status"] != "draft":
        console.print(f"  sent {c['sent']}  failed {c['failed']}  excluded {c['excluded']}  unconfirmed {c['unconfirmed']}")
    for failure in campaign.get("failures") or []:
        console.print(f"  [yellow]{failure['identifier']}[/]: {failure['reason']}", markup=True, highlight=False)


@app.command()
def create(
    event: str = EVENT,
    name: str = typer.Option(..., "--name", help="The campaign's name."),
    templates: Path | None = typer.Option(None, "--templates", help='JSON file {"de": {"subject": ..., "body": ...}, ...}.'),
    lang: str = typer.Option("en", "--lang", help="Language of --subject/--body."),
    subject: str | None = typer.Option(None, "--subject"),
    body: str | None = typer.Option(None, "--body", help="Jinja2: {{ firstname }}, {{ link }}, {{ event.start }} ..."),
    body_file: Path | None = typer.Option(None, "--body-file"),
    channel: str = typer.Option("email", "--channel", help="email, sms or email_or_sms."),
    status: str | None = typer.Option(None, "--status", help="Audience: contacts with this status."),
    group: str | None = typer.Option(None, "--group", help="Audience: contacts in this group."),
    q: str | None = typer.Option(None, "--q", help="Audience: contacts matching this text."),
    permission_group: str | None = typer.Option(None, "--permission-group"),
    identifier: list[str] | None = typer.Option(None, "--identifier", help="Audience: these contacts (repeatable)."),
    api: str = API, key: str | None = KEY, json_output: bool = JSON,
) -> None:
    """Create a draft and show who it reaches and who is left out."""
    audience = {k: v for k, v in {"status": status, "group": group, "q": q, "permission_group": permission_group,
                                  "identifiers": identifier or None}.items() if v}
    campaign = Client(api, key).call("POST", _path(event), expect=(201,), body={
        "name": name, "channel": channel, "audience": audience,
        "templates": _templates(templates, lang, subject, body, body_file)})
    print_json(campaign) if json_output else _summary(campaign)


@app.command("list")
def list_(event: str = EVENT, api: str = API, key: str | None = KEY, json_output: bool = JSON) -> None:
    """The event's campaigns."""
    found = Client(api, key).call("GET", _path(event))
    if json_output:
        print_json(found)
        return
    print_table(None, ["campaign", "name", "status", "recipients", "sent", "failed", "excluded"],
                [[c["campaign_id"], c["name"], c["status"], c["recipients"]["total"], c["counts"]["sent"], c["counts"]["failed"],
                  c["counts"]["excluded"]] for c in found["campaigns"]])


@app.command()
def show(campaign: str = typer.Argument(..., help="The campaign id."), event: str = EVENT, api: str = API,
         key: str | None = KEY, json_output: bool = JSON) -> None:
    """Status, counts and every failure with its reason."""
    found = Client(api, key).call("GET", _path(event, campaign))
    print_json(found) if json_output else _summary(found)


@app.command()
def recipients(campaign: str = typer.Argument(...), event: str = EVENT,
               excluded: bool | None = typer.Option(None, "--excluded/--included", help="Only those left out (or in)."),
               api: str = API, key: str | None = KEY, json_output: bool = JSON) -> None:
    """The audience, each with its channel or why it is left out."""
    params = {} if excluded is None else {"excluded": str(excluded).lower()}
    found = Client(api, key).call("GET", _path(event, campaign, "/recipients"), params=params)
    if json_output:
        print_json(found)
        return
    for row in found["recipients"]:
        console.print(f"{row['identifier']}\t{row['channel'] or '-'}\t{row['excluded'] or ''}", markup=False, highlight=False)


@app.command()
def preview(campaign: str = typer.Argument(...), event: str = EVENT,
            identifier: str = typer.Option(..., "--identifier", help="The contact to render for."),
            api: str = API, key: str | None = KEY, json_output: bool = JSON) -> None:
    """One contact's message, rendered as it would be sent."""
    found = Client(api, key).call("GET", _path(event, campaign, "/preview"), params={"identifier": identifier})
    if json_output:
        print_json(found)
        return
    console.print(f"[bold]{found.get('subject') or '(SMS)'}[/]  ({found['language']}, {found['channel'] or found['excluded']})")
    console.print(found.get("text") or found.get("sms") or "", markup=False, highlight=False)


@app.command()
def send(campaign: str = typer.Argument(...), event: str = EVENT,
         at: str | None = typer.Option(None, "--at", help="ISO time with offset: schedule instead of sending now."),
         wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the send with a progress bar."),
         timeout: float = typer.Option(600.0, "--timeout", help="Seconds to follow before giving up (the send goes on)."),
         api: str = API, key: str | None = KEY, json_output: bool = JSON) -> None:
    """Send now (and follow it), or schedule it with --at."""
    client = Client(api, key)
    started = client.call("POST", _path(event, campaign, "/send"), body={"at": at} if at else {}, expect=(202,))
    if at or not wait:
        print_json(started) if json_output else _summary(started)
        return
    total = max(int(started["recipients"]["total"]), 1)
    deadline = time.monotonic() + timeout
    current = started
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=json_output) as progress:
        task = progress.add_task("sending", total=total)
        while current["status"] != "sent" and time.monotonic() < deadline:
            time.sleep(0.5)
            current = client.call("GET", _path(event, campaign))
            c = current["counts"]
            done = c["sent"] + c["failed"] + c["unconfirmed"]
            progress.update(task, completed=min(done, total), description=current["status"])
    final = client.call("GET", _path(event, campaign))
    print_json(final) if json_output else _summary(final)
    if final["status"] != "sent":
        console.print(f"[yellow]still {final['status']} after {timeout:.0f} s; `guestlist campaigns show` follows it[/]")
        raise typer.Exit(2)


@app.command()
def cancel(campaign: str = typer.Argument(...), event: str = EVENT, api: str = API, key: str | None = KEY,
           json_output: bool = JSON) -> None:
    """Cancel a scheduled send (the campaign goes back to draft)."""
    found = Client(api, key).call("POST", _path(event, campaign, "/cancel"))
    print_json(found) if json_output else _summary(found)
