"""Determinism: the same input gives byte-identical site/ and content/ trees.

Two builds of one input (the seeds, a few synthetic page dumps and
hand-written Markdown) run as separate processes in two different
directories, at different times, with everything about the environment that
should not matter made different: hash seed, time zone, locale, the sources'
modification times and the order the files were created in. Their site/ and
content/ trees (manifest included) must be byte-identical, and neither may
mention the directory it was built in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from hardening.hardkit import GOOD_MD, tree

from tests.conftest import make_project

REPO = Path(__file__).resolve().parents[2]


def _project(root: Path, reverse: bool, seeds: bool = True) -> Path:
    sys.path.insert(0, str(REPO))
    from benchmarks.synthetic import archive_toml, generate, page_dump

    if seeds:
        make_project(root)
    else:
        (root / "seeds").mkdir(parents=True)
        (root / "archive.toml").write_text(archive_toml(), encoding="utf-8")
    items = generate(12, seed=3, words=150)
    order = list(reversed(items)) if reverse else items
    for item in order:  # creation order differs between the two projects
        (root / "seeds" / item.source_name).write_text(page_dump(item, items), encoding="utf-8")
    (root / "seeds" / "note.md").write_text(GOOD_MD, encoding="utf-8")
    (root / "content" / "hand").mkdir(parents=True)
    (root / "content" / "hand" / "mine.md").write_text(GOOD_MD.replace("perfectly good", "hand-made"),
                                                     encoding="utf-8")
    return root


def _build(root: Path, env: dict[str, str], mtime: float) -> None:
    for path in [*root.rglob("*")]:
        if path.is_file():
            os.utime(path, (mtime, mtime))
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--quiet"], cwd=root, env=env, check=False,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr


def test_two_builds_in_two_places_at_two_times_are_identical(tmp_path: Path) -> None:
    first = _project(tmp_path / "one", reverse=False)
    second = _project(tmp_path / "two dir ñ" / "deeper", reverse=True)
    base_env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "TZ", "LC_ALL", "LANG")}
    _build(first, {**base_env, "PYTHONHASHSEED": "1", "TZ": "UTC", "LC_ALL": "C"}, mtime=1_000_000_000)
    time.sleep(1.1)  # a clock that leaks into the output shows up as a different second
    _build(second, {**base_env, "PYTHONHASHSEED": "2", "TZ": "Pacific/Kiritimati", "LC_ALL": "C.UTF-8"},
           mtime=time.time())

    for directory in ("site", "content"):
        one, two = tree(first / directory), tree(second / directory)
        assert len(one) > 10
        differ = sorted(k for k in set(one) | set(two) if one.get(k) != two.get(k))
        assert not differ, f"{directory}/ differs: {differ[:10]}"
    for root in (first, second):
        for directory in ("site", "content"):
            for path in (root / directory).rglob("*"):
                if path.is_file():
                    data = path.read_bytes()
                    assert str(root).encode() not in data and str(tmp_path).encode() not in data, path


def test_source_date_epoch_does_not_change_content_dated_output(tmp_path: Path) -> None:
    """Nothing carries a build time today; if something starts to, it must follow SOURCE_DATE_EPOCH."""
    first = _project(tmp_path / "a", reverse=False, seeds=False)
    second = tmp_path / "b"
    shutil.copytree(first, second)
    _build(first, {**os.environ, "SOURCE_DATE_EPOCH": "1000000000"}, mtime=1_000_000_000)
    _build(second, {**os.environ, "SOURCE_DATE_EPOCH": "1000000000"}, mtime=2_000_000_000)
    assert tree(first / "site") == tree(second / "site")
    assert tree(first / "content") == tree(second / "content")
