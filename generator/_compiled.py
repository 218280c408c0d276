"""Run the normalizer's .py files whenever its compiled extensions are not theirs.

`pip install` may compile generator.normalize with mypyc (see setup.py) and puts a
hash of the sources it compiled next to the extensions. Python prefers an
extension to a .py file of the same name, so after a source is edited (or
another commit checked out) the stale extension would still run: here, before
the package is imported, a finder is put first on sys.meta_path that loads
generator.normalize and its modules from their .py files instead. Setting
ARCHIVE_PURE_PYTHON=1 does the same on purpose (to debug or profile the
normalizer, or to compare the two).

Both run the same code: tests/unit/test_compiled.py checks that they normalize
alike.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = "generator.normalize"
DIRECTORY = Path(__file__).resolve().parent / "normalize"
STAMP = "compiled-from.sha256"


def sources_hash(directory: Path = DIRECTORY) -> str:
    """The hash setup.py stamps a build with: every .py file of the package, name and bytes."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def compiled_state(directory: Path = DIRECTORY) -> str:
    """"compiled", "stale" (extensions built from other sources), "forced-pure" or "pure" (none built)."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    if not any(name.endswith(suffixes) for name in os.listdir(directory)):
        return "pure"
    if os.environ.get("ARCHIVE_PURE_PYTHON"):
        return "forced-pure"
    try:
        stamp = (directory / STAMP).read_text(encoding="ascii").strip()
    except OSError:
        return "stale"
    return "compiled" if stamp == sources_hash(directory) else "stale"


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Finds generator.normalize and its modules as .py files only."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname == PACKAGE:
            return importlib.util.spec_from_file_location(
                fullname, DIRECTORY / "__init__.py", submodule_search_locations=[str(DIRECTORY)])
        if fullname.startswith(PACKAGE + ".") and "." not in fullname[len(PACKAGE) + 1:]:
            source = DIRECTORY / f"{fullname.rpartition('.')[2]}.py"
            if source.is_file():
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def use_sources_unless_compiled() -> str:
    """Put the source finder in place unless the compiled normalizer is current; the state."""
    state = compiled_state()
    if state in ("stale", "forced-pure") and not any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst())
    return state
