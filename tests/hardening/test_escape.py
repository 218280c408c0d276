"""No escape: nothing in the sources or content makes the build write outside site/ and
content/, and the preview server never serves a file outside the output directory.

The build side plants hostile slugs, tags, author and publication names (`../`,
absolute paths, `%2e%2e`, drive letters, backslashes) and symlinks in seeds/
that point outside, records every file around the project, builds, and
asserts that only site/, content/ and the cache changed and that no byte of
the outside files reached the site. The server side starts the real
`archive serve` on a free port and sends raw HTTP requests (so no client
library normalizes the path first).
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hardening.hardkit import all_files, new_project, run_cli, tree

SECRET = "SECRET-OUTSIDE-7f3a"
SAFE_PART = re.compile(r"^\.?[A-Za-z0-9][A-Za-z0-9._-]*$")
HOSTILE_NAMES = ["../../etc", "/abs", "%2e%2e%2f%2e%2e", "C:", "C:\\Windows", "..", ".", "\\..\\x",
                 "../../../../../../tmp/pwned", "..%2f..%2fx", "a/../../b", "~root", "\x00nul", "CON"]


def _md(title: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\n{extra}---\n\nBody of {title}.\n"


def _yaml_list(values: list[str]) -> str:
    import json

    return json.dumps(values)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the project with a secret Markdown file in it."""
    directory = tmp_path / "outside"
    (directory / "dir").mkdir(parents=True)
    secret = _md("Outside secret").replace("Body of", SECRET)
    (directory / "secret.md").write_text(secret, encoding="utf-8")
    (directory / "secret.txt").write_text(f"Outside Headline\n\n{SECRET} " * 40, encoding="utf-8")
    (directory / "dir" / "inner.md").write_text(secret, encoding="utf-8")
    return directory


def _hostile_project(root: Path, outside: Path) -> Path:
    new_project(root)
    seeds = root / "seeds"
    for i, slug in enumerate(["../../../x", "/abs/x", "%2e%2e/%2e%2e/x", "C:\\\\Windows\\\\x", "..\\\\..\\\\x"]):
        (seeds / f"slug-{i}.md").write_text(_md(f"Slug attack {i}", f'slug: "{slug}"\n'), encoding="utf-8")
    (seeds / "names.md").write_text(_md("Name attack", f"tags: {_yaml_list(HOSTILE_NAMES)}\n"
                                                       f"authors: {_yaml_list(HOSTILE_NAMES)}\n"
                                                       'publication: "../../pub"\n'), encoding="utf-8")
    (seeds / "title.md").write_text(_md('"../../../../etc/passwd"'), encoding="utf-8")
    (seeds / "link.md").symlink_to(outside / "secret.md")
    (seeds / "link.txt").symlink_to(outside / "secret.txt")
    (seeds / "linkdir").symlink_to(outside / "dir", target_is_directory=True)
    (seeds / "inside-link.md").symlink_to(seeds / "good.md")  # stays inside: fine
    return root


def _outside_the_output(tmp_path: Path) -> set[str]:
    kept = ("project/site", "project/content", "project/.archive-cache", "project/.site.")
    return {p for p in all_files(tmp_path) if not p.startswith(kept)}


def test_hostile_names_and_symlinks_write_nothing_outside(tmp_path: Path, outside: Path) -> None:
    root = _hostile_project(tmp_path / "project", outside)
    before_files = _outside_the_output(tmp_path)
    before_outside = tree(outside)
    run = run_cli(root, "build", "--verbose")
    assert _outside_the_output(tmp_path) == before_files
    assert tree(outside) == before_outside
    assert not Path("/abs").exists() and not Path("/tmp/pwned").exists()
    # The symlinks leading out are refused by name; the one staying inside is fine.
    assert any(line.startswith("seeds/link.md: error: symbolic link pointing outside") for line in run.err.splitlines())
    assert any(line.startswith("seeds/link.txt: error: symbolic link pointing outside") for line in run.err.splitlines())
    assert run.code == 1
    for directory in ("site", "content"):
        for path in (root / directory).rglob("*"):
            text = path.read_bytes() if path.is_file() else b""
            assert SECRET.encode() not in text, path
            relative = path.relative_to(root / directory).as_posix()
            assert all(SAFE_PART.match(part) for part in relative.split("/")), relative
            assert not path.is_symlink(), path
    # Every hostile entry still got its page, under a safe name.
    pages = {p.parent.name for p in (root / "site").glob("undated/*/index.html")}
    assert {"slug-attack-0", "slug-attack-4", "name-attack", "etc-passwd"} <= pages, pages


def test_hand_made_content_cannot_steer_paths(tmp_path: Path, outside: Path) -> None:
    root = new_project(tmp_path / "project")
    content = root / "content" / "hand"
    content.mkdir(parents=True)
    (content / "slug.md").write_text(_md("Hand slug", 'slug: "../../../../x"\n'), encoding="utf-8")
    (content / "%2e%2e.md").write_text(_md("Percent name"), encoding="utf-8")
    (content / "C:x.md").write_text(_md("Drive name"), encoding="utf-8")
    (content / "back\\..\\slash.md").write_text(_md("Backslash name"), encoding="utf-8")
    before = _outside_the_output(tmp_path)
    run = run_cli(root, "build")
    assert _outside_the_output(tmp_path) == before, run.err
    # The front matter slug names the page (README), slugified: "../../../../x" -> hand/x/.
    assert (root / "site" / "hand" / "x" / "index.html").is_file()
    # A person's odd file name gets a slug URL, never a scheme, query or fragment.
    assert (root / "site" / "hand" / "c-x" / "index.html").is_file()
    assert not (tmp_path / "x").exists() and not (root / "x").exists()
    # "%2e%2e" in a file name is refused by name rather than decoded into "..".
    assert any(line.startswith("content/hand/%2e%2e.md: error") for line in run.err.splitlines()), run.err


def test_replacing_a_site_with_links_out_does_not_touch_their_targets(tmp_path: Path, outside: Path) -> None:
    root = new_project(tmp_path / "project")
    assert run_cli(root, "build").code == 0
    site = root / "site"
    (site / "link-dir").symlink_to(outside, target_is_directory=True)
    (site / "link-file.md").symlink_to(outside / "secret.md")
    (site / "static" / "evil").symlink_to(outside / "dir", target_is_directory=True)
    before = tree(outside)
    (root / "seeds" / "good.md").write_text(_md("A changed entry"), encoding="utf-8")
    assert run_cli(root, "build").code == 0
    assert tree(outside) == before
    assert not (site / "link-dir").exists() and not (site / "static" / "evil").exists()


@pytest.mark.parametrize("path", [
    "../x", "a/../../x", "/etc/passwd", "C:/x", "c:x", "a\\..\\x", "%2e%2e/x", "a/%2E%2E/x", "..%2fx",
    "%5c..", "a/\x00/b", "", ".", "./", "..", "a//b", "a/./b",
])
def test_safe_relative_refuses_every_spelling_of_leaving(path: str) -> None:
    from generator.urls import safe_relative

    with pytest.raises(ValueError):
        safe_relative(path)


# --- the preview server ----------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    """`archive serve --port 0` on a small project; site/ gains links out after the first build."""
    from serve_process import ServeProcess

    base = tmp_path_factory.mktemp("serve-escape")
    outside = base / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (outside / "dir" / "index.html").write_text(f"<p>{SECRET}</p>", encoding="utf-8")
    (base / "secret.txt").write_text(SECRET, encoding="utf-8")
    root = new_project(base / "project")
    (root / "secret.txt").write_text(SECRET, encoding="utf-8")
    (root / "seeds" / "secret.md").write_text(_md("Source secret").replace("Body of", SECRET), encoding="utf-8")
    process = ServeProcess(root, "--quiet")
    try:
        site = root / "site"
        for _ in range(100):
            if (site / "index.html").is_file():
                break
            time.sleep(0.1)
        (site / "out-dir").symlink_to(outside / "dir", target_is_directory=True)
        (site / "out-file.txt").symlink_to(outside / "secret.txt")
        match = re.match(r"http://([^:/]+):(\d+)/", process.url)
        assert match, process.url
        yield match.group(1), int(match.group(2)), outside
    finally:
        process.stop()


def _raw_get(host: str, port: int, target: bytes) -> tuple[int, bytes]:
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    status = re.match(rb"HTTP/1\.[01] (\d{3})", response)
    return (int(status.group(1)) if status else 0), response


TRAVERSALS = [
    b"/../secret.txt", b"/../../secret.txt", b"/../outside/secret.txt", b"/..%2fsecret.txt", b"/%2e%2e/secret.txt",
    b"/%2E%2E/%2e%2e/secret.txt", b"/%2e%2e%2f%2e%2e%2fsecret.txt", b"/.%2e/.%2e/secret.txt",
    b"/%252e%252e/secret.txt", b"/..\\secret.txt", b"/%5c..%5csecret.txt", b"/..%5c..%5csecret.txt",
    b"/static/../../secret.txt", b"/index.html/../../secret.txt", b"//../secret.txt", b"/./../secret.txt",
    b"/..;/secret.txt", b"/%c0%ae%c0%ae/secret.txt", b"/%e0%80%ae%e0%80%ae/secret.txt", b"/..%00/secret.txt",
    b"/%00../secret.txt", b"../secret.txt", b"secret.txt", b"/out-dir/", b"/out-dir/index.html",
    b"/out-file.txt", b"/seeds/secret.md", b"/../seeds/secret.md", b"/../archive.toml",
    b"http://127.0.0.1/../secret.txt", b"http://127.0.0.1/%2e%2e/secret.txt",
    b"/..%252f..%252fsecret.txt", b"/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode("latin-1") for t in TRAVERSALS])
def test_the_preview_server_serves_nothing_outside_the_site(served: tuple[str, int, Path], target: bytes) -> None:
    host, port, _ = served
    status, response = _raw_get(host, port, target)
    assert status in (301, 400, 403, 404), response[:300]
    assert SECRET.encode() not in response
    assert b"root:" not in response  # /etc/passwd


@pytest.mark.parametrize("target", [b"/?/../../secret.txt", b"/#/../../secret.txt", b"/?file=../../secret.txt"])
def test_query_and_fragment_never_reach_the_file_system(served: tuple[str, int, Path], target: bytes) -> None:
    host, port, _ = served
    status, response = _raw_get(host, port, target)
    assert status == 200 and b"<html" in response.lower() and SECRET.encode() not in response  # the home page


def test_absolute_file_system_paths_are_site_paths(served: tuple[str, int, Path]) -> None:
    host, port, outside = served
    for target in (str(outside / "secret.txt"), "/etc/passwd", str(outside / "dir") + "/"):
        status, response = _raw_get(host, port, target.encode())
        assert status == 404 and SECRET.encode() not in response and b"root:" not in response, target


def test_the_site_itself_is_still_served(served: tuple[str, int, Path]) -> None:
    host, port, _ = served
    status, response = _raw_get(host, port, b"/")
    assert status == 200 and b"<html" in response.lower()


# --- the output directory itself --------------------------------------------


@pytest.mark.parametrize("output", [".", "..", "/", "content", "seeds", "content/site", "seeds/..", "themes"])
def test_an_output_directory_that_would_swallow_the_project_is_refused(tmp_path: Path, output: str) -> None:
    """The build replaces the output directory whole: pointed at the project, content/ or seeds/
    it used to delete them (all of a person's edits with them)."""
    root = new_project(tmp_path / "outer" / "project")
    (root / "content" / "mine").mkdir(parents=True)
    (root / "content" / "mine" / "edit.md").write_text(_md("My own entry"), encoding="utf-8")
    (root / "archive.toml").write_text(f'[site]\ntitle = "T"\n[paths]\noutput = "{output}"\n', encoding="utf-8")
    before = all_files(tmp_path)
    run = run_cli(root, "build")
    assert run.code == 2, run.err
    assert "paths.output" in run.err and repr(output) in run.err, run.err
    assert all_files(tmp_path) == before


def test_the_output_option_is_checked_too(tmp_path: Path) -> None:
    root = new_project(tmp_path / "project")
    before = all_files(tmp_path)
    run = run_cli(root, "build", "--output", "seeds")
    assert run.code == 2 and "paths.output" in run.err, run.err
    assert all_files(tmp_path) == before
