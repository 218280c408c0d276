"""axe-core in real Chromium on the home, an article, a tag, an author and a month page."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

AXE_JS = Path(__import__("axe_playwright_python").__file__).with_name("axe.min.js")


def _pages(page: Any, base: str) -> dict[str, str]:
    """URLs of one page of each kind, found by following the site's own links."""
    page.goto(base)
    absolute = "a => new URL(a.getAttribute('href'), location.href).href"
    urls = {"home": base}
    urls["article"] = page.locator(".card:not(:has(.badge)) .card-title a").first.evaluate(absolute)
    urls["tag"] = page.locator("#h-topics + ul a").first.evaluate(absolute)
    page.goto(urls["article"])
    urls["author"] = page.locator(".entry-meta .byline a").first.evaluate(absolute)
    urls["month"] = page.locator(".entry-meta .meta a").first.evaluate(absolute)
    return urls


def _axe(page: Any, url: str) -> dict[str, Any]:
    page.goto(url)
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                    nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})),
                passes: r.passes.length};
    }""")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_axe_violations(browser: Any, seeds_http: str, scheme: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    tab = context.new_page()
    try:
        summary = []
        bad = []
        for kind, url in _pages(tab, seeds_http).items():
            result = _axe(tab, url)
            counts: dict[str, int] = {}
            for violation in result["violations"]:
                counts[violation["impact"]] = counts.get(violation["impact"], 0) + 1
                if violation["impact"] in ("serious", "critical"):
                    bad.append((kind, violation))
            summary.append(f"{kind}: {counts or 'no violations'}")
        print(f"axe-core ({scheme}): " + "; ".join(summary))
        assert not bad, bad
    finally:
        context.close()


def test_skip_link_and_focus_are_visible(page: Any, seeds_http: str) -> None:
    page.goto(seeds_http)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0  # moved on screen when focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_landmarks_and_heading_order(page: Any, seeds_http: str) -> None:
    for url in _pages(page, seeds_http).values():
        page.goto(url)
        assert page.locator("header.site-header").count() == 1
        assert page.locator("main#main").count() == 1 and page.locator("footer.site-footer").count() == 1
        assert page.locator("nav[aria-label='Main']").count() == 1
        levels = page.evaluate("[...document.querySelectorAll('main h1, main h2, main h3, main h4')].map(h => +h.tagName[1])")
        assert levels[0] == 1 and levels.count(1) == 1, (url, levels)
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), (url, levels)
