"""Hugo and Pelican projects holding the same synthetic entries as ours.

Takes `SyntheticEntry`s and a directory; writes a project that the peer
builds into the same pages our archive builds: one page per entry, tags,
authors and publications (Pelican: categories) with paginated term pages,
year and month archives, a paginated home, and Atom/RSS feeds of 50 entries.
The configuration and the minimal templates are data next to this file
(`hugo/`, `pelican/`), written for this benchmark; no third-party theme is
used. Each entry's body is the same Markdown our content/ holds.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import yaml

from benchmarks.synthetic import SyntheticEntry

HERE = Path(__file__).resolve().parent
HUGO_TEMPLATE = HERE / "hugo"
PELICAN_TEMPLATE = HERE / "pelican"


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def hugo_page(item: SyntheticEntry) -> str:
    """The Hugo content file of one entry (YAML front matter, Markdown body)."""
    entry = item.entry
    assert entry.date is not None
    front = {
        "title": entry.title,
        "date": entry.date.isoformat(),
        "slug": entry.slug,
        "summary": entry.summary,
        "authors": list(entry.authors),
        "tags": list(entry.tags),
        "publications": [entry.publication] if entry.publication else [],
        "years": [f"{entry.date.year:04d}"],
        "months": [f"{entry.date.year:04d}-{entry.date.month:02d}"],
    }
    text = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=100_000)
    return f"---\n{text}---\n\n{entry.body.strip()}\n"


def pelican_page(item: SyntheticEntry) -> str:
    """The Pelican content file of one entry (Markdown with `Key: value` metadata)."""
    entry = item.entry
    assert entry.date is not None
    lines = [
        f"Title: {entry.title}",
        f"Date: {entry.date.isoformat()}",
        f"Slug: {entry.slug}",
        f"Authors: {', '.join(entry.authors)}",
        f"Tags: {', '.join(entry.tags)}",
        f"Category: {entry.publication or 'Uncategorized'}",
        f"Summary: {entry.summary}",
        "",
        entry.body.strip(),
        "",
    ]
    return "\n".join(lines)


def _write_pages(items: Sequence[SyntheticEntry], content: Path, *, hugo: bool) -> None:
    made: set[Path] = set()
    for item in items:
        target = content / item.entry.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_text(hugo_page(item) if hugo else pelican_page(item), encoding="utf-8")


def make_hugo_project(root: Path, items: Sequence[SyntheticEntry]) -> Path:
    """A Hugo site in `root` (hugo.toml, layouts/, content/posts/...); build with `hugo`."""
    root.mkdir(parents=True, exist_ok=True)
    _copy_tree(HUGO_TEMPLATE, root)
    _write_pages(items, root / "content" / "posts", hugo=True)
    return root


def make_pelican_project(root: Path, items: Sequence[SyntheticEntry]) -> Path:
    """A Pelican site in `root` (pelicanconf.py, theme/, content/...); build with `pelican`."""
    root.mkdir(parents=True, exist_ok=True)
    _copy_tree(PELICAN_TEMPLATE, root)
    _write_pages(items, root / "content", hugo=False)
    return root
