"""The `countylines` command line: the pipeline commands, and the security commands of
`cli_security` registered on the same app.

Exit codes (see `cliutil`): 0 success (warnings allowed), 1 the input has errors, 2 the command
could not run (bad arguments, missing folder), 3 an internal error (a bug: please report it),
4 not authorised.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table as RichTable

from countylines import __version__, cli_places, cli_security
from countylines.casefolder import TableFile
from countylines.cliutil import (
    AnalysisCaseArg,
    OutOpt,
    err,
    out,
    print_json,
    print_outputs,
    run,
)
from countylines.database import BuildResult, StepCallback, load_case, validate_case
from countylines.opendata import cli as opendata_cli
from countylines.private_outputs import OutputPseudonymiser
from countylines.problems import CaseError, Problem, Severity
from countylines.reader import DEFAULT_LIMITS, InputLimits
from countylines.schema import AREA_COLUMNS, TABLES
from countylines.workspace import existing_workspace

app = typer.Typer(
    name="countylines",
    help="County Lines threat assessment: validate and load a case folder, then analyse it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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
MaxFileOpt = Annotated[
    float,
    typer.Option("--max-file-gb", min=0.000001, help="Largest table file read, in GiB."),
]
GzipRatioOpt = Annotated[
    int,
    typer.Option(
        "--max-gzip-ratio", min=1, help="A .csv.gz may decompress to this many times its size."
    ),
]


def _limits(max_file_gb: float, max_gzip_ratio: int) -> InputLimits:
    return replace(
        DEFAULT_LIMITS, max_file_bytes=int(max_file_gb * (1 << 30)), max_gzip_ratio=max_gzip_ratio
    )


def _live(quiet: bool, as_json: bool) -> bool:
    """Progress displays: only for people, on a terminal."""
    return not quiet and not as_json and sys.stderr.isatty()


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


def _order(p: Problem) -> tuple[bool, str, int]:
    return (p.severity is not Severity.ERROR, p.file, p.row or 0)


def _report(result: BuildResult, quiet: bool, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
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


@app.command()
def validate(
    case: CaseArg,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    examples: ExamplesOpt = 5,
    max_file_gb: MaxFileOpt = DEFAULT_LIMITS.max_file_bytes / (1 << 30),
    max_gzip_ratio: GzipRatioOpt = DEFAULT_LIMITS.max_gzip_ratio,
) -> None:
    """Check every table of a case and the links between them; exit 1 if there are errors."""

    def body() -> int:
        limits = _limits(max_file_gb, max_gzip_ratio)
        with _progress(_live(quiet, as_json)) as on_step:
            result = validate_case(case, on_step, examples, limits)
        _report(result, quiet, as_json)
        return 0 if result.ok else 1

    run(body)


@app.command()
def load(
    case: CaseArg,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder for case.duckdb (outside the case).")
    ],
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    examples: ExamplesOpt = 5,
    max_file_gb: MaxFileOpt = DEFAULT_LIMITS.max_file_bytes / (1 << 30),
    max_gzip_ratio: GzipRatioOpt = DEFAULT_LIMITS.max_gzip_ratio,
    home: cli_security.HomeOpt = None,
) -> None:
    """Validate a case and load it into OUT/case.duckdb; a failed load changes nothing.

    When a workspace exists (see `countylines users`), the load is recorded in its audit log.
    """

    def body() -> int:
        limits = _limits(max_file_gb, max_gzip_ratio)
        ws = existing_workspace(home, case, out_dir)
        with _progress(_live(quiet, as_json)) as on_step:
            result, target = load_case(case, out_dir, on_step, examples, limits)
        if result.ok and ws is not None:
            cli_security.record_load(ws, case, target, result.rows)
        _report(result, quiet, as_json)
        if result.ok and not quiet and not as_json:
            err.print(f"loaded into {escape(str(target))}")
        elif not result.ok and not quiet and not as_json:
            err.print(
                "nothing was loaded: fix the errors above (any existing database is unchanged)"
            )
        return 0 if result.ok else 1

    run(body)


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
        print_json(data)
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
    behaviour: Annotated[
        str, typer.Option(help="default, or evasive (few bulk texts, fast number changes).")
    ] = "default",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="NAME=VALUE: change one simulator parameter (repeatable)."),
    ] = None,
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
    from countylines.simulate.params import params_for, parse_override
    from countylines.simulate.region import RegionError, builtin_region, load_region
    from countylines.simulate.run import simulate as run_simulation

    def body() -> int:
        try:
            world_region = load_region(region) if region else builtin_region(scenario)
            overrides = dict(parse_override(item) for item in set_ or [])
            if months:
                overrides["months"] = months
            params = params_for(scale, behaviour, seed=seed, **overrides)
        except (RegionError, ValueError, OSError) as exc:
            raise CaseError(str(exc)) from None
        if out_dir.exists():
            raise CaseError(f"{out_dir} already exists; choose a new folder")
        show = _live(quiet, as_json)
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
            print_json(data)
        elif not quiet:
            err.print(
                f"wrote {escape(str(summary.out))}: {summary.events:,} events, "
                f"{summary.lines} lines, {summary.days} days (ground truth in truth/)"
            )
        return 0

    run(body)


@app.command()
def lines(
    case: AnalysisCaseArg,
    out_dir: OutOpt,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Deal-line score that makes a number a line.")
    ] = 0.5,
    price: Annotated[float, typer.Option(min=0.0, help="Pounds per deal, for revenue.")] = 15.0,
    engine: Annotated[
        str,
        typer.Option(
            help="Where the features are computed: duckdb, or spark (pip install "
            "'countylines[spark]'; a local Spark session)."
        ),
    ] = "duckdb",
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    home: cli_security.HomeOpt = None,
) -> None:
    """Find the deal lines, link their numbers, attach runners and holders, and profile them.

    Numbers in the outputs are pseudonymised with the workspace's key (a workspace is created
    when there is none); the access is recorded in its audit log."""
    from countylines.database import case_database
    from countylines.lines.detect import ENGINES, LineSettings, find_lines
    from countylines.lines.report import summary, write_outputs

    def body() -> int:
        if engine not in ENGINES:
            raise CaseError(f"unknown engine {engine!r}; engines: {', '.join(ENGINES)}")
        ws, key = cli_security.analysis_workspace(home, case, out_dir)
        with _progress(_live(quiet, as_json)) as on_step:
            database = case_database(case, out_dir, on_step)
        # the case's free-text vocabulary is read beside the search (DuckDB leaves a core free
        # while the linking and profiling run in Python)
        with (
            ThreadPoolExecutor(1) as beside,
            err.status("finding lines", spinner="dots") if _live(quiet, as_json) else _nothing(),
        ):
            pseudonymiser = beside.submit(OutputPseudonymiser.for_case, key, database)
            result = find_lines(
                database, LineSettings(threshold=threshold, deal_price=price), engine=engine
            )
        result = pseudonymiser.result().hide(result)
        data = {
            "database": str(database),
            "lines": len(result.lines),
            "numbers": result.numbers["role"].value_counts().to_dict(),
            "candidates": result.n_candidates,
        }
        cli_security.record_pipeline(ws, "consult", case, out_dir, {"lines": len(result.lines)})
        paths = write_outputs(result, out_dir)
        print_outputs(data, summary(result), paths, out_dir, quiet, as_json)
        return 0

    run(body)


LinesOpt = Annotated[
    Path | None,
    typer.Option(
        "--lines", help="An output folder of `countylines lines` (else the lines are found now)."
    ),
]


def _line_analysis(
    case: Path,
    out_dir: Path,
    lines_dir: Path | None,
    quiet: bool,
    as_json: bool,
    status: str,
    analyse: Callable[[Path, Any], Any],
    write: Callable[[Any, Any, Path], list[Path]],
    report: Callable[[Any], tuple[str, dict[str, Any]]],
    home: Path | None,
) -> None:
    """Run an analysis of the lines (`violence`, `movement`): load, analyse, write (identifiers
    pseudonymised), record in the audit log, report. `report(result)` gives the readable
    summary and the JSON counts."""
    from countylines.database import case_database
    from countylines.movement.lineset import load_lines

    def body() -> int:
        ws, key = cli_security.analysis_workspace(home, case, out_dir)
        with _progress(_live(quiet, as_json)) as on_step:
            database = case_database(case, out_dir, on_step)
        with err.status(status) if _live(quiet, as_json) else _nothing():
            found = load_lines(database, lines_dir, key)
            result = analyse(database, found)
        hide = OutputPseudonymiser.for_case(key, database)
        result = hide.hide(result)
        paths = write(result, hide.hide(found), out_dir)
        text, counts = report(result)
        cli_security.record_pipeline(ws, "consult", case, out_dir, counts)
        if as_json:
            print_json({"database": str(database), **counts, "files": [str(p) for p in paths]})
        elif not quiet:
            out.print(escape(text), end="", soft_wrap=True)
            err.print(f"written to {escape(str(out_dir))}: " + ", ".join(p.name for p in paths))
        return 0

    run(body)


@app.command()
def violence(
    case: AnalysisCaseArg,
    out_dir: OutOpt,
    lines_dir: LinesOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    home: cli_security.HomeOpt = None,
) -> None:
    """Classify incidents' weapons and motives, attribute them to lines, and find rivalries."""
    from countylines.movement.report import violence_summary, write_violence
    from countylines.movement.violence import find_violence

    def report(result: Any) -> tuple[str, dict[str, Any]]:
        inc = result.incidents
        return violence_summary(result), {
            "incidents": len(inc),
            "attributed": int((inc["line_id"] != "").sum()),
            "rivalries": len(result.rivalries),
        }

    _line_analysis(case, out_dir, lines_dir, quiet, as_json, "attributing violence",
                   find_violence, write_violence, report, home)  # fmt: skip


@app.command()
def movement(
    case: AnalysisCaseArg,
    out_dir: OutOpt,
    lines_dir: LinesOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    home: cli_security.HomeOpt = None,
) -> None:
    """Find vehicles of interest (ANPR co-travel with runner phones) and runners' journeys."""
    from countylines.movement.movement import find_movement
    from countylines.movement.report import movement_summary, write_movement

    def report(result: Any) -> tuple[str, dict[str, Any]]:
        return movement_summary(result), {
            "trips": result.n_trips,
            "vehicles_of_interest": len(result.vehicles),
            "journeys": result.journeys["mode"].value_counts().to_dict(),
        }

    _line_analysis(case, out_dir, lines_dir, quiet, as_json, "following vehicles",
                   find_movement, write_movement, report, home)  # fmt: skip


@app.command()
def evaluate(
    case: Annotated[Path, typer.Argument(help="The simulated case folder (with truth/).")],
    out_dir: Annotated[
        Path,
        typer.Argument(help="The folder with the analysis outputs (a command's or `assess`'s)."),
    ],
    as_json: JsonOpt = False,
    home: cli_security.HomeOpt = None,
) -> None:
    """Score the outputs in OUT against CASE/truth; writes OUT/evaluation.json. Pseudonymised
    outputs are read with the key of the workspace (`--home`) that wrote them."""
    from countylines.evaluate import evaluate as run_evaluation
    from countylines.private_outputs import output_key

    def body() -> int:
        metrics = run_evaluation(case, out_dir, output_key(home, case, out_dir))
        (out_dir / "evaluation.json").write_text(json.dumps(metrics, indent=2) + "\n")
        if as_json:
            print_json(metrics)
            return 0
        table = RichTable("analysis", "metric", "value", box=None)
        for analysis, values in metrics.items():
            for name, value in values.items():
                shown = (
                    ", ".join(f"{k} {v}" for k, v in value.items())
                    if isinstance(value, dict)
                    else str(value)
                )
                table.add_row(analysis, name, shown)
        out.print(table)
        return 0

    run(body)


@app.command()
def assess(
    case: Annotated[Path, typer.Argument(help="The case folder.")],
    out_dir: OutOpt,
    title: Annotated[str, typer.Option(help="Title of the briefing.")] = (
        "County Lines threat assessment"
    ),
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Deal-line score that makes a number a line.")
    ] = 0.5,
    price: Annotated[float, typer.Option(min=0.0, help="Pounds per deal, for revenue.")] = 15.0,
    force: Annotated[bool, typer.Option(help="Run every step, even unchanged ones.")] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    home: cli_security.HomeOpt = None,
) -> None:
    """From a case folder to the line register, the safeguarding list, the briefing (HTML and
    PDF) and the tables. When a workspace exists, loading and assessing people are recorded in
    its audit log."""
    from countylines.assess.assessment import AssessSettings
    from countylines.assess.assessment import assess as run_assessment
    from countylines.lines.detect import LineSettings

    def body() -> int:
        settings = AssessSettings(title, LineSettings(threshold=threshold, deal_price=price))
        live = _live(quiet, as_json)

        def on_step(name: str, will_run: bool) -> None:
            if live:
                err.print(f"{name}: " + ("running" if will_run else "unchanged, skipped"))

        ws, key = cli_security.analysis_workspace(home, case, out_dir)
        outcomes = run_assessment(case, out_dir, key, settings, force, on_step)
        ran = {o.name for o in outcomes if o.ran}
        audited = (("load", "collect", "work"), ("lines", "consult", "lines"),
                   ("people", "consult", "people"), ("violence", "consult", "violence"),
                   ("movement", "consult", "movement"))  # fmt: skip
        for step, action, folder in audited:
            if step in ran:
                cli_security.record_pipeline(ws, action, case, out_dir / folder, {})
        if as_json:
            print_json({"out": str(out_dir), "steps": [o.__dict__ for o in outcomes]})
        elif not quiet:
            for o in outcomes:
                out.print(f"{o.name}: {escape(o.note)}")
            out.print(f"briefing: {escape(str(out_dir / 'report.html'))} (and report.pdf)")
        return 0

    run(body)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the simulated case.")] = 1,
    home: cli_security.HomeOpt = None,
) -> None:
    """Simulate the West Mercia scenario (small), assess it, and say how to look at it."""
    from countylines.assess.assessment import assess as run_assessment
    from countylines.simulate.params import params_for
    from countylines.simulate.region import builtin_region
    from countylines.simulate.run import simulate as run_simulation

    def body() -> int:
        case_dir, result_dir = out_dir / "case", out_dir / "assessment"
        if not case_dir.exists():
            err.print(f"simulating the west-mercia scenario (small, seed {seed})")
            run_simulation(case_dir, params_for("small", "default", seed=seed),
                           builtin_region("west-mercia"))  # fmt: skip
        _, key = cli_security.analysis_workspace(home, out_dir)
        run_assessment(case_dir, result_dir, key, on_step=lambda n, r: err.print(
            f"{n}: " + ("running" if r else "unchanged, skipped")))  # fmt: skip
        out.print(f"Briefing: {escape(str(result_dir / 'report.html'))} (and report.pdf)")
        out.print("Dashboard: countylines users add YOU --role admin   (once)")
        out.print(f"           countylines serve {escape(str(result_dir))}")
        out.print("           then open http://127.0.0.1:8000/ and sign in")
        return 0

    run(body)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


@app.command()
def serve(
    results: Annotated[
        Path, typer.Argument(help="An output folder of the analyses (for example of `lines`).")
    ],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    ssl_certfile: Annotated[
        Path | None, typer.Option(help="TLS certificate (PEM); needed off loopback.")
    ] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    uploads: Annotated[
        Path | None,
        typer.Option(help="A folder for case files uploaded through the API (off without it)."),
    ] = None,
    home: cli_security.HomeOpt = None,
) -> None:
    """Serve the dashboard of RESULTS; people sign in as the workspace's users."""

    def body() -> int:
        import uvicorn

        from countylines.web.app import create_app
        from countylines.workspace import open_workspace

        if not results.is_dir():
            raise CaseError(f"{results} is not a folder of results")
        tls = ssl_certfile is not None and ssl_keyfile is not None
        if host not in LOOPBACK and not tls:
            raise CaseError(
                f"refusing to serve on {host} without TLS: give --ssl-certfile and "
                "--ssl-keyfile, or serve on 127.0.0.1 behind your own HTTPS proxy"
            )
        ws = open_workspace(home)
        ws.check_outside(results, *([uploads] if uploads else []))
        application = create_app(results, ws, uploads)
        scheme = "https" if tls else "http"
        err.print(f"dashboard of {escape(str(results))} at {scheme}://{host}:{port}/")
        uvicorn.run(application, host=host, port=port, log_level="warning",
                    ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)  # fmt: skip
        return 0

    run(body)


@app.command()
def people(
    case: AnalysisCaseArg,
    out_dir: OutOpt,
    lines_out: Annotated[
        Path | None,
        typer.Option("--lines", help="Output folder of `countylines lines` (else found anew)."),
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    home: cli_security.HomeOpt = None,
) -> None:
    """Exploitation risk per person, runners and cuckooed homes: an explained safeguarding list.

    Persons and numbers in the outputs are pseudonymised with the workspace's key (a workspace
    is created when there is none); the access is recorded in its audit log.
    """
    from countylines.database import case_database
    from countylines.people.assess import assess_people, line_numbers
    from countylines.people.report import summary, write_outputs

    def body() -> int:
        ws, key = cli_security.analysis_workspace(home, case, out_dir)
        with _progress(_live(quiet, as_json)) as on_step:
            database = case_database(case, out_dir, on_step)
        with (
            err.status("assessing people", spinner="dots") if _live(quiet, as_json) else _nothing()
        ):
            result = assess_people(database, line_numbers(database, lines_out, key))
        result = OutputPseudonymiser.for_case(key, database).hide(result)
        paths = write_outputs(result, out_dir)
        counts = {
            "safeguarding": len(result.safeguarding),
            "persons_scored": len(result.scores),
            "runners": len(result.runners),
            "cuckooed_addresses": len(result.cuckooed),
        }
        cli_security.record_pipeline(ws, "consult", case, out_dir, counts)
        if as_json:
            print_json({"database": str(database), **counts, "files": [str(p) for p in paths]})
        elif not quiet:
            out.print(escape(summary(result)), end="", soft_wrap=True)
            err.print(f"written to {escape(str(out_dir))}: " + ", ".join(p.name for p in paths))
        return 0

    run(body)


def _folder_opt(name: str, command: str) -> Any:
    return typer.Option(
        f"--{name}",
        help=f"An output folder of `countylines {command}` "
        f"(default: {name}/ beside OUT, as `assess` lays it out).",
    )


@app.command()
def network(
    case: AnalysisCaseArg,
    out_dir: OutOpt,
    lines_dir: Annotated[Path | None, _folder_opt("lines", "lines")] = None,
    people_dir: Annotated[Path | None, _folder_opt("people", "people")] = None,
    violence_dir: Annotated[Path | None, _folder_opt("violence", "violence")] = None,
    movement_dir: Annotated[Path | None, _folder_opt("movement", "movement")] = None,
    places_dir: Annotated[Path | None, _folder_opt("places", "places run")] = None,
    min_events: Annotated[
        int, typer.Option(min=1, help="Calls and texts between two numbers for a link.")
    ] = 3,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    home: cli_security.HomeOpt = None,
) -> None:
    """The POLE network of the lines: communities, key players, and charts for i2 (.anx and
    import CSV), Gephi (GraphML) and QGIS (GeoPackage). Identifiers are pseudonyms (keyed
    with the workspace's key; the workspace is created if there is none)."""
    from countylines.database import case_database
    from countylines.network.inputs import beside, read_outputs
    from countylines.network.network import NetworkSettings, find_network
    from countylines.network.report import summary, write_outputs

    def body() -> int:
        _, key = cli_security.analysis_workspace(home, case, out_dir)
        folders = beside(out_dir, {"lines": lines_dir, "people": people_dir,
                                   "violence": violence_dir, "movement": movement_dir,
                                   "places": places_dir})  # fmt: skip
        with _progress(_live(quiet, as_json)) as on_step:
            database = case_database(case, out_dir, on_step)
        with err.status("building the network") if _live(quiet, as_json) else _nothing():
            result = find_network(database, read_outputs(database, folders, key), key,
                                  NetworkSettings(min_events=min_events))  # fmt: skip
        paths = write_outputs(result, out_dir)
        if as_json:
            print_json({"database": str(database), "nodes": len(result.graph.nodes),
                        "edges": len(result.graph.edges),
                        "communities": len(result.communities),
                        "key_players": len(result.key_players), "missing": result.notes,
                        "files": [str(p) for p in paths]})  # fmt: skip
        elif not quiet:
            out.print(escape(summary(result)), end="", soft_wrap=True)
            err.print(f"written to {escape(str(out_dir))}: " + ", ".join(p.name for p in paths))
        return 0

    run(body)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


cli_security.register(app)
cli_places.register(app)
opendata_cli.register(app)
