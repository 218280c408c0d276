"""The search files in a real build of the seeds archive."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.search import vendor

CORE = Path(__file__).resolve().parents[2] / "generator" / "search" / "assets" / "search-core.js"


def test_search_page_links_hashed_assets_that_exist(built_seeds: Path) -> None:
    site = built_seeds / "site"
    page = (site / "search" / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<script src="([^"]+)"', page)
    names = [Path(s).name for s in sources]
    assert any(re.fullmatch(r"lunr\.[0-9a-f]{10}\.js", n) for n in names)
    assert any(n.startswith("search-core.") for n in names) and any(n.startswith("search.") for n in names)
    for source in sources:
        if source.startswith("../"):
            assert (site / "search" / source).resolve().is_file(), source
    manifest = re.search(r'data-manifest="([^"]+)"', page)
    assert manifest and (site / manifest.group(1)).is_file()
    assert not (site / "search" / "lunr.js").exists()
    lunr = next(p for p in (site / "search").glob("lunr.*.js"))
    assert lunr.read_bytes() == vendor.lunr_js()


def test_every_page_has_the_search_box(built_seeds: Path) -> None:
    home = (built_seeds / "site" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<form[^>]+action="[^"]*search/"', home)
    assert 'name="q"' in home


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_built_index_answers_in_node(built_seeds: Path, tmp_path: Path) -> None:
    index_dir = built_seeds / "site" / "search" / "index"
    script = tmp_path / "run.js"
    script.write_text("""
const fs = require('fs'), path = require('path'), vm = require('vm')
const [searchDir, core, dir, query] = process.argv.slice(2)
global.lunr = require(path.join(searchDir, 'templates/search/lunr.js'))
const { Engine } = require(core)
const read = (f) => { let d; vm.runInNewContext(fs.readFileSync(path.join(dir, f), 'utf8'), { archiveSearchLoaded: (k, v) => { d = v } }); return d }
const manifest = read(fs.readdirSync(dir).find((f) => f.startsWith('manifest.')))
const engine = new Engine(lunr, manifest, (f) => Promise.resolve(read(f)))
engine.search(query).then((r) => engine.documents(r.map((x) => x.ref)))
  .then((docs) => process.stdout.write(JSON.stringify(docs.map((d) => d.title))))
""", encoding="utf-8")

    def titles(query: str) -> list[str]:
        done = subprocess.run(["node", str(script), str(vendor.search_dir()), str(CORE), str(index_dir), query],
                              capture_output=True, text=True, timeout=120, check=True)
        return list(json.loads(done.stdout))

    assert "The Caravan that Defies Borders" in titles("Zeledon")
    assert "The Caravan that Defies Borders" in titles("zeledón")
    assert titles("zzzznotaword") == []


def test_benchmark_edits_applied_in_place_give_a_cold_builds_site(tmp_path: Path,
                                                                   in_place_search: list[bool]) -> None:
    """Whole builds of a synthetic project: benchmarks/build_speed.py's edits, again and again
    (a one-word edit, and a sentence added, which brings words the archive lacks and changes
    a body's length): the search files are patched in place (live.py), and every site equals
    a cold build's byte for byte."""
    from benchmarks.build_speed import add_to_one_entry, edit_one_entry
    from benchmarks.synthetic import generate, make_project
    from generator import search
    from generator.build import build
    from generator.config import load_config

    applied = in_place_search

    def site_of(root: Path) -> dict[str, bytes]:
        report = build(load_config(root=root))
        assert report.ok, [str(p) for p in report.errors]
        return {p.relative_to(root / "site").as_posix(): p.read_bytes()
                for p in sorted((root / "site").rglob("*")) if p.is_file()}

    project = make_project(tmp_path / "project", generate(60, words=80), dumps=False, content=True)
    site_of(project)
    for run in range(6):
        (edit_one_entry if run % 2 == 0 else add_to_one_entry)(project, run // 2)
        applied.clear()
        site = site_of(project)
        cold = tmp_path / f"cold{run}"
        cold.mkdir()
        for name in ("archive.toml", "content", "seeds"):
            if (project / name).is_dir():
                shutil.copytree(project / name, cold / name)
            elif (project / name).exists():
                shutil.copy(project / name, cold / name)
        assert site == site_of(cold), run
        assert applied == [True], (run, search.live.last_refusal)
