"""The renderer's process pool and memo change nothing: same bytes, serial or parallel, cold or warm."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from sitecheck import sample_entries

from benchmarks.synthetic import generate
from generator import render
from generator.config import Config, PathsConfig, SiteConfig
from generator.render import RenderMemo, parallel_map, render_site

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
        assert os.getpid() not in set(parallel_map(_own_pid, list(range(20)), 2))
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
