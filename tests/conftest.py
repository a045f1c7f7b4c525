"""Shared helpers: copies of the example case, spreadsheet-row editing and CLI runners.

Rows are addressed as a spreadsheet shows them (the CSV header is row 1, the first data row is
row 2), the same convention the validator reports in, so a test that breaks "row 5" can assert
that "row 5" is reported without counting by hand.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from countylines.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "minimal-case"
CLI_EXE = Path(sys.executable).with_name("countylines")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# Codes that describe one row of one file; every example of these must carry a row number.
ROW_CODES = frozenset(
    {
        "missing_value",
        "bad_timestamp",
        "bad_date",
        "bad_phone",
        "bad_imei",
        "bad_imsi",
        "bad_vrm",
        "bad_int",
        "bad_number",
        "bad_bool",
        "bad_enum",
        "out_of_range",
        "ragged_row",
        "duplicate_key",
        "unknown_reference",
        "bad_encoding",
        "sms_duration",
        "same_number",
        "end_before_start",
        "half_location",
    }
)


@pytest.fixture(scope="session", autouse=True)
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The workspace of fixtures shared between tests (module and session scope): analysis
    outputs they write are pseudonymised with its key, so tests reading them give `--home`."""
    home = tmp_path_factory.mktemp("session-workspace") / "home"
    before = os.environ.get("COUNTYLINES_HOME")
    os.environ["COUNTYLINES_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("COUNTYLINES_HOME", None)
    else:
        os.environ["COUNTYLINES_HOME"] = before


@pytest.fixture(autouse=True)
def _private_workspace(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own (not yet created) workspace: none touches the user's real one."""
    home = tmp_path_factory.mktemp("workspace") / "home"
    monkeypatch.setenv("COUNTYLINES_HOME", str(home))
    for var in ("COUNTYLINES_TOKEN", "COUNTYLINES_USER", "COUNTYLINES_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return home


# --------------------------------------------------------------------------------------------
# Case folders
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (POSIX flock)."""
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _shared_dir(factory: pytest.TempPathFactory) -> Path:
    """A folder shared by every xdist worker of this session (or the session's own)."""
    base = factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "simulated-cases"
    folder.mkdir(exist_ok=True)
    return folder


def shared_case(
    factory: pytest.TempPathFactory, scale: str, seed: int, behaviour: str = "default"
) -> Path:
    """The simulated West Mercia case of `scale`, `seed` and `behaviour`, built once per test
    session by whichever xdist worker asks first and shared by the others."""
    from countylines.simulate.params import params_for
    from countylines.simulate.region import builtin_region
    from countylines.simulate.run import simulate

    folder = _shared_dir(factory)
    name = f"{scale}-{seed}" + ("" if behaviour == "default" else f"-{behaviour}")
    out = folder / name
    with _locked(folder / f"{name}.lock"):
        if not out.exists():  # simulate() renames a finished case into place
            simulate(out, params_for(scale, behaviour, seed=seed), builtin_region("west-mercia"))
    return out


def shared_database(case: Path) -> Path:
    """`case` loaded once per session; returns the path of its case.duckdb."""
    from countylines.database import load_case

    out = case.with_name(case.name + "-loaded")
    with _locked(case.with_name(case.name + "-loaded.lock")):
        if not (out / "case.duckdb").exists():
            result, _ = load_case(case, out)
            assert result.ok, result.log.problems()[:3]
    return out / "case.duckdb"


def copy_example(dest: Path) -> Path:
    """A fresh copy of the valid example case at `dest`."""
    shutil.copytree(EXAMPLE, dest)
    return dest


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A writable copy of the valid example case."""
    return copy_example(tmp_path / "case")


def keep_only(case: Path, *tables: str) -> Path:
    """Delete every table file (and areas) of `case` except `tables`: smaller cases run faster."""
    for path in case.iterdir():
        name = path.name.split(".")[0]
        if name not in tables:
            path.unlink()
    return case


def read_table(case: Path, table: str) -> list[list[str]]:
    """All records of `table`.csv (header first) as lists of strings."""
    with open(case / f"{table}.csv", newline="", encoding="utf-8") as fh:
        return [list(r) for r in csv.reader(fh)]


def csv_text(rows: Iterable[Sequence[str]], lineterminator: str = "\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=lineterminator).writerows(rows)
    return buf.getvalue()


def write_table(
    case: Path, table: str, rows: Iterable[Sequence[str]], encoding: str = "utf-8"
) -> Path:
    path = case / f"{table}.csv"
    path.write_bytes(csv_text(rows).encode(encoding))
    return path


def set_cell(case: Path, table: str, row: int, column: str, value: str) -> str:
    """Set one cell, addressed by spreadsheet row number and column name; returns the old value."""
    rows = read_table(case, table)
    assert row >= 2, "row 1 is the header"
    j = rows[0].index(column)
    old = rows[row - 1][j]
    rows[row - 1][j] = value
    write_table(case, table, rows)
    return old


def cell(case: Path, table: str, row: int, column: str) -> str:
    rows = read_table(case, table)
    return rows[row - 1][rows[0].index(column)]


def row_of(case: Path, table: str, column: str, value: str) -> int:
    """Spreadsheet row number of the first record whose `column` equals `value`."""
    rows = read_table(case, table)
    j = rows[0].index(column)
    for i, r in enumerate(rows[1:], start=2):
        if r[j] == value:
            return i
    raise AssertionError(f"{value!r} not found in {table}.{column}")


def luhn_ok(digits: str) -> bool:
    """Independent Luhn check (the IMEI check digit)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def tree_state(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry below `folder`: relative path -> (size, mtime_ns, kind)."""
    state = {}
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        kind = "dir" if p.is_dir() else "file"
        state[str(p.relative_to(folder))] = (
            st.st_size if kind == "file" else 0,
            st.st_mtime_ns,
            kind,
        )
    st = folder.stat()
    state["."] = (0, st.st_mtime_ns, "dir")
    return state


# --------------------------------------------------------------------------------------------
# Running the CLI
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    """The outcome of one CLI run."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def flat(self) -> str:
        """stdout and stderr with all runs of whitespace collapsed (Rich wraps long lines)."""
        return " ".join(self.output.split())

    @property
    def squashed(self) -> str:
        """stdout and stderr without any whitespace: finds a path even where Rich broke the line."""
        return "".join(self.output.split())

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def assert_clean(self, *codes: int) -> Run:
        """Exit code is one of `codes` and nothing escaped as an exception or traceback."""
        assert "Traceback" not in self.output, self.output
        assert self.exception is None or isinstance(self.exception, SystemExit), repr(
            self.exception
        )
        assert self.exit_code in codes, f"exit {self.exit_code}, expected {codes}:\n{self.output}"
        return self


def _plain(text: str) -> str:
    """Text without ANSI styling: a CI that sets FORCE_COLOR must not change what tests see.

    (That `--json` itself must never be styled is tested separately, on the raw output.)
    """
    return ANSI.sub("", text)


def cli(*args: str | Path) -> Run:
    """Run the Typer app in-process (fast)."""
    res = CliRunner().invoke(app, [str(a) for a in args])
    return Run(res.exit_code, _plain(res.stdout), _plain(res.stderr), res.exception)


def cli_subprocess(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Run:
    """Run the installed `countylines` command as a separate process."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("COUNTYLINES_DEBUG", None)
    res = subprocess.run(
        [str(CLI_EXE), *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    return Run(res.returncode, _plain(res.stdout), _plain(res.stderr))


def validate_json(case: Path, *extra: str, codes: tuple[int, ...] = (0, 1)) -> dict[str, Any]:
    """`countylines validate CASE --json`: asserts a clean run whose exit code matches `ok`."""
    run = cli("validate", case, "--json", *extra).assert_clean(*codes)
    report = run.json()
    assert run.exit_code == (0 if report["ok"] else 1), run.output
    return report


# --------------------------------------------------------------------------------------------
# Looking into reports
# --------------------------------------------------------------------------------------------


def groups(
    report: dict[str, Any],
    *,
    file: str | None = None,
    code: str | None = None,
    column: str | None = None,
    severity: str | None = None,
) -> list[dict[str, Any]]:
    found = []
    for g in report["groups"]:
        if file is not None and g["file"] != file:
            continue
        if code is not None and g["code"] != code:
            continue
        if column is not None and g["column"] != column:
            continue
        if severity is not None and g["severity"] != severity:
            continue
        found.append(g)
    return found


def one_group(report: dict[str, Any], **match: Any) -> dict[str, Any]:
    found = groups(report, **match)
    assert len(found) == 1, (
        f"expected one group matching {match}, got {found}\nall: {report['groups']}"
    )
    return found[0]


def errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [g for g in report["groups"] if g["severity"] == "error"]


def warnings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [g for g in report["groups"] if g["severity"] == "warning"]


def assert_only_errors_in(report: dict[str, Any], file: str) -> None:
    """Every error of the report is in `file` (the one file a test broke)."""
    others = [g for g in errors(report) if g["file"] != file]
    assert not others, others


def example_rows(group: dict[str, Any]) -> list[int | None]:
    return [e["row"] for e in group["examples"]]


def assert_error_at(
    report: dict[str, Any],
    file: str,
    row: int | None,
    column: str | None,
    code: str | None = None,
    value: str | None = None,
) -> dict[str, Any]:
    """The report is a failure with an error example at exactly (file, row, column)."""
    assert report["ok"] is False
    assert report["errors"] >= 1
    hits = []
    for g in errors(report):
        if g["file"] != file or (code is not None and g["code"] != code):
            continue
        for e in g["examples"]:
            at = e["file"] == file and e["row"] == row and e["column"] == column
            if at and (value is None or e["value"] == value):
                hits.append((g, e))
    assert hits, (
        f"no error at {file} row {row} column {column!r} (code {code}) in {report['groups']}"
    )
    g, _ = hits[0]
    assert g["column"] == column
    return g


# --------------------------------------------------------------------------------------------
# Security: workspaces, users and a loaded case database
# --------------------------------------------------------------------------------------------

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
"""argon2id with tiny costs: the tests check behaviour, not the cost of brute force."""

PASSWORD = "correct horse battery staple"
REASON = "safeguarding referral SR-2019-0042"


@pytest.fixture
def workspace(_private_workspace: Path) -> Any:
    """A new workspace in the test's COUNTYLINES_HOME."""
    from countylines.workspace import open_workspace

    return open_workspace(_private_workspace, create=True)


def add_user(ws: Any, name: str, role: str) -> Any:
    """Add a user with the test password and a cheap hash."""
    from countylines.roles import Role
    from countylines.users import add_user as add

    return add(ws, name, Role(role), PASSWORD, hasher=CHEAP_HASHER)


@pytest.fixture(scope="session")
def _loaded_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from countylines.database import load_case

    out = tmp_path_factory.mktemp("loaded") / "work"
    result, db = load_case(EXAMPLE, out)
    assert result.ok
    return db


@pytest.fixture
def case_db(_loaded_example: Path, tmp_path: Path) -> Path:
    """A writable copy of the example case loaded into OUT/case.duckdb."""
    out = tmp_path / "work"
    out.mkdir()
    shutil.copy(_loaded_example, out / "case.duckdb")
    return out / "case.duckdb"


def login_as(ws: Any, name: str, role: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Add a user, issue a token and put it in COUNTYLINES_TOKEN for the CLI; returns it."""
    from countylines.users import create_token

    add_user(ws, name, role)
    token, _ = create_token(ws, name)
    monkeypatch.setenv("COUNTYLINES_TOKEN", token)
    return token


# --------------------------------------------------------------------------------------------
# Dashboard results
# --------------------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</td></tr><script>alert(2)</script>",
    "{{ 7 * 7 }}",
]
NUMBER = "+447700900123"
VRM = "AB12CDE"


def write_hostile_results(folder: Path) -> Path:
    """An assessment folder: `lines/` with two lines, `people/`, `places/` and `violence/`,
    whose brands, towns, reasons and evidence are XSS probes and hold a real-looking phone
    number, and the public and restricted reports."""
    import pandas as pd

    from countylines.lines.detect import LINE_COLUMNS, NUMBER_COLUMNS, LineResult
    from countylines.lines.report import write_outputs

    lines = pd.DataFrame(
        [
            ["L001", XSS[0], "Birmingham", f"Hereford;{XSS[1]}", "2019-01-01T00:00:00Z",
             "2019-01-31T00:00:00Z", 2, 40, 12.5, 188, 0.97, XSS[3]],
            ["L002", "TOM", XSS[2], "Ludlow", "2019-01-05T00:00:00Z", "2019-01-30T00:00:00Z", 1,
             25, 4.0, 60, 0.8, XSS[4]],
        ],
        columns=list(LINE_COLUMNS),
    )  # fmt: skip
    numbers = pd.DataFrame(
        [
            ["L001", NUMBER, "deal_line", "2019-01-01T00:00:00Z", "2019-01-31T00:00:00Z", 0.97,
             XSS[0]],
            ["L001", "+447700900456", "runner", "2019-01-02T00:00:00Z", "2019-01-20T00:00:00Z",
             0.9, "called back 12 customers"],
            ["L002", "+447700900789", "deal_line", "2019-01-05T00:00:00Z",
             "2019-01-30T00:00:00Z", 0.8, "bursts"],
        ],
        columns=list(NUMBER_COLUMNS),
    )  # fmt: skip
    write_outputs(LineResult(lines, numbers, pd.DataFrame({"number": []}), 3), folder / "lines")
    people = folder / "people"
    people.mkdir(exist_ok=True)
    pd.DataFrame(
        [
            [
                1,
                "P0007",
                "under 18",
                "yes",
                "male",
                12,
                "high",
                f"runner +5; {XSS[0]}",
                "drug_use",
                f"runner {NUMBER} of L001; person P0007 found near base",
                "referral to MASH today",
            ]
        ],
        columns=[
            "rank",
            "person_id",
            "age_band",
            "child",
            "sex",
            "score",
            "priority",
            "reasons",
            "unknown",
            "evidence",
            "suggested_action",
        ],
    ).to_parquet(people / "safeguarding.parquet")
    pd.DataFrame(
        [[1, "A0001", "L001", "P0009", 9, 40, 120, XSS[1], "occupant P0009 vulnerable"]],
        columns=["rank", "address_id", "line_ids", "occupant_person_id", "score",
                 "runner_nights", "visitors", "vulnerability", "evidence"],
    ).to_parquet(people / "cuckooed_addresses.parquet")  # fmt: skip
    pd.DataFrame(
        [["L001", NUMBER, "P0007", "missing_episode", XSS[2], "2019-01-02T00:00:00Z",
          "2019-01-20T00:00:00Z", 4, 0.97, f"runner {NUMBER} away on 4 nights"]],
        columns=["line_id", "number", "person_id", "link", "link_evidence", "first_seen",
                 "last_seen", "nights_away", "line_score", "evidence"],
    ).to_parquet(people / "runners.parquet")  # fmt: skip
    places = folder / "places"
    places.mkdir(exist_ok=True)
    (places / "places_map.json").write_text(json.dumps(hostile_map_data()))
    _write_hostile_places(places)
    _write_hostile_violence(folder / "violence")
    _write_hostile_movement(folder / "movement")
    for name in ("report.html", "report-public.html", "report-public.pdf"):
        (folder / name).write_text(f"<p>{name}</p>")
    return folder


def _write_hostile_places(places: Path) -> None:
    """towns.csv, places.csv and place_factors.csv of two towns, with XSS probes."""
    import pandas as pd

    measures = f"{XSS[3]};station and British Transport Police presence"
    pd.DataFrame(
        [[XSS[0], 1, 5000.0, 0, None, 0.2, 0.41, "heightened risk", XSS[1], measures],
         ["Hereford", 2, 60000.0, 3, 2, 1.5, 0.93, "infiltrated", "near a station (x2.0)",
          "hot-spot patrols"]],
        columns=["town", "n_areas", "population", "n_lines", "infiltrated_months",
                 "expected_lines", "score", "class", "factors", "measures"],
    ).to_csv(places / "towns.csv", index=False)  # fmt: skip
    pd.DataFrame(
        [["a1", XSS[0], XSS[0], 5000.0, 0, 0.41, "heightened risk", XSS[1], measures],
         ["a2", "Hereford", "Hereford", 60000.0, 3, 0.93, "infiltrated", "near a station",
          "hot-spot patrols"]],
        columns=["area_id", "name", "town", "population", "n_lines", "score", "class",
                 "factors", "measures"],
    ).to_csv(places / "places.csv", index=False)  # fmt: skip
    pd.DataFrame(
        [["population", XSS[4], "residents", "higher: larger market", "log", 2, True, 2.3]],
        columns=["factor", "label", "units", "direction", "transform", "areas_known", "chosen",
                 "relative_risk"],
    ).to_csv(places / "place_factors.csv", index=False)  # fmt: skip


def _write_hostile_violence(violence: Path) -> None:
    """violence.parquet (two incidents on lines, one not) and rivalries.parquet, with XSS
    probes and a real-looking number in the evidence."""
    import pandas as pd

    from countylines.movement.rivalry import RIVALRY_COLUMNS
    from countylines.movement.violence import VIOLENCE_COLUMNS

    violence.mkdir(exist_ok=True)
    row = dict.fromkeys(VIOLENCE_COLUMNS)
    pd.DataFrame(
        [{**row, "incident_id": "I1", "time": "2019-01-03T22:00:00Z", "town": XSS[0],
          "weapon": "knife", "serious": True, "motive": "drugs", "line_id": "L001",
          "rival_line_id": "L002", "score": 0.9, "evidence": f"{XSS[1]} near {NUMBER}"},
         {**row, "incident_id": "I2", "time": "2019-02-03T22:00:00Z", "town": "Hereford",
          "weapon": "firearm", "serious": True, "motive": "rivalry", "line_id": "L002",
          "rival_line_id": "L001", "score": 0.8, "evidence": "shots"},
         {**row, "incident_id": "I3", "time": "2019-02-04T10:00:00Z", "town": "Ludlow",
          "weapon": "none", "serious": False, "motive": "unrelated", "line_id": None,
          "score": 0.0, "evidence": None}],
        columns=list(VIOLENCE_COLUMNS),
    ).to_parquet(violence / "violence.parquet")  # fmt: skip
    pd.DataFrame(
        [["L001", "L002", f"Hereford;{XSS[0]}", "Hereford", "2019-01-03T22:00:00Z",
          "2019-02-03T22:00:00Z", 2, "1;1", "1;1", 2, 0.0, True, "I1;I2"]],
        columns=list(RIVALRY_COLUMNS),
    ).to_parquet(violence / "rivalries.parquet")  # fmt: skip


def _write_hostile_movement(movement: Path) -> None:
    """journeys.parquet (two road journeys of L001, one rail of L002), line_travel.parquet and
    vehicles_of_interest.parquet, with XSS probes and a real registration mark and number."""
    import pandas as pd

    from countylines.movement.movement import JOURNEY_COLUMNS, LINE_TRAVEL_COLUMNS

    movement.mkdir(exist_ok=True)
    pd.DataFrame(
        [["L001", NUMBER, "road", VRM, 1, "Birmingham", "Hereford", "2019-01-03T09:00:00Z",
          "2019-01-03T11:00:00Z", "9 ANPR reads"],
         ["L001", NUMBER, "road", VRM, 3, "Hereford", "Birmingham", "2019-01-04T09:00:00Z",
          "2019-01-04T11:00:00Z", "8 ANPR reads"],
         ["L002", "+447700900789", "rail", None, None, XSS[0], "Ludlow", "2019-02-01T09:00:00Z",
          "2019-02-01T10:00:00Z", XSS[1]]],
        columns=list(JOURNEY_COLUMNS),
    ).to_parquet(movement / "journeys.parquet")  # fmt: skip
    pd.DataFrame(
        [["L001", 2, 0, VRM, "Birmingham>Hereford (1);Hereford>Birmingham (1)"],
         ["L002", 0, 1, None, XSS[2]]],
        columns=list(LINE_TRAVEL_COLUMNS),
    ).to_parquet(movement / "line_travel.parquet")  # fmt: skip
    pd.DataFrame(
        [[VRM, "L001", "hire", XSS[3], 4, 2, 2, 1.5, NUMBER, "Birmingham>Hereford",
          f"carried {NUMBER} twice"]],
        columns=["vrm", "line_id", "category", "operator", "n_trips", "n_hub_town_trips",
                 "n_co_travel_trips", "co_travel_weight", "runners", "routes", "evidence"],
    ).to_parquet(movement / "vehicles_of_interest.parquet")  # fmt: skip


def hostile_map_data() -> dict[str, Any]:
    """Map data (`countylines.maps.html.map_data`) of two square areas near Hereford, a hub and
    a link, with XSS probes in names, factors and measures."""
    import geopandas as gpd
    from shapely.geometry import LineString, Point, box

    from countylines.maps.html import map_data

    bng = "EPSG:27700"
    areas = gpd.GeoDataFrame(
        {"area_id": ["a1", "a2"], "name": [XSS[0], "Ledbury"],
         "class": ["infiltrated", "heightened risk"], "score": [0.9, 0.7],
         "factors": [XSS[1], "near a station"], "measures": [f"{XSS[3]};outreach", "BTP patrols"]},
        geometry=[box(350000, 239000, 352000, 241000), box(370000, 237000, 372000, 239000)],
        crs=bng,
    )  # fmt: skip
    hubs = gpd.GeoDataFrame({"name": ["Birmingham"]}, geometry=[Point(406900, 286900)], crs=bng)
    links = gpd.GeoDataFrame({"hub": ["Birmingham"], "town": [XSS[0]], "n_lines": [3]},
                             geometry=[LineString([(406900, 286900), (351000, 240000)])],
                             crs=bng)  # fmt: skip
    return map_data({"areas": areas, "hubs": hubs, "links": links})
