"""The `countylines places` commands: `places CASE` (short for `places run CASE`) and
`places backtest CASE...`. Registered on the main app by `cli.py`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from typer.core import TyperGroup

from countylines.cli_security import HomeOpt
from countylines.cliutil import AnalysisCaseArg, OutOpt, err, out, print_json, print_outputs, run
from countylines.private_outputs import output_key, read_identifiers
from countylines.problems import CaseError


class _DefaultRun(TyperGroup):
    """`places CASE ...` runs `places run CASE ...`; `places backtest ...` runs the backtest."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


places_app = typer.Typer(
    cls=_DefaultRun,
    help="Which towns and areas lines have reached, and which are at heightened risk next.",
    no_args_is_help=True,
)


class Family(StrEnum):
    POISSON = "poisson"
    LOGISTIC = "logistic"


FamilyOpt = Annotated[
    Family,
    typer.Option(help="GLM: poisson (lines per area) or logistic (infiltrated or not)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable JSON report on stdout.")
]


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise CaseError(f"{path}: not found (give the --out folder of `countylines lines`)")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: not a readable CSV file ({exc})") from None
    for column in columns:
        if column not in frame.columns:
            raise CaseError(f"{path}: column {column!r} is missing")
    return frame


def _found_lines(
    database: Path, lines_dir: Path | None, key: bytes | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(line_numbers, lines) from `lines_dir` (pseudonymised numbers turned back into the
    case's with `key`), else from running the line detector (none when the case has no events:
    then only `intel_lines` can show infiltration)."""
    if lines_dir is not None:
        numbers = _read_csv(lines_dir / "line_numbers.csv", ("line_id", "number", "role"))
        return (
            read_identifiers(database, numbers, key),
            _read_csv(lines_dir / "lines.csv", ("line_id", "hub")),
        )
    from countylines.attached_case import attach_case, has_table
    from countylines.lines.detect import find_lines

    con = attach_case(database)
    try:
        events = has_table(con, "events")
    finally:
        con.close()
    if not events:
        empty = pd.DataFrame({"line_id": [], "number": [], "role": [], "hub": []}, dtype=str)
        return empty, empty
    result = find_lines(database)
    return result.numbers, result.lines


@places_app.command("run")
def run_places(
    case: AnalysisCaseArg,
    out_dir: OutOpt,
    lines_dir: Annotated[
        Path | None,
        typer.Option("--lines", help="The --out folder of `countylines lines` (else run it)."),
    ] = None,
    family: FamilyOpt = Family.POISSON,
    contagion: Annotated[
        bool, typer.Option(help="Offer infiltrated neighbouring areas as a factor.")
    ] = False,
    crime_factors: Annotated[
        bool,
        typer.Option(help="Offer drug, weapon and violence rates to the model (see the docs)."),
    ] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
) -> None:
    """Risk, class, driving factors and measures per area and town; maps' layers in a gpkg."""
    from countylines.database import case_database
    from countylines.places.pipeline import PlaceSettings, assess_places
    from countylines.places.report import summary, write_outputs

    def body() -> int:
        database = case_database(case, out_dir)
        key = output_key(home, case, out_dir)
        numbers, lines = _found_lines(database, lines_dir, key)
        settings = PlaceSettings(
            family=family.value, contagion=contagion, crime_factors=crime_factors
        )
        result = assess_places(database, numbers, lines, settings)
        data = {
            "database": str(database),
            "areas": len(result.areas),
            "towns": len(result.towns),
            "classes": result.areas["class"].value_counts().to_dict(),
            "factors": result.model.relative_risk.round(3).to_dict(),
        }
        paths = write_outputs(result, out_dir)
        print_outputs(data, summary(result), paths, out_dir, quiet, as_json)
        return 0

    run(body)


def backtest_cases(cases: list[tuple[Path, Path]], fit_months: int) -> dict[str, Any]:
    """Run the simulator backtest on each (simulated case folder, its loaded case.duckdb) and
    pool the results (docs/places.md, "Backtest")."""
    from countylines.places.simulated import metrics

    return {"fit_months": fit_months, **metrics(backtest_frames(cases, fit_months))}


def backtest_frames(cases: list[tuple[Path, Path]], fit_months: int) -> list[pd.DataFrame]:
    """The scored candidate areas (`places.simulated.candidate_scores`) of each case."""
    from countylines.evaluate import places_truth
    from countylines.lines.detect import find_lines
    from countylines.places.pipeline import PlaceSettings, assess_places
    from countylines.places.simulated import candidate_scores

    frames = []
    for case, database in cases:
        truth, start = places_truth(case)
        months = int(truth["month"].max()) + 1 if len(truth) else 0
        if not 0 < fit_months < months:
            raise CaseError(f"{case}: --fit-months must be between 1 and {months - 1}")
        found = find_lines(database)
        cut = (start + pd.Timedelta(days=30 * fit_months)).to_pydatetime()
        settings = PlaceSettings(before=cut, use_persons=False)
        result = assess_places(database, found.numbers, found.lines, settings)
        frames.append(candidate_scores(result, truth, fit_months))
    return frames


def _case_folder(database: Path) -> Path:
    """The case folder a database was loaded from (its `_case_meta`), where `truth/` is."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        row = con.execute("SELECT value FROM _case_meta WHERE key = 'case'").fetchall()
    finally:
        con.close()
    if not row:
        raise CaseError(f"{database}: does not say which case folder it was loaded from")
    return Path(row[0][0])


@places_app.command("backtest")
def backtest(
    cases: Annotated[
        list[Path],
        typer.Argument(
            help="Simulated case folders (with truth/), or their loaded databases (the case "
            "folder they were loaded from must still hold truth/)."
        ),
    ],
    out_dir: OutOpt,
    fit_months: Annotated[
        int, typer.Option(min=1, help="Months to fit on; the later months are scored.")
    ] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Fit on the first months of simulated cases, score their new infiltrations (pooled)."""

    def body() -> int:
        from countylines.database import case_database

        loaded = []
        for case in cases:
            database = case_database(case, out_dir / Path(case).name)
            loaded.append((_case_folder(database), database))
        result = backtest_cases(loaded, fit_months)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "places_backtest.json").write_text(json.dumps(result, indent=2) + "\n")
        if as_json:
            print_json(result)
            return 0
        pooled = result["pooled"]
        err.print(
            f"{result['cases']} cases, {result['candidates']} areas not infiltrated before, "
            f"{result['new_infiltrations']} newly infiltrated"
        )
        for name, values in pooled.items():
            out.print(f"{name:<12} " + "  ".join(f"{k} {v}" for k, v in values.items()))
        return 0

    run(body)


def register(app: typer.Typer) -> None:
    """Add the places commands to the `countylines` app."""
    app.add_typer(places_app, name="places")
