"""The preview server without a socket: debounce, epoch, overlay status, own writes, safe paths, 404."""

from __future__ import annotations

import html
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from generator.build import BuildReport, NormalizeReport
from generator.config import Config, ConfigError, PathsConfig, load_config
from generator.content import ContentPlan, Manifest
from generator.models import Problem, Severity
from generator.serve import BuildOutcome, Debouncer, LiveServer, OwnWrites, Project, WatchPlan, resolve_path
from generator.serve.project import config_problems, outcome_from_report
from generator.serve.server import inject_script, page_digest, problem_from_exception
from generator.write import WriteReport


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeBuilder:
    """Records each call; returns the queued outcomes (or raises a queued exception)."""

    def __init__(self, *outcomes: BuildOutcome | Exception) -> None:
        self.calls: list[frozenset[Path]] = []
        self.outcomes = list(outcomes)

    def __call__(self, changed: frozenset[Path]) -> BuildOutcome:
        self.calls.append(changed)
        outcome = self.outcomes.pop(0) if self.outcomes else BuildOutcome(site_changed=True)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def make_server(builder: FakeBuilder, root: Path, clock: FakeClock | None = None) -> LiveServer:
    return LiveServer(builder, lambda: root, clock=clock or FakeClock(), quiet=0.05, max_wait=0.5,
                      verbosity=1, out=io.StringIO())


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "2019/03/a-story").mkdir(parents=True)
    (root / "2019/03/a-story/index.html").write_text("<html><body><p>story</p></body></html>")
    (root / "index.html").write_text("<!doctype html><html><body><h1>Home</h1></BODY></html>")
    (root / "404.html").write_text("<html><body><h1>Lost?</h1></body></html>")
    (root / "style.css").write_text("body { color: black }")
    (tmp_path / "secret.txt").write_text("secret")
    return root


# --- debounce and epoch ------------------------------------------------------


def test_debouncer_releases_a_burst_once_quiet() -> None:
    debounce = Debouncer(quiet=0.05, max_wait=0.5)
    assert debounce.take(0.0) is None
    for i in range(10):
        debounce.add(Path(f"/p/{i % 3}"), 1.0 + i * 0.01)
    assert debounce.take(1.10) is None  # last event at 1.09: still within the quiet period
    batch = debounce.take(1.15)
    assert batch == frozenset({Path("/p/0"), Path("/p/1"), Path("/p/2")})
    assert debounce.take(10.0) is None


def test_debouncer_max_wait_bounds_an_endless_stream() -> None:
    debounce = Debouncer(quiet=0.05, max_wait=0.5)
    t = 0.0
    while t < 0.49:
        debounce.add(Path("/p/x"), t)
        assert debounce.take(t) is None
        t += 0.02
    debounce.add(Path("/p/y"), 0.5)
    assert debounce.take(0.5) == frozenset({Path("/p/x"), Path("/p/y")})


def test_debouncer_holds_a_path_that_is_not_settled_yet() -> None:
    debounce = Debouncer(quiet=0.01, max_wait=0.5, settle=0.1)
    saved = Path("/c/entry.md")
    # An editor's backup dance: the file renamed away (it will come back), then written anew.
    debounce.add(saved, 1.0, settled=False)
    assert debounce.take(1.05) is None  # quiet, but the file is not there yet: keep waiting
    debounce.add(saved, 1.06, settled=False)  # created: being written
    assert debounce.take(1.10) is None
    debounce.add(saved, 1.11, settled=True)  # closed after writing: done
    assert debounce.take(1.115) is None
    assert debounce.take(1.12) == frozenset({saved})
    # A close after writing alone (a program opened the file for writing, changed nothing) is no edit.
    debounce.add(saved, 1.5, settled=True, edit=False)
    assert debounce.wait_time(1.5) is None and debounce.take(2.0) is None
    # A path deleted for good is built after `settle`, not never.
    debounce.add(saved, 2.0, settled=False)
    assert debounce.take(2.09) is None
    assert debounce.take(2.1) == frozenset({saved})


def test_events_during_a_build_queue_exactly_one_follow_up_build(site: Path) -> None:
    clock = FakeClock()
    saved = site.parent / "content" / "entry.md"
    calls: list[frozenset[Path]] = []

    def builder(changed: frozenset[Path]) -> BuildOutcome:
        calls.append(changed)
        if len(calls) == 1:  # three more saves arrive while the first build runs
            for name in ("entry.md", "other.md", "entry.md"):
                clock.now += 0.02
                live.on_change(saved.with_name(name))
        return BuildOutcome(site_changed=True)

    live = make_server(FakeBuilder(), site, clock)
    live.builder = builder
    live.on_change(saved)
    clock.now += 0.1
    assert live.run_pending() is not None
    clock.now += 0.1
    assert live.run_pending() is not None
    assert live.run_pending() is None
    assert calls == [frozenset({saved}), frozenset({saved, saved.with_name("other.md")})]
    assert live.epoch == 2


def test_a_burst_of_events_gives_one_build(site: Path) -> None:
    clock = FakeClock()
    builder = FakeBuilder()
    live = make_server(builder, site, clock)
    saved = site.parent / "content" / "entry.md"
    # An editor's save: temp file, rename, chmod... ten events for one file within 30 ms.
    for i in range(10):
        clock.now += 0.003
        live.on_change(saved if i % 2 else saved.with_name("entry.md.tmp"))
    assert live.run_pending() is None  # still inside the burst
    clock.now += 0.06
    outcome = live.run_pending()
    assert outcome is not None
    assert builder.calls == [frozenset({saved, saved.with_name("entry.md.tmp")})]
    assert live.run_pending() is None
    assert live.builds == 1


def test_epoch_counts_builds_that_replaced_the_site(site: Path) -> None:
    builder = FakeBuilder(BuildOutcome(site_changed=True), BuildOutcome(site_changed=False),
                          BuildOutcome(site_changed=True))
    live = make_server(builder, site)
    assert live.epoch == 0
    live.build_now(frozenset({Path("/x.md")}))
    assert live.epoch == 1
    live.build_now(frozenset({Path("/x.md")}))
    assert live.epoch == 1  # nothing changed in the site: nobody reloads
    live.build_now(frozenset({Path("/x.md")}))
    assert live.epoch == 2
    assert live.builds == 3
    assert f'data-epoch="2" data-server="{live.hub.status.server}"'.encode() in live.script_tag()


def test_only_stylesheets_changed_marks_css_swap(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    live.build_now(frozenset({Path("/t/static/style.css")}))
    assert live.hub.status.css_only
    live.build_now(frozenset({Path("/t/static/style.css"), Path("/t/templates/base.html")}))
    assert not live.hub.status.css_only


# --- own writes --------------------------------------------------------------


def test_events_from_the_builds_own_writes_do_not_rebuild(tmp_path: Path, site: Path) -> None:
    written = tmp_path / "content" / "2019" / "a.md"
    removed = tmp_path / "content" / "2019" / "gone.md"

    def builder_writing(changed: frozenset[Path]) -> BuildOutcome:
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text("generated")
        return BuildOutcome(site_changed=True, own_writes=frozenset({written, removed}))

    calls: list[frozenset[Path]] = []

    def builder(changed: frozenset[Path]) -> BuildOutcome:
        calls.append(changed)
        return builder_writing(changed)

    clock = FakeClock()
    live = LiveServer(builder, lambda: site, clock=clock, out=io.StringIO())
    source = tmp_path / "seeds" / "a.txt"
    live.on_change(source)
    clock.now += 1
    live.run_pending()
    # The build's own write and delete come back as events: no second build.
    live.on_change(written)
    live.on_change(removed)
    clock.now += 1
    assert live.run_pending() is None
    assert len(calls) == 1
    # A person edits the generated file: that is a change.
    written.write_text("fixed by hand")
    live.on_change(written)
    clock.now += 1
    assert live.run_pending() is not None
    assert calls[-1] == frozenset({written})


def test_undoing_an_edit_back_to_the_generated_text_still_rebuilds(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("generated")
    own = OwnWrites()
    own.record([path])
    assert own.is_own(path)
    path.write_text("edited")
    assert not own.is_own(path)
    path.write_text("generated")  # back to what the build wrote: the person's change, not ours
    assert not own.is_own(path)


# --- errors and the overlay ----------------------------------------------------


def test_errors_are_published_and_cleared_by_the_next_good_build(site: Path) -> None:
    broken = BuildOutcome(site_changed=False, failed=True, errors=(
        Problem("themes/default/templates/entry.html", "unexpected '}'", line=12),
        Problem("content/x.md", "just a warning", Severity.WARNING),
    ))
    builder = FakeBuilder(BuildOutcome(site_changed=True), broken, BuildOutcome(site_changed=True))
    live = make_server(builder, site)
    live.build_now(frozenset())
    live.build_now(frozenset({Path("/t/entry.html")}))
    payload = live.hub.status.payload()
    assert payload["failed"] is True
    assert payload["epoch"] == 1  # the last good site is still served
    assert payload["errors"] == [
        {"file": "themes/default/templates/entry.html", "line": 12, "message": "unexpected '}'"}]
    event = live.hub.status.event().decode()
    assert event.startswith("event: status\n") and event.endswith("\n\n")
    assert json.loads(event.split("data: ", 1)[1])["errors"][0]["line"] == 12
    live.build_now(frozenset({Path("/t/entry.html")}))
    assert live.hub.status.payload()["errors"] == []
    assert live.hub.status.payload()["failed"] is False
    assert live.epoch == 2


def test_a_builder_that_raises_becomes_an_overlay_error_and_the_server_lives(site: Path) -> None:
    builder = FakeBuilder(RuntimeError("kaput"), BuildOutcome(site_changed=True))
    live = make_server(builder, site)
    outcome = live.build_now(frozenset({Path("/c/x.md")}))
    assert outcome.failed
    errors = live.hub.status.payload()["errors"]
    assert isinstance(errors, list) and "RuntimeError: kaput" in errors[0]["message"]
    assert errors[0]["file"].endswith("test_serve.py") and errors[0]["line"]
    assert live.respond("GET", "/").status == 200  # still serving
    live.build_now(frozenset({Path("/c/x.md")}))
    assert live.hub.status.payload()["errors"] == []


def test_exception_location_prefers_the_template_position() -> None:
    from jinja2 import DictLoader, Environment, TemplateSyntaxError

    try:
        Environment(loader=DictLoader({"entry.html": "line one\n{% if %}"})).get_template("entry.html")
    except TemplateSyntaxError as error:
        problem = problem_from_exception(error)
    assert problem.line == 2
    assert "TemplateSyntaxError" in problem.message and problem.path == "entry.html"


def test_error_messages_are_data_not_markup(site: Path) -> None:
    """The overlay receives JSON; the client inserts it with textContent (see livereload.js)."""
    builder = FakeBuilder(BuildOutcome(site_changed=False, failed=True,
                                       errors=(Problem("<img src=x onerror=alert(1)>", "</script><b>"),)))
    live = make_server(builder, site)
    live.build_now(frozenset())
    event = live.hub.status.event()
    assert b"<" not in event and b"\\u003c" in event
    script = (Path(__file__).resolve().parents[2] / "generator/serve/livereload.js").read_text()
    assert "innerHTML" not in script and "textContent" in script


# --- requests -------------------------------------------------------------------


def test_a_page_carries_the_digest_of_its_built_file_and_the_epoch_read_before_it(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = make_server(FakeBuilder(BuildOutcome(site_changed=True)), site)
    built = (site / "index.html").read_bytes()
    assert f'data-digest="{page_digest(built)}"'.encode() in live.respond("GET", "/").body
    # A build that publishes between the status read and the file read: the page must carry
    # the epoch before it (it then learns of the build), never the new one with the old file.
    original = live.root

    def root_then_build() -> Path:
        monkeypatch.setattr(live, "root", original)
        live.build_now(frozenset({Path("/x.md")}))
        return original()

    monkeypatch.setattr(live, "root", root_then_build)
    assert b'data-epoch="0"' in live.respond("GET", "/").body and live.epoch == 1


def test_pages_get_the_reload_script_other_files_do_not(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    page = live.respond("GET", "/")
    assert page.status == 200 and page.header("Content-Type") == "text/html; charset=utf-8"
    assert page.body.index(b"/__archive/livereload.js") < page.body.index(b"</BODY>")
    assert page.header("Content-Length") == str(len(page.body))
    assert page.header("Cache-Control") == "no-store"
    css = live.respond("GET", "/style.css")
    assert css.body == b"body { color: black }"
    story = live.respond("GET", "/2019/03/a-story/?q=1")
    assert b"story" in story.body and b"livereload.js" in story.body
    # The built file itself is untouched: injection happens only in the response.
    assert b"livereload" not in (site / "index.html").read_bytes()


def test_inject_script_without_body_tag_appends() -> None:
    assert inject_script(b"<p>x", b"<s>") == b"<p>x<s>"
    assert inject_script(b"<body>a</body><!-- </body> -->", b"<s>") == b"<body>a</body><!-- <s></body> -->"


def test_directory_without_slash_redirects_to_a_local_path(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    response = live.respond("GET", "/2019/03/a-story")
    assert response.status == 301 and response.header("Location") == "/2019/03/a-story/"
    # Never an open redirect to another host.
    (site / "evil.example").mkdir()
    assert live.respond("GET", "//evil.example").header("Location") == "/evil.example/"


@pytest.mark.parametrize("attempt", [
    "/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/etc/passwd",
    "/2019/../../secret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt", "/a/%00/../secret.txt",
    "/.%2e/secret.txt", "/%252e%252e/secret.txt", "//../secret.txt", "/%ff%fe",
])
def test_path_traversal_is_refused(site: Path, attempt: str) -> None:
    live = make_server(FakeBuilder(), site)
    response = live.respond("GET", attempt)
    assert response.status == 404
    assert b"secret" not in response.body
    assert b"Lost?" in response.body  # the site's own 404 page


def test_symlinks_out_of_the_site_are_not_followed(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text("outside")
    (site / "link-file.txt").symlink_to(tmp_path / "secret.txt")
    (site / "link-dir").symlink_to(outside, target_is_directory=True)
    (site / "inner").symlink_to(site / "2019", target_is_directory=True)
    live = make_server(FakeBuilder(), site)
    for path in ("/link-file.txt", "/link-dir/", "/link-dir/index.html"):
        response = live.respond("GET", path)
        assert response.status == 404, path
        assert b"secret" not in response.body and b"outside" not in response.body
    assert live.respond("GET", "/inner/03/a-story/").status == 200  # a link that stays inside is fine


def test_resolve_path_is_pure_and_checks_the_root_at_call_time(tmp_path: Path) -> None:
    root = tmp_path / "site"
    assert resolve_path(root, "/") is None  # not built yet
    root.mkdir()
    (root / "index.html").write_text("x")
    assert resolve_path(root, "/") == (root / "index.html").resolve()


def test_unknown_paths_get_the_sites_404_page_and_status(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    response = live.respond("GET", "/no/such/page/")
    assert response.status == 404
    assert b"Lost?" in response.body and b"livereload.js" in response.body
    (site / "404.html").unlink()
    fallback = live.respond("GET", "/nothing")
    assert fallback.status == 404 and b"Not found" in fallback.body and b"livereload.js" in fallback.body


def test_head_and_other_methods(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    assert live.respond("HEAD", "/").status == 200
    assert live.respond("POST", "/").status == 405


def test_own_endpoints(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    assert live.respond("GET", "/__archive/events").stream
    assert b"EventSource" in live.respond("GET", "/__archive/livereload.js").body
    assert b"onconnect" in live.respond("GET", "/__archive/worker.js").body
    assert json.loads(live.respond("GET", "/__archive/status").body)["epoch"] == 0
    assert live.respond("GET", "/__archive/../secret.txt").status == 404


def test_the_reload_script_is_cached_by_its_version_only(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    tag = live.script_tag().decode()
    src = re.search(r'src="([^"]+)"', tag)
    assert src is not None and "?v=" in src.group(1)
    versioned = live.respond("GET", html.unescape(src.group(1)))
    assert versioned.status == 200 and "immutable" in (versioned.header("Cache-Control") or "")
    # Any other spelling (an old version, none at all) is never cached.
    assert live.respond("GET", "/__archive/livereload.js?v=0000").header("Cache-Control") == "no-store"
    assert live.respond("GET", "/__archive/livereload.js").header("Cache-Control") == "no-store"
    live.build_now(frozenset({Path("/x.md")}))
    assert src.group(1) in live.script_tag().decode()  # a new epoch keeps the script's URL


def test_event_stream_sends_current_status_then_stops_on_close(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    live.build_now(frozenset())
    sent: list[bytes] = []

    def write(data: bytes) -> None:
        sent.append(data)
        if len(sent) == 2:
            live.hub.close()  # the server stops while the client is connected

    live.stream_events(write)
    assert sent[0].startswith(b"retry:")
    assert b'"epoch": 1' in sent[1]
    assert live.open_pages == 0


# --- watching -------------------------------------------------------------------


def test_watch_plan_accepts_edits_and_ignores_the_stores_own_files(tmp_path: Path) -> None:
    content, seeds, theme = tmp_path / "content", tmp_path / "seeds", tmp_path / "themes" / "default"
    plan = WatchPlan(dirs=(seeds, content, theme), config_file=tmp_path / "archive.toml",
                     exclude=(tmp_path / "site", tmp_path / ".archive-cache"))
    accepted = [content / "2019/03/a.md", seeds / "x.txt", theme / "templates/base.html",
                theme / "static/style.css", tmp_path / "archive.toml", content]
    ignored = [content / ".archive-manifest.json", content / ".archive-journal.json",
               content / "2019/03/.a.md.new", content / ".a.md.swp", content / "a.md~", content / "4913",
               content / "#a.md#", tmp_path / "site/index.html", tmp_path / ".site.staging-12/index.html",
               tmp_path / "README.md", tmp_path / ".archive-cache/x", theme / "__pycache__/x.pyc",
               tmp_path / "elsewhere/archive.toml"]
    assert all(plan.accepts(p) for p in accepted), [p for p in accepted if not plan.accepts(p)]
    assert not any(plan.accepts(p) for p in ignored), [p for p in ignored if plan.accepts(p)]


def test_watch_plan_hidden_parent_of_the_project_does_not_hide_everything(tmp_path: Path) -> None:
    root = tmp_path / ".hidden" / "project"
    plan = WatchPlan(dirs=(root / "content",), config_file=root / "archive.toml")
    assert plan.accepts(root / "content" / "a.md")


# --- the project builder ---------------------------------------------------------


def _report(config: Config, *, written: WriteReport | None, writes: dict[str, str],
            problems: tuple[Problem, ...] = ()) -> BuildReport:
    plan = ContentPlan(writes=writes, deletes=("old.md",), manifest=Manifest(), unchanged=0,
                       kept_edits=(), problems=())
    normalized = NormalizeReport(sources=(), drafts=(), plan=plan, problems=(), seconds=0.0)
    return BuildReport(normalized, written=written, pages=3, files=5, problems=problems)


def test_outcome_from_report(tmp_path: Path) -> None:
    config = Config(root=tmp_path)
    good = outcome_from_report(_report(config, written=WriteReport(2, 3, 0), writes={"a/b.md": "x"}), config)
    assert good.site_changed and not good.failed and not good.errors
    assert good.own_writes == {tmp_path / "content/a/b.md", tmp_path / "content/old.md"}
    same = outcome_from_report(_report(config, written=WriteReport(0, 5, 0), writes={}), config)
    assert not same.site_changed
    error = Problem("themes/default/templates/entry.html", "boom", line=3)
    broken = outcome_from_report(_report(config, written=None, writes={}, problems=(error,)), config)
    assert broken.failed and not broken.site_changed and broken.errors == (error,)


def test_project_keeps_serving_on_a_bad_config_and_recovers(tmp_path: Path) -> None:
    toml = tmp_path / "archive.toml"
    toml.write_text('[site]\ntitle = "One"\n')
    config = load_config(root=tmp_path)
    built: list[str] = []

    def fake_build(cfg: Config) -> BuildReport:
        built.append(cfg.site.title)
        return _report(cfg, written=WriteReport(1, 0, 0), writes={})

    project = Project(config, build_fn=fake_build)
    assert project(frozenset()).site_changed
    toml.write_text('[site]\ntitle = "Two"\nper_page = "many"\n')
    outcome = project(frozenset({toml}))
    assert outcome.failed and not outcome.site_changed
    assert outcome.errors[0].line == 3 and "per_page" in outcome.errors[0].message
    assert outcome.errors[0].path == "archive.toml"
    # A template edit while archive.toml is broken does not build with half a config.
    assert project(frozenset({tmp_path / "themes/x.html"})).failed
    toml.write_text('[site]\ntitle = "Two"\n')
    assert project(frozenset({toml})).site_changed
    assert built == ["One", "Two"]


def test_project_keeps_command_line_path_overrides_across_reloads(tmp_path: Path) -> None:
    toml = tmp_path / "archive.toml"
    toml.write_text('[site]\ntitle = "One"\n')
    config = load_config(root=tmp_path)
    from dataclasses import replace

    config = replace(config, paths=replace(config.paths, output=str(tmp_path / "elsewhere")))
    project = Project(config, build_fn=lambda cfg: _report(cfg, written=WriteReport(1, 0, 0), writes={}))
    toml.write_text('[site]\ntitle = "Two"\n')
    project(frozenset({toml}))
    assert project.config.site.title == "Two"
    assert project.output_dir == tmp_path / "elsewhere"
    assert project.watch_plan().exclude[0] == tmp_path / "elsewhere"


def test_config_problems_carry_lines(tmp_path: Path) -> None:
    error = ConfigError(tmp_path / "archive.toml", ["line 4: site.per_page: must be an integer", "oops"])
    problems = config_problems(error)
    assert [(p.line, p.message) for p in problems] == [(4, "site.per_page: must be an integer"), (None, "oops")]


def test_watch_plan_of_a_project(tmp_path: Path) -> None:
    config = Config(root=tmp_path, paths=PathsConfig())
    plan = Project(config, build_fn=lambda cfg: _report(cfg, written=None, writes={})).watch_plan()
    assert tmp_path / "seeds" in plan.dirs and tmp_path / "content" in plan.dirs
    assert plan.config_file == tmp_path / "archive.toml"
    assert not plan.accepts(tmp_path / "site" / "index.html")
    assert os.path.isabs(plan.dirs[-1])


def test_a_template_that_does_not_compile_stops_the_build_before_it_writes(tmp_path: Path) -> None:
    theme = tmp_path / "themes" / "mine"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "entry.html").write_text("ok\n{{ x | json_ld }}\n{% if %}\n")
    (tmp_path / "archive.toml").write_text('[site]\ntheme = "mine"\n')
    config = load_config(root=tmp_path)
    built: list[Config] = []

    def fake_build(cfg: Config) -> BuildReport:
        built.append(cfg)
        return _report(cfg, written=WriteReport(1, 0, 0), writes={})

    project = Project(config, build_fn=fake_build)
    outcome = project(frozenset({theme / "templates" / "entry.html"}))
    assert outcome.failed and not built
    assert [(p.path, p.line) for p in outcome.errors] == [("themes/mine/templates/entry.html", 3)]
    (theme / "templates" / "entry.html").write_text("ok\n{{ x | json_ld }}\n")  # the theme's own filters are known
    assert project(frozenset({theme / "templates" / "entry.html"})).site_changed and built


def test_on_a_loopback_address_only_local_host_names_are_answered(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    live.allowed_hosts = frozenset({"localhost", "127.0.0.1", "::1"})
    assert live.respond("GET", "/", "127.0.0.1:8000").status == 200
    assert live.respond("GET", "/", "localhost").status == 200
    assert live.respond("GET", "/", "[::1]:8000").status == 200
    assert live.respond("GET", "/", "attacker.example:8000").status == 403
    live.allowed_hosts = None  # --host 0.0.0.0: any name
    assert live.respond("GET", "/", "archive.lan:8000").status == 200


def test_a_file_that_vanishes_mid_request_is_looked_up_again(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from generator.serve import server as server_module

    live = make_server(FakeBuilder(), site)
    calls: list[str] = []

    def flaky(file: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(file))
        if len(calls) == 1:
            raise FileNotFoundError(file)  # the site was swapped between resolving and reading
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(server_module, "open", flaky, raising=False)
    response = live.respond("GET", "/style.css")
    assert response.status == 200 and response.body == b"body { color: black }" and len(calls) == 2


def test_files_other_than_pages_are_revalidated_by_etag(site: Path) -> None:
    live = make_server(FakeBuilder(), site)
    css = live.respond("GET", "/style.css")
    tag = css.header("ETag")
    assert tag and css.header("Cache-Control") == "no-cache"
    again = live.respond("GET", "/style.css", etag=tag)
    assert again.status == 304 and again.body == b""
    (site / "style.css").write_text("body { color: red }")  # rewritten: a new inode or mtime
    os.utime(site / "style.css", ns=(1, 1))
    assert live.respond("GET", "/style.css", etag=tag).status == 200
    page = live.respond("GET", "/", etag='"anything"')
    assert page.status == 200 and page.header("ETag") is None and page.header("Cache-Control") == "no-store"


def _read_event(stream: Any) -> dict[str, Any]:
    """The next `status` event from a server-sent-events stream."""
    data = None
    while True:
        line = stream.readline()
        assert line, "stream ended"
        if line.startswith(b"data: "):
            data = json.loads(line[6:])
        elif line == b"\n" and data is not None:
            return dict(data)


def test_threads_stream_and_stop_cleanly(site: Path) -> None:
    import http.client
    import threading

    built = threading.Event()

    def builder(changed: frozenset[Path]) -> BuildOutcome:
        built.set()
        return BuildOutcome(site_changed=True, summary="fake")

    live = LiveServer(builder, lambda: site, quiet=0.01, out=io.StringIO())
    host, port = live.bind("127.0.0.1", 0)
    live.start()
    try:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", "/__archive/events")
        events = conn.getresponse()
        assert events.getheader("Content-Type") == "text/event-stream"
        assert _read_event(events)["epoch"] == 0
        live.on_change(site / "x.md")  # the build loop picks it up after the quiet period
        assert built.wait(10)
        assert _read_event(events)["epoch"] == 1
        page = http.client.HTTPConnection(host, port, timeout=10)  # the stream does not block others
        page.request("GET", "/")
        assert page.getresponse().status == 200
    finally:
        live.stop()
    assert events.read() == b""  # the server ended the stream
    assert not [t.name for t in threading.enumerate() if t.name.startswith("archive-serve")]
    with pytest.raises(OSError):
        http.client.HTTPConnection(host, port, timeout=2).request("GET", "/")


def test_a_build_that_takes_changed_paths_gets_them_when_they_are_complete(tmp_path: Path) -> None:
    (tmp_path / "archive.toml").write_text("")
    config = load_config(root=tmp_path)
    seen: list[frozenset[Path] | None] = []
    fail = [False]

    def partial_build(cfg: Config, *, changed: frozenset[Path] | None = None) -> BuildReport:
        seen.append(changed)
        if fail[0]:
            raise RuntimeError("half-way")
        return _report(cfg, written=WriteReport(1, 0, 0), writes={})

    project = Project(config, build_fn=partial_build, check_first=False)
    a, b = tmp_path / "content/a.md", tmp_path / "content/b.md"
    project(frozenset())  # the first build of this process: it must look at everything
    project(frozenset({a}))
    assert seen == [None, frozenset({a})]
    # After a build that raised, or a new archive.toml, the next build looks at everything again.
    fail[0] = True
    with pytest.raises(RuntimeError):
        project(frozenset({a}))
    fail[0] = False
    project(frozenset({b}))
    project(frozenset({a}))
    project(frozenset({project.config_file}))
    project(frozenset({b}))
    assert seen[2:] == [frozenset({a}), None, frozenset({a}), None, frozenset({b})]


def test_work_a_build_defers_runs_after_the_pages_are_told(tmp_path: Path, site: Path) -> None:
    (tmp_path / "archive.toml").write_text("")
    order: list[str] = []

    def deferring_build(cfg: Config, *, defer: list[Any]) -> BuildReport:
        order.append("build")
        defer.append(lambda: order.append(f"saved at epoch {live.epoch}"))
        defer.append(lambda: 1 / 0)  # a failing save is reported, and the server goes on
        return _report(cfg, written=WriteReport(1, 0, 0), writes={})

    project = Project(load_config(root=tmp_path), build_fn=deferring_build, check_first=False)
    out = io.StringIO()
    live = LiveServer(project, lambda: site, clock=FakeClock(), out=out)
    live.build_now(frozenset())
    live.build_now(frozenset({tmp_path / "content/a.md"}))
    assert order == ["build", "saved at epoch 1", "build", "saved at epoch 2"]
    assert "ZeroDivisionError" in out.getvalue() or "division" in out.getvalue()


def test_templates_are_checked_only_when_the_theme_may_have_changed(tmp_path: Path) -> None:
    theme = tmp_path / "themes" / "mine"
    (theme / "templates").mkdir(parents=True)
    template = theme / "templates" / "entry.html"
    template.write_text("ok\n")
    (tmp_path / "archive.toml").write_text('[site]\ntheme = "mine"\n')
    builds: list[int] = []
    project = Project(load_config(root=tmp_path),
                      build_fn=lambda cfg: builds.append(1) or _report(cfg, written=WriteReport(1, 0, 0), writes={}))
    assert not project(frozenset()).failed
    template.write_text("{% if %}\n")
    # Not announced as a theme change: the check is skipped (the build, a fake here, runs).
    assert not project(frozenset({tmp_path / "content/a.md"})).failed
    assert project(frozenset({template})).failed  # a theme edit: checked
    assert project(frozenset({tmp_path / "content/a.md"})).failed  # still broken: checked on every save
    template.write_text("ok\n")
    assert not project(frozenset({template})).failed
    assert len(builds) == 3


def test_the_template_environment_lives_across_builds_and_a_theme_change_drops_it(tmp_path: Path) -> None:
    from generator import render

    original = render.make_environment
    (tmp_path / "archive.toml").write_text("")
    config = load_config(root=tmp_path)
    envs: list[object] = []  # the objects themselves: ids of freed ones could repeat

    def fake_build(cfg: Config) -> BuildReport:
        envs.append(render.make_environment(cfg.theme_dirs))
        return _report(cfg, written=WriteReport(1, 0, 0), writes={})

    project = Project(config, build_fn=fake_build, check_first=False)
    project(frozenset())  # first build: fresh
    project(frozenset({tmp_path / "content/a.md"}))
    assert envs[0] is envs[1]
    assert render.make_environment is original  # only patched while a build runs
    project(frozenset({config.theme_dirs[0] / "templates" / "base.html"}))
    assert envs[2] is not envs[1]
