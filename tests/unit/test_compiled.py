"""The normalizer compiled by `pip install` (mypyc, setup.py) and its .py sources are one normalizer.

Each of these runs the normalizer in a fresh process, once as installed and once with
ARCHIVE_PURE_PYTHON=1 (the .py files), on the same pages, and compares what they give
to the byte. Where the install compiled nothing (no C compiler), both are the sources
and agree trivially; CI installs as a user does and must have compiled it.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import generator
from generator import _compiled
from generator._compiled import compiled_state, sources_hash

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = importlib.machinery.EXTENSION_SUFFIXES[0]

_NORMALIZE_ALL = """
import json, sys
from pathlib import Path
import generator
from generator.config import Config
from generator.ingest import read_sources
from generator.normalize import normalize_all
import generator.normalize.lines as lines

root = Path(sys.argv[1])
docs, problems = read_sources(root / "seeds", root)
entries, normalize_problems = normalize_all(docs, Config(), jobs=1)
print(json.dumps({"build": generator.NORMALIZER_BUILD, "module": lines.__file__,
                  "problems": repr(problems), "entries": [repr(e) for e in entries],
                  "normalize_problems": repr(normalize_problems)}))
"""

_ODD_PAGES = {
    "empty.txt": "",
    "one-line.txt": "Just one line with no article in it",
    "german.txt": "Startseite Politik Wirtschaft\n\nDie Stadt plant ein neues Bürgerhaus für 2027\n\n"
                  "Von Jürgen Müller und Ayşe Yılmaz\n\n12. März 2024, 09:41 Uhr\n\n"
                  + "Der Gemeinderat hat am Dienstag über den Bau beraten. " * 12 + "\n\n"
                  + "Die Kosten liegen bei rund zwölf Millionen Euro, heißt es aus dem Rathaus. " * 9
                  + "\n\nTeilen auf Facebook Twitter E-Mail\n",
    "spaced.txt": "\u00a0Title\u200b with odd\u2028spaces\ufeff\n\n" + "Body words go on here and on. " * 30,
    "page.html": "<html><head><title>An HTML page</title></head><body><nav>Home | About</nav>"
                 "<article><h1>An HTML page</h1><p>By Ana Ruiz</p><p>"
                 + "Paragraph text that is long enough to be an article body. " * 20
                 + "</p></article></body></html>",
    "note.md": "---\ntitle: A Markdown note\ndate: 2020-02-02\nauthors: [Kim Lee]\n---\n\n"
               "Some *text* with a [link](https://example.org).\n",
}


def _project(tmp_path: Path) -> Path:
    """The seeds, synthetic page dumps (the benchmark's) and odd pages, in one seeds/ folder."""
    from benchmarks.synthetic import generate, write_sources

    project = tmp_path / "project"
    shutil.copytree(ROOT / "seeds", project / "seeds")
    write_sources(generate(120), project / "seeds" / "synthetic")
    for name, text in _ODD_PAGES.items():
        (project / "seeds" / "odd" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "seeds" / "odd" / name).write_text(text, encoding="utf-8")
    return project


def _normalized(project: Path, pure: bool) -> dict[str, object]:
    env = {key: value for key, value in os.environ.items() if key != "ARCHIVE_PURE_PYTHON"}
    if pure:
        env["ARCHIVE_PURE_PYTHON"] = "1"
    done = subprocess.run([sys.executable, "-c", _NORMALIZE_ALL, str(project)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=project)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_compiled_and_pure_normalizers_give_the_same_entries(tmp_path: Path) -> None:
    project = _project(tmp_path)
    installed = _normalized(project, pure=False)
    pure = _normalized(project, pure=True)
    assert str(pure["module"]).endswith(".py")
    if installed["build"] == "compiled":
        assert str(installed["module"]).endswith(EXTENSION)
    assert len(installed["entries"]) > 120  # type: ignore[arg-type]
    for key in ("entries", "problems", "normalize_problems"):
        assert installed[key] == pure[key], key


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="a machine without a C compiler installs pure Python")
def test_ci_installs_the_compiled_normalizer() -> None:
    """CI installs as the README says, on a machine like a user's: the compiled normalizer is what
    it tests (were compiling to fail there, this says so instead of every test passing slower)."""
    assert generator.NORMALIZER_BUILD == "compiled"


def _fake_build(directory: Path, stamp: str | None) -> None:
    directory.mkdir()
    (directory / "__init__.py").write_text("X = 1\n")
    (directory / "lines.py").write_text("Y = 2\n")
    (directory / f"lines{EXTENSION}").write_bytes(b"\x7fELF")
    if stamp is not None:
        (directory / _compiled.STAMP).write_text(stamp + "\n")


def test_extensions_count_only_while_their_stamp_is_the_sources_hash(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVE_PURE_PYTHON", raising=False)
    none = tmp_path / "none"
    none.mkdir()
    (none / "lines.py").write_text("Y = 2\n")
    assert compiled_state(none) == "pure"
    built = tmp_path / "built"
    _fake_build(built, stamp=None)
    assert compiled_state(built) == "stale"  # extensions nobody vouches for
    (built / _compiled.STAMP).write_text(sources_hash(built) + "\n")
    assert compiled_state(built) == "compiled"
    (built / "lines.py").write_text("Y = 3\n")  # edited after the install compiled it
    assert compiled_state(built) == "stale"
    (built / _compiled.STAMP).write_text(sources_hash(built) + "\n")
    (built / "new.py").write_text("Z = 1\n")  # a module added since
    assert compiled_state(built) == "stale"
    (built / _compiled.STAMP).write_text(sources_hash(built) + "\n")
    monkeypatch.setenv("ARCHIVE_PURE_PYTHON", "1")
    assert compiled_state(built) == "forced-pure"


def test_setup_stamps_builds_with_the_hash_the_package_checks() -> None:
    """setup.py cannot import the package it builds: it repeats sources_hash, which must agree."""
    namespace: dict[str, object] = {}
    source = (ROOT / "setup.py").read_text(encoding="utf-8")
    definition = source[source.index("def sources_hash"):source.index("\n\n\ndef compiled_modules")]
    exec(compile("import hashlib\nfrom pathlib import Path\n" + definition, "setup.py", "exec"), namespace)
    hashed = namespace["sources_hash"]
    assert callable(hashed)
    assert hashed(_compiled.DIRECTORY) == sources_hash()
    assert 'STAMP = "compiled-from.sha256"' in source and _compiled.STAMP == "compiled-from.sha256"


def test_a_stale_build_runs_the_sources_in_place_of_the_extensions(tmp_path: Path) -> None:
    """An edited source is what runs, not the extension compiled from it before the edit."""
    project = tmp_path / "pkg"
    shutil.copytree(ROOT / "generator", project / "generator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    lines = project / "generator" / "normalize" / "lines.py"
    lines.write_text(lines.read_text(encoding="utf-8") + "\nEDITED_AFTER_THE_BUILD = True\n", encoding="utf-8")
    check = ("import generator, generator.normalize.lines as lines, generator.normalize as package; "
             "print(generator.NORMALIZER_BUILD, lines.__file__, package.__file__, "
             "getattr(lines, 'EDITED_AFTER_THE_BUILD', False))")
    env = {key: value for key, value in os.environ.items() if key != "ARCHIVE_PURE_PYTHON"}
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120,
                          cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    build, module, package, edited = done.stdout.split()
    assert module == str(lines) and package == str(lines.parent / "__init__.py")
    assert edited == "True"
    copied_extensions = any(p.name.endswith(EXTENSION) for p in lines.parent.iterdir())
    assert build == ("stale" if copied_extensions else "pure")
