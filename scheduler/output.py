"""One output path for every read command: a rich table for people, --json for programs."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Any, Callable, Iterable, Sequence

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

Column = tuple[str, str]  # (key in the row dict, header)


def json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def output_options(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def dumps(value: Any) -> str:
    return json.dumps(value, default=json_default, ensure_ascii=False, indent=2)


def emit(rows: Iterable[dict], columns: Sequence[Column], as_json: bool, title: str | None = None,
         empty: str = "nothing to show") -> None:
    rows = list(rows)
    if as_json:
        click.echo(dumps(rows))
        return
    # Piped output is not squeezed into 80 columns: people pipe tables into files and pagers.
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200)
    if not rows:
        console.print(f"[dim]{empty}[/dim]")
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for _key, header in columns:
        table.add_column(header, overflow="fold")
    for row in rows:
        # Text(), not a markup string: a title with "[bold]" or "[/x]" is shown as written.
        table.add_row(*(Text(cell(row.get(key))) for key, _ in columns))
    console.print(table)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def fail(message: str, code: int = 1) -> None:
    """Errors name the problem and the next step; no traceback for expected problems."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)
