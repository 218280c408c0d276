"""Every fact of tests/data/seeds_expected.yaml holds on the repository's seeds."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.config import load_config
from generator.ingest import read_sources
from generator.models import Entry
from generator.normalize import normalize_all

REPO = Path(__file__).resolve().parents[2]
EXPECTED: dict[str, Any] = yaml.safe_load((REPO / "tests" / "data" / "seeds_expected.yaml").read_text("utf-8"))


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


@pytest.fixture(scope="module")
def by_source() -> dict[str, list[Entry]]:
    config = load_config(root=REPO)
    documents, problems = read_sources(config.sources_dir, REPO)
    assert not [p for p in problems if p.severity.value == "error"]
    entries, _ = normalize_all(documents, config)
    grouped: dict[str, list[Entry]] = {}
    for entry in entries:
        for ref in entry.sources:
            grouped.setdefault(ref.file.rsplit("/", 1)[-1], []).append(entry)
    return grouped


def facts() -> Iterator[Any]:
    for source, spec in EXPECTED.items():
        yield pytest.param(source, "count", spec, id=f"{source}-entries")
        for k, article in enumerate(spec.get("articles", [])):
            yield pytest.param(source, "article", article, id=f"{source}-{k}-{article['title'][:30]}")
        if "never_entries" in spec:
            yield pytest.param(source, "never", spec, id=f"{source}-never_entries")
        if "tags_include_all" in spec:
            yield pytest.param(source, "tags_all", spec, id=f"{source}-tags_include_all")
        if "summary_never_ends_with" in spec:
            yield pytest.param(source, "summary_end", spec, id=f"{source}-summary_never_ends_with")


def find(entries: list[Entry], title: str) -> Entry:
    matches = [e for e in entries if fold(e.title) == fold(title)]
    assert matches, f"no entry titled {title!r}; got {[e.title for e in entries]}"
    return matches[0]


def check_article(entry: Entry, article: dict[str, Any]) -> None:
    body = fold(entry.body)
    for key, want in article.items():
        if key == "title":
            continue
        if key == "kind":
            assert entry.kind == want
        elif key == "date":
            assert entry.date == (want if isinstance(want, dt.date) else dt.date.fromisoformat(str(want)))
        elif key == "authors":
            assert list(entry.authors) == want
        elif key == "publication":
            assert entry.publication == want
        elif key == "summary_starts":
            assert fold(entry.summary).startswith(fold(want)), entry.summary
        elif key == "body_starts":
            assert body.startswith(fold(want)), entry.body[:200]
        elif key == "body_ends":
            assert body.endswith(fold(want)), entry.body[-200:]
        elif key == "body_includes":
            for snippet in want:
                assert fold(snippet) in body, snippet
        elif key == "body_excludes":
            for snippet in want:
                assert fold(snippet) not in body, snippet
        elif key == "headings":
            found = [fold(m) for m in re.findall(r"^##\s+(.+)$", entry.body, re.M)]
            for heading in want:
                assert fold(heading) in found, (heading, found)
        elif key == "translator":
            assert entry.translator == want
        elif key == "image_credit":
            assert entry.image_credit == want
        elif key == "tags_include":
            for tag in want:
                assert tag in entry.tags, (tag, entry.tags)
        else:  # pragma: no cover - a new kind of fact needs a new check
            raise AssertionError(f"unknown fact {key}")


@pytest.mark.parametrize(("source", "what", "spec"), list(facts()))
def test_seed_fact(by_source: dict[str, list[Entry]], source: str, what: str, spec: Any) -> None:
    entries = by_source.get(source, [])
    if what == "count":
        assert len(entries) == spec["entries"], [e.title for e in entries]
    elif what == "article":
        check_article(find(entries, spec["title"]), spec)
    elif what == "never":
        titles = {fold(e.title) for e in entries}
        for title in spec["never_entries"]:
            assert fold(title) not in titles
    elif what == "tags_all":
        for entry in entries:
            for tag in spec["tags_include_all"]:
                assert tag in entry.tags, (entry.title, entry.tags)
    elif what == "summary_end":
        for entry in entries:
            assert not entry.summary.rstrip().endswith(spec["summary_never_ends_with"]), entry.summary
