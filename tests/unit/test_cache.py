"""The build cache: what another version of the code pickled is never read back."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from generator import cache as cache_module
from generator.cache import BuildCache
from generator.config import load_config


def test_a_cache_saved_by_other_code_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pickles hold instances of the code's classes (a content plan, drafts ...): read by code whose
    classes have other fields, they would break the build, so the cache's key holds the code's hash."""
    config = load_config(root=tmp_path)
    BuildCache(config).save("plan", {"fields": 1})
    assert BuildCache(config).load("plan") == {"fields": 1}
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another version of the code")
    assert BuildCache(config).load("plan") == {}


def test_loading_leaves_the_cycle_collector_as_it_was(tmp_path: Path) -> None:
    store = BuildCache(load_config(root=tmp_path))
    store.save("data", {"k": list(range(10))})
    assert gc.isenabled()
    assert store.load("data") == {"k": list(range(10))}
    assert gc.isenabled() and gc.get_freeze_count() == 0  # outside a build, nothing is frozen
    gc.disable()
    try:
        store.load("data")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_loads_in_a_build_are_frozen_until_it_ends(tmp_path: Path) -> None:
    # What a build loads lives until it ends: left out of cycle collections meanwhile, and
    # collectable again after (archive serve builds again and again in one process).
    store = BuildCache(load_config(root=tmp_path))
    store.save("data", {"k": [object() for _ in range(100)]})
    (tmp_path / ".archive-cache" / "broken.pickle").write_bytes(b"not a pickle")
    with cache_module.frozen_loads():
        assert store.load("broken") == {}
        assert gc.get_freeze_count() == 0  # a failed load freezes nothing
        with cache_module.frozen_loads():
            assert len(store.load("data")["k"]) == 100
        assert gc.get_freeze_count() > 0  # (the inner block does not end the outer one)
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_no_collection_pauses_the_collector_in_forked_workers_too_and_freezes_what_a_build_made() -> None:
    from generator.parallel import parallel_map

    with cache_module.no_collection():
        assert not gc.isenabled()
        # The normalizer's maps run in one: the workers forked there do not collect either.
        assert parallel_map(lambda _: gc.isenabled(), list(range(8)), jobs=2, minimum=1) == [False] * 8
    assert gc.isenabled() and gc.get_freeze_count() == 0  # outside a build: nothing frozen
    with cache_module.frozen_loads():
        with cache_module.no_collection():
            made = [[n] for n in range(1000)]
        # In a build, what the block made lives on: frozen, no young collection walks it.
        assert gc.get_freeze_count() >= len(made) and gc.isenabled()
    assert gc.get_freeze_count() == 0
    gc.disable()
    try:
        with cache_module.no_collection():
            pass
        assert not gc.isenabled(), "left disabled, as it was found"
    finally:
        gc.enable()


def test_a_build_leaves_nothing_frozen(tmp_path: Path) -> None:
    from generator.build import build

    (tmp_path / "seeds").mkdir()
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("---\ntitle: A\ndate: 2020-01-02\n---\n\nText.\n")
    config = load_config(root=tmp_path)
    for _ in range(2):  # the second loads the first's caches
        assert build(config).ok
        assert gc.get_freeze_count() == 0


def test_a_sharded_save_rewrites_only_the_shard_of_a_changed_key(tmp_path: Path) -> None:
    store = BuildCache(load_config(root=tmp_path))
    data = {f"entry-{n}": n for n in range(500)}
    store.save_sharded("entries", data, {})
    files = sorted(store.directory.glob("entries-*.pickle"))
    assert len(files) == len(cache_module.SHARDS)
    loaded, held = store.load_sharded("entries")
    assert loaded == data
    stamps = {f.name: (f.stat().st_ino, f.stat().st_mtime_ns) for f in files}  # a rewrite is a new file
    changed = {**data, "entry-new": -1}
    store.save_sharded("entries", changed, held)
    rewritten = [f.name for f in files if (f.stat().st_ino, f.stat().st_mtime_ns) != stamps[f.name]]
    assert rewritten == [f"entries-{cache_module.shard_of('entry-new')}.pickle"]
    assert store.load_sharded("entries")[0] == changed
