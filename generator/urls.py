"""Slugs, permalinks and output paths, pure.

Every URL of the site is relative to the site root and ends in "/" for pages
(`2019/03/some-title/`), which maps to `<path>index.html` on disk. Pages link
to each other with relative links (`relative_url`), so the site works at a
domain root, under a sub-path and from `file://` alike.
"""

from __future__ import annotations

import functools
import posixpath
import re

from slugify import slugify as _slugify

from .models import Entry

MAX_SLUG = 80
_ALREADY_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_SLUG_PATH = re.compile(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*/)*[a-z0-9]+(?:-[a-z0-9]+)*\Z")
UNDATED = "undated"


def slugify(text: str, fallback: str = "untitled") -> str:
    """A lowercase ASCII slug; Unicode is transliterated, never empty.

    >>> slugify("Ríos: “Caravan” ’19")
    'rios-caravan-19'
    """
    if len(text) <= MAX_SLUG and _ALREADY_SLUG.match(text):
        return text  # what python-slugify would return, 40 times faster: most path parts are slugs already
    # HTML entities ("&amp;", "&#38;") are decoded first; in ASCII text without "&" there are none,
    # and skipping the three entity regexes halves the time (a title to slug per new entry).
    entities = not text.isascii() or "&" in text
    slug = _slugify(text or "", max_length=MAX_SLUG, word_boundary=True, save_order=True,
                    entities=entities, decimal=entities, hexadecimal=entities)
    slug = slug.strip("-")
    return slug or fallback


def entry_dir(entry: Entry) -> str:
    """The year/month directory of an entry: "2019/03" or "undated"."""
    if entry.date is None:
        return UNDATED
    return f"{entry.date.year:04d}/{entry.date.month:02d}"


def content_path_for(entry: Entry, slug: str) -> str:
    """Where a generated entry is stored under content/."""
    return f"{entry_dir(entry)}/{slug}.md"


def entry_url(entry: Entry) -> str:
    """The entry's page URL relative to the site root: its content folder, then its slug.

    Every segment is slugified, so a file a person named "Update: strike #2?.md"
    gets a link no browser reads as a scheme, a query or a fragment; the
    `slug` front matter key, when given, names the page (README).
    """
    stem = entry.path.removesuffix(".md")
    if not stem:
        stem = f"{entry_dir(entry)}/{entry.slug}"
    return _url_of(stem, entry.slug)


def url_key(entry: Entry) -> str:
    """What entry_url reads of an entry, as one string: equal keys, equal URLs (an edited body
    keeps its entry's key)."""
    return f"{entry.path}\x1f{entry.slug}\x1f{entry.date}"


@functools.lru_cache(maxsize=1 << 17)
def _url_of(stem: str, slug: str) -> str:
    # Slugifying is slow (~45 µs a segment) and every stage asks for every entry's URL.
    if _SLUG_PATH.match(stem) and (not slug or stem.endswith(f"/{slug}") or stem == slug) and all(
            len(part) <= MAX_SLUG for part in stem.split("/")):
        return f"{stem}/"  # every part a slug already (the store names files so): nothing to change
    parts = safe_relative(stem).split("/")
    return "/".join([*(slugify(part) for part in parts[:-1]), slugify(slug or parts[-1])]) + "/"


def page_file(url: str) -> str:
    """The file that serves a page URL: "a/b/" -> "a/b/index.html"."""
    if url in ("", "/"):
        return "index.html"
    if url.endswith("/"):
        return safe_relative(url) + "/index.html"
    return safe_relative(url)


def relative_url(from_url: str, to_url: str) -> str:
    """A relative link from the page at `from_url` to `to_url` (both root-relative).

    Page URLs end in "/" and their links to pages keep "index.html" when the
    site is opened from disk would need it; we link to directories and let the
    theme append index.html for file:// (see `link` in render).
    """
    base = posixpath.dirname(page_file(from_url))
    target = to_url or ""
    rel = posixpath.relpath("/" + (target or "."), "/" + (base or "."))
    if rel == ".":
        rel = "./"
    elif target.endswith("/") and not rel.endswith("/"):
        rel += "/"
    if ":" in rel.split("/", 1)[0]:
        rel = "./" + rel  # RFC 3986 4.2: "a:b/" would be read as a URL with scheme "a"
    return rel


_UNSAFE_PART = re.compile(r"^(\.{1,2}|)$")


def safe_relative(path: str) -> str:
    """Reject a path that could leave the output directory.

    Raises ValueError for absolute paths, drive letters, backslashes, NULs,
    `..` segments and their percent-encoded forms.
    """
    if not isinstance(path, str) or "\x00" in path or "\\" in path:
        raise ValueError(f"unsafe path: {path!r}")
    lowered = path.lower()
    if "%2e" in lowered or "%2f" in lowered or "%5c" in lowered:
        raise ValueError(f"unsafe path: {path!r}")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise ValueError(f"unsafe path: {path!r}")
    parts = path.rstrip("/").split("/")
    if any(_UNSAFE_PART.match(part) for part in parts):
        raise ValueError(f"unsafe path: {path!r}")
    return path.rstrip("/")
