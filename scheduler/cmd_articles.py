"""`drillwatch show ID`: one article, the other outlets that carried its story, and its versions."""
from __future__ import annotations

import click
from rich.console import Console

from scheduler.context import Context
from scheduler.output import cell, dumps, emit, fail, output_options
from storage import queries
from storage.db import session_scope

FIELDS = [("outlet", "outlet"), ("url", "url"), ("canonical_url", "canonical"), ("published", "published"),
          ("date_source", "date from"), ("date_note", "date note"),
          ("first_fetched", "first fetched"), ("last_fetched", "last fetched"), ("last_changed", "last changed"),
          ("next_visit", "next visit"), ("versions", "versions"), ("story_id", "story"), ("copies", "copies"),
          ("origin", "origin of its story"), ("agency", "agency"), ("relevant", "on topic")]
COPY_COLUMNS = [("id", "id"), ("outlet", "outlet"), ("published", "published"), ("title", "title"),
                ("origin", "origin")]
VERSION_COLUMNS = [("number", "version"), ("fetched", "fetched"), ("title", "title"),
                   ("title_changed", "title changed"), ("large_edit", "large edit")]


@click.command()
@click.argument("article_id", type=int, metavar="ID")
@click.option("--versions", is_flag=True, help="List the article's versions.")
@click.option("--diff", is_flag=True, help="Print each version's unified diff to the previous one.")
@output_options
@click.pass_obj
def show(ctx: Context, article_id, versions, diff, as_json):
    """Show article ID (as listed by `drillwatch articles`), its copies in other outlets and its versions."""
    with session_scope(ctx.engine()) as session:
        detail = queries.article_detail(session, article_id)
    if detail is None:
        fail(f"no article with id {article_id}; `drillwatch articles` lists the stored ones")
    if as_json:
        click.echo(dumps(_json_view(detail, versions, diff)))
        return
    print_article(detail)
    emit(detail["copies_in_other_outlets"], COPY_COLUMNS, False, title="copies in other outlets",
         empty="no copies in other outlets")
    if versions or diff:
        emit(detail["history"], VERSION_COLUMNS, False, title="versions")
    if diff:
        print_diffs(detail["history"])


def _json_view(detail: dict, versions: bool, diff: bool) -> dict:
    view = dict(detail)
    history = view.pop("history")
    if versions or diff:
        view["history"] = [v if diff else {k: x for k, x in v.items() if k != "diff"} for v in history]
    return view


def print_article(detail: dict) -> None:
    console = Console(soft_wrap=True, highlight=False)
    console.print(f"#{detail['id']} {detail['title'] or '(no title)'}", style="bold", markup=False)
    for key, label in FIELDS:
        if key == "date_note" and not detail.get(key):
            continue  # only when page and feed disagreed or a date was dropped
        console.print(f"  {label + ':':<22}{cell(detail.get(key))}", markup=False)
    console.print()
    console.print(detail["text"], markup=False)
    console.print()


def print_diffs(history: list[dict]) -> None:
    changes = [v for v in history if v["diff"]]
    if not changes:
        click.echo("no edits since the first version")
    for version in changes:
        click.echo(f"=== version {version['number']} ({cell(version['fetched'])})"
                   + (" title changed" if version["title_changed"] else "")
                   + (" large edit" if version["large_edit"] else ""))
        click.echo(version["diff"])


COMMANDS = [show]
