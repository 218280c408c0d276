"""The one configured MarkdownIt: safe HTML out of any Markdown in."""

from __future__ import annotations

import pytest

from generator.markdown import is_safe_link, render_markdown


def test_raw_html_is_escaped_not_passed_through() -> None:
    html = render_markdown('Hi <script>alert(1)</script> <img src=x onerror="alert(1)">\n\n<div>block</div>')
    assert "<script" not in html and "<img" not in html and "<div" not in html
    assert "&lt;script&gt;" in html and "&lt;div&gt;" in html


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", "java\tscript:alert(1)", "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd", "jav&#x61;script:alert(1)",
])
def test_dangerous_link_schemes_are_not_links(url: str) -> None:
    for source in (f"[click]({url})", f"![img]({url})", f"<{url}>", f"[ref]\n\n[ref]: {url}"):
        html = render_markdown(source)
        assert "href=" not in html and "src=" not in html, (source, html)


@pytest.mark.parametrize("url", ["https://example.org/a?b=c", "http://x.org", "mailto:a@b.org", "../other/", "#note", "page.html"])
def test_safe_links_survive(url: str) -> None:
    assert is_safe_link(url)
    assert 'href="' in render_markdown(f"[x]({url})")


def test_commonmark_plus_tables_strikethrough_footnotes() -> None:
    html = render_markdown("|a|b|\n|-|-|\n|1|2|\n\n~~gone~~ and a note[^n].\n\n[^n]: The note.")
    assert "<table>" in html and "<td>1</td>" in html
    assert "<s>gone</s>" in html
    assert 'href="#fn1"' in html and 'id="fn1"' in html


def test_headings_shift_below_page_title_and_get_unique_anchors() -> None:
    html = render_markdown("# Top\n\ntext\n\n## Part\n\n## Part\n\n## 2019")
    assert '<h2 id="top">Top</h2>' in html
    assert '<h3 id="part">Part</h3>' in html and '<h3 id="part-1">Part</h3>' in html
    assert 'id="h-2019"' in html  # ids never start with a digit
    assert "<h1" not in html


def test_empty_body_renders_nothing() -> None:
    assert render_markdown("  \n") == ""


# ---------------------------------------------------------------- the plain-prose fast path

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.markdown import _plain_paragraphs, render_with_markdown_it

# Mostly prose (so the fast path is taken often), with every kind of syntax mixed in.
_PROSE = ["word", "Caravan", "García", "don’t", "3", "1.", "#", "##", "###", "####", '"', "'", "!", "(", ")",
          "  ", "中文", "é", "x-y", "—", "?"]
_SYNTAX = ["2)", "#####", "#######", "-", "--", "---", "+", "*", "_", "=", "==", ">", "|", ":", "~~", "```", "`",
           "\\", "[x]", "[^1]", "<b>", "&amp;", "&", "\t", " ", "\xa0", "\u2003", "a_b", "x*y"]
_WORDS = st.sampled_from(_PROSE * 20 + _SYNTAX)


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.lists(_WORDS, max_size=8).map(" ".join), max_size=12))
    seps = draw(st.lists(st.sampled_from(["\n", "\n\n", "\n\n\n", "\n \n"]), min_size=len(lines), max_size=len(lines)))
    return "".join(line + sep for line, sep in zip(lines, seps))


@settings(max_examples=800, deadline=None)
@given(_documents())
def test_fast_path_renders_exactly_what_markdown_it_renders(text: str) -> None:
    assert render_markdown(text) == (render_with_markdown_it(text) if text.strip() else "")


def test_fast_path_takes_plain_prose_and_headings() -> None:
    text = 'One "line"\nand another.\n\n\n## A heading\n\n# Top\n\nLast, 1. not a list.\n\n## A heading\n'
    assert _plain_paragraphs(text) is not None
    assert render_markdown(text) == render_with_markdown_it(text)
    assert '<h3 id="a-heading">' in render_markdown(text) and '<h3 id="a-heading-1">' in render_markdown(text)
    for not_plain in ("a *b*", "- item", "1. item", "    code", "a  \nb", "Title\n===", "a | b", "x &copy;"):
        assert _plain_paragraphs(not_plain) is None, not_plain
