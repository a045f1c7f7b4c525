"""The `countylines` command line.

Exit codes: 0 success (warnings allowed), 1 the input has errors, 2 the command could not run
(bad arguments, missing folder), 3 an internal error (a bug: please report it).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table as RichTable

from countylines import __version__
from countylines.casefolder import TableFile
from countylines.database import BuildResult, StepCallback, load_case, validate_case
from countylines.problems import CaseError, Problem, Severity
from countylines.schema import AREA_COLUMNS, TABLES

app = typer.Typer(
    name="countylines",
    help="County Lines threat assessment: validate and load a case folder, then analyse it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True, emoji=False, highlight=False)
out = Console(emoji=False, highlight=False)

CaseArg = Annotated[
    Path, typer.Argument(help="Case folder: one file per table (see docs/data-formats.md).")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable JSON report on stdout.")
]
ExamplesOpt = Annotated[
    int, typer.Option("--examples", min=1, max=1000, help="Examples shown per kind of problem.")
]


def _version(value: bool) -> None:
    if value:
        out.print(f"countylines {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """County Lines threat assessment from communications, police and open data."""


@contextmanager
def _progress(enabled: bool) -> Iterator[StepCallback | None]:
    """A Rich progress display, one bar per table, measured in bytes of the stored file."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        last: dict[str, Any] = {}

        def on_step(name: str, tf: TableFile | None) -> Callable[[int], None] | None:
            if "task" in last:
                bar.update(last["task"], completed=last["total"])
            total = tf.path.stat().st_size if tf is not None else 1
            task = bar.add_task(name, total=total)
            last.update(task=task, total=total)
            return lambda done: bar.update(task, completed=done)

        yield on_step


def _print_json(data: Any) -> None:
    """Plain JSON on stdout (never coloured), for scripts."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _order(p: Problem) -> tuple[bool, str, int]:
    return (p.severity is not Severity.ERROR, p.file, p.row or 0)


def _report(result: BuildResult, quiet: bool, as_json: bool) -> None:
    if as_json:
        _print_json(result.to_dict())
        return
    log = result.log
    groups = list(log.groups())
    shown = [(k, g) for k, g in groups if not quiet or g.examples[0].severity is Severity.ERROR]
    for _, group in sorted(shown, key=lambda kg: _order(kg[1].examples[0])):
        for p in group.examples:
            style = "red" if p.severity is Severity.ERROR else "yellow"
            value = f" (value {p.value[:60]!r})" if p.value is not None else ""
            err.print(
                f"[{style}]{p.severity.value}[/] {escape(p.location())}: "
                f"{escape(p.message)}{escape(value)}",
                soft_wrap=True,
                highlight=False,
            )
        extra = group.count - len(group.examples)
        if extra > 0:
            err.print(
                f"  ... and {extra:,} more like this in {escape(group.examples[0].file)}",
                highlight=False,
            )
    if not quiet:
        rows = ", ".join(f"{n} {k}" for k, n in result.rows.items()) or "no tables read"
        verdict = "[green]OK[/]" if result.ok else "[red]FAILED[/]"
        err.print(f"{verdict}: {log.n_errors:,} errors, {log.n_warnings:,} warnings; rows: {rows}")


def _run(fn: Callable[[], int]) -> None:
    """Run a command body, turning expected failures into messages and exit codes."""
    try:
        code = fn()
    except CaseError as exc:
        err.print(f"[red]countylines:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("[red]countylines:[/] interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:
        if os.environ.get("COUNTYLINES_DEBUG"):
            raise
        err.print(
            f"[red]countylines: internal error:[/] {escape(type(exc).__name__)}: "
            f"{escape(str(exc))}\n"
            "This is a bug; set COUNTYLINES_DEBUG=1 to see the traceback and please report it."
        )
        raise typer.Exit(3) from None
    raise typer.Exit(code)


@app.command()
def validate(
    case: CaseArg, quiet: QuietOpt = False, as_json: JsonOpt = False, examples: ExamplesOpt = 5
) -> None:
    """Check every table of a case and the links between them; exit 1 if there are errors."""

    def body() -> int:
        with _progress(not quiet and not as_json and sys.stderr.isatty()) as on_step:
            result = validate_case(case, on_step, examples)
        _report(result, quiet, as_json)
        return 0 if result.ok else 1

    _run(body)


@app.command()
def load(
    case: CaseArg,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder for case.duckdb (outside the case).")
    ],
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    examples: ExamplesOpt = 5,
) -> None:
    """Validate a case and load it into OUT/case.duckdb; a failed load changes nothing."""

    def body() -> int:
        with _progress(not quiet and not as_json and sys.stderr.isatty()) as on_step:
            result, target = load_case(case, out_dir, on_step, examples)
        _report(result, quiet, as_json)
        if result.ok and not quiet and not as_json:
            err.print(f"loaded into {escape(str(target))}")
        elif not result.ok and not quiet and not as_json:
            err.print(
                "nothing was loaded: fix the errors above (any existing database is unchanged)"
            )
        return 0 if result.ok else 1

    _run(body)


@app.command()
def schema(
    table: Annotated[str | None, typer.Argument(help="One table; all tables when omitted.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the tables and columns of the case format."""
    names = [table] if table else [*TABLES, "areas"]
    unknown = [n for n in names if n not in TABLES and n != "areas"]
    if unknown:
        err.print(
            f"[red]countylines:[/] no table {escape(unknown[0])!r}; "
            f"tables: {', '.join([*TABLES, 'areas'])}"
        )
        raise typer.Exit(2)
    columns = {n: AREA_COLUMNS if n == "areas" else TABLES[n].columns for n in names}
    if as_json:
        data = {
            n: [
                {
                    "column": c.name,
                    "kind": c.kind.value,
                    "required": c.required,
                    "values": list(c.values),
                    "description": c.description,
                }
                for c in cols
            ]
            for n, cols in columns.items()
        }
        _print_json(data)
        return
    for n, cols in columns.items():
        t = RichTable(title=n, title_justify="left", header_style="bold")
        for h in ("column", "kind", "required", "notes"):
            t.add_column(h)
        for c in cols:
            notes = " | ".join(c.values) if c.values else c.description
            t.add_row(c.name, c.kind.value, "yes" if c.required else "", escape(notes))
        out.print(t)


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Argument(help="New folder for the simulated case.")],
    scenario: Annotated[str, typer.Option(help="Built-in region to simulate.")] = "west-mercia",
    scale: Annotated[str, typer.Option(help="tiny, small (the demo), full or huge.")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same case.")] = 1,
    months: Annotated[int | None, typer.Option(min=1, max=24, help="Months to simulate.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, help="Processes generating days (default: one per CPU); same case either way."
        ),
    ] = None,
    region: Annotated[
        Path | None, typer.Option(help="A region file to use instead of the built-in one.")
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Simulate county lines in a region and write a case folder with its ground truth."""
    from countylines.simulate.params import params_for
    from countylines.simulate.region import RegionError, builtin_region, load_region
    from countylines.simulate.run import simulate as run_simulation

    def body() -> int:
        try:
            world_region = load_region(region) if region else builtin_region(scenario)
            params = params_for(scale, seed=seed, **({"months": months} if months else {}))
        except (RegionError, ValueError, OSError) as exc:
            raise CaseError(str(exc)) from None
        if out_dir.exists():
            raise CaseError(f"{out_dir} already exists; choose a new folder")
        show = not quiet and not as_json and sys.stderr.isatty()
        with Progress(
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("day {task.completed}"),
            console=err,
            transient=True,
            disable=not show,
        ) as bar:
            task = bar.add_task("days", total=params.months * 30)
            summary = run_simulation(
                out_dir,
                params,
                world_region,
                lambda done, total: bar.update(task, completed=done),
                workers=workers,
            )
        data = {
            "out": str(summary.out),
            "days": summary.days,
            "events": summary.events,
            "lines": summary.lines,
            "phones": summary.phones,
            "persons": summary.persons,
        }
        if as_json:
            _print_json(data)
        elif not quiet:
            err.print(
                f"wrote {escape(str(summary.out))}: {summary.events:,} events, "
                f"{summary.lines} lines, {summary.days} days (ground truth in truth/)"
            )
        return 0

    _run(body)
