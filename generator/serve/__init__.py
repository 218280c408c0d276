"""`archive serve`: build, serve the output directory, rebuild and reload on every save.

Takes a Config; serves until Ctrl-C and returns an exit code. The parts:

    watch.Watcher --changed paths--> server.LiveServer --changed paths--> project.Project
         (watchdog)                  (debounce, epoch,       <--BuildOutcome--   (config reload,
                                      HTTP + events)                             build())

Pages get a small reload script injected while they are served (never into
the files `archive build` writes): on a new build epoch it refreshes the page
in place (fetches it again and patches what differs, so the scroll position
and the page's state stay; a page whose scripts changed reloads and returns to
its scroll position), swaps stylesheets in place when only CSS changed, and
shows build errors as an overlay until a good build clears them.

From a save to the new text on screen: watchdog's event (about a millisecond),
10 ms of quiet once the file is settled (closed after writing, or renamed into
place; see `server.Debouncer`), the build, the event to the open pages, and
their refresh (a fetch and a patch, a few milliseconds). `ARCHIVE_SERVE_TRACE=1`
prints the server's stamps; `python -m benchmarks.serve_latency` splits it all.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from ..config import Config
from ..write import sweep_leftovers
from .project import Project, outcome_from_report
from .server import (
    BuildOutcome,
    Debouncer,
    LiveServer,
    OwnWrites,
    Response,
    Status,
    is_loopback,
    resolve_path,
)
from .watch import Watcher, WatchPlan

__all__ = [
    "BuildOutcome", "Debouncer", "LiveServer", "OwnWrites", "Project", "Response", "Status",
    "WatchPlan", "Watcher", "outcome_from_report", "resolve_path", "serve",
]

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


_MAIN_PID = os.getpid()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    if os.getpid() != _SERVING_PID[0]:
        # A worker the build forked inherited this handler: die as SIGTERM means, quietly.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise KeyboardInterrupt


_SERVING_PID = [_MAIN_PID]


def serve(config: Config, *, host: str = "127.0.0.1", port: int = 8000, poll: bool = False,
          verbosity: int = 1) -> int:
    """Build, serve on http://host:port/ and rebuild + reload on every save, until Ctrl-C."""
    project = Project(config, config_file=config.config_file)
    # ARCHIVE_SERVE_TRACE=1: stamp each step from a save to the reload event (benchmarks.serve_latency).
    live = LiveServer(project, lambda: project.output_dir, verbosity=verbosity,
                      trace=os.environ.get("ARCHIVE_SERVE_TRACE", "") not in ("", "0"))
    try:
        bound_host, bound_port = live.bind(host, port)
    except OSError as error:
        print(f"archive serve: cannot listen on {host}:{port}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    if not is_loopback(host):
        print(f"warning: listening on {host}, not only on this machine: anyone who can reach it can read "
              "the archive (use --host 127.0.0.1 to keep it local)", file=sys.stderr)
    watcher: Watcher | None = None
    previous_term = None
    try:
        try:
            # SIGTERM keeps its default action during the first build, the one build that forks
            # workers (rebuilds run beside the server's threads, in this process): a worker
            # forked with a Python-level handler loses a SIGTERM that reaches it before it first
            # runs (CPython drops signals that arrive before its after-fork reset), and the pool,
            # which ends its workers with SIGTERM, then waits for that one forever.
            live.build_now(frozenset())
        except KeyboardInterrupt:
            print("interrupted during the first build", file=sys.stderr)
            return EXIT_INTERRUPTED
        if threading.current_thread() is threading.main_thread():
            _SERVING_PID[0] = os.getpid()
            previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)  # stop as cleanly as on Ctrl-C

        def follow_config(_: BuildOutcome) -> None:
            if watcher is not None:
                watcher.update(project.watch_plan())

        live.on_built = follow_config
        watcher = Watcher(project.watch_plan(), live.on_change, poll=poll)
        watcher.start()
        live.start()
        where = Path(project.config.paths.output)
        print(f"Serving {where}/ at {_url(bound_host, bound_port)}  (watching {_watched(watcher.plan)}; "
              f"{'polling' if poll else 'inotify'}; Ctrl-C to stop)", flush=True)
        stop = threading.Event()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            if verbosity >= 1:
                print("\nstopping...", flush=True)
        return EXIT_OK
    finally:
        if watcher is not None:
            watcher.stop()
        code = _stop(live, project)
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
        if verbosity >= 1 and watcher is not None:
            print("stopped." if code == EXIT_OK else "stopped; the build in progress was abandoned.", flush=True)
        if code != EXIT_OK:
            return code  # noqa: B012 - the abandoned build decides the exit code


def _stop(live: LiveServer, project: Project) -> int:
    """Stop the server; a build in progress is waited for unless Ctrl-C comes again."""
    if live.building:
        print("waiting for the build in progress to finish (Ctrl-C again to abandon it)...", flush=True)
    try:
        live.stop()
    except KeyboardInterrupt:
        # The abandoned build may have a staging tree next to the site; the site itself is intact.
        sweep_leftovers(project.output_dir)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _watched(plan: WatchPlan) -> str:
    root = plan.config_file.parent
    names = []
    for directory in plan.existing_dirs:
        try:
            names.append(str(directory.relative_to(root)) + "/")
        except ValueError:
            names.append(str(directory) + "/")
    return ", ".join([*names, plan.config_file.name])
