"""Building seeds/ gives an entry page for every title that expected.yaml lists."""

from __future__ import annotations

import html
import unicodedata
from pathlib import Path

import yaml

from generator.content import load_entries
from generator.urls import entry_url, page_file

EXPECTED = yaml.safe_load((Path(__file__).resolve().parents[1] / "data" / "seeds_expected.yaml").read_text())


def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def expected_titles() -> list[str]:
    return [fold(a["title"]) for facts in EXPECTED.values() for a in facts.get("articles", [])]


def test_entry_page_for_every_expected_title(built_seeds: Path) -> None:
    entries, problems = load_entries(built_seeds / "content")
    assert not problems
    by_title = {fold(e.title): e for e in entries}
    missing = [t for t in expected_titles() if t not in by_title]
    assert not missing, f"no entry for: {missing}"
    for title in expected_titles():
        page = built_seeds / "site" / page_file(entry_url(by_title[title]))
        assert page.is_file(), page
        text = fold(html.unescape(page.read_text(encoding="utf-8")))
        assert title in text


def test_home_tag_author_and_year_indexes_exist(built_seeds: Path) -> None:
    site = built_seeds / "site"
    for index in ("index.html", "tags/index.html", "authors/index.html", "archive/index.html"):
        assert (site / index).is_file(), index
    assert (site / "archive" / "2019").is_dir() or any(site.glob("**/2019/index.html"))
