"""`assess(case, out)`: the steps of a threat assessment and their settings.

OUT holds `work/case.duckdb` (the loaded case), `lines/` (the line register), and the briefing
(`report.html`, `report.pdf`, `report-public.html`, `report-public.pdf`). Steps whose inputs did
not change since the last run into the same OUT are skipped (see `pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from countylines.assess.pipeline import Step, StepOutcome, case_fingerprint, run_steps
from countylines.assess.render import write_reports
from countylines.database import load_case
from countylines.lines.detect import LineSettings, find_lines
from countylines.lines.report import write_outputs
from countylines.problems import CaseError, Severity

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


def _lines(settings: LineSettings) -> Callable[[Path], str]:
    def run(out: Path) -> str:
        result = find_lines(out / DB, settings)
        write_outputs(result, out / "lines")
        return f"{len(result.lines)} lines"

    return run


def _period(out: Path) -> str:
    path = out / "lines" / "lines.parquet"
    lines = pd.read_parquet(path) if path.is_file() else pd.DataFrame()
    if lines.empty:
        return "period unknown"
    return f"{str(lines['first_seen'].min())[:10]} to {str(lines['last_seen'].max())[:10]}"


def _report(settings: AssessSettings) -> Callable[[Path], str]:
    def run(out: Path) -> str:
        paths = write_reports(out, settings.title, _period(out), settings.lines.deal_price)
        return ", ".join(p.name for p in paths)

    return run


def steps(case: Path, settings: AssessSettings) -> list[Step]:
    """The steps of an assessment of `case`, in order."""
    return [
        Step("load", (), str(DB), _load(case)),
        Step("lines", ("load",), "lines/lines.parquet", _lines(settings.lines),
             {"threshold": settings.lines.threshold, "price": settings.lines.deal_price}),
        Step("report", ("lines",), "report.pdf", _report(settings), {"title": settings.title}),
    ]  # fmt: skip


def assess(
    case: Path,
    out: Path,
    settings: AssessSettings | None = None,
    force: bool = False,
    on_step: Callable[[str, bool], None] | None = None,
) -> list[StepOutcome]:
    """Run every step of the assessment of the case folder `case` into `out`."""
    case, out = Path(case), Path(out)
    if not case.is_dir():
        raise CaseError(f"{case} is not a case folder")
    if out.resolve() == case.resolve() or case.resolve() in out.resolve().parents:
        raise CaseError(f"the output folder {out} must not be inside the case folder {case}")
    s = settings or AssessSettings()
    return run_steps(steps(case, s), out, case_fingerprint(case), force, on_step)
