"""normalize_cached: the same drafts as normalize_all, re-normalizing only the sources that changed."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import pytest

from generator import drafts as drafts_module
from generator.cache import BuildCache
from generator.config import load_config
from generator.content import load_entries, sync_content
from generator.drafts import normalize_cached
from generator.ingest import read_sources
from generator.models import SourceDocument, SourceKind
from generator.normalize import normalize_all

MENU = "Home\nNews\nOpinion\nContact us\n"


def page(n: int, extra: str = "") -> str:
    return (f"{MENU}\nHeadline number {n} about the harbor strike\nBy Ana Ruiz{n}\nMarch {n + 1}, 2019\n\n"
            f"The dockworkers of pier {n} stopped work on Monday morning, their union said.{extra}\n\n"
            "Talks with the port authority are expected to resume next week, according to both sides.\n")


def doc(name: str, text: str) -> SourceDocument:
    return SourceDocument(name, SourceKind.TEXT, text, "utf-8", hashlib.sha256(text.encode()).hexdigest())


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths normalize_cached sends to the normalizer."""
    from generator import normalize

    seen: list[str] = []
    original = normalize.normalize_source

    def spy(source: SourceDocument, **kwargs: object) -> object:
        seen.append(source.path)
        return original(source, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(normalize, "normalize_source", spy)
    return seen


def test_same_drafts_as_normalize_all_and_only_changed_sources_renormalized(
        tmp_path: Path, counted: list[str]) -> None:
    config = load_config(None, root=tmp_path)
    store = BuildCache(config)
    sources = [doc(f"p{n}.txt", page(n)) for n in range(6)]
    first = normalize_cached(sources, config, store, jobs=1)
    assert sorted(counted) == [f"p{n}.txt" for n in range(6)]
    assert (first.entries, first.problems) == tuple(normalize_all(sources, config, jobs=1))

    assert list(first.afresh) == list(first.entries)  # (no duplicates to merge)

    counted.clear()
    again = normalize_cached(sources, config, store, jobs=1)
    assert again._replace(afresh=first.afresh) == first and counted == [] and not again.afresh

    sources[2] = doc("p2.txt", page(2, " A late correction."))
    counted.clear()
    edited = normalize_cached(sources, config, store, jobs=1)
    assert counted == ["p2.txt"] and not edited.afresh
    assert (edited.entries, edited.problems) == tuple(normalize_all(sources, config, jobs=1))
    assert edited.key != first.key


def test_short_keys_handed_over_are_used_and_give_the_same_drafts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Short line keys worked out as the sources were read (drafts.short_keys_of) are not worked
    out again, and the drafts, problems and key are those of a normalize that made them itself."""
    from generator.normalize import noise

    sources = [doc(f"p{n}.txt", page(n)) for n in range(6)]
    handed = {d.path: drafts_module.short_keys_of(d.text) for d in sources[:4]}
    own = load_config(None, root=tmp_path / "a")
    mine = normalize_cached(sources, own, BuildCache(own), jobs=1)
    asked: list[str] = []
    real = noise.short_line_keys

    def spy(text: str) -> frozenset[str]:
        asked.append(text)
        return real(text)

    monkeypatch.setattr(noise, "short_line_keys", spy)
    config = load_config(None, root=tmp_path / "b")
    given = normalize_cached(sources, config, BuildCache(config), jobs=1, short_keys=handed)
    assert asked == [d.text for d in sources[4:]]
    assert (list(given.entries), given.problems, given.key) == (list(mine.entries), mine.problems, mine.key)


def test_a_line_becoming_recurring_renormalizes_the_sources_holding_it(tmp_path: Path, counted: list[str]) -> None:
    config = load_config(None, root=tmp_path)
    store = BuildCache(config)
    tagline = "\nRead our weekly digest\n"
    sources = [doc(f"p{n}.txt", page(n) + (tagline if n < 2 else "")) for n in range(6)]
    normalize_cached(sources, config, store, jobs=1)
    counted.clear()
    # A third page with the tagline makes it recurring noise (3 of 7 sources, >= 30%).
    sources.append(doc("p6.txt", page(6) + tagline))
    result = normalize_cached(sources, config, store, jobs=1)
    assert sorted(counted) == ["p0.txt", "p1.txt", "p6.txt"]
    assert (result.entries, result.problems) == tuple(normalize_all(sources, config, jobs=1))


def test_a_new_normalizer_voids_the_cache(tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(None, root=tmp_path)
    store = BuildCache(config)
    sources = [doc("p0.txt", page(0))]
    normalize_cached(sources, config, store, jobs=1)
    monkeypatch.setattr(drafts_module, "normalizer_version", lambda: "another")
    counted.clear()
    normalize_cached(sources, config, store, jobs=1)
    assert counted == ["p0.txt"]


def _seeded(root: Path, pages: int) -> tuple[Any, list[SourceDocument], Any]:
    """A project with `pages` page dumps in seeds/: its configuration, sources and drafts."""
    config = load_config(None, root=root)
    (root / "seeds").mkdir()
    for n in range(pages):
        (root / "seeds" / f"p{n}.txt").write_text(page(n))
    sources, _ = read_sources(config.sources_dir, root)
    return config, sources, normalize_cached(sources, config, None, jobs=1)


def test_sync_replays_its_plan_only_while_content_is_as_it_left_it(tmp_path: Path) -> None:
    config, sources, made = _seeded(tmp_path, 3)
    replay: dict[str, object] = {}

    def sync() -> object:
        return sync_content(made.entries, sources, config.content_dir, "seeds", replay=replay, drafts_key=made.key)

    first = sync()
    assert len(first.writes) == 3  # type: ignore[attr-defined]
    second = sync()
    replayed = replay["plan"]
    assert second == dataclasses.replace(replayed, problems=second.problems)  # type: ignore[type-var]
    assert not second.writes and second.unchanged == 3  # type: ignore[attr-defined]
    # A person edits a file: the fingerprint no longer matches, the edit is planned around and kept.
    target = sorted(config.content_dir.rglob("*.md"))[0]
    target.write_text(target.read_text().replace("stopped work", "walked out"))
    third = sync()
    assert third.kept_edits == (target.relative_to(config.content_dir).as_posix(),)  # type: ignore[attr-defined]
    assert "walked out" in target.read_text()
    entries, problems = load_entries(config.content_dir)
    assert len(entries) == 3 and not problems


def test_a_replayed_sync_plans_like_a_fresh_one_after_a_hand_edit_is_undone(tmp_path: Path) -> None:
    """Drafts change while a file is edited by hand (kept); the person then restores the generated
    text: the next sync must update the file to the new draft, replay memo or not."""
    config = load_config(None, root=tmp_path)
    (tmp_path / "seeds").mkdir()
    seed = tmp_path / "seeds" / "p0.txt"
    seed.write_text(page(0))
    replay: dict[str, object] = {}

    def sync(use_replay: bool = True) -> object:
        sources, _ = read_sources(config.sources_dir, tmp_path)
        made = normalize_cached(sources, config, None, jobs=1)
        return sync_content(made.entries, sources, config.content_dir, "seeds",
                            replay=replay if use_replay else None, drafts_key=made.key)

    sync()
    target = next(config.content_dir.rglob("*.md"))
    generated = target.read_text()
    target.write_text(generated.replace("stopped work", "walked out"))
    seed.write_text(page(0, " The union called it a victory."))
    assert sync().kept_edits  # type: ignore[attr-defined]
    sync()  # drafts and manifest as the last sync left them
    target.write_text(generated)  # the person undoes the edit
    plan = sync()
    assert list(plan.writes) == [target.relative_to(config.content_dir).as_posix()]  # type: ignore[attr-defined]
    assert "victory" in target.read_text()


def test_hand_edits_alone_since_the_last_sync_are_planned_without_the_drafts_as_a_full_plan_would(
        tmp_path: Path) -> None:
    """Only generated files edited by hand since the last sync: the plan comes from the last one
    (the drafts are not even read) and equals a full plan; the next sync replays it; undoing
    the edit, or any other change, goes back to the full plan."""
    config, sources, made = _seeded(tmp_path, 5)
    replay: dict[str, object] = {}

    class Unread(list):  # drafts that must not be read on the quick path
        def __iter__(self):  # type: ignore[no-untyped-def]
            raise AssertionError("drafts read")

    def sync(entries: object = None, use_replay: bool = True) -> object:
        return sync_content(made.entries if entries is None else entries, sources, config.content_dir, "seeds",
                            replay=replay if use_replay else None, drafts_key=made.key)

    sync()
    sync()
    files = sorted(config.content_dir.rglob("*.md"))
    generated = files[1].read_text()
    files[1].write_text(generated.replace("stopped work", "walked out"))
    files[3].write_text(files[3].read_text() + "\nA note.\n")
    quick = sync(Unread(made.entries))
    full = sync(use_replay=False)
    assert quick.kept_edits == full.kept_edits == tuple(  # type: ignore[attr-defined]
        f.relative_to(config.content_dir).as_posix() for f in (files[1], files[3]))
    assert (quick.unchanged, quick.writes, quick.deletes, quick.problems) == (  # type: ignore[attr-defined]
        full.unchanged, full.writes, full.deletes, full.problems)  # type: ignore[attr-defined]
    assert sync(Unread(made.entries)) == quick  # nothing changed since: replayed
    files[3].write_text(files[3].read_text() + "\nAnother note.\n")  # a kept edit edited again
    again = sync(Unread(made.entries))
    assert again == dataclasses.replace(quick, problems=again.problems) and again.problems == quick.problems  # type: ignore[attr-defined]
    files[1].write_text(generated)  # undone: a full plan, which finds the file as generated
    undone = sync()
    assert undone.kept_edits == (files[3].relative_to(config.content_dir).as_posix(),)  # type: ignore[attr-defined]
    assert undone.unchanged == 4 and not undone.writes  # type: ignore[attr-defined]
    assert "walked out" not in files[1].read_text() and "A note." in files[3].read_text()


def test_a_build_told_what_changed_reads_seeds_only_when_something_in_them_did(tmp_path: Path) -> None:
    from generator.build import build

    (tmp_path / "seeds").mkdir()
    seed = tmp_path / "seeds" / "p0.txt"
    seed.write_text(page(0))
    config = load_config(None, root=tmp_path)
    assert build(config).ok
    seed.write_text(page(0).replace("stopped work", "walked out"))
    # Told that nothing in seeds/ changed (the watcher's complete account), it trusts the last read...
    build(config, changed=frozenset())
    assert "walked out" not in next(config.content_dir.rglob("*.md")).read_text()
    # ...and told that the seed changed, it reads it again.
    build(config, changed=frozenset({seed.absolute()}))
    assert "walked out" in next(config.content_dir.rglob("*.md")).read_text()


def _spy_on_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the build cache files loaded from now on."""
    loaded: list[str] = []
    original_load = BuildCache.load

    def spy(self: BuildCache, name: str, keep: bool = False) -> dict[str, object]:
        loaded.append(name)
        return original_load(self, name, keep)

    monkeypatch.setattr(BuildCache, "load", spy)
    return loaded


def test_drafts_are_read_only_when_needed_and_made_again_when_their_file_is_lost(
        tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(None, root=tmp_path)
    store = BuildCache(config)
    sources = [doc(f"p{n}.txt", page(n)) for n in range(4)]
    expected = normalize_all(sources, config, jobs=1)
    list(normalize_cached(sources, config, store, jobs=1).entries)
    loaded = _spy_on_loads(monkeypatch)
    again = normalize_cached(sources, config, store, jobs=1)
    assert not any(name.startswith("drafts-entries") for name in loaded)  # not read until used
    for lost in config.cache_dir.glob("drafts-entries-*"):
        lost.unlink()
    counted.clear()
    assert (list(again.entries), again.problems) == (expected[0], expected[1])
    assert sorted(counted) == [f"p{n}.txt" for n in range(4)]  # made again, not lost


def test_sources_not_read_are_read_when_they_must_be_normalized_again(tmp_path: Path) -> None:
    """read_sources skips unchanged files; when their drafts are stale anyway (a new setting),
    normalize_cached reads them and gives what normalize_all gives on read ones."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(4):
        (seeds / f"p{n}.txt").write_text(page(n), "utf-8")
    config = load_config(None, root=tmp_path)
    stats: dict = {}
    read, _ = read_sources(config.sources_dir, tmp_path, stats)
    normalize_cached(read, config, BuildCache(config), jobs=1)
    unread, _ = read_sources(config.sources_dir, tmp_path, stats)
    assert not any(d.read for d in unread)
    (tmp_path / "archive.toml").write_text('[sources."p1.txt"]\npublication = "Harbor News"\n', "utf-8")
    changed = load_config(None, root=tmp_path)
    result = normalize_cached(unread, changed, BuildCache(changed), jobs=1)
    assert (list(result.entries), result.problems) == tuple(normalize_all(read, changed, jobs=1))
    assert any(e.publication == "Harbor News" for e in result.entries)


def test_the_same_sources_again_read_only_the_summary_until_the_drafts_are_used(
        tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(None, root=tmp_path)
    store = BuildCache(config)
    sources = [doc(f"p{n}.txt", page(n)) for n in range(4)] + [doc("empty.txt", "Home\n")]
    first = normalize_cached(sources, config, store, jobs=1)
    expected = normalize_all(sources, config, jobs=1)
    loaded = _spy_on_loads(monkeypatch)
    counted.clear()
    again = normalize_cached(sources, config, store, jobs=1)
    assert loaded == ["drafts-summary"]  # neither the per-source records nor the drafts
    assert (again.key, again.problems) == (first.key, first.problems) and again.problems  # the empty page's
    assert (list(again.entries), again.problems) == (expected[0], expected[1]) and counted == []

    sources[1] = doc("p1.txt", page(1, " A late correction."))
    edited = normalize_cached(sources, config, store, jobs=1)
    assert edited.key != first.key and counted == ["p1.txt"]
    assert (list(edited.entries), edited.problems) == tuple(normalize_all(sources, config, jobs=1))


def test_a_cold_normalize_saves_its_drafts_in_another_process_and_the_next_reuses_them(
        tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import os
    import threading

    from generator import parallel

    if "fork" not in multiprocessing.get_all_start_methods() or parallel.default_jobs() < 2:
        pytest.skip("needs fork and two cores")
    assert threading.active_count() == 1  # (conftest runs the browser tests, which leave threads, last)
    monkeypatch.setattr(drafts_module, "SAVE_BESIDE_MIN", 1)
    saved_by: list[int] = []
    real_save = drafts_module._save_entries

    def spy(*args: Any) -> None:
        saved_by.append(os.getpid())  # (appended in the process that saves)
        with open(tmp_path / "saved-by", "a", encoding="utf-8") as record:
            record.write(f"{os.getpid()}\n")
        real_save(*args)

    monkeypatch.setattr(drafts_module, "_save_entries", spy)
    config = load_config(None, root=tmp_path)
    sources = [doc(f"p{n}.txt", page(n)) for n in range(6)]
    first = normalize_cached(sources, config, BuildCache(config), jobs=2)
    first.saved()  # waits for the other process
    savers = (tmp_path / "saved-by").read_text(encoding="utf-8").split()
    assert len(savers) == 1 and int(savers[0]) != os.getpid() and saved_by == []
    assert (first.entries, first.problems) == tuple(normalize_all(sources, config, jobs=1))

    counted.clear()
    again = normalize_cached(sources, config, BuildCache(config), jobs=2)
    assert list(again.entries) == list(first.entries) and counted == []  # all from the cache it saved
