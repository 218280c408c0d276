"""Run `archive serve` as a real process on a free port and follow its terminal output.

Shared by the browser tests and benchmarks/serve_latency.py.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

URL = re.compile(r"Serving \S+ at (http://\S+/)")


# `python -m generator ...`, except that Ctrl-C works as in a terminal even when this runs in
# a background job (whose children inherit an ignored SIGINT from the shell).
_LAUNCH = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
           "sys.argv = ['archive', *sys.argv[1:]]; runpy.run_module('generator', run_name='__main__')")


class ServeProcess:
    """`python -m generator serve --port 0` in `root`; its output lines are collected as they come."""

    def __init__(self, root: Path, *args: str, startup_timeout: float = 600.0) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.root = root
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, "serve", "--port", "0", *args],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        match = self.wait_for(URL, startup_timeout)
        self.url = match.group(1)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def mark(self) -> int:
        """A position in the output; `wait_for(..., after=mark)` looks only at what comes later."""
        with self._cond:
            return len(self.lines)

    def wait_for(self, pattern: re.Pattern[str] | str, timeout: float = 60.0, after: int = 0) -> re.Match[str]:
        """The first match of `pattern` in an output line (from line `after` on)."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[after:]:
                    found = regex.search(line)
                    if found:
                        return found
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"archive serve exited ({self.proc.returncode}):\n{self.output}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {regex.pattern!r} within {timeout} s:\n{self.output}")
                self._cond.wait(min(left, 0.5))

    def stop(self, timeout: float = 60.0) -> int:
        """Ctrl-C, then wait for the process to end; its exit code.

        A server still busy with a build after `timeout` gets a second Ctrl-C
        (abandon the build: exit code 130).
        """
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    raise AssertionError(f"archive serve ignored Ctrl-C twice:\n{self.output}") from None
        self._reader.join(timeout=10)
        return self.proc.returncode
