"""lunr.js and lunr-languages, found in the installed mkdocs package.

Takes nothing and returns file contents: the client libraries are never
committed here nor fetched from a CDN. MkDocs (a runtime dependency) ships
lunr.js 2.3.9 in `mkdocs/contrib/search/templates/search/lunr.js` and
lunr-languages in `mkdocs/contrib/search/lunr-language/`. Reading files is a
side effect, but of installed, immutable package data, so it is cached.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

LUNR_VERSION = "2.3.9"


class VendorError(RuntimeError):
    """The installed mkdocs package does not hold the expected lunr files."""


@lru_cache(maxsize=1)
def search_dir() -> Path:
    """mkdocs/contrib/search inside the installed mkdocs package."""
    try:
        import mkdocs
    except ImportError as error:  # pragma: no cover - mkdocs is a dependency
        raise VendorError("the mkdocs package is required for lunr.js: pip install mkdocs") from error
    return Path(mkdocs.__file__).resolve().parent / "contrib" / "search"


@cache
def read(relative: str) -> bytes:
    """Bytes of one file under mkdocs/contrib/search."""
    path = search_dir() / relative
    try:
        return path.read_bytes()
    except OSError as error:
        raise VendorError(f"cannot read {path}: {error}") from error


def lunr_js() -> bytes:
    """lunr.js itself, checked to be the version lunr.py targets."""
    data = read("templates/search/lunr.js")
    if f"- {LUNR_VERSION}".encode() not in data[:400]:
        raise VendorError(f"mkdocs ships a lunr.js other than {LUNR_VERSION}")
    return data


def language_js(code: str) -> bytes:
    """lunr-languages' lunr.<code>.js (or lunr.stemmer.support.js for "stemmer.support")."""
    return read(f"lunr-language/lunr.{code}.js")


@cache
def stop_words(code: str) -> tuple[str, ...]:
    """The stop word list inside lunr.<code>.js (lunr.generateStopWordFilter('a b c'.split(' ')))."""
    text = language_js(code).decode("utf-8")
    match = re.search(r"generateStopWordFilter\(\s*'([^']*)'\s*\.split\(' '\)", text)
    if match is None:
        match = re.search(r'generateStopWordFilter\(\s*"([^"]*)"\s*\.split\(" "\)', text)
    if match is None:
        raise VendorError(f"no stop word list found in lunr.{code}.js")
    raw = match.group(1).encode("latin-1", "backslashreplace").decode("unicode_escape")
    return tuple(word for word in raw.split(" ") if word)
