"""The live-reload server: a builder callable in, HTTP responses and reloads out.

`LiveServer` takes a builder (`changed paths -> BuildOutcome`) and a function
giving the output directory. Change notifications go into a `Debouncer`, so a
burst of events from one save becomes one build; every build that replaces
the site bumps the build epoch, and every open page learns the new status
over server-sent events (reload, swap stylesheets, show or clear the error
overlay). Requests are resolved against the output directory *at request
time*, so a request always reads from the complete tree `write.py` swapped in,
and never from anything outside it.

Everything that decides something (debouncing, which events are our own
build's writes, what a request path maps to, the status payload) works
without a socket or a thread, so the tests drive it directly; `start()` adds
the threads: the HTTP server and the build loop.
"""

from __future__ import annotations

import functools
import hashlib
import html
import ipaddress
import json
import mimetypes
import os
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO
from urllib.parse import quote, unquote, urlsplit

from ..models import Problem, Severity

ASSETS = Path(__file__).resolve().parent
PREFIX = "/__archive/"
"""URL prefix of the server's own endpoints; never a path of the built site."""
EVENTS = PREFIX + "events"
CLIENT_SCRIPT = PREFIX + "livereload.js"
WORKER_SCRIPT = PREFIX + "worker.js"
STATUS = PREFIX + "status"
KEEPALIVE_SECONDS = 15.0
STYLESHEET_SUFFIXES = frozenset({".css"})


@dataclass(frozen=True)
class BuildOutcome:
    """What one build did, as far as the server cares."""

    site_changed: bool
    """The output directory was replaced with different files: open pages reload."""
    errors: tuple[Problem, ...] = ()
    """Errors for the terminal and the overlay; empty clears the overlay."""
    own_writes: frozenset[Path] = frozenset()
    """Files in watched directories the build itself wrote or deleted: their events are no edits."""
    summary: str = ""
    """One line for the terminal."""
    failed: bool = False
    """The site was left as it was (broken theme, bad config, builder raised)."""
    after: tuple[Callable[[], object], ...] = ()
    """Work the build left for later (its search index, saving caches): run once open pages
    were told; a work returning True changed the site again (the pages are told again)."""


Builder = Callable[[frozenset[Path]], BuildOutcome]


class Debouncer:
    """Collects changed paths; releases them once the burst is over.

    A save is over when every path it touched is *settled*: its last event
    said the writer is done (a file closed after writing, or renamed into
    place) and `quiet` seconds passed without another event. A path whose
    last event leaves it mid-way (written but not closed yet, or deleted or
    renamed away, which editors do right before writing the new file) holds
    the batch `settle` seconds after the last event instead, so that one
    save still gives one build. Whatever happens, a batch is due `max_wait`
    seconds after its first event, so endless events cannot starve builds.
    A close after writing only settles a path already waiting: alone, it is
    some program that opened the file for writing and changed nothing (a real
    write reports a modification first). Times are passed in, so it is a pure
    state machine.
    """

    def __init__(self, quiet: float = 0.01, max_wait: float = 0.5, settle: float = 0.1) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self.settle = max(settle, quiet)
        self._paths: dict[Path, bool] = {}
        self._first: float | None = None
        self._last: float | None = None

    def add(self, path: Path, now: float, settled: bool = True, edit: bool = True) -> None:
        """Note an event of `path`; `settled`: the event says its writer is done with it;
        not an `edit`: it says nothing else (a close after writing)."""
        if not edit and path not in self._paths:
            return
        self._paths[path] = settled
        if self._first is None:
            self._first = now
        self._last = now

    @property
    def pending(self) -> bool:
        return self._first is not None

    def wait_time(self, now: float) -> float | None:
        """Seconds until the pending batch is due (<= 0: due now); None when nothing waits."""
        if self._first is None or self._last is None:
            return None
        gap = self.quiet if all(self._paths.values()) else self.settle
        return min(self._last + gap, self._first + self.max_wait) - now

    def take(self, now: float) -> frozenset[Path] | None:
        """The pending batch if it is due (and forget it), else None."""
        wait = self.wait_time(now)
        if wait is None or wait > 0:
            return None
        batch = frozenset(self._paths)
        self._paths.clear()
        self._first = self._last = None
        return batch


def _digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except (IsADirectoryError, FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return "unreadable"


class OwnWrites:
    """Remembers what our own builds wrote, so their file events do not trigger another build.

    A path is "ours" while its bytes are exactly what the build left (or it is
    still absent, for a file the build deleted). As soon as a person changes
    it, it is forgotten, so undoing that change later still counts as an edit.
    """

    def __init__(self) -> None:
        self._digests: dict[Path, str | None] = {}

    def record(self, paths: Iterable[Path]) -> None:
        for path in paths:
            self._digests[path] = _digest(path)

    def is_own(self, path: Path) -> bool:
        if path not in self._digests:
            return False
        if _digest(path) == self._digests[path]:
            return True
        del self._digests[path]
        return False


@dataclass(frozen=True)
class Status:
    """What every open page should show; sent as JSON over server-sent events."""

    epoch: int = 0
    """Builds that replaced the site so far; a page older than this reloads."""
    version: int = 0
    """Bumps on every change of status, so waiting connections wake once per change."""
    errors: tuple[Problem, ...] = ()
    """Errors of the last build; the overlay shows them until a good build clears them."""
    failed: bool = False
    """The last build left the site as it was."""
    css_only: bool = False
    """The last epoch changed only stylesheets: pages one epoch behind swap them in place."""
    server: str = ""
    """Id of this server run; pages served by an earlier run reload."""

    def payload(self) -> dict[str, object]:
        return {
            "epoch": self.epoch,
            "server": self.server,
            "css": self.css_only,
            "failed": self.failed,
            "errors": [{"file": p.path, "line": p.line, "message": p.message} for p in self.errors],
        }

    def event(self) -> bytes:
        # Escaped so that no message can ever read as markup, wherever a client puts it.
        data = json.dumps(self.payload(), ensure_ascii=True).replace("<", "\\u003c").replace(
            ">", "\\u003e").replace("&", "\\u0026")
        return f"event: status\nid: {self.version}\ndata: {data}\n\n".encode("ascii")


class StatusHub:
    """The current Status, and a way for event streams to wait for the next one."""

    def __init__(self, server_id: str) -> None:
        self._status = Status(server=server_id)
        self._cond = threading.Condition()
        self._closed = False

    @property
    def status(self) -> Status:
        with self._cond:
            return self._status

    @property
    def closed(self) -> bool:
        return self._closed

    def publish(self, *, site_changed: bool, errors: tuple[Problem, ...], failed: bool, css_only: bool) -> Status:
        with self._cond:
            old = self._status
            epoch = old.epoch + 1 if site_changed else old.epoch
            css = css_only if site_changed else old.css_only
            if (epoch, errors, failed, css) == (old.epoch, old.errors, old.failed, old.css_only):
                return old
            self._status = Status(epoch, old.version + 1, errors, failed, css, old.server)
            self._cond.notify_all()
            return self._status

    def wait_newer(self, version: int, timeout: float) -> Status | None:
        """The status once its version differs from `version`; None on timeout or close."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._status.version != version, timeout)
            if self._closed or self._status.version == version:
                return None
            return self._status

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


@dataclass(frozen=True)
class Response:
    """An HTTP response decided without a socket."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    stream: bool = False
    """Server-sent events: the handler keeps the connection and streams statuses."""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


_ASSETS = {CLIENT_SCRIPT: "livereload.js", WORKER_SCRIPT: "worker.js"}


@functools.cache
def _asset(url_path: str) -> tuple[bytes, str]:
    """One of the server's own scripts, read once, and a short digest that versions its URL."""
    data = (ASSETS / _ASSETS[url_path]).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:12]


def _asset_version(url_path: str) -> str:
    return _asset(url_path)[1]


_NO_STORE = ("Cache-Control", "no-store")
_REVALIDATE = ("Cache-Control", "no-cache")


def _etag(stat: os.stat_result) -> str:
    return f'"{stat.st_ino:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",")}


def _is_html(name: str) -> bool:
    return mimetypes.guess_type(name)[0] == "text/html"


def page_digest(data: bytes) -> str:
    """A short digest of a page as built: equal digests, the same page (the reload script
    compares them to leave alone an open page that a new build did not change)."""
    return hashlib.sha256(data).hexdigest()[:16]


_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def inject_script(page: bytes, tag: bytes) -> bytes:
    """`page` with `tag` before its last </body> (or at the end when there is none)."""
    matches = list(_BODY_END.finditer(page))
    if not matches:
        return page + tag
    at = matches[-1].start()
    return page[:at] + tag + page[at:]


def resolve_path(root: Path, url_path: str) -> Path | str | None:
    """Map a request path to a file inside `root`.

    Returns the file, a redirect target (str) for a directory asked without
    its trailing slash, or None when nothing under `root` answers: unknown
    paths, `..` in any spelling, NULs, backslashes and symlinks that lead out.
    """
    try:
        decoded = unquote(url_path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in decoded or "\\" in decoded:
        return None
    parts = [part for part in decoded.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        return None
    real_root = os.path.realpath(root)
    if not os.path.isdir(real_root):
        return None
    real = os.path.realpath(os.path.join(real_root, *parts))
    if real != real_root and not real.startswith(real_root + os.sep):
        return None  # a symlink somewhere on the way points out of the site
    if os.path.isdir(real):
        if not decoded.endswith("/"):
            # Built from the checked parts, so "//evil.example" can never become the target.
            return "/" + "/".join(quote(part) for part in parts) + "/"
        real = os.path.join(real, "index.html")
        if os.path.realpath(real) != real:
            return None
    return Path(real) if os.path.isfile(real) else None


_FALLBACK_404 = (b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title></head>"
                 b"<body><h1>Not found</h1><p>Nothing is built at this address (yet).</p></body></html>")


def problem_from_exception(error: BaseException) -> Problem:
    """An error for the overlay from a builder that raised: where it happened and what."""
    detail = traceback.format_exception_only(type(error), error)[-1].strip()
    filename = getattr(error, "filename", None)
    line = getattr(error, "lineno", None)
    if not filename and isinstance(line, int):
        filename = getattr(error, "name", None)  # a template loaded from memory has a name, no file
    if not filename:
        frames = traceback.extract_tb(error.__traceback__)
        if frames:
            filename, line = frames[-1].filename, frames[-1].lineno
    return Problem(str(filename or "build"), f"the build raised {detail}",
                   line=line if isinstance(line, int) else None)


def _host_name(host: str) -> str:
    """"example.org:8000" -> "example.org"; "[::1]:8000" -> "::1"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _render_problem(problem: Problem) -> str:
    where = f"{problem.path}:{problem.line}" if problem.line else problem.path
    return f"  {where}: {problem.message}"


class LiveServer:
    """Builds on change, serves the output directory, tells open pages to reload."""

    def __init__(
        self,
        builder: Builder,
        root: Callable[[], Path],
        *,
        quiet: float = 0.01,
        max_wait: float = 0.5,
        settle: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        verbosity: int = 1,
        out: TextIO | None = None,
        on_built: Callable[[BuildOutcome], None] | None = None,
        trace: bool = False,
    ) -> None:
        self.builder = builder
        self.root = root
        self.clock = clock
        self.verbosity = verbosity
        self.out = out if out is not None else sys.stdout
        self.on_built = on_built
        self.hub = StatusHub(secrets.token_hex(4))
        self.builds = 0
        """Builds run so far (all of them, failed ones included)."""
        self.last_changed: frozenset[Path] = frozenset()
        self.building = False
        """A build is running right now."""
        self._debouncer = Debouncer(quiet, max_wait, settle)
        self._own = OwnWrites()
        self._cond = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._http: ThreadingHTTPServer | None = None
        self._clients = 0
        self._clients_lock = threading.Lock()
        self.allowed_hosts: frozenset[str] | None = None
        """Host names answered; None answers any (set by bind() on a loopback address)."""
        self.trace = trace
        """Print wall-clock stamps of each step from first event to event sent (for benchmarks)."""
        self._first_event: float | None = None
        self._say_lock = threading.Lock()

    # --- changes and builds (no threads needed) -----------------------------

    @property
    def epoch(self) -> int:
        return self.hub.status.epoch

    @property
    def open_pages(self) -> int:
        """Event streams currently connected (one per browser, or per tab without SharedWorker)."""
        return self._clients

    def on_change(self, path: Path, settled: bool = True, edit: bool = True) -> None:
        """A watched file changed (called from the watcher's thread); `settled`, `edit`: see Debouncer."""
        with self._cond:
            if self.trace and self._first_event is None:
                self._first_event = time.time()
            self._debouncer.add(path, self.clock(), settled, edit)
            self._cond.notify_all()

    def run_pending(self) -> BuildOutcome | None:
        """Build now if a debounced batch is due and holds a real change; the outcome, if built."""
        with self._cond:
            batch = self._debouncer.take(self.clock())
            first_event, self._first_event = self._first_event, None
        if not batch:
            return None
        changed = frozenset(path for path in batch if not self._own.is_own(path))
        if not changed:
            if self.verbosity >= 2:
                self._say(f"ignored {len(batch)} event(s) caused by the build itself")
            return None
        return self.build_now(changed, first_event=first_event)

    def build_now(self, changed: frozenset[Path], *, first_event: float | None = None) -> BuildOutcome:
        """Run the builder once, publish the new status and report it."""
        started = time.perf_counter()
        wall_started = time.time()
        if changed and self.verbosity >= 1:
            self._say("changed: " + ", ".join(self._label(p) for p in sorted(changed)[:5])
                      + (f" and {len(changed) - 5} more" if len(changed) > 5 else ""))
        self.building = True
        try:
            outcome = self.builder(changed)
        except Exception as error:  # noqa: BLE001 - a broken build must never take the server down
            outcome = BuildOutcome(site_changed=False, errors=(problem_from_exception(error),),
                                   summary="the build raised", failed=True)
        finally:
            self.building = False
        wall_built = time.time()
        self.builds += 1
        self.last_changed = changed
        css_only = bool(changed) and all(p.suffix.lower() in STYLESHEET_SUFFIXES for p in changed)
        errors = tuple(p for p in outcome.errors if p.severity is Severity.ERROR)
        status = self.hub.publish(site_changed=outcome.site_changed, errors=errors,
                                  failed=outcome.failed, css_only=css_only)
        wall_published, told = time.time(), time.perf_counter() - started
        # After the pages are told (hashing what the build wrote takes a while after a big
        # normalize), before the events those writes caused are looked at (the next run_pending).
        self._own.record(outcome.own_writes)
        changed_again = False
        for work in outcome.after:
            try:
                changed_again = bool(work()) or changed_again
            except Exception as error:  # noqa: BLE001 - the site is served; the next build redoes it
                self._say(f"after the build: {problem_from_exception(error).message}", error=True)
        if changed_again:
            # Work left for after the pages were told (the search index of an edit) changed the
            # site again: tell them again (a page that did not change is left as it is).
            status = self.hub.publish(site_changed=True, errors=errors, failed=outcome.failed, css_only=False)
        if self.trace:
            self._say(f"trace: version={status.version} first_event={first_event or 0:.6f} "
                      f"build_start={wall_started:.6f} build_end={wall_built:.6f} published={wall_published:.6f} "
                      f"after_end={time.time():.6f}")
        self._report(outcome, errors, status, told, time.perf_counter() - started - told)
        if self.on_built is not None:
            self.on_built(outcome)
        return outcome

    def _label(self, path: Path) -> str:
        """Relative to the working directory (the project, usually), else absolute."""
        try:
            relative = os.path.relpath(path)
        except ValueError:
            return str(path)
        return str(path) if relative.startswith("..") else relative

    def _say(self, text: str, *, error: bool = False) -> None:
        stamp = time.strftime("%H:%M:%S")
        stream = sys.stderr if error and self.out is sys.stdout else self.out
        with self._say_lock:  # one write per line: the build and event threads both report
            stream.write(f"[{stamp}] {text}\n")
            stream.flush()

    def _report(self, outcome: BuildOutcome, errors: tuple[Problem, ...], status: Status, seconds: float,
                after: float = 0.0) -> None:
        """`seconds` until the pages were told; `after`: the build's deferred work after that."""
        if errors:
            head = ("build FAILED, still serving the last good site" if outcome.failed
                    else f"built with {len(errors)} error(s)")
            lines = [_render_problem(p) for p in errors[:20]]
            if len(errors) > 20:
                lines.append(f"  ... and {len(errors) - 20} more")
            self._say(f"{head} ({seconds:.2f} s){': ' + outcome.summary if outcome.summary else ''}\n"
                      + "\n".join(lines), error=True)
        elif self.verbosity >= 1 and self.builds == 1:
            self._say(f"built in {seconds:.2f} s: {outcome.summary or 'done'}")
        elif self.verbosity >= 1:
            what = ("stylesheets swapped in" if status.css_only else "reloading") if outcome.site_changed \
                else "nothing to reload"
            later = f"; then {after:.2f} s for the search index and caches" if after >= 0.05 else ""
            self._say(f"built in {seconds:.2f} s: {outcome.summary or 'done'}; epoch {status.epoch}, {what} "
                      f"({self.open_pages} connected){later}")

    # --- requests (no socket needed) ----------------------------------------

    def respond(self, method: str, target: str, host: str | None = None, etag: str | None = None) -> Response:
        """The response to `method target`; HEAD gets the same headers and no body.

        `etag` is the request's If-None-Match header.

        `host` is the request's Host header: on a loopback address only local
        names are answered, so a web page cannot reach the preview by pointing
        its own domain name at 127.0.0.1 (DNS rebinding).
        """
        if host is not None and self.allowed_hosts is not None and _host_name(host) not in self.allowed_hosts:
            return Response(HTTPStatus.FORBIDDEN, (("Content-Type", "text/plain"), _NO_STORE),
                            b"archive serve answers only to local host names")
        if method not in ("GET", "HEAD"):
            return Response(HTTPStatus.METHOD_NOT_ALLOWED, (("Allow", "GET, HEAD"), _NO_STORE))
        # A request target is a path; only an absolute URL (proxy form) is parsed as one, so
        # "//host" stays a path and never turns into a host name.
        if target.startswith(("http://", "https://")):
            url_path = urlsplit(target).path or "/"
        else:
            url_path = target.split("?", 1)[0].split("#", 1)[0] or "/"
        if url_path.startswith(PREFIX):
            return self._own_endpoint(url_path, urlsplit(target).query)
        # The status before the file: a build publishes only after its site is in place, so the
        # file read next is from this epoch's site or a later one. Read after it, a page from
        # the site before could be labelled with the epoch of a build that replaced it just
        # then, and would never learn of that build.
        status = self.hub.status
        try:
            root = self.root()
        except Exception:  # noqa: BLE001 - the configuration may be mid-reload; answer, do not crash
            root = Path("/nonexistent")
        found = resolve_path(root, url_path)
        if isinstance(found, str):
            return Response(HTTPStatus.MOVED_PERMANENTLY, (("Location", found), _NO_STORE))
        for attempt in range(2):
            if found is None:
                return self._not_found(root, status)
            try:
                with open(found, "rb") as handle:
                    tag = _etag(os.fstat(handle.fileno()))
                    if etag is not None and tag in _etags(etag) and not _is_html(found.name):
                        return Response(HTTPStatus.NOT_MODIFIED, (("ETag", tag), _REVALIDATE))
                    data = handle.read()
            except OSError:
                # The file went away between resolving and reading: a build swapped the
                # site in just then; the path now names the new tree's file (or nothing).
                found = resolve_path(root, url_path) if attempt == 0 else None
                found = found if isinstance(found, Path) else None
                continue
            return self._file(HTTPStatus.OK, found.name, data, tag, status)
        return self._not_found(root, status)

    def _file(self, code: int, name: str, data: bytes, tag: str | None = None,
              status: Status | None = None) -> Response:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        # Pages are never cached (they carry the current epoch); other files are
        # revalidated, and a file a rebuild left unchanged keeps its inode, so its ETag.
        caching: tuple[tuple[str, str], ...] = (_NO_STORE,)
        if _is_html(name):
            data = inject_script(data, self.script_tag(status, page_digest(data)))
        elif tag is not None:
            caching = (_REVALIDATE, ("ETag", tag))
        if kind.startswith("text/") or kind in ("application/javascript", "application/json", "image/svg+xml"):
            kind += "; charset=utf-8"
        return Response(code, (("Content-Type", kind), ("Content-Length", str(len(data))), *caching), data)

    def _not_found(self, root: Path, status: Status | None = None) -> Response:
        page = root / "404.html"
        found = resolve_path(root, "/404.html")
        if isinstance(found, Path) and found == Path(os.path.realpath(page)):
            try:
                return self._file(HTTPStatus.NOT_FOUND, "404.html", found.read_bytes(), status=status)
            except OSError:
                pass
        return self._file(HTTPStatus.NOT_FOUND, "404.html", _FALLBACK_404, status=status)

    def script_tag(self, status: Status | None = None, digest: str = "") -> bytes:
        """The tag injected into every HTML response (never into the built files).

        The status rides in data attributes, so the script's URL changes only with
        the script itself and the browser keeps it cached from one refresh to the next.
        `status`: the one read before the page's file (the current one by default);
        `digest`: the page's `page_digest`, by which an open page tells whether a new
        epoch changed it at all.
        """
        status = status if status is not None else self.hub.status
        src = html.escape(f"{CLIENT_SCRIPT}?v={_asset_version(CLIENT_SCRIPT)}")
        return (f'<script src="{src}" data-archive-serve data-epoch="{status.epoch}" '
                f'data-server="{html.escape(status.server)}" data-digest="{html.escape(digest)}"></script>'
                ).encode("ascii")

    def _own_endpoint(self, url_path: str, query: str = "") -> Response:
        if url_path == EVENTS:
            return Response(HTTPStatus.OK, (("Content-Type", "text/event-stream"), _NO_STORE,
                                            ("X-Accel-Buffering", "no")), stream=True)
        if url_path == STATUS:
            body = json.dumps(self.hub.status.payload()).encode("ascii")
            return Response(HTTPStatus.OK, (("Content-Type", "application/json"), _NO_STORE,
                                            ("Content-Length", str(len(body)))), body)
        if url_path in _ASSETS:
            data, version = _asset(url_path)
            # Asked for by its current version: that URL never names other bytes.
            fresh = f"v={version}" in query.split("&")
            caching = ("Cache-Control", "max-age=31536000, immutable") if fresh else _NO_STORE
            return Response(HTTPStatus.OK, (("Content-Type", "text/javascript; charset=utf-8"), caching,
                                            ("Content-Length", str(len(data)))), data)
        return Response(HTTPStatus.NOT_FOUND, (("Content-Type", "text/plain"), _NO_STORE), b"not found")

    def stream_events(self, write: Callable[[bytes], None]) -> None:
        """Send the current status, then every new one, until the server stops or the client leaves."""
        with self._clients_lock:
            self._clients += 1
        try:
            write(b"retry: 500\n\n")
            status = self.hub.status
            write(status.event())
            version = status.version
            while not self.hub.closed:
                newer = self.hub.wait_newer(version, KEEPALIVE_SECONDS)
                if newer is None:
                    if self.hub.closed:
                        break
                    write(b": keepalive\n\n")
                    continue
                version = newer.version
                sent = time.time()
                write(newer.event())
                if self.trace:
                    self._say(f"trace: version={version} sent={sent:.6f}")
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            pass
        finally:
            with self._clients_lock:
                self._clients -= 1

    # --- the threads ----------------------------------------------------------

    def bind(self, host: str, port: int) -> tuple[str, int]:
        """Open the listening socket (raises OSError when the port is taken); the bound address."""
        handler = _handler_for(self)
        server_class = _Server6 if ":" in host else _Server
        self._http = server_class((host.strip("[]"), port), handler)
        address = self._http.server_address
        if is_loopback(str(address[0])):
            self.allowed_hosts = frozenset({"localhost", "127.0.0.1", "::1", host.strip("[]").lower()})
        return str(address[0]), int(address[1])

    def start(self) -> None:
        """Serve requests and run the build loop in background threads."""
        assert self._http is not None, "bind() first"
        http_thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="archive-serve-http", daemon=True)
        # stop() waits for a build in progress to finish (it cleans up after itself); a daemon
        # all the same, so that a second Ctrl-C can abandon a long build.
        build_thread = threading.Thread(target=self._build_loop, name="archive-serve-build", daemon=True)
        self._threads = [http_thread, build_thread]
        for thread in self._threads:
            thread.start()

    def _build_loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    wait = self._debouncer.wait_time(self.clock())
                    if wait is not None and wait <= 0:
                        break
                    self._cond.wait(wait)
            try:
                self.run_pending()
            except Exception as error:  # noqa: BLE001  # pragma: no cover - build_now catches builder errors
                self._say(f"internal error while rebuilding: {error}", error=True)

    def stop(self) -> None:
        """Stop the event streams, the HTTP server and the build loop, after the build in progress.

        Waiting for that build can be cut short by a KeyboardInterrupt (a second
        Ctrl-C); the build thread is a daemon, so the process can then end.
        """
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self.hub.close()
        if self._http is not None:
            if any(t.name == "archive-serve-http" and t.is_alive() for t in self._threads):
                self._http.shutdown()
            self._http.server_close()
            self._http = None
        for thread in self._threads:
            while thread.is_alive():
                thread.join(0.2)  # short joins, so a second Ctrl-C gets through
        self._threads = []


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an idle keep-alive socket must not hold up Ctrl-C
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


def _handler_for(live: LiveServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "archive-serve"
        protocol_version = "HTTP/1.0"
        timeout = 30  # an idle connection Chromium opened speculatively ends on its own

        def do_GET(self) -> None:
            self._answer("GET")

        def do_HEAD(self) -> None:
            self._answer("HEAD")

        def _answer(self, method: str) -> None:
            response = live.respond(method, self.path, self.headers.get("Host"), self.headers.get("If-None-Match"))
            try:
                self.send_response(response.status)
                for name, value in response.headers:
                    self.send_header(name, value)
                self.end_headers()
                if response.stream and method == "GET":
                    self.wfile.flush()
                    live.stream_events(self._write)
                elif method == "GET":
                    self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                pass

        def _write(self, data: bytes) -> None:
            self.wfile.write(data)
            self.wfile.flush()

        def log_message(self, format: str, *args: object) -> None:
            if live.verbosity >= 2:
                print(f"[http] {self.address_string()} {format % args}", file=sys.stderr)

    return Handler

