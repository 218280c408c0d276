"""The search page in real Chromium: typing queries into the built seeds
archive, over HTTP at the root and under a sub-path and from file://, plus
escaping of hostile titles, filters and keyboard navigation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import serve_directory

pytestmark = pytest.mark.browser

CARAVAN = "The Caravan that Defies Borders"
WSWS = "Demands for US intervention against “Russian meddling” in Mexico’s presidential election"
INTERVIEW = "Interview of a Chinese Revolutionary Marxist on the recent political situation and the state of workers’ struggle"


def titles(page: Any) -> list[str]:
    return [str(t) for t in page.locator("#search-results .search-result-title").all_inner_texts()]


def search(page: Any, query: str) -> list[str]:
    """Type `query` into the search box as a reader would; return the result titles."""
    box = page.locator("#search-input")
    box.fill("")
    box.type(query, delay=20)
    page.wait_for_function(
        "q => document.getElementById('search-status').textContent.includes('for “' + q + '”')", arg=query
    )
    return titles(page)


@pytest.fixture
def search_page(page: Any, seeds_http: str) -> Any:
    page.goto(seeds_http + "search/")
    return page


def test_zeledon_finds_the_caravan(search_page: Any) -> None:
    assert CARAVAN in search(search_page, "Zeledon")
    assert search_page.js_errors == []


def test_unaccented_gonzalez_finds_the_wsws_article(search_page: Any) -> None:
    assert WSWS in search(search_page, "Gonzalez")
    assert WSWS in search(search_page, "González")


def test_chinese_bigram_finds_the_interview(search_page: Any) -> None:
    assert INTERVIEW in search(search_page, "佳士")


def test_english_and_spanish_stemming(search_page: Any) -> None:
    english = search(search_page, "deportation")
    # Porter stems deportation/deportations/deported alike.
    assert "Can the Police Stop Deportations? A Debate with Kshama Sawant" in english
    assert "UK Protest: Shut Down Deportation Center!" in english
    assert "Germany: Faster Deportations through ’Transit Zones’" in english
    assert search(search_page, "deported") == english
    # The seeds are all English, so a Spanish word is Porter-stemmed ("deportacion")
    # and finds nothing; see test_spanish_entries_are_stemmed_as_spanish.
    assert search(search_page, "deportaciones") == []


def test_punctuation_in_query_is_harmless(search_page: Any) -> None:
    assert CARAVAN in search(search_page, "caravan?")
    assert search(search_page, "caravan:") != []  # not lunr syntax: searched as a word


def test_results_show_metadata_and_highlight_matches(search_page: Any) -> None:
    search(search_page, "caravan")
    first = search_page.locator("#search-results .search-result").first
    assert first.locator(".search-result-meta").inner_text().strip() != ""
    marks = search_page.locator("#search-results mark").all_inner_texts()
    assert marks and all(m.lower().startswith("caravan") for m in marks)


def test_query_in_url_and_back(page: Any, seeds_http: str) -> None:
    page.goto(seeds_http + "search/?q=Zeledon")
    page.wait_for_selector("#search-results .search-result")
    assert CARAVAN in titles(page)
    search(page, "Gonzalez")
    assert "q=Gonzalez" in page.url


def test_header_search_box_leads_to_results(page: Any, seeds_http: str) -> None:
    page.goto(seeds_http)
    page.fill("#site-search", "Zeledon")
    page.press("#site-search", "Enter")
    page.wait_for_selector("#search-results .search-result")
    assert CARAVAN in titles(page)


def test_keyboard_navigation(search_page: Any) -> None:
    found = search(search_page, "caravan")
    assert len(found) >= 2
    search_page.keyboard.press("ArrowDown")
    assert search_page.evaluate("document.activeElement.textContent") == found[0]
    search_page.keyboard.press("ArrowDown")
    assert search_page.evaluate("document.activeElement.textContent") == found[1]
    search_page.keyboard.press("ArrowUp")
    search_page.keyboard.press("ArrowUp")
    assert search_page.evaluate("document.activeElement.id") == "search-input"


def test_filters_narrow_results(search_page: Any) -> None:
    everything = search(search_page, "mexico")
    search_page.wait_for_selector("#search-filters:not([hidden])")
    options = search_page.locator("#filter-publication option").all_inner_texts()
    assert any(o.startswith("Left Voice") for o in options)
    before = search_page.locator("#search-status").inner_text()
    search_page.select_option("#filter-publication", label=next(o for o in options if o.startswith("Left Voice")))
    search_page.wait_for_function("b => document.getElementById('search-status').textContent !== b", arg=before)
    narrowed = titles(search_page)
    assert 0 < len(narrowed) < len(everything)
    assert WSWS not in narrowed


@pytest.fixture(scope="module")
def sub_path_http(built_seeds: Path) -> Iterator[str]:
    base, server = serve_directory(built_seeds / "site", prefix="archive/sub")
    yield base
    server.shutdown()


def test_works_under_a_sub_path(page: Any, sub_path_http: str) -> None:
    page.goto(sub_path_http + "search/")
    assert CARAVAN in search(page, "Zeledon")
    link = page.locator("#search-results .search-result-title").first.get_attribute("href")
    assert link.startswith(sub_path_http)
    assert page.js_errors == []


def test_works_from_file(page: Any, built_seeds: Path) -> None:
    page.goto((built_seeds / "site" / "search" / "index.html").as_uri() + "?q=Zeledon")
    page.wait_for_selector("#search-results .search-result")
    assert CARAVAN in titles(page)
    assert CARAVAN in search(page, "Zeledon")
    href = page.locator("#search-results .search-result-title").first.get_attribute("href")
    assert href.startswith("file://") and href.endswith("/index.html")
    assert page.js_errors == []


HOSTILE = 'Caravan <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> & “quotes”'


SPANISH = "Las deportaciones de niños en la frontera"
ENGLISH = "Deported at the border"


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-entry archive: a hostile title, a Spanish and an English entry."""
    from generator.build import build
    from generator.config import load_config
    from generator.frontmatter import dump_entry
    from generator.models import Entry

    root = tmp_path_factory.mktemp("small")
    (root / "archive.toml").write_text('[site]\ntitle = "Small"\n', encoding="utf-8")
    entries = [
        Entry(
            title=HOSTILE, date=dt.date(2020, 1, 2), authors=("<b>Eve</b>",), publication="<i>Pub</i>",
            summary="A caravan <script>window.__pwned=3</script> summary.", body="Caravan body text.\n",
            slug="hostile", path="2020/01/hostile.md",
        ),
        Entry(
            title=SPANISH, date=dt.date(2020, 1, 3), authors=("Alejandra Ríos",), language="es",
            body="Los niños deportados esperan en la frontera. Las deportaciones siguen.\n",
            slug="deportaciones", path="2020/01/deportaciones.md",
        ),
        Entry(
            title=ENGLISH, date=dt.date(2020, 1, 4), language="en",
            body="Families were deported after crossing.\n", slug="deported", path="2020/01/deported.md",
        ),
    ]
    (root / "content" / "2020" / "01").mkdir(parents=True)
    for entry in entries:
        (root / "content" / entry.path).write_text(dump_entry(entry), encoding="utf-8")
    build(load_config(root=root))
    assert (root / "site" / "search" / "index.html").is_file()
    return root


def test_markup_in_titles_is_shown_as_text(page: Any, small_site: Path) -> None:
    page.goto((small_site / "site" / "search" / "index.html").as_uri() + "?q=caravan")
    page.wait_for_selector("#search-results .search-result")
    assert titles(page) == [HOSTILE]
    assert page.locator("#search-results img, #search-results script, #search-results b").count() == 0
    assert "<b>Eve</b>" in page.locator(".search-result-meta").inner_text()
    assert page.evaluate("window.__pwned") is None


def test_spanish_entries_are_stemmed_as_spanish(page: Any, small_site: Path) -> None:
    page.goto((small_site / "site" / "search" / "index.html").as_uri())
    # Snowball Spanish: deportar, deportados, deportaciones -> "deport"; Porter
    # gives "deported" the same stem, so the English entry matches too.
    assert set(search(page, "deportar")) == {SPANISH, ENGLISH}
    assert set(search(page, "deportaciones")) == {SPANISH, ENGLISH}
    # "niño" finds "niños" only through the Spanish stemmer (niñ), accents optional.
    assert search(page, "niño") == [SPANISH]
    assert search(page, "nino") == [SPANISH]
    assert search(page, "Rios") == [SPANISH]
    assert page.js_errors == []
