"""The code's own checks, run as tests so that CI (which runs the test command) gates them:
mypy --strict over the package (STYLE.md: typed code), and ruff's F rules (undefined and
unused names, imports) over the package, the tests and the benchmarks. Both checkers are
pinned in the `test` extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_the_package_type_checks_strictly(tmp_path: Path) -> None:
    result = _run("mypy", "--strict", "--cache-dir", str(tmp_path / "mypy-cache"), "generator")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_undefined_or_unused_names(tmp_path: Path) -> None:
    result = _run("ruff", "check", "--select", "F", "--no-cache", "generator", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr
