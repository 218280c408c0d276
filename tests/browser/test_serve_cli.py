"""`archive serve` as a process, over a real socket, no browser: safety, errors, clean stop.

Lives next to the browser tests because it shares their process helper;
it needs no Chromium.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_process import ServeProcess

from generator.frontmatter import dump_entry
from generator.models import Entry


def tiny_project(root: Path) -> Path:
    """Three entries written straight into content/, no sources."""
    root.mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "archive.toml").write_text('[site]\ntitle = "Tiny"\n', encoding="utf-8")
    for n in range(3):
        entry = Entry(title=f"Entry number {n}", date=dt.date(2020, 1, n + 1), authors=("A. Writer",),
                      tags=("Test",), body=f"Body of entry {n}.\n")
        target = root / "content" / "2020" / "01" / f"entry-number-{n}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_entry(entry), encoding="utf-8")
    (root / "secret.txt").write_text("TOP SECRET", encoding="utf-8")
    return root


def raw_get(url: str, path: str, host: str | None = None) -> tuple[int, bytes]:
    """GET `path` byte for byte (no client-side normalization of `..`); status and body."""
    address = url.split("//", 1)[1].rstrip("/")
    name, port = address.rsplit(":", 1)
    with socket.create_connection((name, int(port)), timeout=10) as conn:
        conn.sendall(f"GET {path} HTTP/1.0\r\nHost: {host or address}\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(tiny_project(tmp_path / "tiny"))
    yield process
    assert process.stop() == 0, process.output
    assert "stopped." in process.output
    assert not [p for p in process.root.iterdir() if p.name.startswith(".site.")]


def test_serves_pages_and_nothing_outside_the_site(served: ServeProcess) -> None:
    status, body = raw_get(served.url, "/2020/01/entry-number-1/")
    assert status == 200 and b"Body of entry 1." in body and b"/__archive/livereload.js" in body, served.output
    (served.root / "site").joinpath("leak.txt").symlink_to(served.root / "secret.txt")
    for attempt in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2E%2E%2Fsecret.txt",
                    "/2020/../../secret.txt", "/leak.txt", "/..\\secret.txt", "/../archive.toml"):
        status, body = raw_get(served.url, attempt)
        assert status == 404, attempt
        assert b"TOP SECRET" not in body and b'title = "Tiny"' not in body, attempt
    status, _ = raw_get(served.url, "/no/such/page/")
    assert status == 404
    status, _ = raw_get(served.url, "/", host="attacker.example")
    assert status == 403


def test_bad_front_matter_and_bad_config_keep_the_server_up(served: ServeProcess) -> None:
    content = served.root / "content" / "2020" / "01" / "entry-number-2.md"
    good = content.read_text(encoding="utf-8")
    mark = served.mark()
    content.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    served.wait_for(r"built with \d+ error", after=mark)
    served.wait_for(r"entry-number-2\.md", after=mark)
    status, _ = raw_get(served.url, "/2020/01/entry-number-1/")
    assert status == 200

    mark = served.mark()
    toml = served.root / "archive.toml"
    toml.write_text('[site]\ntitle = "Tiny"\nper_page = "lots"\n', encoding="utf-8")
    served.wait_for("build FAILED", after=mark)
    served.wait_for(r"^  archive\.toml:3: site\.per_page: must be an integer", after=mark)
    status, body = raw_get(served.url, "/2020/01/entry-number-1/")
    assert status == 200 and b"Body of entry 1." in body  # the last good site

    mark = served.mark()
    toml.write_text('[site]\ntitle = "Tiny again"\n', encoding="utf-8")
    content.write_text(good, encoding="utf-8")
    served.wait_for("built in", after=mark)
    status, body = raw_get(served.url, "/")
    assert status == 200 and b"Tiny again" in body


def test_a_taken_port_is_an_error_not_a_crash(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "tiny")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "generator", "serve", "--port", str(port)],
                                cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert not (root / "site").exists()  # nothing built for a server that cannot run


def test_listening_beyond_localhost_says_so(tmp_path: Path) -> None:
    process = ServeProcess(tiny_project(tmp_path / "tiny"), "--host", "0.0.0.0")
    try:
        assert "warning: listening on 0.0.0.0" in process.output
        status, _ = raw_get(process.url, "/", host="archive.lan")
        assert status == 200
    finally:
        assert process.stop() == 0
