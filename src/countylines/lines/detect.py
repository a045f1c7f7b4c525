"""`find_lines`: from a loaded case to the line register and the numbers of each line.

Steps: candidates and behaviour features (`features`), the deal-line score (`model`), runners,
linking numbers into lines and successor numbers (`link`), holders, then each line's profile
(`profile`). The result is two plain tables with the documented columns of docs/lines.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from countylines.lines import features as fx
from countylines.lines.engine import DuckDBEngine, Engine, NoEvents
from countylines.lines.link import (
    LinkSettings,
    holders,
    link_numbers,
    relay_successors,
    runners,
    sets_of,
    successors,
)
from countylines.lines.model import DealLineModel
from countylines.lines.profile import (
    areas_frame,
    brand,
    cell_towns,
    generated_name,
    hub_of,
    market_towns,
)
from countylines.lines.spark import SparkEngine
from countylines.problems import CaseError

LINE_COLUMNS = (
    "line_id", "brand", "hub", "market_towns", "first_seen", "last_seen", "n_numbers",
    "n_customers", "deals_per_day", "revenue_per_day", "score", "evidence",
)  # fmt: skip
NUMBER_COLUMNS = ("line_id", "number", "role", "first_seen", "last_seen", "score", "evidence")


ENGINES = ("duckdb", "spark")
"""Engines the features can run on: DuckDB (default, built in) and Spark (`countylines[spark]`)."""


def open_engine(database: Path, kind: str = "duckdb") -> Engine:
    """An engine of `kind` (one of ENGINES) over the loaded case database `database`."""
    if kind == "duckdb":
        return DuckDBEngine(database)
    if kind == "spark":
        return SparkEngine.from_database(database)
    raise ValueError(f"unknown engine {kind!r}; engines: {', '.join(ENGINES)}")


@dataclass(frozen=True)
class LineSettings:
    """Everything `find_lines` can be told; the defaults are the documented ones."""

    threshold: float = 0.5
    """Deal-line score at or above which a number is reported as a deal line."""
    deal_price: float = 15.0
    """Pounds per deal, for the revenue estimate (NCA 2018: GBP 10-20 a deal)."""
    features: fx.FeatureSettings = field(default_factory=fx.FeatureSettings)
    link: LinkSettings = field(default_factory=LinkSettings)


@dataclass
class LineResult:
    """The line register, the numbers of each line, and every candidate's features and score."""

    lines: pd.DataFrame
    numbers: pd.DataFrame
    candidates: pd.DataFrame
    n_candidates: int


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(first: pd.Series | str, *rest: pd.Series | str) -> pd.Series:
    """Concatenate string columns and literal strings row by row (one of them a column)."""
    out = first
    for part in rest:
        out = out + part
    assert isinstance(out, pd.Series)
    return out


def _evidence(raw: pd.DataFrame, contributions: pd.DataFrame) -> list[str]:
    """For each number, the reasons for its deal-line score in words, strongest first (the
    features that add more than 0.25 to the log-odds)."""
    n = raw.astype(
        {
            c: "string"
            for c in (
                "n_relayed",
                "n_relay_targets",
                "n_served",
                "in_distinct",
                "n_bursts",
                "max_burst",
                "n_handsets",
            )
        }
    )
    rate = (raw["in_contact_days"] / raw["span_days"]).round(1).astype("string")
    night = (raw["night_in_share"] * 100).round().astype("Int64").astype("string")
    km = raw["contact_km"].fillna(0).round().astype("Int64").astype("string")
    facts = {
        "relays_per_day": _text(n["n_relayed"], " orders relayed to ", n["n_relay_targets"],
                                " numbers that called the customer back"),
        "served_share": _text(n["n_served"], " of ", n["in_distinct"],
                              " contacts served through a relay"),
        "bursts_per_day": _text(n["n_bursts"], " bulk-text bursts (largest ", n["max_burst"],
                                " texts)"),
        "contacts_per_day": _text(rate, " distinct inbound contacts a day"),
        "night_share": _text(night, "% of contacts between midnight and 6am"),
        "handset_changes": _text(n["n_handsets"], " handsets"),
        "unregistered_payg": pd.Series("unregistered pay-as-you-go", index=raw.index),
        "no_subscriber_record": pd.Series("no subscriber record", index=raw.index),
        "contact_km": _text("contacts a median ", km, " km away"),
    }  # fmt: skip
    names = list(contributions.columns)
    values = contributions.to_numpy()
    texts = [facts[name].to_numpy(object) for name in names]
    order = np.argsort(-values, axis=1, kind="stable")
    return [
        "; ".join(str(texts[j][i]) for j in order[i] if values[i, j] > 0.25)
        for i in range(len(raw))
    ]


def _score_numbers(
    engine: Engine, settings: LineSettings, model: DealLineModel
) -> tuple[pd.DataFrame, int]:
    n = fx.find_candidates(engine, settings.features)
    raw = fx.number_features(engine, settings.features)
    raw["score"] = model.predict_proba(raw)
    contributions = model.contributions(raw)
    raw["evidence"] = _evidence(raw, contributions)
    return raw, n


def _line_ids(groups: list[list[str]], first_seen: dict[str, float]) -> dict[str, str]:
    """L001, L002, ... in order of each line's first activity (then its first number)."""
    order = sorted(groups, key=lambda g: (min(first_seen[n] for n in g), g[0]))
    return {n: f"L{i + 1:03d}" for i, g in enumerate(order) for n in g}


def find_lines(
    database: Path,
    settings: LineSettings | None = None,
    model: DealLineModel | None = None,
    engine: str = "duckdb",
) -> LineResult:
    """Detect, link and profile the deal lines of the loaded case at `database`, computing the
    features with `engine` (one of ENGINES)."""
    s = settings or LineSettings()
    model = model or DealLineModel.load()
    backend = open_engine(database, engine)
    try:
        return _find_lines(backend, s, model)
    except NoEvents as exc:
        raise CaseError(f"{database}: {exc}") from None
    finally:
        backend.close()


def _find_lines(engine: Engine, s: LineSettings, model: DealLineModel) -> LineResult:
    raw, n_candidates = _score_numbers(engine, s, model)
    deal = raw[raw["score"] >= s.threshold]
    deal_set = set(deal["number"])
    relays = fx.relay_pairs(engine)
    run = runners(relays, deal_set, s.link)
    runner_set = set(run["y"])
    cust = fx.customers(engine, sorted(deal_set), s.features)
    cust = cust[~cust["c"].isin(deal_set | runner_set)]
    cust_of = sets_of(cust, "x", "c")
    imeis = fx.handsets(engine, sorted(deal_set))
    groups, reasons = link_numbers(
        sorted(deal_set), run, cust_of, sets_of(imeis, "x", "imei"), s.link
    )
    first_seen = dict(zip(raw["number"], raw["first_seen"], strict=True))
    line_of = _line_ids(groups, first_seen)
    line_customers: dict[str, set[str]] = {}
    for number, line_id in line_of.items():
        line_customers.setdefault(line_id, set()).update(cust_of.get(number, set()))

    # Numbers that re-texted a line's customers after a number change (too short-lived to score).
    rest = raw[(raw["score"] < s.threshold) & (raw["n_bursts"] > 0)]
    succ = successors(
        fx.burst_recipients(engine, sorted(rest["number"]), s.features), line_customers, s.link
    )
    for number, line_id, share in succ.itertuples(index=False):
        line_of[number] = line_id
        deal_set.add(number)
        raw.loc[raw["number"] == number, ["score", "evidence"]] = [
            share,
            f"bulk-texted {share:.0%} of its recipients from {line_id}'s customer list",
        ]
    run = runners(relays, deal_set, s.link)
    run = run.assign(line_id=run["x"].map(line_of))
    relayed = _relay_successors(engine, line_of, run, line_customers, s)
    line_of.update(zip(relayed["number"], relayed["line_id"], strict=True))
    deal_set.update(relayed["number"])

    numbers = _number_rows(raw, deal_set, line_of, run, relayed)
    active_days = {
        str(line): max(1, math.ceil((g["last_seen"].max() - g["first_seen"].min()) / fx.DAY_S))
        for line, g in numbers.groupby("line_id")
    }
    partners = fx.voice_partners(engine, sorted(deal_set))
    everyone = set().union(*line_customers.values()) if line_customers else set()
    held = holders(partners, line_of, active_days, deal_set | set(run["y"]) | everyone, s.link)
    hold_rows = held.merge(
        partners.assign(line_id=partners["x"].map(line_of))
        .groupby(["line_id", "y"], as_index=False)
        .agg(first_seen=("first_t", "min"), last_seen=("last_t", "max")),
        left_on=["line_id", "number"],
        right_on=["line_id", "y"],
    )
    numbers = pd.concat(
        [
            numbers,
            pd.DataFrame(
                {
                    "line_id": hold_rows["line_id"],
                    "number": hold_rows["number"],
                    "role": "holder",
                    "first_seen": hold_rows["first_seen"],
                    "last_seen": hold_rows["last_seen"],
                    "score": hold_rows["share"].clip(upper=1.0),
                    "evidence": [
                        f"voice contact with the line on {d} days" for d in hold_rows["days"]
                    ],
                }
            ),
        ],
        ignore_index=True,
    )
    lines = _profile(engine, numbers, line_customers, reasons, s)
    numbers = numbers.sort_values(["line_id", "role", "first_seen", "number"], ignore_index=True)
    numbers["first_seen"] = numbers["first_seen"].map(_iso)
    numbers["last_seen"] = numbers["last_seen"].map(_iso)
    return LineResult(lines, numbers[list(NUMBER_COLUMNS)], raw, n_candidates)


def _relay_successors(
    engine: Engine,
    line_of: dict[str, str],
    run: pd.DataFrame,
    line_customers: dict[str, set[str]],
    s: LineSettings,
) -> pd.DataFrame:
    """Numbers that took a line's orders and passed them to its runners after a number change,
    too short-lived to score (`link.relay_successors`), with the columns of a number row."""
    members = {**line_of, **dict(zip(run["y"], run["line_id"], strict=True))}
    triangles = fx.runner_triangles(engine, sorted(set(run["y"])), sorted(line_of), s.features)
    found = relay_successors(triangles, members, line_customers, s.link)
    spans = fx.relay_spans(engine, sorted(found["number"]))
    found = found.merge(spans.rename(columns={"x": "number"}), on="number")
    found["evidence"] = [
        f"relayed {n} orders to {line}'s runners; {share:.0%} of the callers served are its "
        "customers"
        for line, n, share in zip(found["line_id"], found["n"], found["share"], strict=True)
    ]
    return found.rename(columns={"share": "score", "first_t": "first_seen", "last_t": "last_seen"})


def _number_rows(
    raw: pd.DataFrame,
    deal_set: set[str],
    line_of: dict[str, str],
    run: pd.DataFrame,
    relayed: pd.DataFrame,
) -> pd.DataFrame:
    """Deal-number rows (candidates from `raw`, then the `relayed` successors) and runner rows."""
    columns = ["number", "first_seen", "last_seen", "score", "evidence"]
    deal = pd.concat(
        [raw.loc[raw["number"].isin(deal_set - set(relayed["number"])), columns],
         relayed[columns]],
        ignore_index=True,
    )  # fmt: skip
    deal_rows = pd.DataFrame(
        {
            "line_id": deal["number"].map(line_of),
            "number": deal["number"],
            "role": "deal_line",
            "first_seen": deal["first_seen"],
            "last_seen": deal["last_seen"],
            "score": deal["score"],
            "evidence": deal["evidence"],
        }
    )
    per = run.groupby(["line_id", "y"], as_index=False).agg(
        n=("n", "sum"), first_seen=("first_t", "min"), last_seen=("last_t", "max")
    )
    runner_rows = pd.DataFrame(
        {
            "line_id": per["line_id"],
            "number": per["y"],
            "role": "runner",
            "first_seen": per["first_seen"],
            "last_seen": per["last_seen"],
            "score": 1.0 - np.exp(-per["n"] / 5.0),
            "evidence": [
                f"called back {n} of the line's customers after a relay" for n in per["n"]
            ],
        }
    )
    return pd.concat([deal_rows, runner_rows], ignore_index=True)


def _profile(
    engine: Engine,
    numbers: pd.DataFrame,
    line_customers: dict[str, set[str]],
    reasons: dict[tuple[str, str], list[str]],
    s: LineSettings,
) -> pd.DataFrame:
    """One row per line with its brand, hub, towns, period, size, trade and evidence."""
    hubs = fx.table_frame(engine, "hubs", "name, lat, lon")
    intel = fx.table_frame(engine, "intel_lines", "number, upper(brand) AS brand")
    area_points = fx.area_towns(engine)
    areas = areas_frame(area_points)
    everyone = sorted(set().union(*line_customers.values())) if line_customers else []
    uses = fx.cell_uses(engine, everyone + sorted(numbers["number"]))
    town_of_cell = cell_towns(uses[["cell_id", "lat", "lon"]].drop_duplicates("cell_id"), areas)
    uses["in_area"] = uses["cell_id"].isin(town_of_cell.index)
    main_cell = uses.drop_duplicates("number").set_index("number")["cell_id"]
    uses_of = dict(tuple(uses[uses["number"].isin(numbers["number"])].groupby("number")))
    texts = fx.bulk_texts(engine, sorted(numbers.loc[numbers["role"] == "deal_line", "number"]))
    texts_at = texts.groupby("x").indices if len(texts) else {}
    deals = fx.deals(engine, numbers[["line_id", "number", "role"]])
    deals_of = deals.groupby("line_id")["deals"].sum().to_dict() if len(deals) else {}
    main_cell_of, town_of = main_cell.to_dict(), town_of_cell.to_dict()
    rows = []
    for line_id, g in numbers.groupby("line_id"):
        role, members = g["role"].to_numpy(), g["number"].to_numpy()
        deal = g[role == "deal_line"]
        first, last = float(deal["first_seen"].min()), float(deal["last_seen"].max())
        at = [texts_at[x] for x in deal["number"].unique() if x in texts_at]
        mine = texts.iloc[np.sort(np.concatenate(at))] if at else texts.iloc[:0]
        name = (
            brand(mine["text"], mine["n"])
            or _intel_brand(intel, g["number"])
            or generated_name(str(deal.sort_values(["first_seen", "number"])["number"].iloc[0]))
        )
        votes = (hub_of(uses_of[number], hubs, area_points)
                 for r in ("holder", "deal_line", "runner") for number in members[role == r]
                 if number in uses_of)  # fmt: skip
        hub = next((h for h in votes if h is not None), None)
        cust = sorted(line_customers.get(str(line_id), set()))
        cells = pd.Series([main_cell_of.get(c) for c in cust], dtype=object).dropna()
        towns = market_towns(cells.map(town_of).dropna())
        days = max(1.0, (last - first) / fx.DAY_S)
        per_day = float(deals_of.get(line_id, 0)) / days
        deal_numbers = set(deal["number"])
        linked = sorted({why for (a, b), whys in reasons.items() if a in deal_numbers
                         for why in whys if b in deal_numbers})  # fmt: skip
        best = deal.sort_values("score", ascending=False).iloc[0]
        evidence = [str(best["evidence"])]
        if linked:
            evidence.append(f"{len(deal)} deal numbers linked by " + ", ".join(linked))
        n_run = int((role == "runner").sum())
        if n_run:
            evidence.append(f"{n_run} runners")
        if (role == "holder").any():
            evidence.append("a holder phone" + (f" in {hub}" if hub else ""))
        rows.append(
            (
                line_id, name, hub or "", ";".join(towns), _iso(first), _iso(last), len(deal),
                len(cust), round(per_day, 1), round(per_day * s.deal_price),
                round(float(deal["score"].max()), 3), "; ".join(e for e in evidence if e),
            )
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(LINE_COLUMNS))


def _intel_brand(intel: pd.DataFrame, numbers: pd.Series) -> str | None:
    """The brand intelligence gives most often for any of `numbers` (None without one)."""
    known = intel.loc[intel["number"].isin(numbers), "brand"].dropna()
    return str(known.value_counts().index[0]) if len(known) else None
