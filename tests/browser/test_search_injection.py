"""Hostile entries in the search results of a real Chromium, over HTTP.

An archive whose entries carry `<script>`, `"><img src=x onerror=...>`,
`javascript:` links and `{{ 7*7 }}` in title, authors, tags, summary and body
is built with `archive build` (sources in seeds/, through the normalizer) and
served; a query typed into the search page finds them. No dialog may open
(every payload calls alert), no payload element may appear in the results,
no result link may carry a script URL, and the title must read as text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import serve_directory

pytestmark = pytest.mark.browser

TITLE = "Zanzibar <script>alert(1)</script> \"><img src=x onerror=alert(2)> {{ 7*7 }} {% raw %}"
AUTHOR = "<img src=x onerror=alert(3)> Eve"
TAG = "\"><svg onload=alert(4)>"
SUMMARY = "Zanzibar summary <script>alert(5)</script> <img src=x onerror=alert(6)> {{ 7*7 }}"
BODY = ("Zanzibar body <script>alert(7)</script> <img src=x onerror=alert(8)> [click](javascript:alert(9)) "
        "<a href=\"javascript:alert(10)\">a</a> {{ 7*7 }}\n")


@pytest.fixture(scope="module")
def hostile_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from generator.cli import main

    root = tmp_path_factory.mktemp("search-injection")
    (root / "archive.toml").write_text('[site]\ntitle = "Hostile"\n', encoding="utf-8")
    (root / "seeds").mkdir()
    (root / "seeds" / "hostile.md").write_text(
        f"---\ntitle: {json.dumps(TITLE)}\ndate: 2020-01-02\nauthors: [{json.dumps(AUTHOR)}]\n"
        f"tags: [{json.dumps(TAG)}]\nsummary: {json.dumps(SUMMARY)}\n---\n\n{BODY}", encoding="utf-8")
    (root / "seeds" / "plain.md").write_text(
        "---\ntitle: A plain Zanzibar entry\ndate: 2020-01-03\n---\n\nZanzibar harbour news.\n", encoding="utf-8")
    import os

    old = Path.cwd()
    os.chdir(root)
    try:
        assert main(["build", "--quiet"]) == 0
    finally:
        os.chdir(old)
    base, server = serve_directory(root / "site")
    yield base
    server.shutdown()


def _watch(page: Any) -> list[str]:
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def _search(page: Any, query: str) -> list[str]:
    box = page.locator("#search-input")
    box.fill("")
    box.type(query, delay=20)
    page.wait_for_function(
        "q => document.getElementById('search-status').textContent.includes('for “' + q + '”')", arg=query
    )
    page.wait_for_timeout(300)  # give any injected handler (onerror, onload) the chance to fire
    return [str(t) for t in page.locator("#search-results .search-result-title").all_inner_texts()]


@pytest.mark.parametrize("query", ["zanzibar", "eve", "alert", "script", "onerror", "raw"])
def test_typing_a_query_that_finds_the_hostile_entry_runs_nothing(page: Any, hostile_http: str, query: str) -> None:
    dialogs = _watch(page)
    page.goto(hostile_http + "search/")
    titles = _search(page, query)
    if query in ("zanzibar", "eve"):
        assert TITLE in titles, titles
    results = page.locator("#search-results")
    assert results.locator("script, img, svg, iframe, object, embed").count() == 0
    for link in results.locator("a").all():
        href = (link.get_attribute("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "vbscript:", "data:")), href
    handlers = page.evaluate(
        "() => [...document.querySelectorAll('#search-results *')].flatMap("
        "e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on'))")
    assert handlers == []
    assert dialogs == [], dialogs
    assert page.js_errors == []


def test_the_hostile_entry_page_opened_from_the_results_runs_nothing(page: Any, hostile_http: str) -> None:
    dialogs = _watch(page)
    page.goto(hostile_http + "search/?q=zanzibar")
    page.wait_for_selector("#search-results .search-result")
    page.locator("#search-results a.search-result-title", has_text="Zanzibar <script>").first.click()
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.locator("h1").first.inner_text().strip() == TITLE
    assert page.locator("main img, main svg[onload]").count() == 0
    body = page.locator(".entry-body")
    for link in body.locator("a").all():
        assert not (link.get_attribute("href") or "").strip().lower().startswith("javascript:")
    assert "49" not in page.locator("main").inner_text()
    assert dialogs == [], dialogs
    assert page.js_errors == []
