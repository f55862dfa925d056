"""How the command lines print results: JSON for scripts, a rich table for people (one look for every command)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()


def print_json(value: Any) -> None:
    """Indented JSON on stdout, non-ASCII kept as is (names, accents), so `--json` output reads and parses."""
    print(json.dumps(value, indent=2, ensure_ascii=False))


def print_table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    """A table on stdout; None prints as an empty cell."""
    shown = Table(title=title, title_justify="left")
    for column in columns:
        shown.add_column(column)
    for row in rows:
        shown.add_row(*["" if v is None else str(v) for v in row])
    console.print(shown)
