"""A long fuzz run (not in CI) of the normalizer, front-matter reader, slugger and URL builder.

Runs the property checks of tests/hardening/fuzzkit.py under hypothesis for a
configurable time, target by target in rounds, and prints how many cases each
target ran and every distinct finding (the shrunk failing input and the error).
The hypothesis database in .hypothesis/ keeps failing examples between runs.

    python -m benchmarks.fuzz                      # 10 minutes over all targets
    python -m benchmarks.fuzz --minutes 1 --target slug --target urls
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from hardening import fuzzkit
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

TARGETS: dict[str, tuple[Any, Callable[..., None]]] = {
    "normalizer": (fuzzkit.source_documents(), fuzzkit.check_normalizer),
    "front-matter": (fuzzkit.front_matter_texts(), fuzzkit.check_front_matter),
    "round-trip": (fuzzkit.entries(), fuzzkit.check_round_trip),
    "slug": (st.text(), fuzzkit.check_slug),
    "urls": (st.tuples(fuzzkit.url_paths(), fuzzkit.url_paths()), lambda ab: fuzzkit.check_urls(*ab)),
}


@dataclass
class Tally:
    cases: int = 0
    seconds: float = 0.0
    findings: dict[str, str] = field(default_factory=dict)
    """First line of the error -> the failing example and traceback tail."""


def _round(name: str, tally: Tally, seconds: float, seed: int) -> None:
    strategy, check = TARGETS[name]
    deadline = time.monotonic() + seconds

    def counted(value: Any) -> None:
        tally.cases += 1
        check(value)

    @settings(max_examples=10**9, deadline=None, derandomize=False, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
              report_multiple_bugs=False)
    @given(strategy)
    def run(value: Any) -> None:
        if time.monotonic() > deadline:
            raise _TimeUp
        counted(value)

    try:
        run.hypothesis.inner_test  # noqa: B018 - make sure it is a hypothesis test
        import random

        random.seed(seed)
        # Hypothesis prints a "reproduce with @seed" line whenever a round is cut short;
        # findings are read from the exception instead.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            run()
    except _TimeUp:
        pass
    except Exception as error:  # noqa: BLE001 - any exception is a finding: record the shrunk example once
        notes = "".join(getattr(error, "__notes__", []) or [])
        key = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
        if key not in tally.findings:
            tail = "".join(traceback.format_exception(error)[-3:])
            tally.findings[key] = f"{notes}\n{tail}"


class _TimeUp(BaseException):
    """Ends a round; a BaseException so that hypothesis does not treat it as a failure to shrink."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="total run time (default 10)")
    parser.add_argument("--round", type=float, default=20.0, help="seconds per target per round (default 20)")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="only these targets")
    args = parser.parse_args(argv)
    targets = args.target or list(TARGETS)
    tallies = {name: Tally() for name in targets}
    started = time.monotonic()
    end = started + args.minutes * 60
    rounds = 0
    while time.monotonic() < end:
        rounds += 1
        for name in targets:
            left = end - time.monotonic()
            if left <= 0:
                break
            began = time.monotonic()
            _round(name, tallies[name], min(args.round, left), seed=rounds * 1000 + len(name))
            tallies[name].seconds += time.monotonic() - began
        print(f"round {rounds}: " + ", ".join(f"{n} {t.cases}" for n, t in tallies.items())
              + f" cases; {sum(len(t.findings) for t in tallies.values())} finding(s)", flush=True)
    total = sum(t.cases for t in tallies.values())
    print(f"\nfuzzed for {time.monotonic() - started:.0f} s in {rounds} rounds: {total} cases")
    print(f"{'target':14} {'cases':>9} {'cases/s':>8} {'findings':>8}")
    for name, tally in tallies.items():
        rate = tally.cases / tally.seconds if tally.seconds else 0.0
        print(f"{name:14} {tally.cases:9d} {rate:8.0f} {len(tally.findings):8d}")
    for name, tally in tallies.items():
        for key, detail in tally.findings.items():
            print(f"\n--- finding in {name}: {key}\n{detail.strip()}")
    return 1 if any(t.findings for t in tallies.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
