"""The normalizer compiled to C with mypyc when this machine can, the pure-Python package otherwise.

Everything else about the package is declared in pyproject.toml. The normalizer is
most of a cold build's time (every page dump goes through it); compiled, the same
code runs about a quarter faster. Compiling is optional, the way PyYAML and
MarkupSafe build their C speed-ups: without a C compiler or Python headers, or
with ARCHIVE_PURE_PYTHON=1 set, the install carries on with the .py files.

A build is stamped with the hash of the sources it was compiled from (the whole
generator package: mypyc builds the types of the modules the normalizer imports
into its code) and the extension suffix of the Python it was built for;
generator/_compiled.py runs the .py files whenever the stamp does not match.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "generator"


def _load_freshness_module() -> ModuleType:
    """generator/_compiled.py by its path: the package cannot be imported while it is built."""
    spec = importlib.util.spec_from_file_location("_archive_compiled", PACKAGE / "_compiled.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


freshness = _load_freshness_module()
STAMP_TEXT = freshness.stamp_text(PACKAGE)
"""The stamp of the sources as mypyc is about to read them: taken before compiling, so that a
source edited during the minute the build takes leaves the build unstamped (stale)."""
GROUP = freshness.SHARED_LIBRARY.removesuffix("__mypyc")
"""mypyc's name for the shared library that holds the compiled modules (generator/normalize's
extensions are shims that load it; mypyc appends "__mypyc"): inside the generator package,
not at the top of site-packages, and not inside generator.normalize, whose compiled __init__
would have to import it before it exists (an endless import)."""


def say(message: str) -> None:
    print(f"static-archive: {message}", file=sys.stderr)


def _remove_extensions(package: Path) -> None:
    """Extensions and stamp of an earlier build in `package` (a generator folder)."""
    shared = freshness.SHARED_LIBRARY.rpartition(".")[2]
    for path in [*(package / "normalize").glob("*.so"), *(package / "normalize").glob("*.pyd"),
                 *package.glob(f"{shared}.*"), package / "normalize" / freshness.STAMP]:
        path.unlink(missing_ok=True)


def compiled_modules() -> list[Extension]:
    if freshness.pure_requested():
        _remove_extensions(PACKAGE)  # an earlier in-place build would still be loaded
        return []
    try:
        from mypyc.build import mypycify
    except ImportError as error:
        say(f"mypyc is not available ({error}); installing the pure-Python normalizer")
        return []
    paths = sorted(str(path.relative_to(HERE)) for path in (PACKAGE / "normalize").glob("*.py"))
    # The build environment holds mypy but not the package's dependencies: their types are
    # unknown there (Any), which costs the compiled code nothing but a check at the boundary.
    options = ["--ignore-missing-imports", "--follow-imports=silent", "--no-warn-unused-ignores"]
    try:
        extensions: list[Extension] = mypycify([*options, *paths], group_name=GROUP, opt_level="3")
        return extensions
    except (Exception, SystemExit) as error:  # noqa: BLE001 - mypy's verdict must not stop the install
        say(f"the normalizer was not compiled ({error}); installing the pure-Python one")
        return []


class OptionalBuildExt(build_ext):
    """build_ext that leaves the pure-Python package in place of a build that fails, and stamps
    a build that succeeds with what it was built from."""

    def run(self) -> None:
        if freshness.pure_requested():
            # `pip install .` packs whatever build/lib holds, an earlier compiled build included.
            _remove_extensions(Path(self.build_lib) / "generator")
        inplace = self.inplace  # setuptools clears it while it builds, and not again on an error
        try:
            super().run()
        except Exception as error:  # noqa: BLE001 - compiling is an optimization, never a requirement
            self.inplace = inplace
            self._remove_built()
            say(f"the normalizer was not compiled ({error}); the pure-Python one is used")
            return
        for directory in self._built_directories():
            if not directory.is_dir():
                continue
            if freshness.stamp_text(directory.parent) == STAMP_TEXT:
                (directory / freshness.STAMP).write_text(STAMP_TEXT, encoding="ascii")
            else:  # the sources changed while it compiled, or the build folder holds stale files
                (directory / freshness.STAMP).unlink(missing_ok=True)
                say(f"{directory} no longer holds the sources just compiled: the pure-Python "
                    "normalizer will run there")

    def _built_directories(self) -> set[Path]:
        """The normalize folders this run builds into (in the source tree for an in-place build)."""
        built = (Path(self.get_ext_fullpath(extension.name)).parent for extension in self.extensions)
        return {folder for folder in built if folder.name == "normalize"}

    def _remove_built(self) -> None:
        """A half-built group would fail on import (the shims need the shared library)."""
        for directory in self._built_directories():
            _remove_extensions(directory.parent)

setup(ext_modules=compiled_modules(), cmdclass={"build_ext": OptionalBuildExt})
