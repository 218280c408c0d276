"""Incremental builds: a rebuild after editing one entry rewrites only the files whose
bytes change, and its output is byte-identical to a cold build of the edited project.

The project is a small synthetic archive (benchmarks/synthetic.py), big enough
that rendering goes through the process pool on a multi-core machine.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from benchmarks.synthetic import generate, make_project
from generator import render
from generator.build import BuildReport, build
from generator.config import load_config

ENTRIES = 160


def _build(root: Path) -> BuildReport:
    report = build(load_config(root=root))
    assert report.ok, [str(p) for p in report.errors]
    assert report.written is not None
    return report


def _snapshot(site: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the site: its bytes and inode."""
    files: dict[str, tuple[bytes, int]] = {}
    for directory, _, names in os.walk(site):
        for name in names:
            path = Path(directory, name)
            files[path.relative_to(site).as_posix()] = (path.read_bytes(), path.stat().st_ino)
    return files


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("incremental") / "project", generate(ENTRIES, words=150),
                        dumps=False, content=True)


def _edit_one_entry(root: Path) -> Path:
    """Change the title and the body of one entry, the way a correction would."""
    entry = sorted((root / "content").rglob("*.md"))[ENTRIES // 2]
    text = entry.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    title = next(line for line in head.splitlines() if line.startswith("title:"))
    head = head.replace(title, "title: A corrected headline & <more>", 1)
    entry.write_text(f"{head}\n---\n{body}\nA corrected last paragraph.\n", encoding="utf-8")
    return entry


def test_rebuild_after_one_edit_rewrites_only_changed_files_and_equals_a_cold_build(
    project: Path, tmp_path: Path,
) -> None:
    first = _build(project)
    assert first.files > 3 * ENTRIES  # entry, list, taxonomy and feed files
    before = _snapshot(project / "site")

    # Nothing changed: nothing is written, every file keeps its inode.
    again = _build(project)
    assert again.written is not None and again.written.written == 0
    assert _snapshot(project / "site") == before

    # A hand-edited output file is not trusted: the next build puts the rendered page back.
    page = project / "site" / "tags" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</main>", b"<p>edited by hand</p></main>"))
    restored = _build(project)
    assert restored.written is not None and restored.written.written == 1
    assert page.read_bytes() == before["tags/index.html"][0]
    before = _snapshot(project / "site")

    _edit_one_entry(project)
    rebuilt = _build(project)
    after = _snapshot(project / "site")

    # Byte-identical to a cold build of the edited project (no cache, no old site).
    cold = _cold_site(project, tmp_path)
    assert sorted(after) == sorted(cold)
    differing = [path for path in cold if after[path][0] != cold[path][0]]
    assert not differing, differing[:20]

    # Only the files whose bytes changed were written; the rest are the old files (same inode).
    changed = {path for path in after if path not in before or before[path][0] != after[path][0]}
    unchanged = set(after) - changed
    assert rebuilt.written is not None
    assert rebuilt.written.written == len(changed)
    assert all(after[path][1] == before[path][1] for path in unchanged)
    assert 0 < len(changed) < len(after) // 5, sorted(changed)
    print(f"incremental: {len(after)} files, {len(changed)} rewritten after editing one entry, "
          f"identical to a cold build")


def _cold_site(project: Path, tmp_path: Path) -> dict[str, tuple[bytes, int]]:
    cold_root = tmp_path / "cold"
    shutil.rmtree(cold_root, ignore_errors=True)
    cold_root.mkdir()
    for name in ("archive.toml", "content", "seeds"):
        source = project / name
        if source.is_dir():
            shutil.copytree(source, cold_root / name)
        else:
            shutil.copy(source, cold_root / name)
    _build(cold_root)
    return _snapshot(cold_root / "site")


def _rewrite(entry: Path, change: Callable[[str, str], tuple[str, str]]) -> None:
    head, _, body = entry.read_text(encoding="utf-8").partition("\n---\n")
    head, body = change(head, body)
    entry.write_text(f"{head}\n---\n{body}", encoding="utf-8")


@pytest.mark.parametrize("edit", ["body", "tags", "body-again"])
def test_edits_that_plan_only_some_pages_equal_a_cold_build(
    project: Path, tmp_path: Path, edit: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A body edit takes the planned path (only pages showing the entry are looked at); a
    tag edit changes lists and counts and takes the full one. Both equal a cold build."""
    planned: list[object] = []
    original = render._changed_plan

    def spy(site: object, changed: list[str]) -> object:
        planned.append(changed)
        return original(site, changed)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "_changed_plan", spy)
    _build(project)
    before = _snapshot(project / "site")
    entries = sorted((project / "content").rglob("*.md"))
    target = entries[ENTRIES // 3]
    if edit == "tags":
        _rewrite(target, lambda head, body: (head.replace("tags:\n", "tags:\n- A brand new topic\n", 1), body))
    else:
        _rewrite(target, lambda head, body: (head, f"A new first paragraph ({edit}).\n\n{body}"))
    planned.clear()
    rebuilt = _build(project)
    after = _snapshot(project / "site")
    assert bool(planned) == (edit != "tags")
    cold = _cold_site(project, tmp_path)
    assert sorted(after) == sorted(cold)
    assert not [path for path in cold if after[path][0] != cold[path][0]]
    changed = {path for path in after if path not in before or before[path][0] != after[path][0]}
    assert rebuilt.written is not None and rebuilt.written.written == len(changed)
    assert all(after[path][1] == before[path][1] for path in set(after) - changed)


def test_serve_quick_pass_shows_the_edit_first_then_the_search_catches_up_to_a_cold_build(tmp_path: Path) -> None:
    """build(defer=...) (archive serve) renders an edit with the last search index, leaves the new
    index as deferred work, and once that has run the site equals a cold build's."""
    root = make_project(tmp_path / "served", generate(40, words=80), dumps=False, content=True)
    config = load_config(root=root)
    first: list[Callable[[], bool]] = []
    assert build(config, defer=first).ok and len(first) == 1  # nothing to render with yet: a full build
    first[0]()
    search_before = {p: b for p, (b, _) in _snapshot(root / "site").items() if p.startswith("search/")}

    entry = sorted((root / "content").rglob("*.md"))[7]
    entry.write_text(entry.read_text(encoding="utf-8") + "\nZanzibarquux appears in a correction.\n",
                     encoding="utf-8")
    later: list[Callable[[], bool]] = []
    report = build(config, defer=later, changed=frozenset({entry.absolute()}))
    assert report.ok and len(later) == 2  # saving the caches, the search index
    site = _snapshot(root / "site")
    assert any(b"Zanzibarquux" in data for path, (data, _) in site.items() if not path.startswith("search/"))
    assert {p: b for p, (b, _) in site.items() if p.startswith("search/")} == search_before

    assert later[0]() is False  # caches saved: the site is as it was
    assert later[1]() is True  # the new search index: the site changed again
    served = {p: b for p, (b, _) in _snapshot(root / "site").items()}
    assert served == {p: b for p, (b, _) in _cold_site(root, tmp_path).items()}
    assert served != site  # the search files did change


def test_a_rebuild_with_nothing_changed_does_nothing_and_any_change_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing changed since the last build (inputs by metadata, site/ untouched): the last
    report comes back without normalizing, loading or rendering. Each kind of change
    (a source, a content file, a theme file, a file of site/) builds again."""
    import generator.build as build_module

    root = make_project(tmp_path / "p", generate(30, words=60), dumps=True, content=False)
    first = _build(root)
    stages: list[str] = []
    real_normalize = build_module.normalize

    def counting(*args: object, **kwargs: object) -> object:
        stages.append("normalize")
        return real_normalize(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "normalize", counting)
    again = _build(root)
    assert stages == []
    assert (again.pages, again.files, again.kinds, again.problems) == (first.pages, first.files,
                                                                        again.kinds, first.problems)
    assert again.written is not None and (again.written.written, again.written.removed) == (0, 0)
    assert again.normalized.plan.unchanged == len(first.normalized.plan.writes)
    assert [e.path for e in again.entries] == [e.path for e in first.entries]
    assert len(again.kinds) == 2 and sum(again.kinds) == len(first.entries)

    def changes_something(change: Callable[[], None]) -> None:
        stages.clear()
        change()
        _build(root)
        assert stages == ["normalize"], change
        stages.clear()
        _build(root)
        assert stages == [], change  # and then nothing again

    source = sorted((root / "seeds").iterdir())[0]
    changes_something(lambda: source.write_text(source.read_text("utf-8") + "\nOne more line.\n", "utf-8"))
    content_file = sorted((root / "content").rglob("*.md"))[3]
    changes_something(lambda: content_file.write_text(content_file.read_text("utf-8") + "\nA fix.\n", "utf-8"))
    theme = root / "themes" / "default" / "static"
    theme.mkdir(parents=True, exist_ok=True)
    changes_something(lambda: (theme / "extra.css").write_text("body { color: black }\n", "utf-8"))
    page = next((root / "site").rglob("index.html"))
    changes_something(lambda: page.write_text("tampered", "utf-8"))
    assert page.read_text("utf-8") != "tampered"
    changes_something(lambda: shutil.rmtree(root / "site"))


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What each build.fork_one call returned (None: the caller did the work itself), but the
    site check's, which every rebuild makes (see the test of check_site)."""
    import generator.build as build_module
    from generator import parallel

    if "fork" not in multiprocessing.get_all_start_methods() or parallel.default_jobs() < 2:
        pytest.skip("needs fork and two cores")
    assert threading.active_count() == 1  # (conftest runs the browser tests, which leave threads, last)
    made: list[object] = []
    real_fork_one = build_module.fork_one

    def spying(*args: object, **kwargs: object) -> object:
        result = real_fork_one(*args, **kwargs)  # type: ignore[arg-type]
        if getattr(args[0], "func", None) is not build_module._check_site:
            made.append(result)
        return result

    monkeypatch.setattr(build_module, "fork_one", spying)
    return made


def test_a_cold_build_with_the_search_built_beside_the_render_equals_one_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[object],
) -> None:
    """A cold build of many entries renders the pages while another process builds the search
    index (build.OVERLAP_MIN): the site is the same bytes as when the two run one after the
    other, and the next rebuild after an edit equals a cold build too."""
    import generator.build as build_module

    items = generate(60, words=80)
    one_after_other = make_project(tmp_path / "serial", items, dumps=False, content=True)
    beside = make_project(tmp_path / "beside", items, dumps=False, content=True)
    monkeypatch.setattr(build_module, "OVERLAP_MIN", 10**9)
    _build(one_after_other)
    monkeypatch.setattr(build_module, "OVERLAP_MIN", 1)
    _build(beside)
    assert len(forked) == 1 and forked[0] is not None  # the search was built in another process
    expected = {p: b for p, (b, _) in _snapshot(one_after_other / "site").items()}
    assert {p: b for p, (b, _) in _snapshot(beside / "site").items()} == expected
    assert any(path.startswith("search/index/") for path in expected)

    # The search's caches, saved by the other process, serve the next build as they would this one's.
    entry = sorted((beside / "content").rglob("*.md"))[7]
    entry.write_text(entry.read_text(encoding="utf-8") + "\nA corrected last paragraph.\n", encoding="utf-8")
    _build(beside)
    # Pages to reuse: no search beside the render, only the spare tree's copy (write.mirror_spare).
    assert len(forked) == 2 and forked[1]._function.func is build_module.mirror_spare  # type: ignore[attr-defined]
    assert {p: b for p, (b, _) in _snapshot(beside / "site").items()} == {
        p: b for p, (b, _) in _cold_site(beside, tmp_path).items()}


@pytest.mark.parametrize("how", ["search here", "search beside the render", "analysis ahead fails"])
def test_a_cold_build_from_dumps_analyses_the_search_ahead_and_equals_one_that_does_not(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[object],
) -> None:
    """A cold build from page dumps analyses the drafts for the search index in another process
    while it syncs them into content/ (search.analyse_ahead): the site is the same bytes as a
    build's that does not, whether the index is then built in this process or beside the render
    (which inherits the analysis), and every entry's analysis is the one made ahead. An analysis
    ahead that fails is made again where the index is built."""
    import generator.build as build_module
    import generator.content as content_module
    import generator.drafts as drafts_module
    import generator.search as search_module
    from generator.cache import BuildCache

    # The drafts are written out with the cores left (jobs=None) unless the analysis runs beside.
    dump_jobs: list[object] = []
    real_map = content_module.parallel_map

    def mapping(function: object, items: object, jobs: object = None, **kwargs: object) -> object:
        if function is content_module.dump_entry:
            dump_jobs.append(jobs)
        return real_map(function, items, jobs, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(content_module, "parallel_map", mapping)
    items = generate(40, words=80)
    without = make_project(tmp_path / "without", items, dumps=True, content=False)
    ahead = make_project(tmp_path / "ahead", items, dumps=True, content=False)
    monkeypatch.setattr(build_module, "OVERLAP_MIN", 1 if how == "search beside the render" else 10**9)
    monkeypatch.setattr(search_module, "AHEAD_FROM", 10**9)
    _build(without)
    assert dump_jobs == [None]

    monkeypatch.setattr(search_module, "AHEAD_FROM", 1)
    started: list[object] = []
    real_fork_one, real_take = search_module.fork_one, search_module._take_ahead
    monkeypatch.setattr(search_module, "fork_one", lambda *a, **k: started.append(real_fork_one(*a, **k))
                        or started[-1])
    taken = tmp_path / "taken"

    def spy(docs: object, positions: object, vocabulary: object) -> object:
        found = real_take(docs, positions, vocabulary)  # type: ignore[arg-type]
        taken.write_text(str(len(found)))  # (read here: the search may be built in another process)
        return found

    monkeypatch.setattr(search_module, "_take_ahead", spy)
    saved_by = tmp_path / "saved-by"
    real_save_entries = drafts_module._save_entries

    def saving(*args: object) -> None:
        saved_by.write_text(str(os.getpid()))  # (written where the drafts' cache is saved)
        real_save_entries(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(drafts_module, "_save_entries", saving)
    if how == "analysis ahead fails":
        def broken(docs: object) -> object:
            raise ValueError("analysis ahead broke on purpose")

        monkeypatch.setattr(search_module, "_analyse_drafts", broken)
    else:
        real_analyse = search_module._analyse_drafts

        def counting(docs: Sequence[object]) -> object:
            made = real_analyse(docs)  # type: ignore[arg-type]
            analysed.write_text(f"{len(docs)} {len(made[1])}")
            return made

        analysed = tmp_path / "analysed"
        monkeypatch.setattr(search_module, "_analyse_drafts", counting)
    report = _build(ahead)
    assert len(started) == 1 and started[0] is not None
    assert dump_jobs == [None, 1]
    assert int(taken.read_text()) == (0 if how == "analysis ahead fails" else len(report.entries))
    if how != "analysis ahead fails":
        # Each related-articles teaser of the dumps is merged into its article: not analysed.
        drafts, records = map(int, analysed.read_text().split())
        assert drafts > records == len(report.entries)
    assert not search_module._AHEAD  # the process is stopped and reaped when the build ends
    # The analysis's process saved the drafts' cache after answering (also when the analysis
    # failed): every source's drafts are there, as a build without the analysis leaves them.
    assert int(saved_by.read_text()) == started[0]._pid  # type: ignore[attr-defined]
    cached = [BuildCache(load_config(root=root)).load_sharded(drafts_module.ENTRIES_NAME)[0]
              for root in (ahead, without)]
    assert cached[0] == cached[1] and len(cached[0]) == len(items)
    assert all(dropped._ended for dropped in search_module._DROPPED)  # (kept, not freed, but reaped)
    with pytest.raises(ChildProcessError):  # and no process the build started is left a zombie
        print("unreaped:", os.waitpid(-1, os.WNOHANG))
    assert {p: b for p, (b, _) in _snapshot(ahead / "site").items()} == {
        p: b for p, (b, _) in _snapshot(without / "site").items()}

    # Not cold any more: a rebuild after an edit of a source analyses nothing ahead.
    source = sorted((ahead / "seeds").iterdir())[3]
    source.write_text(source.read_text(encoding="utf-8").replace(" the ", " a ", 1), encoding="utf-8")
    _build(ahead)
    assert len(started) == 1


@pytest.mark.parametrize("spare", ["made beside the render", "none"])
def test_the_first_rebuild_after_a_cold_build_updates_a_spare_made_beside_its_render(
    spare: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[object],
) -> None:
    """A cold build leaves no spare tree. The first rebuild has one made, a hard-linked copy of
    site/, by another process while it renders (write.mirror_spare), and its write updates that
    instead of making the whole tree from nothing. Either way the site equals a cold build's,
    the unchanged files keep their inode, and the report counts the same."""
    import generator.build as build_module
    from generator import write

    root = make_project(tmp_path / "p", generate(30, words=60), dumps=False, content=True)
    _build(root)
    assert forked == []  # a cold build: no site/ to copy
    before = _snapshot(root / "site")
    if spare == "none":
        monkeypatch.setattr(build_module, "has_spare_record", lambda path: True)  # (so none is made)
    from_nothing: list[object] = []
    real_fresh = write._fresh
    monkeypatch.setattr(write, "_fresh", lambda *a, **k: from_nothing.append(a) or real_fresh(*a, **k))
    entry = sorted((root / "content").rglob("*.md"))[5]
    entry.write_text(entry.read_text(encoding="utf-8") + "\nA corrected last paragraph.\n", encoding="utf-8")
    report = _build(root)
    if spare == "none":
        assert forked == [] and len(from_nothing) == 1
    else:
        assert len(forked) == 1 and forked[0] is not None and from_nothing == []
    after = _snapshot(root / "site")
    assert {p: b for p, (b, _) in after.items()} == {p: b for p, (b, _) in _cold_site(root, tmp_path).items()}
    kept = [p for p in after if p in before and after[p][0] == before[p][0]]
    assert kept and all(after[p][1] == before[p][1] for p in kept)  # linked, not rewritten
    assert report.written is not None
    assert report.written.written == sum(1 for p in after if p not in before or after[p][0] != before[p][0])
    assert report.written.removed == sum(1 for p in before if p not in after)
    assert report.written.unchanged == len(after) - report.written.written


def test_a_search_that_fails_beside_the_render_fails_the_build_and_keeps_the_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[object],
) -> None:
    import generator.build as build_module
    import generator.search as search_module

    root = make_project(tmp_path / "p", generate(30, words=60), dumps=False, content=True)

    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("search index broke on purpose")

    monkeypatch.setattr(build_module, "OVERLAP_MIN", 1)
    monkeypatch.setattr(search_module, "build_search", broken)
    report = build(load_config(root=root))
    assert len(forked) == 1 and forked[0] is not None  # it broke in the other process
    assert not report.ok and report.written is None
    assert any("search index broke on purpose" in p.message for p in report.errors), report.errors
    assert not (root / "site").exists()


@pytest.mark.parametrize("kind", ["synthetic dumps", "seeds"])
def test_a_cold_build_loads_the_drafts_it_stored_as_parsing_their_files_would(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cold build from page dumps takes the entries it has just written to content/ from the
    drafts (frontmatter.as_stored) instead of parsing the files back: the site is the same bytes
    as a build that parses those very files."""
    from conftest import make_project as seeds_project

    import generator.content as content_module

    vouched: list[bool] = []
    original = content_module.as_stored

    def spy(entry: object) -> object:
        result = original(entry)  # type: ignore[arg-type]
        vouched.append(result is not None)
        return result

    monkeypatch.setattr(content_module, "as_stored", spy)
    root = (make_project(tmp_path / "dumps", generate(40, words=80), dumps=True, content=False)
            if kind == "synthetic dumps" else seeds_project(tmp_path / "dumps"))
    report = _build(root)
    assert vouched and all(vouched) and len(vouched) == len(report.entries)
    vouched.clear()
    parsed = _cold_site(root, tmp_path)  # content/ as written, parsed: nothing to store
    assert not vouched
    assert {p: b for p, (b, _) in _snapshot(root / "site").items()} == {p: b for p, (b, _) in parsed.items()}


def test_site_checked_in_another_process_tells_what_looking_at_it_here_tells(tmp_path: Path) -> None:
    """A build has site/ compared with the last build's record in forked processes
    (render_cache.check_site, its two looks): their answer is the one the build's own look
    would give, and it is used only for the record it was made against."""
    from dataclasses import replace

    from generator.cache import BuildCache
    from generator.render_cache import ADDED, TOUCHED, SiteCheck, check_site, load_state, site_unchanged, vouch

    def whole_check() -> SiteCheck:
        touched, added = check_site(config, TOUCHED), check_site(config, ADDED)
        assert touched is not None and added is not None and touched.saved == added.saved == state.saved
        assert touched.added is None and added.touched is None
        return replace(touched, added=added.added)

    root = make_project(tmp_path / "p", generate(20, words=40), dumps=False, content=True)
    _build(root)
    config = load_config(root=root)
    state = load_state(config, bodies=False)
    check = whole_check()
    assert check.touched == frozenset() and check.added is False
    assert site_unchanged(state, config.output_dir, check) and site_unchanged(state, config.output_dir)
    # (only the touched files looked at: not enough to tell that nothing changed)
    assert site_unchanged(state, config.output_dir, replace(check, added=None))

    page = sorted((root / "site").rglob("index.html"))[1]
    page.write_text("tampered", encoding="utf-8")
    tampered = page.relative_to(root / "site").as_posix()
    check = whole_check()
    assert check.touched == {tampered} and check.added is False
    (root / "site" / "stray.html").write_text("not the build's", encoding="utf-8")
    assert whole_check().added is True
    kept = next(path for path in state.manifest if path != tampered)
    for known in (check, replace(check, added=None), None):
        assert not site_unchanged(state, config.output_dir, known)
        unchanged = vouch(state, config.output_dir, known)
        assert not unchanged(tampered) and unchanged(kept) and not unchanged("stray.html")
    assert not site_unchanged(state, config.output_dir, replace(whole_check(), touched=frozenset()))  # (stray alone)

    # A rebuild makes both looks in other processes (with two cores), and puts the page back.
    import generator.build as build_module
    from generator import parallel

    real_fork_one, looks = build_module.fork_one, []

    def spying(*args: object, **kwargs: object) -> object:
        result = real_fork_one(*args, **kwargs)  # type: ignore[arg-type]
        looks.append((getattr(args[0], "func", None), result))
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_module, "fork_one", spying)
        _build(root)
    assert page.read_text(encoding="utf-8") != "tampered" and not (root / "site" / "stray.html").exists()
    if parallel.default_jobs() > 1 and threading.active_count() == 1:
        assert [function for function, _ in looks[:2]] == [build_module._check_site] * 2
        assert all(forked is not None for _, forked in looks)
    (root / "site" / "stray.html").write_text("not the build's", encoding="utf-8")

    # Once the record is saved again, a check made against the old one is not believed.
    os.utime(BuildCache(config).path_of("render"), ns=(1, 1))
    newer = load_state(config, bodies=False)
    assert newer.saved is not None and newer.saved != state.saved
    assert not site_unchanged(newer, config.output_dir, replace(check, touched=frozenset(), added=False))
