"""Linking deal numbers into lines, and attaching each line's runners and holder.

Plain pandas in and out, no database: the inputs are the relay pairs, the customer sets, the
handsets and the voice partners of the numbers scored as deal lines (`features.py`). Two deal
numbers belong to the same line when they share a runner, a handset, or most of their customers
(a new number re-texts the old customer list; a second phone of the same line texts the same
list); lines are the connected components of that graph (a union-find: networkx costs
more to import than the linking takes).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LinkSettings:
    """Thresholds for linking numbers and attaching runners and holders."""

    runner_min_relays: int = 3
    """Relayed orders (order, relay, callback) that make a number a line's runner."""
    customer_jaccard: float = 0.5
    """Shared customers over all customers of the two (Jaccard) that link two deal numbers. Not
    the overlap with the smaller list: a large line that took over part of a small line's
    customers in the same town would swallow it."""
    holder_min_day_share: float = 0.25
    """A holder is in voice contact with the line on at least this share of its active days."""
    successor_overlap: float = 0.6
    """Share of a bulk texter's recipients who are a line's customers that makes it a new
    number of that line (the re-text after a number change)."""
    successor_min_recipients: int = 10
    relay_successor_min_triangles: int = 2
    """Callback triangles through a line's runners that make a number a new number of that
    line (one too short-lived to score: a few hours of orders after a number change)."""
    relay_successor_min_customers: int = 2
    """Distinct customers of the line served through those triangles."""


def sets_of(frame: pd.DataFrame, key: str, value: str) -> dict[str, set[str]]:
    """{key: set of values} from two columns of `frame`, in one pass over the rows (a pandas
    group per key costs more); rows with a missing key are left out."""
    sets: dict[str, set[str]] = {}
    for k, v in zip(frame[key].tolist(), frame[value].tolist(), strict=True):
        if isinstance(k, str):
            sets.setdefault(k, set()).add(v)
    return sets


def outside(values: pd.Series, *excluded: Container[str]) -> np.ndarray:
    """Whether each of `values` is in none of `excluded`: one lookup per value, where `isin`
    would first convert every member of `excluded` (on arrow strings, a Python loop over the
    lines' customers: most of the linking's time at full scale)."""
    return np.fromiter(
        (not any(v in e for e in excluded) for v in values.tolist()), bool, len(values)
    )


def runners(relays: pd.DataFrame, deal_numbers: set[str], s: LinkSettings) -> pd.DataFrame:
    """(x, y, n, n_customers): relay targets y of deal numbers x with enough callbacks."""
    ok = relays["x"].isin(deal_numbers) & ~relays["y"].isin(deal_numbers)
    return relays[ok & (relays["n"] >= s.runner_min_relays)]


def _jaccard(a: set[str], b: set[str], least: float) -> float:
    """Jaccard index of `a` and `b`, or 0 when it is certainly under `least` (the smaller set
    over the larger bounds it, and costs no set operation)."""
    small, large = sorted((len(a), len(b)))
    if large and small / large < least:
        return 0.0
    shared = len(a & b)
    return shared / max(1, small + large - shared)


def link_numbers(
    deal_numbers: list[str],
    runner_pairs: pd.DataFrame,
    customers: dict[str, set[str]],
    handsets: dict[str, set[str]],
    s: LinkSettings,
) -> tuple[list[list[str]], dict[tuple[str, str], list[str]]]:
    """Group deal numbers into lines; returns the groups (each sorted, groups ordered by their
    first number) and, per linked pair, the reasons."""
    reasons: dict[tuple[str, str], list[str]] = {}

    def link(a: str, b: str, why: str) -> None:
        reasons.setdefault((min(a, b), max(a, b)), []).append(why)

    for _, group in runner_pairs.groupby("y"):
        for a, b in combinations(sorted(set(group["x"])), 2):
            link(a, b, "shared runner")
    by_handset: dict[str, list[str]] = {}
    for number, imeis in handsets.items():
        for imei in imeis:
            by_handset.setdefault(imei, []).append(number)
    for numbers in by_handset.values():
        for a, b in combinations(sorted(set(numbers)), 2):
            link(a, b, "shared handset")
    for a, b in combinations(deal_numbers, 2):
        share = _jaccard(customers.get(a, set()), customers.get(b, set()), s.customer_jaccard)
        if share >= s.customer_jaccard:
            link(a, b, f"{share:.0%} shared customers")
    return components(deal_numbers, reasons), reasons


def components(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components of the graph of `nodes` and `edges` (an edge's ends are nodes too):
    each sorted, ordered by their first node."""
    parent: dict[str, str] = {}

    def root(n: str) -> str:
        parent.setdefault(n, n)
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for n in nodes:
        root(n)
    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for n in list(parent):
        groups.setdefault(root(n), []).append(n)
    return sorted(sorted(g) for g in groups.values())


def successors(
    recipients: pd.DataFrame, line_customers: dict[str, set[str]], s: LinkSettings
) -> pd.DataFrame:
    """(number, line_id, share): bulk texters whose recipients (x, c) are mostly one line's
    customers."""
    rows = []
    recipients_of = sets_of(recipients, "x", "c")
    for number in sorted(recipients_of):
        sent = recipients_of[number]
        if len(sent) < s.successor_min_recipients:
            continue
        best = max(
            ((len(sent & cust) / len(sent), line) for line, cust in line_customers.items()),
            default=(0.0, ""),
        )
        if best[0] >= s.successor_overlap:
            rows.append((number, best[1], best[0]))
    return pd.DataFrame(rows, columns=["number", "line_id", "share"])


def relay_successors(
    triangles: pd.DataFrame,
    line_of: dict[str, str],
    line_customers: dict[str, set[str]],
    s: LinkSettings,
) -> pd.DataFrame:
    """(number, line_id, share, n): numbers that took a line's orders and passed them to its
    runners, though too short-lived to score: at least `relay_successor_min_triangles` callback
    triangles (x, y, c, n: `features.runner_triangles`) through the line's runners, serving at
    least `relay_successor_min_customers` distinct callers of whom at least `successor_overlap`
    are the line's customers. `line_of` maps every number of a line (deal numbers and runners)
    to it; a number of a line, or a customer of any line, is never one."""
    everyone = set().union(*line_customers.values()) if line_customers else set()
    tri = triangles.assign(line_id=triangles["y"].map(line_of)).dropna(subset=["line_id"])
    tri = tri[outside(tri["x"], line_of, everyone)]
    rows = []
    for (x, line_id), g in tri.groupby(["x", "line_id"]):
        served = set(g["c"])
        theirs = len(served & line_customers.get(str(line_id), set()))
        share = theirs / len(served)
        if (
            int(g["n"].sum()) >= s.relay_successor_min_triangles
            and theirs >= s.relay_successor_min_customers
            and share >= s.successor_overlap
        ):
            rows.append((x, line_id, share, int(g["n"].sum())))
    found = pd.DataFrame(rows, columns=["number", "line_id", "share", "n"])
    # a number that passed orders to two lines' runners joins the one it relayed most to
    found = found.sort_values(["number", "n", "line_id"], ascending=[True, False, True])
    return found.drop_duplicates("number", ignore_index=True)


def holders(
    partners: pd.DataFrame,
    line_of: dict[str, str],
    active_days: dict[str, int],
    excluded: set[str],
    s: LinkSettings,
) -> pd.DataFrame:
    """(line_id, number, days, share): for each line, the voice partner of its deal numbers on the
    most days, if that is at least `holder_min_day_share` of the line's active days.
    `excluded` are numbers that cannot be a holder (deal numbers, runners, customers)."""
    calls = partners[outside(partners["y"], excluded)].copy()
    calls["line_id"] = calls["x"].map(line_of)
    per = calls.groupby(["line_id", "y"], as_index=False).agg(days=("days", "sum"))
    per["share"] = per["days"] / per["line_id"].map(active_days).clip(lower=1)
    best = per.sort_values(["line_id", "days", "y"], ascending=[True, False, True])
    best = best.groupby("line_id").head(1)
    best = best[best["share"] >= s.holder_min_day_share]
    return best.rename(columns={"y": "number"})[["line_id", "number", "days", "share"]]
