"""The builder `archive serve` runs: config reloads, the build, and what it tells the server.

`Project` is the builder callable `LiveServer` takes: given the changed
paths it reloads archive.toml when that changed (an invalid one is reported
and the last good site stays served until it is fixed), runs the build, and
turns the `BuildReport` into a `BuildOutcome` (`outcome_from_report`, pure):
did the site change, which errors to show, and which files in watched
directories the build itself wrote (their events must not trigger a build).

Partial rebuilds: the changed paths are passed through to here, and handed
on to the build function when it takes a `changed` keyword (so a build that
can re-render only what depends on them gets them without a change here).
`changed` is only ever passed as a complete account: every file under the
watched directories that is not in it (and not written by the previous build
itself) is as the previous build *in this process* saw it, so a build may skip
looking at them. It is left out, meaning "look at everything", on the first
build, after archive.toml was reloaded and after a build that raised. Paths
are absolute; a directory among them (moved or deleted whole) stands for
everything below it; deleted and renamed-away files are in it too.

A build that takes a `defer` keyword gets a list to append work to that can
wait until open pages were told about the new site (saving its caches); the
server runs it then, before the next build starts.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from ..build import BuildReport, build
from ..config import CONFIG_NAME, Config, ConfigError, load_config
from ..models import Problem
from .server import BuildOutcome
from .watch import WatchPlan

_LINE = re.compile(r"^line (\d+): (.*)$", re.DOTALL)


def config_problems(error: ConfigError, root: Path | None = None) -> tuple[Problem, ...]:
    """Each problem of an invalid archive.toml as file (relative to `root`), line and message."""
    label = str(error.path)
    if root is not None:
        try:
            label = str(Path(error.path).absolute().relative_to(root))
        except ValueError:
            pass
    problems: list[Problem] = []
    for text in error.problems:
        match = _LINE.match(text)
        if match:
            problems.append(Problem(label, match.group(2), line=int(match.group(1))))
        else:
            problems.append(Problem(label, text))
    return tuple(problems) or (Problem(label, str(error)),)


def check_templates(theme_dirs: tuple[Path, ...], root: Path) -> tuple[Problem, ...]:
    """Compile every template of the theme chain; a syntax error as file, line and message.

    The renderer reports a template that fails per page and still writes the
    rest, which would replace the open page by a 404 while someone is midway
    through editing a template; checking first keeps the last good site.
    """
    try:
        import jinja2

        from ..render import make_environment

        env = make_environment(theme_dirs)
        names = env.list_templates()
    except Exception:  # noqa: BLE001 - no check possible: the build reports what it finds
        return ()
    problems: list[Problem] = []
    for name in names:
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            where = Path(error.filename) if error.filename else Path(name)
            try:
                label = str(where.relative_to(root))
            except ValueError:
                label = str(where)
            problems.append(Problem(label, f"template syntax error: {error.message}", line=error.lineno))
        except Exception:  # noqa: BLE001, S112 - anything else is the build's to report, in context
            continue
    return tuple(problems)


def outcome_from_report(report: BuildReport, config: Config) -> BuildOutcome:
    """What the server needs to know of a finished build."""
    plan = report.normalized.plan
    own = frozenset(config.content_dir / path for path in (*plan.writes, *plan.deletes))
    written = report.written
    if written is None:
        return BuildOutcome(site_changed=False, errors=tuple(report.errors), own_writes=own,
                            summary=f"site not written; {config.paths.output}/ left as it was", failed=True)
    changed = written.written > 0 or written.removed > 0
    content = f"content: {len(plan.writes)} written" if plan.writes or plan.deletes else ""
    if plan.deletes:
        content += f", {len(plan.deletes)} removed"
    summary = (f"{len(report.entries)} entries, {report.pages} pages; site: {written.written} written, "
               f"{written.removed} removed" + (f"; {content}" if content else ""))
    return BuildOutcome(site_changed=changed, errors=tuple(report.errors), own_writes=own, summary=summary)


class TemplateMemo:
    """Keeps the renderer's Jinja environment alive from one build to the next.

    `render.make_environment` compiles every template afresh on each build,
    about a third of a one-entry rebuild; a long-running server can keep the
    environment (Jinja itself recompiles a template whose file changed). Any
    change in a theme directory drops it, so an added override is found.
    Installed only for the duration of a build; the renderer could own this.
    """

    def __init__(self) -> None:
        self._envs: dict[tuple[Path, ...], Any] = {}

    def clear(self) -> None:
        self._envs.clear()

    @contextmanager
    def installed(self) -> Iterator[None]:
        try:
            from .. import render
        except ImportError:
            yield
            return
        original = render.make_environment

        def make_environment(theme_dirs: Sequence[Path]) -> Any:
            key = tuple(theme_dirs)
            if key not in self._envs:
                self._envs[key] = original(key)
            return self._envs[key]

        render.make_environment = make_environment
        try:
            yield
        finally:
            render.make_environment = original


class Project:
    """The archive being served: its current configuration and how to build it."""

    def __init__(self, config: Config, *, config_file: Path | None = None,
                 build_fn: Callable[[Config], BuildReport] = build, check_first: bool = True) -> None:
        self.config = config
        self.check_first = check_first
        self.config_file = (config_file or config.root / CONFIG_NAME).absolute()
        self.build_fn = build_fn
        self.config_errors: tuple[Problem, ...] = ()
        self._templates_broken = False
        self.templates = TemplateMemo()
        # A build that can rebuild part of the site says so by taking `changed`.
        self._takes_changed = "changed" in inspect.signature(build_fn).parameters
        self._complete = False
        """The next `changed` will account for every change since a build of this process saw the files."""
        self._takes_defer = "defer" in inspect.signature(build_fn).parameters
        self._overrides = self._path_overrides(config)

    def _load(self) -> Config:
        if self.config_file.name == CONFIG_NAME and self.config_file.parent == self.config.root:
            return load_config(None, root=self.config.root)  # a deleted default file means "defaults"
        return load_config(self.config_file, root=self.config.root)

    def _path_overrides(self, config: Config) -> dict[str, str]:
        """The --source/--content/--output options, which must outlive a reload of archive.toml."""
        try:
            baseline = self._load()
        except ConfigError:
            return {}
        return {f.name: getattr(config.paths, f.name) for f in fields(config.paths)
                if getattr(config.paths, f.name) != getattr(baseline.paths, f.name)}

    def reload_config(self) -> tuple[Problem, ...]:
        """Read archive.toml again; its problems (the old configuration stays when there are any)."""
        try:
            fresh = self._load()
        except ConfigError as error:
            self.config_errors = config_problems(error, self.config.root)
            return self.config_errors
        self.config = replace(fresh, paths=replace(fresh.paths, **self._overrides))
        self.config_errors = ()
        return ()

    def __call__(self, changed: frozenset[Path]) -> BuildOutcome:
        if self.config_file in changed:
            self._complete = False  # the build may read other files, or keep state by the old settings
        if self.config_file in changed and self.reload_config():
            return BuildOutcome(site_changed=False, errors=self.config_errors, failed=True,
                                summary=f"{self.config_file.name} is invalid; fix it to build again")
        if self.config_errors:
            # Building with a configuration the user is halfway through changing would mislead.
            return BuildOutcome(site_changed=False, errors=self.config_errors, failed=True,
                                summary=f"{self.config_file.name} is still invalid")
        if self.check_first and self._theme_may_have_changed(changed):
            broken = check_templates(self.config.theme_dirs, self.config.root)
            self._templates_broken = bool(broken)
            if broken:
                return BuildOutcome(site_changed=False, errors=broken, failed=True,
                                    summary="a template does not compile; the site was not rebuilt")
        if self._theme_may_have_changed(changed):
            self.templates.clear()
        deferred: list[Callable[[], object]] = []
        options: dict[str, Any] = {"defer": deferred} if self._takes_defer else {}
        with self.templates.installed():
            complete, self._complete = self._complete, False  # stays False if the build raises
            if self._takes_changed and complete:
                options["changed"] = changed
            report = self.build_fn(self.config, **options)
            self._complete = True
        return replace(outcome_from_report(report, self.config), after=tuple(deferred))

    def _theme_may_have_changed(self, changed: frozenset[Path]) -> bool:
        """Compiling every template costs time on every save; only a theme edit (or a
        theme still broken, or a first build or new configuration) needs the check."""
        if not changed or self._templates_broken or self.config_file in changed:
            return True
        themes = [d.absolute() for d in self.config.theme_dirs]
        return any(path == theme or theme in path.parents for path in changed for theme in themes)

    @property
    def output_dir(self) -> Path:
        return self.config.output_dir.absolute()

    def watch_plan(self) -> WatchPlan:
        config = self.config
        dirs = (config.sources_dir, config.content_dir, *config.theme_dirs)
        return WatchPlan(
            dirs=tuple(dict.fromkeys(d.absolute() for d in dirs)),
            config_file=self.config_file,
            exclude=(self.output_dir, config.cache_dir.absolute()),
        )
