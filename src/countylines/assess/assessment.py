"""`assess(case, out)`: the steps of a threat assessment and their settings.

OUT holds `work/case.duckdb` (the loaded case), `lines/` (the line register), `places/`
(infiltrated and at-risk areas and towns, and the maps; see docs/places.md), `people/` (the
safeguarding list, runners and cuckooed homes; see docs/people.md), `violence/` and
`movement/` (incidents, rivalries, vehicles of interest, journeys; see docs/movement.md),
`network/` (the POLE graph, communities, key players, i2, GraphML and GeoPackage exports; see
docs/network.md), and the briefing
(`report.html`, `report.pdf`, `report-public.html`, `report-public.pdf`). Steps whose inputs did
not change since the last run into the same OUT are skipped (see `pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from countylines.assess.pipeline import Step, StepOutcome, case_fingerprint, run_steps
from countylines.assess.render import write_reports
from countylines.database import load_case
from countylines.lines.detect import LineSettings, find_lines
from countylines.lines.report import write_outputs
from countylines.movement.lineset import load_lines
from countylines.movement.movement import find_movement
from countylines.movement.report import write_movement, write_violence
from countylines.movement.violence import find_violence
from countylines.network.inputs import beside, read_outputs
from countylines.network.network import find_network
from countylines.network.report import write_outputs as write_network
from countylines.people.assess import assess_people, line_numbers
from countylines.people.report import write_outputs as write_people
from countylines.places.pipeline import assess_places
from countylines.places.report import write_outputs as write_places
from countylines.private_outputs import OutputPseudonymiser, read_identifiers
from countylines.problems import CaseError, Severity
from countylines.pseudonym import IdType, pseudonym

DB = Path("work") / "case.duckdb"


@dataclass(frozen=True)
class AssessSettings:
    """What `assess` can be told."""

    title: str = "County Lines threat assessment"
    lines: LineSettings = LineSettings()


def _load(case: Path) -> Callable[[Path], str]:
    def run(out: Path) -> str:
        result, _ = load_case(case, out / DB.parent)
        if not result.ok:
            first = next(p for p in result.log.problems() if p.severity is Severity.ERROR)
            raise CaseError(
                f"{case} did not load ({result.log.n_errors:,} errors; first: "
                f"{first.location()}: {first.message}); run `countylines validate {case}`"
            )
        return f"{sum(result.rows.values()):,} rows loaded"

    return run


def _lines(settings: LineSettings, key: bytes) -> Callable[[Path], str]:
    def run(out: Path) -> str:
        result = find_lines(out / DB, settings)
        write_outputs(OutputPseudonymiser.for_case(key, out / DB).hide(result), out / "lines")
        return f"{len(result.lines)} lines"

    return run


def _without(out: Path, folder: str, table: str, what: str) -> str | None:
    """None when the case has `table`; else a note in OUT/folder saying why `what` was not
    done, and the step's description."""
    import duckdb

    con = duckdb.connect(str(out / DB), read_only=True)
    try:
        found = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
        ).fetchone()
    finally:
        con.close()
    if found and found[0]:
        return None
    (out / folder).mkdir(exist_ok=True)
    (out / folder / "NOT_RUN.txt").write_text(f"The case has no {table} table, so {what}.\n")
    return f"no {table} table: skipped"


def _people(key: bytes) -> Callable[[Path], str]:
    def run(out: Path) -> str:
        skipped = _without(out, "people", "persons", "no one was assessed")
        if skipped:
            return skipped
        result = assess_people(out / DB, line_numbers(out / DB, out / "lines", key))
        write_people(OutputPseudonymiser.for_case(key, out / DB).hide(result), out / "people")
        return f"{len(result.safeguarding)} people on the safeguarding list"

    return run


def _places(key: bytes) -> Callable[[Path], str]:
    return lambda out: _assess_places(out, key)


def _assess_places(out: Path, key: bytes) -> str:
    skipped = _without(out, "places", "areas", "no places were assessed")
    if skipped:
        return skipped
    numbers = read_identifiers(
        out / DB, pd.read_parquet(out / "lines" / "line_numbers.parquet"), key
    )
    lines = pd.read_parquet(out / "lines" / "lines.parquet")
    result = assess_places(out / DB, numbers[["line_id", "number", "role"]],
                           lines[["line_id", "hub"]])  # fmt: skip
    write_places(result, out / "places")
    counts = result.towns["class"].value_counts()
    return ", ".join(f"{n} towns {c}" for c, n in counts.items())


def _line_analysis(
    folder: str,
    table: str,
    find: Callable[[Path, Any], Any],
    write: Callable[[Any, Any, Path], Any],
    describe: Callable[[Any], str],
    key: bytes,
) -> Callable[[Path], str]:
    """A step that runs `find(database, lines)` on the case's `table` and the detected lines
    and writes into OUT/folder, pseudonymised (or leaves a note when the case lacks `table`)."""

    def run(out: Path) -> str:
        skipped = _without(out, folder, table, f"the {folder} analysis was not run")
        if skipped:
            return skipped
        lines = load_lines(out / DB, out / "lines", key)
        result = find(out / DB, lines)
        hide = OutputPseudonymiser.for_case(key, out / DB)
        write(hide.hide(result), hide.hide(lines), out / folder)
        return describe(result)

    return run


def _network(key: bytes) -> Callable[[Path], str]:
    """The POLE network of every analysis in OUT, in OUT/network (docs/network.md)."""

    def run(out: Path) -> str:
        folders = beside(out / "network", {})
        result = find_network(out / DB, read_outputs(out / DB, folders, key), key)
        write_network(result, out / "network")
        return f"{len(result.graph.nodes)} nodes, {len(result.communities)} communities"

    return run


def _period(out: Path) -> str:
    path = out / "lines" / "lines.parquet"
    lines = pd.read_parquet(path) if path.is_file() else pd.DataFrame()
    if lines.empty:
        return "period unknown"
    return f"{str(lines['first_seen'].min())[:10]} to {str(lines['last_seen'].max())[:10]}"


def _report(settings: AssessSettings, key: bytes) -> Callable[[Path], str]:
    def run(out: Path) -> str:
        paths = write_reports(out, settings.title, _period(out), settings.lines.deal_price, key)
        return ", ".join(p.name for p in paths)

    return run


def steps(case: Path, settings: AssessSettings, key: bytes) -> list[Step]:
    """The steps of an assessment of `case`, in order; outputs pseudonymised with `key`."""
    key_id = pseudonym("key", IdType.NAME, key)  # which key: a change of key reruns the steps
    return [
        Step("load", (), str(DB), _load(case)),
        Step("lines", ("load",), "lines/lines.parquet", _lines(settings.lines, key),
             {"threshold": settings.lines.threshold, "price": settings.lines.deal_price,
              "pseudonym_key": key_id}),
        Step("places", ("lines",), "places", _places(key)),
        Step("people", ("lines",), "people", _people(key)),
        Step("violence", ("lines",), "violence", _line_analysis(
            "violence", "incidents", find_violence, write_violence,
            lambda r: f"{len(r.incidents)} incidents, {len(r.rivalries)} rivalries", key)),
        Step("movement", ("lines",), "movement", _line_analysis(
            "movement", "anpr", find_movement, write_movement,
            lambda r: f"{len(r.vehicles)} vehicles of interest, {len(r.journeys)} journeys",
            key)),
        Step("network", ("lines", "places", "people", "violence", "movement"),
             "network/network_nodes.csv", _network(key)),
        Step("report", ("lines", "places", "people", "violence", "movement"), "report.pdf",
             _report(settings, key),
             {"title": settings.title}),
    ]  # fmt: skip


def assess(
    case: Path,
    out: Path,
    key: bytes,
    settings: AssessSettings | None = None,
    force: bool = False,
    on_step: Callable[[str, bool], None] | None = None,
) -> list[StepOutcome]:
    """Run every step of the assessment of the case folder `case` into `out`; identifiers in
    the outputs are pseudonymised with `key` (see `countylines.private_outputs`)."""
    case, out = Path(case), Path(out)
    if not case.is_dir():
        raise CaseError(f"{case} is not a case folder")
    if out.resolve() == case.resolve() or case.resolve() in out.resolve().parents:
        raise CaseError(f"the output folder {out} must not be inside the case folder {case}")
    s = settings or AssessSettings()
    return run_steps(steps(case, s, key), out, case_fingerprint(case), force, on_step)
