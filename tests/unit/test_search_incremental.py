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
    assert isinstance(again.files, search.live.LazyFiles) and again.files._files is None
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


def _numbered_corpus() -> list[Entry]:
    """The corpus, and a newest entry holding the words a benchmark-style edit uses (so an
    edit of an older entry brings no term the index lacks)."""
    import datetime as dt

    return [*corpus(40, 60), Entry(title="Numbers", date=dt.date(2099, 1, 1), slug="numbers",
                                   path="2099/01/numbers.md",
                                   body="Edited for the benchmark, run " + " ".join(str(n) for n in range(12)))]


def _benchmark_edit(entries: list[Entry], run: int, position: int | None = None) -> list[Entry]:
    """benchmarks/build_speed.py's edit: "Edited for the benchmark, run N." at the end of a body."""
    edited = list(entries)
    target = min(range(len(edited)), key=lambda n: edited[n].path) if position is None else position
    body = edited[target].body
    marker = "\n\nEdited for the benchmark, run "
    if marker in body:
        body = body[: body.index(marker)]
    edited[target] = dataclasses.replace(edited[target], body=f"{body}{marker}{run}.\n")
    return edited


@pytest.mark.parametrize("numbered", [True, False])
@pytest.mark.parametrize("memo", [True, False])
def test_edits_applied_in_place_equal_cold_builds(tmp_path: Path, memo: bool, numbered: bool,
                                                  in_place_search: list[bool]) -> None:
    """Benchmark-style edits are applied in place (live.py) and give a cold build's bytes.
    Without the `numbered` entry, each run's number is a term the index lacks, which takes
    the place of the last run's (no other document has it): the term list changes too."""
    applied = in_place_search
    config = Config(root=tmp_path)
    entries = _numbered_corpus() if numbered else corpus(40, 60)
    steps = [("cold", entries)]
    current = entries
    for run in range(1, 6):
        current = _benchmark_edit(current, run)
        steps.append((f"run {run}", current))
    for run in range(1, 4):  # another entry, then both at once
        current = _benchmark_edit(current, run, position=5)
        steps.append((f"other run {run}", current))
    # A full build between (a third entry grows), then the first entry edited in place again.
    third = list(current)
    third[9] = dataclasses.replace(third[9], body=third[9].body + "\nA sentence more.\n")
    steps += [("third grows", third), ("run 6", _benchmark_edit(third, 6))]
    both = _benchmark_edit(_benchmark_edit(_benchmark_edit(third, 6), 7), 9, position=5)
    steps += [("both", both), ("back", entries)]
    for label, step in steps:
        if not memo:
            search._MEMO.clear()
        applied.clear()
        assert _files(build_search(step, config, versions=_versions(step))) == _files(
            build_search(step, config, cache=False)), label
        if label.startswith("run ") and label != "run 1" or label in ("other run 2", "other run 3") or (
                numbered and label == "both"):
            assert applied == [True], (label, search.live.last_refusal)


def _grown(entries: list[Entry], position: int, run: int, *, new: str = "") -> list[Entry]:
    """benchmarks/build_speed.py's other edit: a sentence one word longer each run (the
    body's length changes, and with the average field length every score of the index),
    with `new` words."""
    grown = list(entries)
    body = grown[position].body
    marker = "\n\nA correction added: "
    if marker in body:
        body = body[: body.index(marker)]
    grown[position] = dataclasses.replace(grown[position],
                                          body=f"{body}{marker}{' '.join(['more'] * run)} {new}.\n")
    return grown


@pytest.mark.parametrize("length_chunk", [1024, 8])
def test_length_changing_edits_are_applied_in_place(tmp_path: Path, length_chunk: int,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    in_place_search: list[bool]) -> None:
    """An edit that changes a body's length changes every score, but the shards hold term
    frequencies: it is applied in place, rewriting the shards of its terms, its length file
    and the manifest, and gives a cold build's bytes; shrinking back gives the first build's."""
    from generator.search import shards

    monkeypatch.setattr(shards, "LENGTH_CHUNK", length_chunk)
    for module in (shards, search.live):  # small shards: many of them
        monkeypatch.setattr(module, "SHARD_BYTES", 2000)
    config = Config(root=tmp_path)
    entries = [*corpus(40, 60), Entry(title="Corrections", slug="corrections", path="2099/01/c.md",
                                      body="A correction added: more.")]
    entries[-1] = dataclasses.replace(entries[-1], date=__import__("datetime").date(2099, 1, 1))
    first = build_search(entries, config, versions=_versions(entries))
    steps = [(f"grow {run}", _grown(entries, 30, run)) for run in range(1, 4)]
    both = _grown(_grown(entries, 30, 5), 2, 2)
    steps += [("two documents", both), ("shrink", _grown(both, 30, 1))]
    # Words the archive lacks come and go (the term list changes, no other term's key does).
    steps += [("new words", _grown(entries, 30, 2, new="Quetzalcoatlus zymurgy")),
              ("other new words", _grown(entries, 30, 3, new="aardwolf Quetzalcoatlus")),
              ("new words in two documents", _grown(_grown(entries, 30, 1, new="xylophonist"), 0, 1,
                                                    new="xylophonist aardwolf")),
              ("back", entries)]
    for label, step in steps:
        in_place_search.clear()
        output = build_search(step, config, versions=_versions(step))
        assert _files(output) == _files(build_search(step, config, cache=False)), label
        assert in_place_search == [True], (label, search.live.last_refusal)
        changed = {path for path, _ in _files(output)} - {path for path, _ in _files(first)}
        assert any(path.startswith("search/index/l") for path in changed) == (label != "back"), label
        # The shards of the edited terms and of the correction's words, not every shard.
        assert sum(path.startswith("search/index/s") for path in changed) < sum(
            path.startswith("search/index/s") for path, _ in _files(output)) // 2, label
    assert _files(output) == _files(first)


def test_a_damaged_live_state_falls_back_to_a_full_build(tmp_path: Path) -> None:
    config = Config(root=tmp_path)
    entries = _numbered_corpus()
    current = _benchmark_edit(entries, 1)
    build_search(current, config, versions=_versions(current))
    cache_dir = config.cache_dir
    for damage in ("search-live-delta", "search-postings", "search-files", "search-live"):
        current = _benchmark_edit(current, 2 if damage != "search-postings" else 3)
        for path in cache_dir.glob(f"{damage}*.pickle"):
            path.unlink()
        search._MEMO.clear()
        assert _files(build_search(current, config, versions=_versions(current))) == _files(
            build_search(current, config, cache=False)), damage
        again = _benchmark_edit(current, 4)
        assert _files(build_search(again, config, versions=_versions(again))) == _files(
            build_search(again, config, cache=False)), damage
        current = again


def test_lazy_files_split_reads_only_the_files_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(root=tmp_path)
    entries = _numbered_corpus()
    first = _benchmark_edit(entries, 1)
    build_search(first, config, versions=_versions(first))
    read: list[str] = []
    original = search.live.load_files

    def spy(store, paths, load):  # type: ignore[no-untyped-def]
        read.extend(paths)
        return original(store, paths, load)

    # Nothing changed (the last build's files), then an edit applied in place (some just made).
    for step in (first, _benchmark_edit(first, 2)):
        search._MEMO.clear()
        output = build_search(step, config, versions=_versions(step))
        assert isinstance(output.files, search.live.LazyFiles)
        every = [(f.path, f.data) for f in build_search(step, config, cache=False).files]
        shards = {path for path, _ in every if "/index/s" in path}
        read.clear()
        monkeypatch.setattr(search.live, "load_files", spy)
        kept, others = output.files.split(shards.__contains__)
        monkeypatch.setattr(search.live, "load_files", original)
        assert sorted(kept) == sorted(shards)
        assert [(f.path, f.data) for f in others] == [item for item in every if item[0] not in shards]
        assert not shards & set(read)
        assert output.files._files is None  # nothing else was read
