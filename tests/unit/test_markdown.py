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
