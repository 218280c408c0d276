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
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar, cast

from .models import Problem, Severity, SourceDocument, SourceKind
from .parallel import parallel_map

T = TypeVar("T")

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
    if "\r" not in text:  # (most files: one scan instead of two copies)
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_source(path: Path, sources_dir: Path, root: Path, rel: Path | str | None = None,
                size: int | None = None) -> tuple[SourceDocument | None, list[Problem]]:
    """Read one file into a SourceDocument, or explain why not (`rel`: path relative to sources_dir,
    `size`: the file's size, when the caller knows them)."""
    return _document(path, sources_dir, root, rel, _read_bytes(path, root, size))


Read = tuple[bytes, str] | Problem
"""A file's bytes and their SHA-256 (hex), or why they could not be read."""


def _read_bytes(path: Path, root: Path, size: int | None = None) -> Read:
    """The bytes of the file at `path` and their digest (`size`: its size, when known)."""
    try:
        if size is None:
            size = os.stat(path).st_size
        if size > MAX_BYTES:
            return Problem(_shown(path, root), f"file is too large ({size // (1024 * 1024)} MB; the limit "
                                               f"is {MAX_BYTES // (1024 * 1024)} MB): skipped")
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return Problem(_shown(path, root), f"cannot be read: {error.strerror or error}")
    return data, hashlib.sha256(data).hexdigest()


def _document(path: Path, sources_dir: Path, root: Path, rel: Path | str | None,
              read: Read) -> tuple[SourceDocument | None, list[Problem]]:
    """What read_source gives for the file at `path`, from what reading it gave."""
    if isinstance(read, Problem):
        return None, [read]
    data, digest = read
    kind = KINDS[path.suffix.lower()]
    if not data.strip():
        return None, [Problem(_shown(path, root), "file is empty: skipped")]
    decoded = decode(data)
    if decoded is None:
        return None, [Problem(_shown(path, root), "not a text file (binary content): skipped")]
    text, encoding = decoded
    text = normalize_newlines(text).lstrip("\ufeff")
    problems: list[Problem] = []
    if encoding not in ("utf-8", "utf-8-sig", "ascii"):
        problems.append(Problem(_shown(path, root), f"not UTF-8: decoded as {encoding}", Severity.NOTICE))
    if not text.strip():
        return None, [Problem(_shown(path, root), "file is empty: skipped")]
    if rel is None:
        rel = path.relative_to(sources_dir)
    shown_rel = rel if isinstance(rel, str) else rel.as_posix()
    return SourceDocument(shown_rel, kind, text, encoding, digest), problems


SourceStat = tuple[int, int, str, str, tuple[Problem, ...]]
"""(size, mtime_ns, digest, encoding, problems) of a file as last read."""

SourceStats = dict[str, SourceStat]
"""Path (relative to the sources directory) -> its SourceStat: see read_sources."""


PARALLEL_READS = 1000
"""Files to read from which they are read (and `extra` is run) in forked processes too."""


def read_sources(sources_dir: Path, root: Path, stats: SourceStats | None = None,
                 extra: Callable[[str], T] | None = None, extras: dict[str, T] | None = None,
                 jobs: int | None = None) -> tuple[list[SourceDocument], list[Problem]]:
    """Every source file under `sources_dir`, decoded, with the problems met.

    With `stats` (kept by the caller between builds, updated in place), a file
    whose size and modification time are as recorded is not read: its
    document comes back with `read=False` and no text, the digest and problems
    as recorded (as make does; reading 10,000 page dumps costs a second).

    `extra` (pure) is run on the text of every document read, where it is read, and its result
    put in `extras` under the document's path: work on every text that the caller would
    otherwise do in a pass of its own. Many files are read in `jobs` processes (default: one
    per core; see parallel_map), which is the same but sooner.
    """
    documents: list[SourceDocument] = []
    problems: list[Problem] = []
    if not sources_dir.is_dir():
        return [], [Problem(_shown(sources_dir, root), "sources directory not found")]
    base = sources_dir.resolve()
    fresh: SourceStats = {}
    # Each file's status, and its record in `stats` when it is unchanged (it is not read then).
    listed: list[tuple[str, os.DirEntry[str], os.stat_result | None, SourceStat | None]] = []
    for rel, entry in _listing(sources_dir):
        if entry.is_symlink():
            target = Path(entry.path).resolve()
            if not target.is_relative_to(base):
                problems.append(Problem(_shown(Path(entry.path), root), "symbolic link pointing outside the "
                                                                        "sources directory: skipped"))
                continue
        try:
            if not entry.is_file():
                continue
            info: os.stat_result | None = entry.stat()
        except OSError:
            info = None
        known = stats.get(rel) if stats is not None and info is not None else None
        if known is not None and info is not None and known[:2] != (info.st_size, info.st_mtime_ns):
            known = None
        listed.append((rel, entry, info, known))
    _read_ahead(entry.path for _, entry, info, known in listed
                if known is None and info is not None and info.st_size <= MAX_BYTES)

    def read(item: tuple[str, str, int | None]) -> tuple[SourceDocument | None, list[Problem], T | None]:
        rel, location, size = item
        path = Path(location)
        document, met = _document(path, sources_dir, root, rel, _read_bytes(path, root, size))
        return document, met, extra(document.text) if extra is not None and document is not None else None

    to_read = [(rel, entry.path, info.st_size if info is not None else None)
               for rel, entry, info, known in listed if known is None]
    were_read = iter(parallel_map(read, to_read, jobs, minimum=PARALLEL_READS))
    for rel, entry, info, known in listed:
        if known is not None:
            fresh[rel] = known
            problems.extend(known[4])
            # (no Path made for a file not read: ten thousand of them cost a tenth of a second)
            kind = KINDS[entry.name[entry.name.rfind("."):].lower()]
            documents.append(SourceDocument(rel, kind, "", known[3], known[2], read=False))
            continue
        document, met, found = next(were_read)
        problems.extend(met)
        if document is not None:
            documents.append(document)
            if extra is not None and extras is not None:
                extras[rel] = cast(T, found)
            if info is not None:
                fresh[rel] = (info.st_size, info.st_mtime_ns, document.digest, document.encoding, tuple(met))
    if stats is not None:
        stats.clear()
        stats.update(fresh)
    return documents, problems


def _read_ahead(paths: Iterable[str]) -> None:
    """Have the kernel start reading the files at `paths` into its page cache, all at once, and
    return without waiting for them (posix_fadvise WILLNEED; nothing where there is none).

    The files are then read one after another, in this thread. From a cold page cache, each
    read would otherwise wait on the disk in turn: read_sources took 1.24-1.42 s over 10,000
    page dumps that way, 0.43-0.46 s after this (four threads reading at once: 0.72-0.86 s).
    From a warm one, this costs about 0.04 s, and it took 0.33-0.35 s in all (four threads:
    0.48-0.59 s, every file's Python work waiting its turn for the interpreter lock).
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for path in paths:
        try:
            # (non-blocking: a file that turned into a FIFO since it was listed cannot hang this)
            handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            continue  # reading it says why
        try:
            advise(handle, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(handle)


def read_again(document: SourceDocument, sources_dir: Path, root: Path) -> SourceDocument:
    """`document` with its text: read now when read_sources skipped it (an empty text if the
    file has gone since)."""
    if document.read:
        return document
    again, _ = read_source(sources_dir / document.path, sources_dir, root, document.path)
    return again if again is not None else replace(document, read=True)


def _listing(sources_dir: Path) -> list[tuple[str, os.DirEntry[str]]]:
    """(path relative to sources_dir, directory entry) of every non-hidden file whose suffix
    is a source's, in path order (see project_files)."""
    return sorted(((relative, entry) for relative, entry in project_files(sources_dir)
                   if (dot := entry.name.rfind(".")) > 0 and entry.name[dot:].lower() in KINDS),
                  key=lambda pair: pair[0])


def project_files(directory: str | Path,
                  on_hidden: Callable[[os.DirEntry[str]], None] | None = None,
                  ) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(path relative to `directory`, directory entry) of everything under it but folders, in
    no set order: the one walk of a project's sources and of content/.

    Names starting with "." are hidden: neither yielded nor entered, but handed to `on_hidden`.
    Symlinked folders are not entered (as Path.rglob: no loops) but yielded like files (callers
    ask `is_file()`); an unreadable folder is skipped. One os.scandir per folder: the stat comes
    with the directory entry, which keeps a rebuild of 10,000 files out of pathlib.
    """
    pending = [(os.fspath(directory), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                if on_hidden is not None:
                    on_hidden(entry)
                continue
            try:
                inside = entry.is_dir(follow_symlinks=False)
            except OSError:
                inside = False
            if inside:
                pending.append((entry.path, f"{prefix}{entry.name}/"))
            else:
                yield f"{prefix}{entry.name}", entry
