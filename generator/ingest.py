"""The sources directory -> decoded `SourceDocument`s and the problems met. [reads files]

The only module of the normalizer that touches the file system. Every
.txt/.html/.htm/.md/.markdown file under the directory is read (sorted,
hidden files skipped, symlinks leaving the directory refused), decoded
(UTF-8 with or without BOM, UTF-16 with BOM, else detected with
charset-normalizer and reported) and given "\\n" line ends. Binary, empty
and oversized files are reported and skipped; nothing raises.
"""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

from .models import Problem, Severity, SourceDocument, SourceKind

MAX_BYTES = 20 * 1024 * 1024
"""Larger files are refused: no saved article is that big, and it keeps memory bounded."""

KINDS: dict[str, SourceKind] = {
    ".txt": SourceKind.TEXT,
    ".html": SourceKind.HTML,
    ".htm": SourceKind.HTML,
    ".md": SourceKind.MARKDOWN,
    ".markdown": SourceKind.MARKDOWN,
}


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) of raw bytes, or None when they are not text."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return None
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name), "utf-16"
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    text, encoding = str(best), best.encoding
    if encoding != "cp1252":
        # When several single-byte code pages read the bytes equally cleanly (short
        # Western texts: cp1250, cp775 and cp1252 all give "é" but differ on "ñ"),
        # windows-1252, the superset of Latin-1 the web used most, wins the tie.
        from charset_normalizer.md import mess_ratio

        try:
            western = data.decode("cp1252")
        except UnicodeDecodeError:
            western = None
        if western is not None and mess_ratio(western, 1.0) <= best.chaos:
            text, encoding = western, "cp1252"
    # Control characters other than whitespace mean the bytes were never text.
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(2, len(text) // 1000):
        return None
    return text, encoding


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_source(path: Path, sources_dir: Path, root: Path,
                rel: Path | None = None) -> tuple[SourceDocument | None, list[Problem]]:
    """Read one file into a SourceDocument, or explain why not (`rel`: path relative to sources_dir, if known)."""
    shown = _shown(path, root)
    kind = KINDS[path.suffix.lower()]
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, [Problem(shown, f"file is too large ({size // (1024 * 1024)} MB; the limit is "
                                         f"{MAX_BYTES // (1024 * 1024)} MB): skipped")]
        data = path.read_bytes()
    except OSError as error:
        return None, [Problem(shown, f"cannot be read: {error.strerror or error}")]
    if not data.strip():
        return None, [Problem(shown, "file is empty: skipped")]
    decoded = decode(data)
    if decoded is None:
        return None, [Problem(shown, "not a text file (binary content): skipped")]
    text, encoding = decoded
    text = normalize_newlines(text).lstrip("\ufeff")
    problems: list[Problem] = []
    if encoding not in ("utf-8", "utf-8-sig", "ascii"):
        problems.append(Problem(shown, f"not UTF-8: decoded as {encoding}", Severity.NOTICE))
    if not text.strip():
        return None, [Problem(shown, "file is empty: skipped")]
    shown_rel = (rel if rel is not None else path.relative_to(sources_dir)).as_posix()
    digest = hashlib.sha256(data).hexdigest()
    return SourceDocument(shown_rel, kind, text, encoding, digest), problems


def read_sources(sources_dir: Path, root: Path) -> tuple[list[SourceDocument], list[Problem]]:
    """Every source file under `sources_dir`, decoded, with the problems met."""
    documents: list[SourceDocument] = []
    problems: list[Problem] = []
    if not sources_dir.is_dir():
        return [], [Problem(_shown(sources_dir, root), "sources directory not found")]
    base = sources_dir.resolve()
    found = [(path.relative_to(sources_dir), path) for path in sources_dir.rglob("*")]
    found.sort(key=lambda pair: pair[0].as_posix())
    for rel, path in found:
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() not in KINDS:
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(base):
                problems.append(Problem(_shown(path, root), "symbolic link pointing outside the sources "
                                                            "directory: skipped"))
                continue
        if not path.is_file():
            continue
        document, met = read_source(path, sources_dir, root, rel)
        problems.extend(met)
        if document is not None:
            documents.append(document)
    return documents, problems
