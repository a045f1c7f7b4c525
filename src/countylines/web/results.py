"""The results the dashboard shows: the output folder of the analyses, read once and kept.

Plain pandas frames in, plain dicts out (JSON-ready). Phone numbers are replaced by their
pseudonyms (`PH-…`, keyed HMAC, see `countylines.pseudonym`) before anything leaves this
module, so no page or API response of the dashboard carries a real number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from pydantic import BaseModel, Field

from countylines.audit import MAX_REASON, MIN_REASON
from countylines.lines.detect import LINE_COLUMNS, NUMBER_COLUMNS
from countylines.maps.html import script_json
from countylines.private_outputs import OutputPseudonymiser
from countylines.pseudonym import TOKEN_RE, IdType, case_values, parse_token, pseudonym
from countylines.web.analyses import read_movement, read_places, read_violence


class Summary(BaseModel):
    """Headline figures of the overview."""

    lines: int
    hubs: list[str]
    market_towns: list[str]
    deal_numbers: int
    runners: int
    deals_per_day: float


class Line(BaseModel):
    """One row of the line register (docs/lines.md describes each field)."""

    line_id: str
    brand: str
    hub: str | None
    market_towns: str | None
    first_seen: str
    last_seen: str
    n_numbers: int
    n_customers: int
    deals_per_day: float
    revenue_per_day: float
    score: float
    evidence: str | None


class LineNumber(BaseModel):
    """A number of a line, pseudonymised (`PH-…`)."""

    number: str
    role: str
    first_seen: str
    last_seen: str
    score: float
    evidence: str | None


class Revealed(BaseModel):
    """A pseudonym and the real identifier behind it (null when the results do not hold it)."""

    pseudonym: str
    value: str | None


class RevealRequest(BaseModel):
    """What an API client sends to reveal an identifier: the pseudonym and why (at least
    MIN_REASON characters that are not spaces; kept in the audit log)."""

    pseudonym: str = Field(max_length=100)
    reason: str = Field(max_length=MAX_REASON, pattern=rf"^\s*(\S\s*){{{MIN_REASON},}}$")


class LineDetail(Line):
    """A line with its numbers."""

    numbers: list[LineNumber]


SAFEGUARDING_SHOWN = ("rank", "person_id", "age_band", "child", "sex", "score", "priority",
                      "reasons", "unknown", "evidence", "suggested_action")  # fmt: skip
HOMES_SHOWN = ("rank", "address_id", "line_ids", "occupant_person_id", "score", "runner_nights",
               "visitors", "vulnerability", "evidence")  # fmt: skip
RUNNERS_SHOWN = ("line_id", "number", "person_id", "link", "link_evidence", "first_seen",
                 "last_seen", "nights_away", "line_score", "evidence")  # fmt: skip


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame({c: [] for c in columns})
    frame = pd.read_parquet(path)
    return frame[list(columns)]


class Person(BaseModel):
    """A person on the safeguarding list, under a pseudonym (docs/people.md, safeguarding.csv)."""

    rank: int
    person: str
    age_band: str | None
    child: str | None
    sex: str | None
    score: float
    priority: str | None
    reasons: str | None
    unknown: str | None
    evidence: str | None
    suggested_action: str | None


class Home(BaseModel):
    """A suspected cuckooed home (docs/people.md, cuckooed_addresses.csv); occupant under a
    pseudonym."""

    rank: int
    address_id: str
    line_ids: str | None
    occupant: str | None
    score: float
    runner_nights: int | None
    visitors: int | None
    vulnerability: str | None
    evidence: str | None


class RunnerNumber(BaseModel):
    """A line's runner number (pseudonymised) linked to a person, and how (docs/people.md,
    runners.csv)."""

    line_id: str
    number: str
    link: str | None
    link_evidence: str | None
    first_seen: str | None
    last_seen: str | None
    nights_away: int | None
    line_score: float | None
    evidence: str | None


class PersonDetail(Person):
    """A person for safeguarding: the safeguarding row, the runner numbers linked to them and
    the homes where they are the occupant, all under pseudonyms."""

    runner_numbers: list[RunnerNumber]
    homes: list[Home]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NaN as None)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [dict(zip(clean.columns, row, strict=True)) for row in clean.itertuples(index=False)]


@dataclass
class Results:
    """An output folder of `countylines assess` (its `lines/` folder) or of `countylines lines`."""

    folder: Path
    key: bytes
    lines: pd.DataFrame = field(init=False)
    numbers: pd.DataFrame = field(init=False)
    safeguarding: pd.DataFrame = field(init=False)
    homes: pd.DataFrame = field(init=False)
    runners: pd.DataFrame = field(init=False)
    real: dict[str, str] = field(init=False, repr=False)
    """Pseudonym -> real number or person id, for revealing (never sent unless a reveal is
    allowed)."""
    _cache: dict[str, Any] = field(init=False, repr=False, default_factory=dict)
    _hide: OutputPseudonymiser = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lines_dir = self.folder / "lines" if (self.folder / "lines").is_dir() else self.folder
        self.lines = _read(lines_dir / "lines.parquet", LINE_COLUMNS)
        numbers = _read(lines_dir / "line_numbers.parquet", NUMBER_COLUMNS)
        people = self.folder / "people"
        listed = _read(people / "safeguarding.parquet", SAFEGUARDING_SHOWN)
        homes = _read(people / "cuckooed_addresses.parquet", HOMES_SHOWN)
        runners = _read(people / "runners.parquet", RUNNERS_SHOWN)
        persons = {*listed["person_id"].dropna().astype(str),
                   *homes["occupant_person_id"].dropna().astype(str),
                   *runners["person_id"].dropna().astype(str)}  # fmt: skip
        hide = OutputPseudonymiser(self.key, dict.fromkeys(persons, IdType.PERSON))
        # Outputs of older versions hold real values: keep them to reveal.
        raw = [(str(n), IdType.PHONE) for n in numbers["number"]]
        raw += [(p, IdType.PERSON) for p in persons]
        self.real = {hide.value(v, t): v for v, t in raw if not TOKEN_RE.fullmatch(v)}
        self.numbers = hide.frame(numbers)
        self.safeguarding = hide.frame(listed).rename(columns={"person_id": "person"})
        self.homes = hide.frame(homes).rename(columns={"occupant_person_id": "occupant"})
        self.runners = hide.frame(runners).rename(columns={"person_id": "person"})
        self._hide = hide

    def reveal(self, token: str) -> str | None:
        """The real value behind `token`: from the outputs when they hold it, else from the
        loaded case beside them (`work/case.duckdb` or `case.duckdb`); None if neither does."""
        token = token.strip()
        if token in self.real:
            return self.real[token]
        try:
            id_type = parse_token(token)
        except ValueError:
            return None
        for database in (self.folder / "work" / "case.duckdb", self.folder / "case.duckdb"):
            if database.is_file():
                con = duckdb.connect(str(database), read_only=True)
                try:
                    values = case_values(con, id_type)
                finally:
                    con.close()
                found = [v for v in values if pseudonym(v, id_type, self.key) == token]
                return found[0] if found else None
        return None

    def map_json(self) -> str | None:
        """The places map's data (`places/places_map.json`: layers as GeoJSON in WGS84, colours
        and legend, as `countylines.maps` draws them), re-encoded so that it is safe inside a
        `<script type="application/json">` element; None without a places analysis."""
        path = self.folder / "places" / "places_map.json"
        if not path.is_file():
            return None
        return script_json(json.loads(path.read_text(encoding="utf-8")))

    def people(self) -> list[dict[str, Any]]:
        """The safeguarding list, persons and numbers pseudonymised."""
        return _records(self.safeguarding)

    def cuckooed(self) -> list[dict[str, Any]]:
        """The suspected cuckooed homes, occupants and numbers pseudonymised."""
        return _records(self.homes)

    def summary(self) -> dict[str, Any]:
        """Headline counts: lines, hubs, market towns, deal numbers, runners, deals a day
        (worked out once: the results do not change while they are served)."""
        if "summary" not in self._cache:
            self._cache["summary"] = self._summary()
        return dict(self._cache["summary"])

    def _summary(self) -> dict[str, Any]:
        towns = {t for ts in self.lines["market_towns"].dropna() for t in str(ts).split(";") if t}
        roles = self.numbers["role"].value_counts()
        return {
            "lines": len(self.lines),
            "hubs": sorted({str(h) for h in self.lines["hub"].dropna() if h}),
            "market_towns": sorted(towns),
            "deal_numbers": int(roles.get("deal_line", 0)),
            "runners": int(roles.get("runner", 0)),
            "deals_per_day": round(float(self.lines["deals_per_day"].sum()), 1),
        }

    def line_register(self) -> list[dict[str, Any]]:
        """Every line as a dict (worked out once)."""
        if "register" not in self._cache:
            self._cache["register"] = _records(self.lines)
        return [dict(row) for row in self._cache["register"]]

    def line(self, line_id: str) -> dict[str, Any] | None:
        """One line and its (pseudonymised) numbers; None if there is no such line."""
        row = self.lines[self.lines["line_id"] == line_id]
        if row.empty:
            return None
        numbers = self.numbers[self.numbers["line_id"] == line_id]
        return {**_records(row)[0], "numbers": _records(numbers.drop(columns=["line_id"]))}

    def person(self, token: str) -> dict[str, Any] | None:
        """The safeguarding row of the person `token` (a `PE-…` pseudonym), the runner numbers
        linked to them and the homes they occupy; None if they are not on the list."""
        row = self.safeguarding[self.safeguarding["person"] == token]
        if row.empty:
            return None
        runners = self.runners[self.runners["person"] == token].drop(columns=["person"])
        homes = self.homes[self.homes["occupant"] == token]
        return {**_records(row)[0], "runner_numbers": _records(runners),
                "homes": _records(homes)}  # fmt: skip

    def places(self) -> dict[str, Any]:
        """The places page's towns, areas and factors (read once)."""
        if "places" not in self._cache:
            self._cache["places"] = read_places(self.folder)
        return dict(self._cache["places"])

    def violence(self) -> dict[str, Any]:
        """The violence page's counts, rivalries and attributed incidents (read once)."""
        if "violence" not in self._cache:
            self._cache["violence"] = read_violence(self.folder, self._hide.frame)
        return dict(self._cache["violence"])

    def movement(self) -> dict[str, Any]:
        """The movement page's journeys, line travel and vehicles of interest (read once)."""
        if "movement" not in self._cache:
            self._cache["movement"] = read_movement(self.folder, self._hide.frame)
        return dict(self._cache["movement"])
