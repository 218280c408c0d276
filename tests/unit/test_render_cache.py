"""render_cache: the blob store of bodies and fragments, saved whole, appended to, compacted."""

from __future__ import annotations

from collections import ChainMap
from pathlib import Path

from generator.cache import BuildCache
from generator.config import Config, SiteConfig
from generator.render_cache import _load_store, _save_store, _Stored


def _cache(tmp_path: Path) -> BuildCache:
    return BuildCache(Config(root=tmp_path, site=SiteConfig()))


def test_store_round_trip_append_and_compaction(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    assert _load_store(cache, "bodies") == {}
    values = {f"{i:064x}": (f"<p>body {i}</p>" * 20, i) for i in range(50)}
    _save_store(cache, "bodies", values, None)
    stored = _load_store(cache, "bodies")
    assert isinstance(stored, _Stored) and dict(stored) == values
    blob = stored.blob

    # A rebuild's ChainMap over the stored values: only the new value is appended.
    size = blob.stat().st_size
    grown = ChainMap({"f" * 64: ("<p>new</p>", 1), f"{3:064x}": values[f"{3:064x}"]}, stored)
    _save_store(cache, "bodies", grown, stored)
    again = _load_store(cache, "bodies")
    assert isinstance(again, _Stored) and again.blob == blob and blob.stat().st_size > size
    assert dict(again) == {**values, "f" * 64: ("<p>new</p>", 1)}

    # A full render that uses a few of them: the index keeps only those; the blob is made
    # again once more than half of it is unused.
    few = {key: again[key] for key in list(again)[:5]}
    _save_store(cache, "bodies", few, again)
    small = _load_store(cache, "bodies")
    assert dict(small) == few
    assert isinstance(small, _Stored) and small.blob != blob and not blob.exists()

    # A blob cut short is not trusted.
    small.blob.write_bytes(b"")
    assert _load_store(cache, "bodies") == {}
