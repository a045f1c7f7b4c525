"""Which lines worked which towns and areas in which month.

A line (a detected line of `countylines lines`, or a number known to intelligence, grouped by
brand) infiltrates a town in a month when the town holds at least `TOWN_MIN_CUSTOMERS` and
`TOWN_MIN_SHARE` of the customers in contact with its deal numbers that month (the market-town
rule of docs/lines.md, month by month); each customer is placed at their most used cell of the
month, by point-in-polygon in British National Grid (EPSG:27700). The areas it infiltrates are
the areas of such a town that hold at least one of those customers.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from countylines.lines.profile import TOWN_MIN_CUSTOMERS, TOWN_MIN_SHARE
from countylines.places.spatial import locate

COLUMNS = ("area_id", "town", "month", "line_id")


def members(line_numbers: pd.DataFrame, intel: pd.DataFrame) -> pd.DataFrame:
    """(line_id, number) of every deal number: the detected lines' (`line_numbers` with role
    `deal_line`), then intelligence numbers not among them as lines `INTEL <brand>` (or
    `INTEL <number>` without a brand)."""
    deal = line_numbers.loc[line_numbers["role"] == "deal_line", ["line_id", "number"]]
    extra = intel[~intel["number"].isin(deal["number"])]
    brand = extra["brand"].where(extra["brand"].fillna("").str.strip() != "", extra["number"])
    known = pd.DataFrame({"line_id": "INTEL " + brand.astype(str), "number": extra["number"]})
    return pd.concat([deal, known], ignore_index=True).drop_duplicates("number")


def infiltration(customers: pd.DataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """(area_id, town, month, line_id) rows from `customers` (line_id, month, customer, lat,
    lon), one per line infiltrating an area in a month."""
    if customers.empty:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in COLUMNS})
    placed = customers.assign(area_id=locate(customers["lat"], customers["lon"], areas))
    town_of = dict(zip(areas["area_id"], areas["town"], strict=True))
    placed = placed.dropna(subset=["area_id"]).assign(town=lambda f: f["area_id"].map(town_of))
    total = customers.groupby(["line_id", "month"])["customer"].nunique().rename("total")
    per_town = placed.groupby(["line_id", "month", "town"])["customer"].nunique().rename("n")
    towns = per_town.reset_index().join(total, on=["line_id", "month"])
    towns = towns[
        (towns["n"] >= TOWN_MIN_CUSTOMERS) & (towns["n"] >= TOWN_MIN_SHARE * towns["total"])
    ]
    rows = placed.merge(towns[["line_id", "month", "town"]], on=["line_id", "month", "town"])
    rows = rows[list(COLUMNS)].drop_duplicates()
    return rows.sort_values(list(COLUMNS), ignore_index=True)


def area_months(rows: pd.DataFrame) -> pd.DataFrame:
    """Per area: `n_lines` (distinct lines over the months) and `months` (`;`-separated)."""
    grouped = rows.groupby("area_id")
    return pd.DataFrame(
        {
            "n_lines": grouped["line_id"].nunique(),
            "months": grouped["month"].agg(lambda m: ";".join(sorted(set(m)))),
        }
    )
