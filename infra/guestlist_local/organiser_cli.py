"""The organiser's command line: events, contacts, bookings, groups and exports over the HTTP API.

It talks HTTP only (`--api URL --key KEY`; defaults: the local stack on 127.0.0.1:3000 and the
key in GUESTLIST_KEY or GUESTLIST_ADMIN_KEY), so it works the same against a deployed stack.
Tables for people, `--json` for scripts; long work (listing many pages, an export) shows progress.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer
from rich.console import Console

from .output import print_json, print_table

console = Console()
err = Console(stderr=True)

API = typer.Option(None, "--api", help="The HTTP API (default: GUESTLIST_API, else the local stack on 127.0.0.1:3000).")
KEY = typer.Option(None, "--key", help="Organiser key (default: GUESTLIST_KEY, else GUESTLIST_ADMIN_KEY).")
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


class Client:
    """Bearer-authenticated JSON calls; an error answer ends the command with its code and message."""

    def __init__(self, api: str | None, key: str | None):
        import requests

        self.api = (api or os.environ.get("GUESTLIST_API") or "http://127.0.0.1:3000").rstrip("/")
        self.session = requests.Session()
        key = key or os.environ.get("GUESTLIST_KEY") or os.environ.get("GUESTLIST_ADMIN_KEY")
        if not key:
            err.print("[red]error:[/] no organiser key: pass --key or set GUESTLIST_KEY")
            raise typer.Exit(2)
        self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, body: Any = None, params: dict | None = None) -> Any:
        import requests

        try:
            response = self.session.request(method, self.api + path, json=body, params=params, timeout=60)
        except requests.RequestException as exc:
            err.print(f"[red]error:[/] cannot reach {self.api}: {exc}")
            raise typer.Exit(1) from None
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = {"message": response.text[:200]}
        if response.status_code >= 400:
            error = data.get("error") or {"code": str(response.status_code), "message": data.get("message", "")}
            err.print(f"[red]error {response.status_code}[/] {error.get('code')}: {error.get('message')}")
            raise typer.Exit(1)
        return data


def _path(*parts: str) -> str:
    return "/" + "/".join(quote(p, safe="") for p in parts)


def _pairs(values: list[str], what: str) -> dict:
    out = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            err.print(f"[red]error:[/] {what} {value!r}: use name=value")
            raise typer.Exit(2)
        out[name] = text
    return out


def _filters(status, group, q, permission_group) -> dict:
    return {k: v for k, v in {"status": status, "group": group, "q": q, "permission_group": permission_group}.items() if v}


# ------------------------------------------------------------------ commands

def events(api: str | None = API, key: str | None = KEY, json_output: bool = JSON) -> None:
    """The workspace's events, with their seats."""
    client = Client(api, key)
    found = [client.call("GET", _path("events", e["event_id"])) for e in client.call("GET", "/events")["events"]]
    if json_output:
        return print_json(found)
    print_table("events", ["event_id", "name", "start", "capacity", "confirmed"],
                [[e["event_id"], e["name"], e.get("start"), e.get("capacity") if e.get("capacity") is not None else "unlimited",
                  e.get("confirmed")] for e in found])


contacts = typer.Typer(no_args_is_help=True, help="List, add, book and unregister an event's contacts.")


@contacts.command("list")
def contacts_list(
    event: str = typer.Argument(..., help="The event."),
    status: str | None = typer.Option(None, "--status", help="open, accessed, registered, unregistered, waitlisted, attended"),
    group: str | None = typer.Option(None, "--group", help="Only this contact group."),
    q: str | None = typer.Option(None, "--q", help="Text in identifier, name, organisation or email."),
    permission_group: str | None = typer.Option(None, "--permission-group"),
    api: str | None = API, key: str | None = KEY, json_output: bool = JSON,
) -> None:
    """Every contact the filters select (all pages)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    client = Client(api, key)
    found: list[dict] = []
    params = {**_filters(status, group, q, permission_group), "limit": 500}
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True) as progress:
        task = progress.add_task("reading contacts", total=None)
        cursor = None
        while True:
            page = client.call("GET", _path("events", event, "contacts"), params={**params, **({"cursor": cursor} if cursor else {})})
            found += page["contacts"]
            progress.update(task, description=f"reading contacts: {len(found)}")
            cursor = page.get("cursor")
            if not cursor:
                break
    if json_output:
        return print_json(found)
    print_table(f"{len(found)} contact(s) of {event}", ["identifier", "name", "status", "groups", "personal link"],
                [[c["identifier"], " ".join(filter(None, [c.get("firstname"), c.get("lastname")])), c["status"],
                  ", ".join(c.get("groups") or []), c.get("personal_link")] for c in found])


@contacts.command("add")
def contacts_add(
    event: str = typer.Argument(...), identifier: str = typer.Argument(..., help="Email or another unique id."),
    field: list[str] = typer.Option([], "--field", "-f", help="A field as name=value (firstname=Anna); repeat."),
    group: list[str] = typer.Option([], "--group", "-g", help="A contact group; repeat."),
    api: str | None = API, key: str | None = KEY, json_output: bool = JSON,
) -> None:
    """Add a contact; prints its personal link."""
    body: dict = {"identifier": identifier, **_pairs(field, "--field")}
    if group:
        body["groups"] = group
    contact = Client(api, key).call("POST", _path("events", event, "contacts"), body)
    if json_output:
        return print_json(contact)
    console.print(f"[green]added[/] {contact['identifier']} ({contact['status']})\n  {contact['personal_link']}")


@contacts.command("book")
def contacts_book(
    event: str = typer.Argument(...), identifier: str = typer.Argument(...),
    waitlist: bool = typer.Option(False, "--waitlist", help="Put the contact on the waitlist."),
    over_capacity: bool = typer.Option(False, "--over-capacity", help="Confirm beyond the capacity, on purpose."),
    answer: list[str] = typer.Option([], "--answer", "-a", help="A form answer as name=value; repeat."),
    api: str | None = API, key: str | None = KEY, json_output: bool = JSON,
) -> None:
    """Book a contact as the organiser (confirmed, or waitlisted with --waitlist)."""
    body = {"status": "waitlisted" if waitlist else "confirmed", "answers": _pairs(answer, "--answer"),
            "over_capacity": over_capacity}
    booking = Client(api, key).call("POST", _path("events", event, "contacts", identifier, "bookings"), body)
    if json_output:
        return print_json(booking)
    extra = " (over capacity)" if booking.get("over_capacity") else ""
    console.print(f"[green]{booking['status']}[/]{extra}: booking {booking['booking_id']} for {identifier}")


@contacts.command("unregister")
def contacts_unregister(
    event: str = typer.Argument(...), identifier: str = typer.Argument(...),
    api: str | None = API, key: str | None = KEY, json_output: bool = JSON,
) -> None:
    """Cancel every booking of a contact; its status becomes unregistered."""
    result = Client(api, key).call("POST", _path("events", event, "contacts", identifier, "unregister"))
    if json_output:
        return print_json(result)
    console.print(f"{result['identifier']}: [yellow]{result['status']}[/] ({len(result['bookings'])} booking(s) cancelled or kept cancelled)")


def groups(
    event: str = typer.Argument(...),
    add: str | None = typer.Option(None, "--add", help="Add contacts to this group (created if missing)."),
    member: list[str] = typer.Option([], "--member", "-m", help="With --add: an identifier; repeat."),
    status: str | None = typer.Option(None, "--status", help="With --add and no --member: every contact with this status."),
    in_group: str | None = typer.Option(None, "--in-group", help="With --add and no --member: every contact of this group."),
    q: str | None = typer.Option(None, "--q", help="With --add and no --member: every contact matching this text."),
    api: str | None = API, key: str | None = KEY, json_output: bool = JSON,
) -> None:
    """The event's contact groups with their member counts; --add puts contacts into one."""
    client = Client(api, key)
    if add:
        body = {"identifiers": member} if member else {"filter": _filters(status, in_group, q, None)}
        result = client.call("POST", _path("events", event, "groups", add, "members"), body)
        if json_output:
            return print_json(result)
        console.print(f"{add}: [green]{result['added']} added[/], {result['already']} already in it"
                      + (f", not found: {', '.join(result['not_found'])}" if result["not_found"] else ""))
        return
    found = client.call("GET", _path("events", event, "groups"))["groups"]
    if json_output:
        return print_json(found)
    print_table(f"groups of {event}", ["group", "members"], [[g["name"], g["members"]] for g in found])


def export(
    event: str = typer.Argument(...),
    output: Path | None = typer.Option(None, "--output", "-o", help="Where to save the file (default: EVENT-contacts.FORMAT)."),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx or csv."),
    status: str | None = typer.Option(None, "--status"), group: str | None = typer.Option(None, "--group"),
    q: str | None = typer.Option(None, "--q"), permission_group: str | None = typer.Option(None, "--permission-group"),
    timeout: float = typer.Option(900.0, "--timeout", help="Seconds to wait for the export."),
    api: str | None = API, key: str | None = KEY, json_output: bool = JSON,
) -> None:
    """Export the event's contacts (with their personal links) and download the file."""
    import requests
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    client = Client(api, key)
    started = client.call("POST", _path("events", event, "exports"), {"format": fmt, "filter": _filters(status, group, q, permission_group)})
    path = _path("events", event, "exports", started["export_id"])
    deadline = time.monotonic() + timeout
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True) as progress:
        progress.add_task(f"export {started['export_id']} running", total=None)
        while (job := client.call("GET", path))["status"] == "running":
            if time.monotonic() > deadline:
                err.print(f"[red]error:[/] export {started['export_id']} still running after {timeout:.0f} s")
                raise typer.Exit(1)
            time.sleep(0.5)
    if job["status"] != "completed":
        err.print(f"[red]error:[/] export {job['status']}: {job.get('error') or ''}")
        raise typer.Exit(1)
    target = output or Path(f"{event}-contacts.{fmt}")
    with requests.get(job["url"], stream=True, timeout=120) as response:
        response.raise_for_status()
        with target.open("wb") as handle:
            for chunk in response.iter_content(1 << 16):
                handle.write(chunk)
    if json_output:
        return print_json({**job, "file": str(target)})
    console.print(f"[green]exported[/] {job['rows']} contact(s) to {target}")


def register(app: typer.Typer) -> None:
    """Adds the organiser commands to the `guestlist` command line."""
    app.command("events")(events)
    app.add_typer(contacts, name="contacts")
    app.command("groups")(groups)
    app.command("export")(export)
