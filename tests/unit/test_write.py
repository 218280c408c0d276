"""write_site: the output tree is replaced whole, unchanged files are kept, nothing escapes."""

import os
from pathlib import Path

import pytest

from generator.models import OutputFile
from generator.write import Staged, abandon_staging, begin_staging, find_collisions, stage_file, write_site


def test_replaces_tree_and_keeps_unchanged_inodes(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site([OutputFile("index.html", b"a"), OutputFile("x/index.html", b"b"), OutputFile("gone.txt", b"g")], out)
    inode = os.stat(out / "index.html").st_ino
    report = write_site([OutputFile("index.html", b"a"), OutputFile("x/index.html", b"B")], out)
    assert (report.written, report.unchanged, report.removed) == (1, 1, 1)
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


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _dirs(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


def test_spare_tree_is_updated_in_place_and_always_equals_the_files(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / "cache" / "spare"
    states = [
        {"index.html": b"1", "a/index.html": b"a", "a/b/index.html": b"b", "gone/x.html": b"g"},
        {"index.html": b"2", "a/index.html": b"a", "a/b/index.html": b"b", "new/y.html": b"y"},
        {"index.html": b"2", "a/index.html": b"A", "new/y.html": b"y", "a/b": b"file where a dir was"},
        {"index.html": b"3", "a/index.html": b"A", "new/y.html": b"y", "a/b/index.html": b"dir again"},
        {"index.html": b"3", "a/index.html": b"A", "new/y.html": b"y", "a/b/index.html": b"dir again"},
        {"index.html": b"4"},
    ]
    previous: dict[str, bytes] = {}
    for number, state in enumerate(states):
        inodes = {path: os.stat(out / path).st_ino for path in previous}
        report = write_site([OutputFile(p, d) for p, d in state.items()], out, spare=spare)
        assert _tree(out) == state, number
        # No empty directory is left behind where a cold build would have none.
        assert _dirs(out) == {d for p in state for d in _parents(p)}, number
        changed = {p for p in state if previous.get(p) != state[p]}
        assert report.written == len(changed), number
        assert all(os.stat(out / p).st_ino == inodes[p] for p in state if p in previous and p not in changed)
        previous = state
        assert not list(tmp_path.glob(".site.*"))


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: n + 1]) for n in range(len(parts))]


def test_same_paths_are_linked_without_being_given_bytes(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / "spare"
    write_site([OutputFile("a.html", b"a"), OutputFile("d/b.html", b"b")], out, spare=spare)
    for _ in range(3):  # fresh, then the spare both ways round
        inode = os.stat(out / "d/b.html").st_ino
        write_site([OutputFile("a.html", b"a2")], out, same={"d/b.html"}, spare=spare)
        assert _tree(out) == {"a.html": b"a2", "d/b.html": b"b"}
        assert os.stat(out / "d/b.html").st_ino == inode
    write_site([OutputFile("a.html", b"a2")], out, same={"d/b.html"})  # no spare: staged afresh
    assert _tree(out) == {"a.html": b"a2", "d/b.html": b"b"}


def test_a_spare_without_its_record_is_not_trusted(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / "spare"
    write_site([OutputFile("a.html", b"1")], out, spare=spare)
    write_site([OutputFile("a.html", b"2")], out, spare=spare)
    # A build killed while updating the spare: the record is gone, the spare half-done.
    (spare / "record.pickle").unlink()
    (spare / "tree" / "junk.html").write_bytes(b"half-written")
    write_site([OutputFile("a.html", b"3")], out, spare=spare)
    assert _tree(out) == {"a.html": b"3"}
    write_site([OutputFile("a.html", b"4")], out, spare=spare)
    assert _tree(out) == {"a.html": b"4"}


def test_a_live_file_edited_in_place_is_not_carried_into_the_spare(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / "spare"
    for _ in range(2):
        write_site([OutputFile("a.html", b"a"), OutputFile("b.html", b"b")], out, spare=spare)
    # The spare shares b.html's inode; editing it in place edits both trees.
    with open(out / "b.html", "r+b") as handle:
        handle.write(b"X")
    write_site([OutputFile("a.html", b"a"), OutputFile("b.html", b"b")], out, spare=spare)
    assert _tree(out) == {"a.html": b"a", "b.html": b"b"}
    write_site([OutputFile("a.html", b"a2"), OutputFile("b.html", b"b")], out, spare=spare)
    assert _tree(out) == {"a.html": b"a2", "b.html": b"b"}


def test_a_site_swapped_in_without_the_spare_voids_its_record(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / "spare"
    for data in (b"1", b"2"):
        write_site([OutputFile("a.html", data), OutputFile("b.html", b"b")], out, spare=spare)
    write_site([OutputFile("a.html", b"3"), OutputFile("b.html", b"B")], out)  # no spare: staged afresh
    write_site([OutputFile("a.html", b"3")], out, same={"b.html"}, spare=spare)
    assert _tree(out) == {"a.html": b"3", "b.html": b"B"}


@pytest.mark.parametrize("with_spare", [False, True])
def test_report_counts_changed_files_as_written_not_removed(tmp_path: Path, with_spare: bool) -> None:
    out, spare = tmp_path / "site", (tmp_path / "spare" if with_spare else None)
    first = [OutputFile("a.html", b"a"), OutputFile("b.html", b"b"), OutputFile("c.html", b"c")]
    write_site(first, out, spare=spare)
    write_site(first, out, spare=spare)  # with a spare, the next write updates it in place
    report = write_site([OutputFile("a.html", b"A"), OutputFile("b.html", b"b"), OutputFile("d.html", b"d")],
                        out, spare=spare)
    assert (report.written, report.unchanged, report.removed) == (2, 1, 1)


def test_a_big_tree_is_written_by_several_threads_exactly_and_a_failure_leaves_the_old_site(tmp_path: Path) -> None:
    from generator.write import PARALLEL_WRITES

    out = tmp_path / "site"
    files = [OutputFile(f"d{n % 97}/p{n}/index.html", f"page {n}".encode()) for n in range(PARALLEL_WRITES + 500)]
    report = write_site(files, out)
    assert report.written == len(files)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(f.path for f in files)
    assert all((out / f.path).read_bytes() == f.data for f in files[::101])
    # A file where a directory must be, late in the list: the write fails in a thread.
    broken = [*files[:-1], OutputFile(files[0].path + "/x", b"y")]
    with pytest.raises(OSError):
        write_site(broken, out)
    assert (out / files[-1].path).read_bytes() == files[-1].data
    assert not list(tmp_path.glob(".site.*"))


def test_files_staged_where_they_were_made_are_swapped_in_with_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "site"
    staging = begin_staging(out)
    assert staging is not None and staging.is_dir() and not out.exists()
    created: set[str] = {""}
    staged = [stage_file(str(staging), OutputFile(path, data), created)
              for path, data in [("a/b/index.html", b"1"), ("a/c.xml", b"2")]]
    assert all(isinstance(file, Staged) and file.data == b"" for file in staged)
    report = write_site([*staged, OutputFile("index.html", b"3")], out, staged=staging)
    assert (report.written, report.unchanged, report.removed) == (3, 0, 0)
    assert {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()} == {
        "a/b/index.html": b"1", "a/c.xml": b"2", "index.html": b"3"}
    assert not list(tmp_path.glob(".site.*"))


def test_staging_is_only_begun_for_a_first_site_and_can_be_abandoned(tmp_path: Path) -> None:
    out = tmp_path / "site"
    staging = begin_staging(out)
    assert staging is not None
    stage_file(str(staging), OutputFile("x/index.html", b"x"), {""})
    abandon_staging(staging)
    assert not list(tmp_path.iterdir())
    write_site([OutputFile("index.html", b"a")], out)
    assert begin_staging(out) is None  # a live site: write_site makes the new tree from it
    with pytest.raises(ValueError):
        write_site([Staged("index.html", b"")], out)
