"""`archive serve` in real Chromium: a save shows up in the open page, errors show and clear.

Each test runs the real CLI (`python -m generator serve --port 0`) as a
process on a copy of the seeds project with its own copy of the default
theme (so breaking a template never touches the repository's theme), and
stops it with Ctrl-C at the end: exit code 0, no staging directory left.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, make_project
from serve_process import ServeProcess

pytestmark = pytest.mark.browser

BUILT = re.compile(r"built in|build FAILED|built with")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project")
    shutil.copytree(REPO / "themes" / "default", root / "themes" / "default")
    return root


@pytest.fixture
def server(project: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(project)
    yield process
    code = process.stop()
    assert code == 0, process.output
    assert "stopped." in process.output
    leftovers = [p.name for p in project.iterdir() if p.name.startswith(".site.")]
    assert not leftovers, leftovers


def longest_entry(project: Path) -> tuple[Path, str]:
    """The content file with the longest body, and its page URL."""
    files = sorted((project / "content").rglob("*.md"), key=lambda p: (-p.stat().st_size, p.as_posix()))
    path = files[0]
    return path, path.relative_to(project / "content").with_suffix("").as_posix() + "/"


def edit_body(path: Path, marker: str) -> None:
    """Add a paragraph at the top of the body, as a person would, and save (atomically, like editors do)."""
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")
    assert sep, "front matter expected"
    temp = path.with_name(path.name + ".tmp~")
    temp.write_text(f"{head}{sep}\n{marker}\n\n{body.lstrip()}", encoding="utf-8")
    temp.replace(path)


def test_an_edit_of_a_content_file_appears_in_the_open_page(server: ServeProcess, project: Path, page: Any,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path, url = longest_entry(project)
    page.goto(server.url + url)
    page.wait_for_function("() => !!document.querySelector('script[data-archive-serve]')")
    page.evaluate("window.scrollTo(0, 600); window.__sameDocument = true")
    before = page.evaluate("window.scrollY")
    assert before > 0, "entry page too short to check the scroll position"
    marker = "Freshly corrected paragraph 41327"
    mark = server.mark()
    started = time.perf_counter()
    edit_body(path, marker)
    page.wait_for_function(f"() => document.body.innerText.includes({marker!r})", timeout=30_000)
    latency = time.perf_counter() - started
    server.wait_for(BUILT, after=mark)
    page.wait_for_function(f"() => Math.abs(window.scrollY - {before}) < 2", timeout=5_000)
    # Refreshed in place: the same document, its stylesheet loaded once, the reload script once.
    assert page.evaluate("window.__sameDocument === true")
    assert page.locator("script[data-archive-serve]").count() == 1
    assert page.locator('link[rel~="stylesheet"]').count() == 1
    with capsys.disabled():
        print(f"\n[serve latency] seeds archive: save -> new text on screen in {latency * 1000:.0f} ms")
    assert not page.js_errors
    # The built file never carries the reload script; only the served response does.
    built = (project / "site" / url / "index.html").read_text(encoding="utf-8")
    assert marker in built and "__archive" not in built


def test_a_broken_template_shows_an_overlay_and_the_fix_clears_it(server: ServeProcess, project: Path,
                                                                  page: Any) -> None:
    _, url = longest_entry(project)
    template = project / "themes" / "default" / "templates" / "entry.html"
    good = template.read_text(encoding="utf-8")
    page.goto(server.url + url)
    title = page.title()
    page.wait_for_function("() => !!document.querySelector('script[data-archive-serve]')")

    mark = server.mark()
    template.write_text(good + "\n{% if %}\n", encoding="utf-8")
    overlay = page.locator("#archive-serve-overlay")
    overlay.wait_for(state="visible", timeout=30_000)
    text = overlay.inner_text()
    assert "entry.html" in text and re.search(r"entry\.html:\d+", text), text
    assert "Build failed" in text
    server.wait_for("build FAILED", after=mark)
    assert page.title() == title  # the last good page is still there
    assert server.proc.poll() is None  # and the server lives

    # While it is broken, new visits still get the last good site, with the overlay.
    other = page.context.new_page()
    other.goto(server.url + url)
    other.locator("#archive-serve-overlay").wait_for(state="visible", timeout=10_000)
    assert other.title() == title

    mark = server.mark()
    template.write_text(good.replace("{% block title %}", "{% block title %}FIXED ", 1), encoding="utf-8")
    page.wait_for_function("() => document.title.startsWith('FIXED ')", timeout=30_000)
    assert page.locator("#archive-serve-overlay").count() == 0
    other.wait_for_function("() => document.title.startsWith('FIXED ')", timeout=30_000)
    assert other.locator("#archive-serve-overlay").count() == 0
    server.wait_for("built in", after=mark)
    assert not page.js_errors


def test_a_stylesheet_change_is_swapped_in_without_a_reload(server: ServeProcess, project: Path, page: Any) -> None:
    _, url = longest_entry(project)
    page.goto(server.url + url)
    page.wait_for_function("() => !!document.querySelector('script[data-archive-serve]')")
    page.evaluate("window.__notReloaded = true")
    css = project / "themes" / "default" / "static" / "style.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n",
                   encoding="utf-8")
    page.wait_for_function("() => getComputedStyle(document.body).outlineColor === 'rgb(1, 2, 3)'",
                           timeout=30_000)
    assert page.evaluate("window.__notReloaded === true")
    assert page.locator('link[rel~="stylesheet"]').count() == 1
    assert not page.js_errors


def test_many_open_tabs_all_reload(server: ServeProcess, project: Path, page: Any) -> None:
    path, url = longest_entry(project)
    context = page.context
    tabs = [page] + [context.new_page() for _ in range(9)]
    for tab in tabs:
        tab.goto(server.url + url)
        tab.wait_for_function("() => !!document.querySelector('script[data-archive-serve]')")
    marker = "Seen by every tab 90210"
    edit_body(path, marker)
    for tab in tabs:
        tab.wait_for_function(f"() => document.body.innerText.includes({marker!r})", timeout=30_000)
    # With ten tabs holding the live connection, ordinary page loads still go through.
    late = context.new_page()
    late.goto(server.url, timeout=10_000)
    assert late.title()


def test_bad_front_matter_and_bad_config_show_in_the_overlay_until_fixed(server: ServeProcess, project: Path,
                                                                         page: Any) -> None:
    path, _ = longest_entry(project)
    page.goto(server.url)
    page.wait_for_function("() => !!document.querySelector('script[data-archive-serve]')")
    overlay = page.locator("#archive-serve-overlay")
    good = path.read_text(encoding="utf-8")
    path.write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    overlay.wait_for(state="visible", timeout=30_000)
    assert path.name in overlay.inner_text()
    path.write_text(good, encoding="utf-8")
    overlay.wait_for(state="detached", timeout=30_000)

    toml = project / "archive.toml"
    config = toml.read_text(encoding="utf-8")
    toml.write_text(config.replace("per_page = 20", 'per_page = "twenty"'), encoding="utf-8")
    overlay.wait_for(state="visible", timeout=30_000)
    text = overlay.inner_text()
    assert re.search(r"archive\.toml:\d+", text) and "per_page" in text and "Build failed" in text, text
    toml.write_text(config, encoding="utf-8")
    overlay.wait_for(state="detached", timeout=30_000)
    assert not page.js_errors


def test_a_page_whose_scripts_changed_reloads_and_runs_them(server: ServeProcess, project: Path, page: Any) -> None:
    path, url = longest_entry(project)
    template = project / "themes" / "default" / "templates" / "entry.html"
    page.goto(server.url + url)
    page.wait_for_function("() => !!document.querySelector('script[data-archive-serve]')")
    page.evaluate("window.scrollTo(0, 400); window.__sameDocument = true")
    before = page.evaluate("window.scrollY")
    assert before > 0
    text = template.read_text(encoding="utf-8")
    assert "{% endblock %}" in text
    head, sep, tail = text.rpartition("{% endblock %}")
    template.write_text(head + "<script>window.__addedScript = 'ran';</script>" + sep + tail, encoding="utf-8")
    # An in-place patch cannot run a new script: the page reloads, and returns to where it was.
    page.wait_for_function("() => window.__addedScript === 'ran'", timeout=30_000)
    assert page.evaluate("window.__sameDocument === undefined")
    page.wait_for_function(f"() => Math.abs(window.scrollY - {before}) < 2", timeout=5_000)
    # With the same scripts again, the next content edit is patched in place.
    page.evaluate("window.__sameDocument = true")
    marker = "Patched after the reload 5150"
    edit_body(path, marker)
    page.wait_for_function(f"() => document.body.innerText.includes({marker!r})", timeout=30_000)
    assert page.evaluate("window.__sameDocument === true && window.__addedScript === 'ran'")
    assert not page.js_errors


def test_a_page_its_scripts_changed_reloads_so_they_run_again(server: ServeProcess, project: Path,
                                                              page: Any) -> None:
    path, url = longest_entry(project)
    template = project / "themes" / "default" / "templates" / "entry.html"
    head, sep, tail = template.read_text(encoding="utf-8").rpartition("{% endblock %}")
    script = ("<script>document.addEventListener('DOMContentLoaded', function () { document.body.insertAdjacentHTML("
              "'afterbegin', '<p id=made-by-script>Made by a script</p>'); });</script>")
    mark = server.mark()
    template.write_text(head + script + sep + tail, encoding="utf-8")
    server.wait_for("built in", after=mark)
    # Every document this tab loads counts itself, so the reloads of one save can be counted.
    page.add_init_script("sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads')) + 1))")
    page.goto(server.url + url)
    page.locator("#made-by-script").wait_for(timeout=30_000)
    page.evaluate("window.__sameDocument = true")
    marker = "After the script made its paragraph 2323"
    mark = server.mark()
    edit_body(path, marker)
    page.wait_for_function(f"() => document.body.innerText.includes({marker!r})", timeout=30_000)
    # The save is done once its search index is in (reported after it) and the page has taken
    # the epoch that came with it: the index changed the site, not this page, so that epoch
    # must not reload the page a second time.
    server.wait_for("built in", after=mark)
    epoch = json.loads(urllib.request.urlopen(server.url + "__archive/status", timeout=10).read())["epoch"]
    page.wait_for_function("(epoch) => { const tag = document.querySelector('script[data-archive-serve]');"
                           " return !!tag && Number(tag.dataset.epoch) >= epoch; }", arg=epoch, timeout=30_000)
    # Patched to the server's HTML, the page would lose the paragraph its script made: it reloaded, once.
    assert page.evaluate("window.__sameDocument === undefined")
    assert page.evaluate("sessionStorage.getItem('loads')") == "2"
    page.locator("#made-by-script").wait_for(timeout=10_000)
    assert not page.js_errors
