"""read_sources: decoding, line ends, bad inputs, hidden files and symlinks."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from generator import ingest
from generator.ingest import read_sources
from generator.models import Severity, SourceKind


def test_reads_kinds_sorted_and_relative(tmp_path: Path) -> None:
    src = tmp_path / "seeds"
    (src / "sub").mkdir(parents=True)
    (src / "b.txt").write_text("Title\n\nText.\n", "utf-8")
    (src / "a.html").write_text("<html><body><p>x</p></body></html>", "utf-8")
    (src / "sub" / "c.md").write_text("---\ntitle: T\n---\nbody\n", "utf-8")
    (src / "ignored.pdf").write_bytes(b"%PDF")
    (src / ".hidden.txt").write_text("secret", "utf-8")
    docs, problems = read_sources(src, tmp_path)
    assert [d.path for d in docs] == ["a.html", "b.txt", "sub/c.md"]
    assert [d.kind for d in docs] == [SourceKind.HTML, SourceKind.TEXT, SourceKind.MARKDOWN]
    assert problems == []


def test_bom_crlf_and_utf16(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes("\ufeffTítulo\r\nline\rend".encode("utf-8"))
    (tmp_path / "u16.txt").write_bytes("Überschrift\r\nText".encode("utf-16"))
    docs, problems = read_sources(tmp_path, tmp_path)
    texts = {d.path: d.text for d in docs}
    assert texts["bom.txt"] == "Título\nline\nend"
    assert texts["u16.txt"] == "Überschrift\nText"
    assert not [p for p in problems if p.severity is Severity.ERROR]


def test_other_encoding_is_detected_and_reported(tmp_path: Path) -> None:
    text = "Le président a déclaré à la presse que la réforme était nécessaire pour l'économie française.\n" * 5
    (tmp_path / "latin.txt").write_bytes(text.encode("cp1252"))
    docs, problems = read_sources(tmp_path, tmp_path)
    assert docs and "président" in docs[0].text
    assert [p.severity for p in problems] == [Severity.NOTICE]
    assert problems[0].path == "latin.txt"


def test_binary_empty_and_huge_files_give_one_error_each(tmp_path: Path, monkeypatch: object) -> None:
    (tmp_path / "bin.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "big.txt").write_bytes(b"a" * 2048)
    (tmp_path / "ok.txt").write_text("Fine\n\nA sentence here.", "utf-8")
    monkeypatch.setattr(ingest, "MAX_BYTES", 1024)  # type: ignore[attr-defined]
    docs, problems = read_sources(tmp_path, tmp_path.parent)
    assert [d.path for d in docs] == ["ok.txt"]
    by_file = {p.path.rsplit("/", 1)[-1]: p for p in problems}
    assert set(by_file) == {"bin.txt", "empty.txt", "big.txt"}
    assert all(p.severity is Severity.ERROR for p in problems)
    assert "binary" in by_file["bin.txt"].message
    assert "empty" in by_file["empty.txt"].message
    assert "too large" in by_file["big.txt"].message
    assert by_file["bin.txt"].path == f"{tmp_path.name}/bin.txt"


def test_symlink_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret", "utf-8")
    src = tmp_path / "seeds"
    src.mkdir()
    (src / "link.txt").symlink_to(outside)
    (src / "real.txt").write_text("x y z", "utf-8")
    (src / "inner.txt").symlink_to(src / "real.txt")
    docs, problems = read_sources(src, tmp_path)
    assert [d.path for d in docs] == ["inner.txt", "real.txt"]
    assert len(problems) == 1 and "outside" in problems[0].message


def test_missing_directory(tmp_path: Path) -> None:
    docs, problems = read_sources(tmp_path / "nope", tmp_path)
    assert docs == [] and len(problems) == 1


def test_unchanged_files_are_not_read_again_and_changed_ones_are(tmp_path: Path) -> None:
    src = tmp_path / "seeds"
    src.mkdir()
    (src / "a.txt").write_text("Title A\n\nText of a.\n", "utf-8")
    (src / "b.txt").write_bytes("Título\n\nTexto é.\n".encode("cp1252"))
    stats: ingest.SourceStats = {}
    first, first_problems = read_sources(src, tmp_path, stats)
    assert all(d.read for d in first) and set(stats) == {"a.txt", "b.txt"}
    again, again_problems = read_sources(src, tmp_path, stats)
    assert [d.read for d in again] == [False, False] and [d.text for d in again] == ["", ""]
    assert [(d.path, d.kind, d.encoding, d.digest) for d in again] == [
        (d.path, d.kind, d.encoding, d.digest) for d in first]
    assert again_problems == first_problems and [p.severity for p in again_problems] == [Severity.NOTICE]
    # Read when needed after all: the same document as a first read.
    assert [ingest.read_again(d, src, tmp_path) for d in again] == first
    assert all(ingest.read_again(d, src, tmp_path).text for d in again)
    (src / "a.txt").write_text("Title A\n\nText of a, longer now.\n", "utf-8")
    (src / "c.md").write_text("---\ntitle: C\n---\nbody\n", "utf-8")
    (src / "b.txt").unlink()
    third, _ = read_sources(src, tmp_path, stats)
    assert [(d.path, d.read) for d in third] == [("a.txt", True), ("c.md", True)]
    assert "longer now" in third[0].text and set(stats) == {"a.txt", "c.md"}


def test_reading_ahead_gives_what_reading_without_it_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel is asked to read ahead every file about to be read, and only those
    (ingest._read_ahead): the documents, their order, the problems and the recorded stats
    are those of reading without it, and a FIFO among the sources neither hangs the read
    nor is opened."""
    sources = tmp_path / "seeds"
    (sources / "deeper").mkdir(parents=True)
    for number in range(90):
        folder = sources / "deeper" if number % 3 == 0 else sources
        kind = (".txt", ".md", ".html")[number % 3]
        data = {0: b"", 7: b"\x00\x01binary", 11: "Caf\xe9 cr\xe8me br\xfbl\xe9e".encode("cp1252")}.get(
            number, f"Article {number}\r\n\r\nA paragraph about item {number}.\n".encode())
        (folder / f"item-{number:03d}{kind}").write_bytes(data)
    outside = tmp_path / "outside.txt"
    outside.write_text("elsewhere", encoding="utf-8")
    (sources / "link.txt").symlink_to(outside)
    os.mkfifo(sources / "pipe.txt")
    monkeypatch.setattr(ingest, "MAX_BYTES", 60)  # and some files are too large
    asked: list[list[str]] = []
    real_read_ahead = ingest._read_ahead

    def read_ahead(paths: Iterable[str]) -> None:
        asked.append(sorted(paths))
        real_read_ahead(asked[-1])

    monkeypatch.setattr(ingest, "_read_ahead", read_ahead)

    def read() -> tuple[object, object, object]:
        stats: ingest.SourceStats = {}
        documents, problems = read_sources(sources, tmp_path, stats)
        again = read_sources(sources, tmp_path, stats)  # (the stats say nothing changed: nothing is read)
        return (documents, problems, stats), again, [d.read for d in again[0]]

    ahead = read()
    read_first, read_again = asked
    # Every file but those too large to read, and the link pointing outside; then only the files
    # that gave no document (empty, binary), which are read again to say so again.
    assert read_first == sorted(str(p) for p in sources.rglob("item-*") if p.stat().st_size <= 60)
    assert read_again == [p for p in read_first if p.endswith(("item-000.txt", "item-007.md"))]
    assert not any(path.endswith("pipe.txt") for path in read_first)
    monkeypatch.delattr(ingest.os, "posix_fadvise")  # as where the C library has none
    assert read() == ahead
    documents, problems, _ = ahead[0]  # type: ignore[misc]
    assert len(documents) > 60 and len({str(p) for p in problems}) >= 4


def test_reading_in_several_processes_gives_what_reading_in_one_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many files are read (and `extra` run on their texts) in forked processes too: the
    documents, their order, the problems, the stats and the extras are those of one process."""
    sources = tmp_path / "seeds"
    (sources / "deeper").mkdir(parents=True)
    for number in range(60):
        folder = sources / "deeper" if number % 4 == 0 else sources
        kind = (".txt", ".md", ".html")[number % 3]
        data = {0: b"", 7: b"\x00\x01binary", 11: "Caf\xe9 cr\xe8me br\xfbl\xe9e".encode("cp1252"),
                13: b"\xef\xbb\xbfWith a BOM\r\nand CRLF"}.get(
            number, f"Article {number}\r\n\r\nA paragraph about item {number}.\n".encode())
        (folder / f"item-{number:03d}{kind}").write_bytes(data)
    monkeypatch.setattr(ingest, "MAX_BYTES", 40)  # and some files are too large

    def read(jobs: int) -> tuple[object, ...]:
        stats: ingest.SourceStats = {}
        extras: dict[str, int] = {}
        documents, problems = read_sources(sources, tmp_path, stats, extra=len, extras=extras, jobs=jobs)
        return documents, problems, stats, extras

    monkeypatch.setattr(ingest, "PARALLEL_READS", 1)
    forked: list[int] = []
    real_parallel_map = ingest.parallel_map

    def parallel_map(function, items, jobs=None, minimum=None):  # type: ignore[no-untyped-def]
        forked.append(jobs)
        return real_parallel_map(function, items, jobs, minimum)

    monkeypatch.setattr(ingest, "parallel_map", parallel_map)
    one, two = read(1), read(2)
    assert forked == [1, 2]
    assert one == two
    documents, problems, _, extras = two
    assert extras == {d.path: len(d.text) for d in documents}  # type: ignore[attr-defined]
    messages = " ".join(p.message for p in problems)  # type: ignore[attr-defined]
    assert documents and all(word in messages for word in ("empty", "binary", "too large", "cp1252"))
