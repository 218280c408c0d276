"""Fixtures shared by every test layer: a copy of the seeds project, a built
site, a static HTTP server, and a real Chromium driven by Playwright.

Browser tests skip only when Chromium is missing on a developer's machine; in
CI (CI=true) a missing Chromium is a failure, never a skip.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
DATA = Path(__file__).resolve().parent / "data"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# Flags this sandbox needs (root, no GPU, no network beyond loopback).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--allow-file-access-from-files",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests last. Their session fixtures (an HTTP server, Playwright) keep threads
    running to the end, and a process with other threads never forks (parallel.fork_pays: a
    fork copies only the calling thread), so the tests of forked work must come first."""
    browser = REPO / "tests" / "browser"
    items.sort(key=lambda item: browser in Path(str(item.path)).parents)


def make_project(root: Path, config: str = "") -> Path:
    """A fresh archive project in `root`: the seeds and an archive.toml."""
    shutil.copytree(SEEDS, root / "seeds")
    shutil.copy(REPO / "archive.toml", root / "archive.toml")
    if config:
        with (root / "archive.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n" + config)
    return root


@pytest.fixture
def in_place_search(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each search rebuild was applied in place (search/live.py), in order."""
    from generator import search

    applied: list[bool] = []
    original = search.live.rebuild

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        applied.append(result is not None)
        return result

    monkeypatch.setattr(search.live, "rebuild", spy)
    return applied


@pytest.fixture
def seeds_project(tmp_path: Path) -> Path:
    """A writable copy of the seeds project (sources + archive.toml), unbuilt."""
    return make_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds archive built once per session; returns the project root (site/ inside)."""
    from generator.build import build
    from generator.config import load_config

    root = make_project(tmp_path_factory.mktemp("seeds-build") / "project")
    report = build(load_config(root=root))
    assert (root / "site" / "index.html").is_file(), report
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def serve_directory(directory: Path, prefix: str = "") -> tuple[str, socketserver.TCPServer]:
    """Serve `directory` on 127.0.0.1 at a free port, optionally under a sub-path."""
    if prefix:
        holder = directory.parent / f"_served_{directory.name}"
        target = holder / prefix.strip("/")
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(directory, target_is_directory=True)
        root_dir = holder
    else:
        root_dir = directory
    handler = functools.partial(_QuietHandler, directory=str(root_dir))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/{prefix.strip('/') + '/' if prefix else ''}"
    return base, server


@pytest.fixture(scope="session")
def seeds_http(built_seeds: Path) -> Iterator[str]:
    """Base URL (ending in /) of the built seeds site served over HTTP."""
    base, server = serve_directory(built_seeds / "site")
    yield base
    server.shutdown()


def chromium_executable() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium (Debian's, never a downloaded one) driven by Playwright."""
    executable = chromium_executable()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI: apt-get install -y chromium")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page (desktop viewport) that fails the test on JS errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.js_errors = errors
    yield tab
    context.close()
