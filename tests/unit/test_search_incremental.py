"""Incremental search builds equal cold ones byte for byte: after an edit, an
addition and a deletion, with and without `versions` (the content files' text
hashes), in one process (the in-memory memo of the caches) and across
processes (the caches on disk only)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from generator import search
from generator.config import Config
from generator.models import Entry
from generator.search import build_search

from .test_search_index import corpus


def _files(output: search.SearchOutput) -> list[tuple[str, bytes]]:
    return [(f.path, f.data) for f in output.files]


def _versions(entries: Sequence[Entry]) -> dict[str, str]:
    """Stand-ins for the content files' text hashes: a hash of every field."""
    return {e.path: hashlib.sha256(repr([getattr(e, f.name) for f in dataclasses.fields(e) if f.name != "confidence"]).encode()).hexdigest()[:16] for e in entries}


def _steps(entries: list[Entry]) -> list[tuple[str, list[Entry]]]:
    edited = list(entries)
    edited[7] = dataclasses.replace(edited[7], body=edited[7].body + "\n\nZebras and ferries, a new paragraph.\n")
    retitled = list(edited)
    retitled[3] = dataclasses.replace(retitled[3], title="Quite another headline", tags=("Zebras",))
    added = [*retitled, dataclasses.replace(entries[0], title="A new entry about ferries", slug="new-one",
                                            path="2031/01/new-one.md")]
    deleted = added[:20] + added[21:]
    emptied = list(deleted)
    emptied[11] = dataclasses.replace(emptied[11], body="", summary="")  # its terms leave (some everywhere)
    moved = list(emptied)
    moved[4] = dataclasses.replace(moved[4], date=None)  # to the end of the document order
    return [("cold", entries), ("unchanged", entries), ("edit", edited), ("unchanged again", edited),
            ("title and tags", retitled), ("add", added), ("delete", deleted), ("emptied", emptied),
            ("moved", moved), ("back", entries)]


@pytest.mark.parametrize("with_versions", [True, False])
@pytest.mark.parametrize("memo", [True, False])
def test_rebuilds_equal_cold_builds(tmp_path: Path, with_versions: bool, memo: bool) -> None:
    config = Config(root=tmp_path)
    for label, entries in _steps(corpus(50, 80)):
        if not memo:
            search._MEMO.clear()  # as a fresh process sees it: only what is on disk
        versions = _versions(entries) if with_versions else None
        cold = _files(build_search(entries, config, cache=False))
        assert _files(build_search(entries, config, versions=versions)) == cold, label


def test_unchanged_build_does_not_read_the_files_until_asked(tmp_path: Path) -> None:
    config = Config(root=tmp_path)
    entries = corpus(20, 60)
    versions = _versions(entries)
    first = build_search(entries, config, versions=versions)
    again = build_search(entries, config, versions=versions)
    assert isinstance(again.files, search._CachedFiles) and again.files._files is None
    assert dict(again.assets) == dict(first.assets) and again.problems == first.problems
    # The cache changes before the files are read: they are still those of `entries`.
    other = [*entries[:5], *entries[6:]]
    build_search(other, config, versions=_versions(other))
    assert _files(again) == _files(first)
    assert len(again.files) == len(first.files) and again.files[-1] == first.files[-1]


def test_a_stale_version_map_is_only_as_good_as_its_hashes(tmp_path: Path) -> None:
    """An entry missing from `versions` makes the build key documents by their fields."""
    config = Config(root=tmp_path)
    entries = corpus(20, 60)
    versions = _versions(entries)
    build_search(entries, config, versions=versions)
    edited = list(entries)
    edited[2] = dataclasses.replace(edited[2], body="Entirely new words: zebras.")
    partial = dict(versions)
    del partial[edited[2].path]
    assert _files(build_search(edited, config, versions=partial)) == _files(build_search(edited, config, cache=False))


def test_assets_name_the_client_scripts_and_the_manifest() -> None:
    entries = corpus(10, 40)
    output = build_search(entries, Config(), cache=False)
    paths = {f.path for f in output.files}
    assert set(output.assets) >= {"lunr.js", "lunr.stemmer.support.js", "lunr.es.js", "search-core.js",
                                  "search.js", "manifest"}
    assert all(path in paths for path in output.assets.values())
    assert output.assets["manifest"].startswith("search/index/manifest.")
