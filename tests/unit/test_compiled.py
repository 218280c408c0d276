"""The normalizer compiled by `pip install` (mypyc, setup.py) and its .py sources are one normalizer.

Each of these runs the normalizer in a fresh process, once as installed and once with
ARCHIVE_PURE_PYTHON=1 (the .py files), on the same pages, and compares what they give
to the byte. Where the install compiled nothing (no C compiler), both are the sources
and agree trivially; CI installs as a user does and must have compiled it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import generator
from generator import _compiled
from generator._compiled import SUFFIX as EXTENSION_SUFFIX
from generator._compiled import compiled_state, stamp_text

ROOT = Path(__file__).resolve().parents[2]

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


def _env_without(*names: str, **added: str) -> dict[str, str]:
    """This process's environment without `names`, with `added`."""
    return {**{key: value for key, value in os.environ.items() if key not in names}, **added}


def _normalized(project: Path, pure: bool) -> dict[str, object]:
    # The checkout's package, whatever is installed.
    env = _env_without("ARCHIVE_PURE_PYTHON", PYTHONPATH=str(ROOT), **({"ARCHIVE_PURE_PYTHON": "1"} if pure else {}))
    done = subprocess.run([sys.executable, "-c", _NORMALIZE_ALL, str(project)], check=False, capture_output=True,
                          text=True, timeout=300, env=env, cwd=project)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_compiled_and_pure_normalizers_give_the_same_entries(tmp_path: Path) -> None:
    project = _project(tmp_path)
    installed = _normalized(project, pure=False)
    if installed["build"] != "compiled":  # (CI requires the compiled one: see below)
        pytest.skip(f"the normalizer here is not compiled ({installed['build']}): both runs would be the sources")
    pure = _normalized(project, pure=True)
    assert str(pure["module"]).endswith(".py") and str(installed["module"]).endswith(EXTENSION_SUFFIX)
    assert len(installed["entries"]) > 120  # type: ignore[arg-type]
    for key in ("entries", "problems", "normalize_problems"):
        assert installed[key] == pure[key], key


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="runs in CI only (elsewhere the install may lack a C compiler)")
def test_ci_installs_the_compiled_normalizer() -> None:
    """CI installs as the README says, on a machine like a user's: the compiled normalizer is what
    it tests (were compiling to fail there, this says so instead of every test passing slower)."""
    assert generator.NORMALIZER_BUILD == "compiled"


def _fake_package(root: Path, stamped: bool = True, suffix: str = EXTENSION_SUFFIX) -> Path:
    """A generator folder as a compiled install leaves it (the extensions are not real ones)."""
    package = root / "generator"
    normalize = package / "normalize"
    normalize.mkdir(parents=True)
    (package / "models.py").write_text("M = 1\n")
    for name in ("__init__", "lines"):
        (normalize / f"{name}.py").write_text(f"{name.upper()} = 1\n")
        (normalize / f"{name}{suffix}").write_bytes(b"\x7fELF")
    (package / f"normalize_compiled__mypyc{suffix}").write_bytes(b"\x7fELF")
    if stamped:
        (normalize / _compiled.STAMP).write_text(stamp_text(package, suffix), encoding="ascii")
    return normalize


def _restamped(normalize: Path) -> Path:
    (normalize / _compiled.STAMP).write_text(stamp_text(normalize.parent), encoding="ascii")
    return normalize


def test_extensions_count_only_while_their_stamp_matches_every_source(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVE_PURE_PYTHON", raising=False)
    never_built = tmp_path / "never-built" / "normalize"
    never_built.mkdir(parents=True)
    (never_built / "lines.py").write_text("Y = 2\n")
    assert compiled_state(never_built) == "pure"

    normalize = _fake_package(tmp_path / "ok")
    assert compiled_state(normalize) == "compiled"
    (normalize / "lines.py").write_text("LINES = 2\n")  # a normalizer source edited since
    assert compiled_state(normalize) == "stale"
    (_restamped(normalize).parent / "models.py").write_text("M = 2\n")  # a module it imports, edited
    assert compiled_state(normalize) == "stale"
    (_restamped(normalize) / "new.py").write_text("Z = 1\n")  # a module added: not compiled
    assert compiled_state(normalize) == "stale"
    (normalize / "new.py").unlink()
    (_restamped(normalize) / "lines.py").unlink()  # a module removed: its extension would still load
    assert compiled_state(normalize) == "stale"

    assert compiled_state(_fake_package(tmp_path / "unstamped", stamped=False)) == "stale"
    other = _fake_package(tmp_path / "other-python")
    (other / _compiled.STAMP).write_text(stamp_text(other.parent, ".cpython-399-x.so"), encoding="ascii")
    assert compiled_state(other) == "stale"  # stamped by a build for another Python
    shared = _fake_package(tmp_path / "no-library")
    (shared.parent / f"normalize_compiled__mypyc{EXTENSION_SUFFIX}").unlink()
    assert compiled_state(shared) == "stale"  # the shims would fail to import

    locked = _fake_package(tmp_path / "editor-lock")
    (locked / ".#lines.py").symlink_to("user@host.1234")  # Emacs, while a buffer has unsaved edits
    assert compiled_state(locked) == "compiled"
    (locked / "broken.py").symlink_to("nowhere.py")  # a source that cannot be read: run the sources
    assert compiled_state(locked) == "stale"

    forced = _fake_package(tmp_path / "forced")
    monkeypatch.setenv("ARCHIVE_PURE_PYTHON", "0")
    assert compiled_state(forced) == "compiled"
    monkeypatch.setenv("ARCHIVE_PURE_PYTHON", "1")
    assert compiled_state(forced) == "forced-pure"


_STALE_CHECK = """
import sys
import generator, generator.normalize as package, generator.normalize.lines as lines
try:
    import generator.normalize.removed
except ModuleNotFoundError:
    removed = "missing"
else:
    removed = "loaded"
print(generator.NORMALIZER_BUILD, package.__file__, lines.__file__, getattr(lines, "EDITED_AFTER_THE_BUILD", False),
      removed, "generator.normalize_compiled__mypyc" in sys.modules)
"""


def test_a_stale_build_runs_the_sources_in_place_of_the_extensions(tmp_path: Path) -> None:
    """An edited source is what runs, not the extension compiled from it before the edit; an
    extension left from a module since removed is not loaded either."""
    project = tmp_path / "pkg"
    shutil.copytree(ROOT / "generator", project / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    normalize = project / "generator" / "normalize"
    lines = normalize / "lines.py"
    lines.write_text(lines.read_text(encoding="utf-8") + "\nEDITED_AFTER_THE_BUILD = True\n", encoding="utf-8")
    (normalize / f"removed{EXTENSION_SUFFIX}").write_bytes(b"\x7fELF")  # a module deleted after a build
    env = _env_without("ARCHIVE_PURE_PYTHON", "PYTHONPATH")
    done = subprocess.run([sys.executable, "-c", _STALE_CHECK], check=False, capture_output=True, text=True, timeout=120,
                          cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    build, package, module, edited, removed, shared_loaded = done.stdout.split()
    assert (build, package, module) == ("stale", str(normalize / "__init__.py"), str(lines))
    assert (edited, removed, shared_loaded) == ("True", "missing", "False")
