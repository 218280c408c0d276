"""The CLI end to end on a copy of the seeds project: exit codes, summary, idempotence, hand edits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main


def run(project: Path, *argv: str) -> int:
    previous = Path.cwd()
    os.chdir(project)
    try:
        return main(list(argv))
    finally:
        os.chdir(previous)


@pytest.mark.parametrize("command", [[], ["build"], ["normalize"], ["serve"], ["check"]])
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: archive" in out and "--config" in out


def test_bad_usage_exits_2() -> None:
    assert main(["frobnicate"]) == 2
    assert main(["build", "--no-such-option"]) == 2


def test_invalid_config_exits_2_listing_every_problem(seeds_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (seeds_project / "archive.toml").write_text('[site]\nper_page = "many"\nnope = 1\n')
    assert run(seeds_project, "build") == 2
    err = capsys.readouterr().err
    assert "archive.toml" in err and "line 2: site.per_page" in err and "line 3: site.nope: unknown key" in err
    assert not (seeds_project / "site").exists()


def test_python_dash_m_works_like_archive(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "generator", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "usage: archive" in result.stdout


def test_build_prints_summary_and_normalize_twice_changes_nothing(
        seeds_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(seeds_project, "build") == 0
    out = capsys.readouterr().out
    for label in ("sources:  4 read", "entries:", "site:", "problems:", "time:"):
        assert label in out
    content = seeds_project / "content"
    stamps = {p: p.stat().st_mtime_ns for p in content.rglob("*") if p.is_file()}
    assert len(stamps) > 30
    assert run(seeds_project, "normalize") == 0
    assert "0 written" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in content.rglob("*") if p.is_file()} == stamps


def test_hand_edit_survives_rebuild_and_reaches_the_site(seeds_project: Path) -> None:
    assert run(seeds_project, "build") == 0
    article = next(p for p in (seeds_project / "content").rglob("*.md") if "demands-for-us-intervention" in p.name)
    edited = article.read_text(encoding="utf-8").replace("Leading United States", "Leading (corrected) United States")
    article.write_text(edited, encoding="utf-8")
    assert run(seeds_project, "build") == 0
    assert article.read_text(encoding="utf-8") == edited
    page = seeds_project / "site" / article.relative_to(seeds_project / "content").with_suffix("") / "index.html"
    assert "Leading (corrected) United States" in page.read_text(encoding="utf-8")


def test_failed_render_leaves_previous_site_untouched(seeds_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(seeds_project, "build") == 0
    before = {p: p.read_bytes() for p in (seeds_project / "site").rglob("*") if p.is_file()}
    broken = seeds_project / "themes" / "broken" / "templates"
    broken.mkdir(parents=True)
    (broken / "base.html").write_text("{% block content %}{% endfor %}")
    with (seeds_project / "archive.toml").open("a") as handle:
        handle.write('\n')
    text = (seeds_project / "archive.toml").read_text().replace('theme = "default"', 'theme = "broken"')
    (seeds_project / "archive.toml").write_text(text)
    assert run(seeds_project, "build") == 1
    err = capsys.readouterr().err
    assert "base.html" in err and "left as it was" in err
    assert {p: p.read_bytes() for p in (seeds_project / "site").rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("template, text", [
    ("base.html", "{% block content %}{% endfor %}"),  # does not compile: no page renders
    ("entry.html", '{% extends "base.html" %}{% block content %}{{ 1 // 0 }}{% endblock %}'),  # entries fail
])
def test_failed_first_render_leaves_no_site_and_no_staged_pages(
        seeds_project: Path, capsys: pytest.CaptureFixture[str], template: str, text: str) -> None:
    # With no site/ yet, pages are written into the staging tree as they are rendered: a render
    # that fails must take that tree away, pages already in it included.
    broken = seeds_project / "themes" / "broken" / "templates"
    broken.mkdir(parents=True)
    (broken / template).write_text(text)
    config = (seeds_project / "archive.toml").read_text().replace('theme = "default"', 'theme = "broken"')
    (seeds_project / "archive.toml").write_text(config)
    assert run(seeds_project, "build") == 1
    assert "left as it was" in capsys.readouterr().err
    assert not (seeds_project / "site").exists()
    assert not list(seeds_project.glob(".site.*"))


def test_check_builds_nothing_and_lists_review_items(seeds_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(seeds_project, "check") == 0
    out = capsys.readouterr().out
    assert "configuration: ok" in out and "needs a human look" in out
    assert not (seeds_project / "site").exists() and not (seeds_project / "content").exists()


def test_one_broken_source_does_not_take_the_archive_down(
        seeds_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (seeds_project / "seeds" / "broken.txt").write_bytes(b"\x00\x01\x02binary\xff\xfe" * 50)
    assert run(seeds_project, "build") == 1
    err = capsys.readouterr().err
    assert "broken.txt" in err
    assert (seeds_project / "site" / "index.html").is_file()
    assert len(list((seeds_project / "content").rglob("*.md"))) > 30


def test_progress_lines_when_not_a_terminal_and_silence_when_quiet(
        seeds_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(seeds_project, "build") == 0
    err = capsys.readouterr().err
    stages = [line for line in err.splitlines() if line.startswith("[") and "s] " in line]
    assert [s.split("] ", 1)[1].split()[0] for s in stages] == [
        "reading", "normalizing", "syncing", "loading", "rendering", "writing"]
    assert run(seeds_project, "build", "--quiet") == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
