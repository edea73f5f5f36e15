"""bench/extraction.py's gold text: the Readability set's expected HTML turned into text in document order."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "extraction.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_extraction", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_nested_inline_markup_keeps_document_order():
    # an element's tail comes after its children's text: "<tt><span>rsync</span></tt> (or similar)"
    text = _bench().html_to_text(
        "<div><p>Copy it with <tt><span>rsync</span></tt> (or similar) to <a href='#'>the <em>test</em> box</a> now.</p>"
        "<ul><li>one</li><li>two<br>three</li></ul></div>")
    assert text.splitlines() == ["Copy it with rsync (or similar) to the test box now.", "one", "two", "three"]


def test_scripts_and_comments_dropped_tails_kept():
    text = _bench().html_to_text("<div><p>Before<script>var x = 1;</script> after<!-- note --> end.</p></div>")
    assert text == "Before after end."
