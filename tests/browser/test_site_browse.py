"""Browse the built seeds archive in real Chromium: over HTTP at the domain root,
under a sub-path, and straight from disk (file://); screenshots for review."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, serve_directory

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
MONTH = re.compile(r"^(January|February|March|April|May|June|July|August|September|October|November|December) \d{4}$")


@pytest.fixture(scope="module")
def seeds_subpath(built_seeds: Path) -> Iterator[str]:
    """The same site served under /project/archive/ (a GitHub Pages project site)."""
    base, server = serve_directory(built_seeds / "site", prefix="project/archive")
    yield base
    server.shutdown()


def _click_through(page: Any, start: str) -> list[str]:
    """home -> a tag -> an entry with an author -> that author -> a month; returns the h1s."""
    page.goto(start)
    headings = [page.locator("h1").first.inner_text()]
    page.locator("#h-topics + ul a").first.click()
    page.wait_for_load_state()
    headings.append(page.locator("h1").first.inner_text())
    assert "/tags/" in page.url
    page.locator(".card:has(.byline) .card-title a").first.click()
    page.wait_for_load_state()
    title = page.locator("h1").first.inner_text()
    headings.append(title)
    author_link = page.locator(".entry-meta .byline a").first
    author = author_link.inner_text()
    author_link.click()
    page.wait_for_load_state()
    assert page.locator("h1").first.inner_text() == author
    assert "/authors/" in page.url
    headings.append(author)
    assert page.get_by_role("link", name=title).count() >= 1  # the entry is listed on its author's page
    page.locator(".timeline-table td a").first.click()
    page.wait_for_load_state()
    month = page.locator("h1").first.inner_text()
    assert MONTH.match(month), month
    headings.append(month)
    # Every stylesheet loaded (a broken relative link would leave the page unstyled).
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"
    return headings


def test_click_through_over_http(page: Any, seeds_http: str) -> None:
    headings = _click_through(page, seeds_http)
    assert len(headings) == 5
    assert not page.js_errors


def test_click_through_under_a_sub_path(page: Any, seeds_subpath: str) -> None:
    _click_through(page, seeds_subpath)
    assert page.url.startswith(seeds_subpath)
    assert not page.js_errors


def test_click_through_from_disk(page: Any, built_seeds: Path) -> None:
    start = (built_seeds / "site" / "index.html").as_uri()
    _click_through(page, start)
    assert page.url.startswith("file://") and page.url.endswith("/index.html")
    assert not page.js_errors


def test_header_search_form_lands_on_search_page_without_javascript(browser: Any, seeds_http: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(seeds_http + "tags/")
        tab.fill("#site-search", "caravan")
        tab.press("#site-search", "Enter")
        tab.wait_for_load_state()
        assert tab.url == seeds_http + "search/?q=caravan"
        # And plain links work with JavaScript off.
        tab.goto(seeds_http)
        tab.locator(".site-nav a", has_text="Archive").click()
        tab.wait_for_load_state()
        assert tab.locator("h1").inner_text() == "Archive"
    finally:
        context.close()


def _first_article_url(page: Any, base: str) -> str:
    page.goto(base)
    href = page.locator(".card:not(:has(.badge)) .card-title a").first.get_attribute("href")
    return base + href


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
def test_screenshots_and_no_horizontal_overflow(browser: Any, seeds_http: str, viewport: dict[str, int]) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    tab = context.new_page()
    try:
        article = _first_article_url(tab, seeds_http)
        tab.goto(article)
        month = tab.evaluate("u => new URL(u, location.href).href", tab.locator(".entry-meta .meta a").first.get_attribute("href"))
        name = "phone" if viewport["width"] < 600 else "desktop"
        for label, url in (("home", seeds_http), ("article", article), ("month", month)):
            tab.goto(url)
            tab.screenshot(path=str(SCREENSHOTS / f"{label}-{name}.png"), full_page=True)
            overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{label} scrolls sideways by {overflow}px at {viewport}"
    finally:
        context.close()


def test_no_layout_shift_on_archive_and_article(browser: Any, seeds_http: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        for url in (seeds_http + "archive/", _first_article_url(tab, seeds_http)):
            tab.add_init_script("""
                window.__cls = 0;
                new PerformanceObserver(list => { for (const e of list.getEntries())
                    if (!e.hadRecentInput) window.__cls += e.value; }).observe({type: 'layout-shift', buffered: true});
            """)
            tab.goto(url)
            tab.wait_for_load_state("load")
            assert tab.evaluate("window.__cls") < 0.01, url
    finally:
        context.close()


def test_dark_mode_and_print_styles_apply(browser: Any, seeds_http: str) -> None:
    context = browser.new_context(color_scheme="dark")
    tab = context.new_page()
    try:
        tab.goto(seeds_http)
        background = tab.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(21, 23, 26)", background
        tab.emulate_media(media="print")
        assert tab.evaluate("getComputedStyle(document.querySelector('.site-header')).display") == "none"
    finally:
        context.close()
