"""Nothing lost: a build killed with SIGKILL leaves site/ and content/ as the previous or the
new complete build, and the next build finishes the job.

The project has 300 entries (benchmarks.synthetic): 30 page dumps
that go through the normalizer and the content store, and 270 ready
Markdown files in content/. Build A is recorded; then some dumps change, some
go and some come (state B), and B's clean build is recorded in a copy. Each
kill run restores A, applies the change, starts `python -m generator build
--verbose` and SIGKILLs it at a seeded random moment inside one of the build's
phases (normalize, sync, render, write), timed from that phase's progress line
with the phase lengths measured on the clean B build. After each kill:

- site/ is exactly A's or B's tree;
- content/: every visible file holds A's or B's bytes (never half-written);
  after the journal is rolled forward (what any next run does first) the whole
  store, manifest included, is exactly A's or B's;
- a following build exits 0 and gives exactly B's site/ and content/.

`pytest tests/hardening/test_kill.py -s` prints one line per kill.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hardening.hardkit import run_cli, tree, visible_tree

REPO = Path(__file__).resolve().parents[2]
DUMPS, MARKDOWN = 30, 270
PHASES = (("normalize", "normalizing"), ("sync", "syncing"), ("render", "rendering"), ("write", "writing"))
KILLS = ("normalize", "normalize", "sync", "sync", "render", "render", "write", "write")
SEED = 8


def _store(content: Path) -> dict[str, str]:
    """content/ as the store sees it: visible files plus the manifest, no journal or temp files."""
    return {k: v for k, v in tree(content).items()
            if not k.endswith(".new") and not k.endswith(".archive-journal.json")}


def _make_a(root: Path) -> None:
    sys.path.insert(0, str(REPO))
    from benchmarks.synthetic import generate, make_project, page_dump, write_content

    items = generate(DUMPS + MARKDOWN + 5, seed=SEED, words=200)
    make_project(root, [], dumps=False, content=False)
    for item in items[:DUMPS]:
        (root / "seeds" / item.source_name).write_text(page_dump(item, items), encoding="utf-8")
    write_content(items[DUMPS:DUMPS + MARKDOWN], root / "content" / "hand")


def _change_to_b(root: Path) -> None:
    sys.path.insert(0, str(REPO))
    from benchmarks.synthetic import generate, page_dump

    items = generate(DUMPS + MARKDOWN + 5, seed=SEED, words=200)
    seeds = root / "seeds"
    names = sorted(p.name for p in seeds.iterdir())
    for name in names[:6]:  # edited sources: new body text
        path = seeds / name
        path.write_text(path.read_text(encoding="utf-8").replace(" the ", " the very "), encoding="utf-8")
    for name in names[-3:]:  # deleted sources
        (seeds / name).unlink()
    for item in items[DUMPS + MARKDOWN:]:  # new sources
        (seeds / item.source_name).write_text(page_dump(item, items), encoding="utf-8")


class BuildProcess:
    """`python -m generator build --verbose` whose progress lines are timestamped as they come."""

    def __init__(self, root: Path) -> None:
        self.started = self.ended = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "generator", "build", "--verbose"], cwd=root,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.seen: list[tuple[float, str]] = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self.cond:
                self.seen.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, marker: str, timeout: float = 300) -> float | None:
        """When a progress line holding `marker` came (None if the build ended first)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for at, line in self.seen:
                    if marker in line:
                        return at
                if self.proc.poll() is not None and not self.reader.is_alive():
                    return None
                self.cond.wait(min(0.05, max(0.0, deadline - time.monotonic())))
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {marker!r} line: {self.seen}")

    def phase_at(self, when: float) -> str:
        name = "start"
        with self.cond:
            for at, line in self.seen:
                if at > when:
                    break
                for phase, marker in PHASES:
                    if marker in line:
                        name = phase
        return name

    def finish(self) -> int:
        code = self.proc.wait(600)
        self.ended = time.monotonic()
        self.reader.join(10)
        return code


def _phase_lengths(root: Path) -> dict[str, float]:
    build = BuildProcess(root)
    assert build.finish() == 0, build.seen
    marks = []
    for phase, marker in PHASES:
        at = next(t for t, line in build.seen if marker in line)
        marks.append((phase, at))
    ends = [at for _, at in marks[1:]] + [build.ended]
    return {phase: max(0.05, end - at) for (phase, at), end in zip(marks, ends, strict=True)}


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_old_or_new_state(tmp_path: Path) -> None:
    from generator.content import recover

    a_root = tmp_path / "a"
    _make_a(a_root)
    assert run_cli(a_root, "build", "--quiet").code == 0
    site_a, content_a, store_a = tree(a_root / "site"), visible_tree(a_root / "content"), _store(a_root / "content")
    b_root = tmp_path / "b"
    shutil.copytree(a_root, b_root, symlinks=True)
    _change_to_b(b_root)
    lengths = _phase_lengths(b_root)
    site_b, content_b, store_b = tree(b_root / "site"), visible_tree(b_root / "content"), _store(b_root / "content")
    assert site_a != site_b and store_a != store_b and len(content_a) >= 300

    rng = random.Random(SEED)
    report = [f"phase lengths (s): {', '.join(f'{k} {v:.2f}' for k, v in lengths.items())}"]
    for n, phase in enumerate(KILLS):
        work = tmp_path / f"kill-{n}"
        shutil.copytree(a_root, work, symlinks=True)
        _change_to_b(work)
        build = BuildProcess(work)
        marker = dict(PHASES)[phase]
        at = build.wait_line(marker)
        delay = rng.uniform(0.0, 1.0) * lengths[phase]
        if at is not None:
            time.sleep(max(0.0, at + delay - time.monotonic()))
        killed_at = time.monotonic()
        build.proc.kill()
        code = build.finish()
        where = "finished" if code == 0 else build.phase_at(killed_at)

        site_now = tree(work / "site")
        assert site_now in (site_a, site_b), f"kill {n}: site/ is neither the old nor the new build"
        content_now = visible_tree(work / "content")
        for path, digest in content_now.items():
            assert digest in (content_a.get(path), content_b.get(path)), f"kill {n}: {path} half-written"
        before_recovery = "A" if content_now == content_a else "B" if content_now == content_b else "mixed"
        recover(work / "content")
        store_now = _store(work / "content")
        assert store_now in (store_a, store_b), f"kill {n}: content/ is neither state after recovery"

        again = run_cli(work, "build", "--quiet")
        assert again.code == 0, again.err
        assert tree(work / "site") == site_b, f"kill {n}: the next build differs from a clean one"
        assert _store(work / "content") == store_b
        leftovers = [p.name for p in work.iterdir() if p.name.startswith(".site.")]
        assert not leftovers, leftovers
        report.append(
            f"kill {n}: in {where:9} after {killed_at - build.started:5.2f} s (exit {code}); "
            f"site/ {'A' if site_now == site_a else 'B'}; content/ {before_recovery} -> "
            f"{'A' if store_now == store_a else 'B'} after roll-forward; next build = clean B"
        )
        shutil.rmtree(work)
    print("\n" + "\n".join(report))
    assert re.search(r"site/ A", "\n".join(report))  # at least one kill landed before the swap
