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
    assert gc.isenabled()
    gc.disable()
    try:
        store.load("data")
        assert not gc.isenabled()
    finally:
        gc.enable()
