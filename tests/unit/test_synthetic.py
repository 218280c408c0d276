"""The benchmark's synthetic archive: deterministic, valid content, dumps the normalizer reads."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.synthetic import (
    FIRST_DAY,
    SPAN_DAYS,
    SyntheticEntry,
    archive_toml,
    author_pool,
    generate,
    make_project,
    page_dump,
    tag_pool,
    vocabulary,
)
from generator.config import parse_config
from generator.frontmatter import dump_entry, parse_entry
from generator.models import ARTICLE
from generator.urls import content_path_for

N = 24


@pytest.fixture(scope="module")
def items() -> list[SyntheticEntry]:
    return generate(N)


def test_same_seed_same_archive(items: list[SyntheticEntry]) -> None:
    again = generate(N)
    assert [i.entry for i in again] == [i.entry for i in items]
    assert [page_dump(i, again) for i in again] == [page_dump(i, items) for i in items]
    assert [dump_entry(i.entry) for i in again] == [dump_entry(i.entry) for i in items]


def test_entry_does_not_depend_on_archive_size(items: list[SyntheticEntry]) -> None:
    smaller = generate(N // 2)
    assert [i.entry.title for i in smaller] == [i.entry.title for i in items[: N // 2]]
    assert [i.entry.body for i in smaller] == [i.entry.body for i in items[: N // 2]]


def test_other_seed_other_archive(items: list[SyntheticEntry]) -> None:
    other = generate(N, seed=8)
    assert [i.entry.title for i in other] != [i.entry.title for i in items]


def test_entries_have_the_promised_shape(items: list[SyntheticEntry]) -> None:
    last = FIRST_DAY + dt.timedelta(days=SPAN_DAYS - 1)
    for item in items:
        entry = item.entry
        assert entry.kind == ARTICLE
        assert entry.date is not None and FIRST_DAY <= entry.date <= last
        assert 2 <= len(entry.tags) <= 5 and set(entry.tags) <= set(tag_pool())
        assert 1 <= len(entry.authors) <= 3 and set(entry.authors) <= set(author_pool())
        assert len(set(entry.authors)) == len(entry.authors)
        assert 850 <= entry.word_count <= 1200, entry.word_count
        assert entry.path == content_path_for(entry, entry.slug)
        assert entry.title and entry.summary and entry.publication
    assert len({i.entry.path for i in items}) == N
    assert len({i.source_name for i in items}) == N


def test_text_has_a_realistic_vocabulary(items: list[SyntheticEntry]) -> None:
    assert len(set(vocabulary())) == len(vocabulary()) >= 3000
    words = Counter(w.strip(".,?!").lower() for i in items for w in i.entry.body.split())
    assert len(words) > 1500  # many distinct terms for the search index
    assert words.most_common(1)[0][0] == "the"  # ...with an English-like frequency curve


def test_content_parses_back(items: list[SyntheticEntry]) -> None:
    for item in items:
        parsed, problem = parse_entry(dump_entry(item.entry), item.entry.path)
        assert problem is None
        assert parsed is not None
        entry = item.entry
        assert (parsed.title, parsed.date, parsed.authors, parsed.tags, parsed.summary, parsed.publication) == (
            entry.title, entry.date, entry.authors, entry.tags, entry.summary, entry.publication)
        assert parsed.body == entry.body


def test_dump_shows_the_page_around_the_entry(items: list[SyntheticEntry]) -> None:
    item = items[3]
    text = page_dump(item, items)
    entry = item.entry
    assert entry.title in text and entry.summary in text and entry.body.strip() in text
    assert all(name in text for name in entry.authors)
    assert "All rights reserved." in text
    for index in item.related:  # teasers of other entries
        assert items[index].entry.title in text


def test_project_layout(tmp_path: Path, items: list[SyntheticEntry]) -> None:
    root = make_project(tmp_path / "p", items, dumps=True, content=True)
    assert len(list((root / "seeds").iterdir())) == N
    assert len(list((root / "content").rglob("*.md"))) == N
    config = parse_config((root / "archive.toml").read_text(encoding="utf-8"), root / "archive.toml")
    assert config.site.per_page == 20
    assert archive_toml() == (root / "archive.toml").read_text(encoding="utf-8")


def test_dumps_normalize_to_one_article_each(tmp_path: Path, items: list[SyntheticEntry]) -> None:
    normalize = pytest.importorskip("generator.normalize")
    ingest = pytest.importorskip("generator.ingest")
    if not hasattr(normalize, "normalize_all") or not hasattr(ingest, "read_sources"):
        pytest.skip("normalizer not there yet")
    root = make_project(tmp_path / "p", items, dumps=True, content=False)
    config = parse_config(archive_toml(), root / "archive.toml", root=root)
    sources, read_problems = ingest.read_sources(config.sources_dir, config.root)
    assert len(sources) == N and not read_problems
    drafts, _ = normalize.normalize_all(sources, config)
    articles = [d for d in drafts if d.kind == ARTICLE]
    assert len(articles) == N
    # Each page's one article, on the page's own date.
    assert sorted(str(a.date) for a in articles) == sorted(str(i.entry.date) for i in items)
    # Each with its own headline and authors, and every "related" teaser merged into its article.
    assert sorted((a.title, a.authors) for a in articles) == sorted((i.entry.title, i.entry.authors) for i in items)
    assert [d.title for d in drafts if d.kind != ARTICLE] == []
