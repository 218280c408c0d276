"""Shared helpers of the hardening tests: tiny projects, in-process builds, tree snapshots.

Imported as `hardening.hardkit` (tests/ is on the pytest pythonpath).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ARCHIVE_TOML = '[site]\ntitle = "Hardening"\nbase_url = "https://archive.example.org/"\n'

GOOD_MD = """\
---
title: A perfectly good entry
date: 2020-01-02
authors: [Jane Doe]
tags: [news]
---

This ordinary entry must be built whatever the other sources hold. It has a few
sentences of text so that it reads like an article and not like a teaser.
"""

GOOD_TXT = """\
Home News World Contact

A Good Plain Text Page About Rivers

By Ana Ríos
March 13, 2019

The river rose through the night and by morning the lower town was under water. Neighbours carried what they could up the hill, and the school opened its doors to anyone who needed a bed, a meal or a dry pair of socks. Nobody in the town could remember a flood like it, not even the oldest fishermen, who had seen the water reach the church steps twice before.

By noon the water had begun to fall. The mayor said the town would count the damage in the coming days, and that help from the region was already on the way to the families who lost the most. The bakery reopened in the afternoon and gave away bread to everyone who had spent the night on the hill.

Volunteers from three villages arrived in the afternoon with boats, blankets and food, and stayed until the last house on the river road had been checked twice. In the evening the church bells rang to tell the town that everyone was safe and accounted for.
"""


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def new_project(root: Path, *, good: bool = True) -> Path:
    """A minimal project: archive.toml, seeds/ with one good Markdown and one good text source."""
    (root / "seeds").mkdir(parents=True, exist_ok=True)
    (root / "archive.toml").write_text(ARCHIVE_TOML, encoding="utf-8")
    if good:
        (root / "seeds" / "good.md").write_text(GOOD_MD, encoding="utf-8")
        (root / "seeds" / "good-page.txt").write_text(GOOD_TXT, encoding="utf-8")
    return root


@dataclass(frozen=True)
class Run:
    """What one `archive <command>` run in a project gave."""

    code: int
    out: str
    err: str


def run_cli(root: Path, *args: str) -> Run:
    """`generator.cli.main(args)` with the project as working directory, output captured."""
    from generator.cli import main

    out, err = io.StringIO(), io.StringIO()
    with chdir(root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Run(code, out.getvalue(), err.getvalue())


def tree(directory: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every regular file under `directory` (hidden files included)."""
    found: dict[str, str] = {}
    if not directory.is_dir():
        return found
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(directory).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def visible_tree(directory: Path) -> dict[str, str]:
    """`tree` without the store's hidden bookkeeping files (manifest, journal, temp files)."""
    return {k: v for k, v in tree(directory).items() if not any(p.startswith(".") for p in k.split("/"))}


def all_files(root: Path) -> set[str]:
    """Every path (files, dirs, links) under root, relative, for "nothing appeared outside" checks."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def entry_pages(site: Path) -> list[str]:
    """Entry page files (year/month/slug/index.html and undated/slug/index.html)."""
    pages = [p.relative_to(site).as_posix() for p in site.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html")]
    pages += [p.relative_to(site).as_posix() for p in site.glob("undated/*/index.html")]
    return sorted(pages)
