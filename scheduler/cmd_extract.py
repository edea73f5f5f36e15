"""`drillwatch extract`: the crawl's extraction front door on a saved page."""
from __future__ import annotations

from pathlib import Path

import click

from config.load import find_outlet, load_outlets
from scheduler.context import Context
from scheduler.output import dumps, emit, fail

FIELDS = ("title", "published", "author", "agency", "language", "site_name", "canonical_url", "url", "description")


def read_page(file: str) -> bytes:
    try:
        return click.get_binary_stream("stdin").read() if file == "-" else Path(file).read_bytes()
    except FileNotFoundError:
        fail(f"{file}: no such file; give the path of a saved HTML page (or - for standard input)", 2)
    except OSError as exc:
        fail(f"{file}: cannot read it ({exc.strerror})", 2)


@click.command()
@click.argument("file", metavar="FILE.html")
@click.option("--url", required=True, help="The page's address: resolves relative links, dates in the URL.")
@click.option("--outlet", help="Apply this configured outlet's residue rules and language.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: title, text, published, author, language, "
              "agency, canonical_url, url, site_name, description.")
@click.pass_obj
def extract(ctx: Context, file, url, outlet, as_json):
    """Extract the article of a saved page, as a crawl would (- reads standard input)."""
    from crawler.text.extract import ExtractOptions, extract_article

    options = ExtractOptions()
    if outlet:
        chosen = find_outlet(load_outlets(ctx.config), outlet)
        options = ExtractOptions(residue=chosen.residue, language=chosen.language)
    article = extract_article(read_page(file), url, options)
    if article is None:
        fail(f"{file}: no article text found (empty, not HTML, or under {options.min_chars} characters)", 1)
    if as_json:
        click.echo(dumps(article.to_dict()))
        return
    record = article.to_dict()
    emit([{"field": name, "value": record[name]} for name in FIELDS], [("field", "field"), ("value", "value")],
         False)
    click.echo()
    click.echo(article.text)


COMMANDS = [extract]
