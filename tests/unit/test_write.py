"""write_site: the output tree is replaced whole, unchanged files are kept, nothing escapes."""

import os
from pathlib import Path

import pytest

from generator.models import OutputFile
from generator.write import find_collisions, write_site


def test_replaces_tree_and_keeps_unchanged_inodes(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site([OutputFile("index.html", b"a"), OutputFile("x/index.html", b"b"), OutputFile("gone.txt", b"g")], out)
    inode = os.stat(out / "index.html").st_ino
    report = write_site([OutputFile("index.html", b"a"), OutputFile("x/index.html", b"B")], out)
    assert (report.written, report.unchanged) == (1, 1)
    assert os.stat(out / "index.html").st_ino == inode
    assert (out / "x/index.html").read_bytes() == b"B"
    assert not (out / "gone.txt").exists()
    assert not list(tmp_path.glob(".site.*"))


def test_failure_leaves_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site([OutputFile("index.html", b"old")], out)

    # "index.html" as a file and as a directory cannot both exist: the write fails midway.
    with pytest.raises(OSError):
        write_site([OutputFile("index.html", b"new"), OutputFile("index.html/x", b"y")], out)
    assert (out / "index.html").read_bytes() == b"old"


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "%2e%2e/x", "C:/x", "a\\b", "a/./b", ""])
def test_unsafe_paths_are_refused(bad: str) -> None:
    kept, problems = find_collisions([OutputFile(bad, b"x"), OutputFile("ok.html", b"y")])
    assert [f.path for f in kept] == ["ok.html"]
    assert problems and "refused" in problems[0].message


def test_second_claim_on_a_path_is_reported() -> None:
    kept, problems = find_collisions([OutputFile("a/index.html", b"1"), OutputFile("A/index.html", b"2")])
    assert len(kept) == 1 and "two pages" in problems[0].message
