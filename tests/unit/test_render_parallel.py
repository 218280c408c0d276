"""The renderer's process pool and memo change nothing: same bytes, serial or parallel, cold or warm."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import pytest
from sitecheck import sample_entries

from benchmarks.synthetic import generate
from generator import render
from generator.config import Config, PathsConfig, SiteConfig
from generator.models import Entry
from generator.render import RenderMemo, parallel_map, render_site
from generator.taxonomy import entry_key

BASE = "https://example.org/archive/"


def config(tmp_path: Path) -> Config:
    return Config(root=tmp_path, site=SiteConfig(per_page=5, base_url=BASE, title="Test <Archive>"),
                  paths=PathsConfig(themes="themes"))


def _own_pid(_: int) -> int:
    return os.getpid()


def test_parallel_map_uses_worker_processes_and_keeps_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "PARALLEL_MIN", 1)
    assert parallel_map(lambda x: x * x, list(range(50)), 2) == [x * x for x in range(50)]
    if "fork" in __import__("multiprocessing").get_all_start_methods() and __import__("threading").active_count() == 1:
        # This process takes chunks from the back too, but the first one is always a worker's.
        pids = parallel_map(_own_pid, list(range(20)), 2)
        assert pids[0] != os.getpid() and len(pids) == 20
    assert set(parallel_map(_own_pid, list(range(20)), 1)) == {os.getpid()}


def test_parallel_and_memo_renders_are_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = [*sample_entries(), *(item.entry for item in generate(40, words=60))]
    serial = render_site(entries, config(tmp_path))
    monkeypatch.setattr(render, "PARALLEL_MIN", 1)
    parallel = render_site(entries, config(tmp_path), jobs=2)
    assert parallel.files == serial.files and parallel.problems == serial.problems
    assert parallel.rendered > 0

    written = {f.path: f.data for f in parallel.files}
    warm = render_site(entries, config(tmp_path), memo=parallel.memo, jobs=2, previous=written.get)
    assert warm.files == serial.files and warm.rendered == 0

    # One entry changes: its page and the pages and feeds listing it follow, nothing else is rendered.
    edited = list(entries)
    target = next(i for i, e in enumerate(edited) if e.date is not None and e.tags)
    edited[target] = dataclasses.replace(edited[target], title=edited[target].title + " (corrected)",
                                         body=edited[target].body + "\n\nOne more line.")
    cold = render_site(edited, config(tmp_path))
    incremental = render_site(edited, config(tmp_path), memo=warm.memo, jobs=2, previous=written.get)
    assert incremental.files == cold.files
    assert 0 < incremental.rendered < len([f for f in cold.files if f.path.endswith(".html")]) // 2


def test_pages_are_reused_only_with_the_previous_bytes_and_templates(tmp_path: Path) -> None:
    entries = sample_entries()
    first = render_site(entries, config(tmp_path))
    html = [f.path for f in first.files if f.path.endswith(".html")]
    written = {f.path: f.data for f in first.files}
    assert render_site(entries, config(tmp_path), memo=first.memo, previous=written.get).rendered == 0
    # Without the previous bytes (site/ gone or touched) a page is rendered again.
    assert render_site(entries, config(tmp_path), memo=first.memo, previous=lambda _: None).rendered == len(html)
    assert render_site(entries, config(tmp_path), memo=first.memo).rendered == len(html)
    # A template override in the project changes the key: every page is rendered again.
    theme = tmp_path / "themes" / "default" / "templates"
    theme.mkdir(parents=True)
    (theme / "404.html").write_text("{% extends 'base.html' %}{% block content %}gone{% endblock %}")
    again = render_site(entries, config(tmp_path), memo=first.memo, previous=written.get)
    assert b"gone" in {f.path: f.data for f in again.files}["404.html"]
    assert again.rendered == len(html)


def test_memo_from_another_key_is_ignored(tmp_path: Path) -> None:
    entries = sample_entries()
    first = render_site(entries, config(tmp_path))
    stale = dataclasses.replace(first.memo, key="other")
    assert render_site(entries, config(tmp_path), memo=stale).files == first.files
    assert RenderMemo().key == ""


def _versions(entries: list[Entry]) -> dict[str, str]:
    return {entry_key(e): hashlib.sha256(repr(e).encode()).hexdigest() for e in entries}


@pytest.mark.parametrize("which", [1, 4, 13, 41])  # a teaser, the undated entry, generated ones
@pytest.mark.parametrize("change", ["body", "summary", "title"])
def test_a_planned_render_equals_a_cold_one(tmp_path: Path, which: int, change: str) -> None:
    """With versions and `unchanged`, a render after one edit plans only some pages; the site it
    describes (its files plus the kept previous files) is byte for byte a cold render's."""
    entries = [*sample_entries(), *(item.entry for item in generate(48, words=40))]
    first = render_site(entries, config(tmp_path), versions=_versions(entries), unchanged=lambda _: False)
    written = {f.path: f.data for f in first.files}
    edited = list(entries)
    target = edited[which % len(edited)]
    edited[which % len(edited)] = dataclasses.replace(target, **{
        "body": {"body": target.body + "\n\nOne more line."},
        "summary": {"summary": target.summary + " (more)"},
        "title": {"title": target.title + " "},  # keeps the order, mostly: the planner checks
    }[change])
    cold = render_site(edited, config(tmp_path))
    planned = render_site(edited, config(tmp_path), memo=first.memo, versions=_versions(edited),
                          unchanged=lambda path: path in written)
    site = {**{path: written[path] for path in planned.kept}, **{f.path: f.data for f in planned.files}}
    assert site == {f.path: f.data for f in cold.files}
    assert planned.problems == cold.problems
    assert planned.rendered < len([f for f in cold.files if f.path.endswith(".html")]) // 3


def test_a_planned_render_falls_back_when_a_kept_file_was_touched(tmp_path: Path) -> None:
    entries = [*sample_entries(), *(item.entry for item in generate(20, words=40))]
    first = render_site(entries, config(tmp_path), versions=_versions(entries), unchanged=lambda _: False)
    edited = [dataclasses.replace(entries[0], body=entries[0].body + "\n\nMore."), *entries[1:]]
    again = render_site(edited, config(tmp_path), memo=first.memo, versions=_versions(edited),
                        unchanged=lambda path: path != "tags/index.html")
    assert "tags/index.html" in {f.path for f in again.files}
