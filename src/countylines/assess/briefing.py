"""The figures of the threat-assessment briefing, from the outputs of the analyses in OUT.

Two editions: `restricted` (for police and partners: the line register with brands, hubs and
towns; identifiers never appear in the briefing, only counts and line ids) and `public`
(aggregates only: no line ids or brands, and every count from 1 to 4 shown as "fewer than 5"
so that small groups cannot be singled out). Plain data in and out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from countylines.private_outputs import read_identifiers

EDITIONS = ("restricted", "public")
SUPPRESS_BELOW = 5
"""Counts from 1 to this minus 1 are suppressed in the public edition."""


def shown(count: int | float, edition: str) -> str:
    """A count as the edition may show it."""
    n = round(count)
    if edition == "public" and 0 < n < SUPPRESS_BELOW:
        return f"fewer than {SUPPRESS_BELOW}"
    return f"{n:,}"


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.is_file() else None


def _towns(lines: pd.DataFrame) -> pd.Series:
    towns = lines["market_towns"].fillna("").str.split(";").explode()
    return towns[towns != ""]


def lines_section(out: Path, edition: str) -> dict[str, Any] | None:
    """Line figures: counts, hubs, towns, deals and revenue, and (restricted) the register."""
    lines = _read(out / "lines" / "lines.parquet")
    numbers = _read(out / "lines" / "line_numbers.parquet")
    if lines is None or numbers is None:
        return None
    roles = numbers["role"].value_counts()
    hubs = lines["hub"].replace("", "unknown").fillna("unknown").value_counts()
    towns = _towns(lines).value_counts()
    section: dict[str, Any] = {
        "n_lines": shown(len(lines), edition),
        "n_deal_numbers": shown(roles.get("deal_line", 0), edition),
        "n_runners": shown(roles.get("runner", 0), edition),
        "hubs": [(h, shown(n, edition)) for h, n in hubs.items()],
        "towns": [(t, shown(n, edition)) for t, n in towns.items()],
        "n_towns": shown(len(towns), edition),
        "deals_per_day": f"{lines['deals_per_day'].sum():,.0f}",
        "revenue_per_day": f"{lines['revenue_per_day'].sum():,.0f}",
        "hub_counts": hubs.to_dict(),
        "deals_by_line": lines.set_index("line_id")["deals_per_day"].to_dict(),
    }
    if edition == "restricted":
        section["register"] = lines.drop(columns=["evidence"]).to_dict("records")
    return section


RISK_FACTORS = {
    "mental_health": "mental-health need",
    "drug_use": "drug use",
    "debt_bondage": "drug debt or debt bondage",
    "known_to_care": "known to social care",
}
"""Risk-factor columns of `persons` and how the briefing names them."""


def _listed_factors(database: Path, person_ids: list[str]) -> dict[str, int]:
    """How many of `person_ids` have each risk factor recorded as present, and a missing
    episode, from the loaded case."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        con.register("listed", pd.DataFrame({"person_id": person_ids}, dtype=object))
        sums = ", ".join(f"count(*) FILTER (WHERE p.{c})" for c in RISK_FACTORS)
        row = con.execute(
            f"SELECT {sums}, count(*) FILTER (WHERE p.missing_episodes > 0) "
            "FROM persons p SEMI JOIN listed l ON p.person_id = l.person_id"
        ).fetchone()
    finally:
        con.close()
    names = [*RISK_FACTORS.values(), "reported missing"]
    return dict(zip(names, [int(v) for v in row or [0] * len(names)], strict=True))


def people_section(out: Path, edition: str, key: bytes | None) -> dict[str, Any] | None:
    """Victims and exploitation: the safeguarding list by age and action, risk factors of the
    people on it, runners and cuckooed homes (counts only, in both editions)."""
    listed = _read(out / "people" / "safeguarding.parquet")
    if listed is None:
        return None
    runners = _read(out / "people" / "runners.parquet")
    homes = _read(out / "people" / "cuckooed_addresses.parquet")
    children = int((listed["child"].astype(str) == "yes").sum())
    database = out / "work" / "case.duckdb"
    factors = {}
    if database.is_file():
        ids = read_identifiers(database, listed[["person_id"]].astype(str), key)
        factors = _listed_factors(database, ids["person_id"].tolist())
    actions = listed["suggested_action"].value_counts()
    return {
        "n_listed": shown(len(listed), edition),
        "n_children": shown(children, edition),
        "n_adults": shown(len(listed) - children, edition),
        "factors": [(name, shown(n, edition)) for name, n in factors.items()],
        "actions": [(a, shown(n, edition)) for a, n in actions.items()],
        "n_runners": shown(0 if runners is None else len(runners), edition),
        "n_runners_linked": shown(
            0 if runners is None else int(runners["person_id"].notna().sum()), edition
        ),
        "n_homes": shown(0 if homes is None else len(homes), edition),
        "factor_counts": factors,
    }


def places_section(out: Path) -> dict[str, Any] | None:
    """Places: towns by class, the towns not yet infiltrated but at heightened risk with their
    factors and measures, the model's relative risks, and the static map (same in both
    editions: towns and classes are aggregates)."""
    folder = out / "places"
    if not (folder / "towns.csv").is_file():
        return None
    towns = pd.read_csv(folder / "towns.csv")
    factors = pd.read_csv(folder / "place_factors.csv")
    at_risk = towns[towns["class"] == "heightened risk"].sort_values("score", ascending=False)
    counts = towns["class"].value_counts()
    chosen = factors[factors["chosen"]].sort_values("relative_risk", ascending=False)
    png = folder / "places_map.png"
    return {
        "counts": {
            c: int(counts.get(c, 0))
            for c in ("infiltrated", "heightened risk", "elevated", "lower")
        },
        "infiltrated": sorted(towns.loc[towns["class"] == "infiltrated", "town"].astype(str)),
        "at_risk": at_risk[["town", "factors", "measures"]].fillna("").to_dict("records"),
        "factors": [(r.label, f"{r.relative_risk:.2f}", r.direction) for r in chosen.itertuples()],
        "map_png": png.read_bytes() if png.is_file() else None,
    }


def violence_section(out: Path, edition: str) -> dict[str, Any] | None:
    """Violence and weapons: incidents by weapon, motive and town, those attributed to lines,
    serious weapons by month, and rivalries (counts; no person or line in the public edition)."""
    incidents = _read(out / "violence" / "violence.parquet")
    if incidents is None:
        return None
    rivalries = _read(out / "violence" / "rivalries.parquet")
    on_lines = incidents[incidents["line_id"].fillna("") != ""]
    month = pd.to_datetime(on_lines["time"], utc=True).dt.strftime("%Y-%m")
    weapons = on_lines["weapon"].value_counts()
    return {
        "n_incidents": shown(len(incidents), edition),
        "n_on_lines": shown(len(on_lines), edition),
        "weapons": [(w, shown(n, edition)) for w, n in weapons.items()],
        "motives": [(m, shown(n, edition)) for m, n in on_lines["motive"].value_counts().items()],
        "towns": [
            (t, shown(n, edition)) for t, n in on_lines["town"].value_counts().head(10).items()
        ],
        "by_month": [(m, shown(n, edition)) for m, n in month.value_counts().sort_index().items()],
        "n_rivalries": shown(0 if rivalries is None else len(rivalries), edition),
        "n_escalating": shown(
            0 if rivalries is None else int(rivalries["escalating"].astype(bool).sum()), edition
        ),
        "weapon_counts": weapons.to_dict(),
    }


def movement_section(out: Path, edition: str) -> dict[str, Any] | None:
    """Transport: vehicles of interest by category, journeys by mode, routes used."""
    vehicles = _read(out / "movement" / "vehicles_of_interest.parquet")
    journeys = _read(out / "movement" / "journeys.parquet")
    if vehicles is None or journeys is None:
        return None
    return {
        "n_vehicles": shown(len(vehicles), edition),
        "categories": [
            (c, shown(n, edition))
            for c, n in vehicles["category"]
            .fillna("")
            .replace("", "unknown")
            .value_counts()
            .items()
        ],
        "modes": [(m, shown(n, edition)) for m, n in journeys["mode"].value_counts().items()],
        "routes": [
            (r, shown(n, edition))
            for r, n in (
                journeys["from_place"].astype(str) + " to " + journeys["to_place"].astype(str)
            )
            .value_counts()
            .head(8)
            .items()
        ],
    }


def build(
    out: Path, edition: str, title: str, period: str, key: bytes | None = None
) -> dict[str, Any]:
    """Every figure of the briefing for `edition`, from the analyses' folders in `out` (`key`:
    the pseudonymisation key of its outputs, to count the listed persons' risk factors)."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}; editions: {', '.join(EDITIONS)}")
    return {
        "title": title,
        "period": period,
        "edition": edition,
        "lines": lines_section(out, edition),
        "people": people_section(out, edition, key),
        "places": places_section(out),
        "violence": violence_section(out, edition),
        "movement": movement_section(out, edition),
    }
