"""Travel of the lines: vehicle trips from ANPR, co-travel with runner phones, rail journeys.

Plain data in and out; all distances in British National Grid metres (EPSG:27700).

* **Places.** A point (camera, cell) is in the town whose area contains it; else in the nearest
  hub when that is within `HUB_M` and nearer than every town centre (cities are large); else in
  the nearest town whose centre is within `PLACE_M` (cameras at a town's edge); else nowhere.
* **Trips.** A vehicle's reads split wherever two reads are more than `TRIP_GAP_S` apart, and
  where a drive turns back (the read furthest from the start, when the drive ends less than half
  as far from its start); each part is a trip from its first camera's place to its last's.
* **Co-travel.** A trip carries a runner phone when the phone itself moved from place A to
  place B around then (consecutive sightings in A, then B), the trip runs from A to B, the phone
  is in A between `BEFORE_S` before the first read and the middle of the trip, in B between the
  middle and `BEFORE_S` after the last read, nowhere else during the trip, and not at B before
  it. A trip runs from A to B when its own first and last cameras stand there (`exact`) or when
  its first and last reads lie along the way from A's centre to B's (a car's first and last
  cameras can stand in a neighbouring town or a hub on the road): within `ROUTE_OFF_M` (or
  `ROUTE_OFF_SHARE` of the distance) of the straight line, heading for B for at least
  `MIN_PROGRESS` of the way, starting at most `OVERSHOOT` of the way before A and ending at most
  that beyond B.
* **Vehicles of interest.** Only co-travel on hub-town moves counts (a line's car drives
  between its hub and its market towns). Each runner-phone move is one piece of evidence, shared
  among all the vehicles it coincides with (on a busy road one move matches many cars: each gets
  1/k). At least `MIN_HUB_TOWN_SHARE` of a vehicle's trips must be hub-town trips (a line's car
  drives for the line), and then either rule makes it a vehicle of interest. **Any car**: its
  own first and last cameras place it carrying a line's runners on at least `MIN_CO_TRAVEL`
  hub-town trips, with shared evidence (among the cars whose own cameras match the move) of at
  least `MIN_CO_TRAVEL_WEIGHT` moves, on at least `MIN_CO_TRAVEL_SHARE` of all its trips (with
  tens of thousands of cars on the roads, a private car shares a road with a runner once by
  chance). **A registered hire car, taxi or private-hire car** (in `vehicles`: the kind lines
  use): a single trip between its line's hub and one of the line's market towns is enough when
  its shared evidence is at least `MIN_FLEET_WEIGHT_SHARE` moves per trip it made (a car hired
  for the line drives little else; a legitimate taxi or hire car on the same roads all month
  carries a runner by chance now and then, among many other fares), or when at least
  `MIN_FLEET_TRIP_SHARE` of all its trips carried its line's runners on the line's route,
  however many other cars matched them (on the busiest roads of a full-scale case hundreds of
  cars share each move, and the shared evidence of a hire car driving only for the line falls
  under any bar; a legitimate taxi on the same roads carries a line's runner on a few of its
  many fares). Its line is the one it carried most.
* **Road journeys.** One per runner-phone move that one of its line's vehicles of interest
  matched (`road_journeys`): the line's runners travel in the line's cars, and a move that
  only other cars matched is a car keeping pace with the phone by chance.
* **Rail journeys.** A runner phone seen on a run of railway cells (cells beside a rail link,
  in any place) between a sighting in one place and a sighting in another, passing a third place
  or more than one cell (`rail_journeys`). A road journey overlapping a train of the same phone
  is left out, unless one of the line's own vehicles of interest carried it
  (`without_overlaps`); two journeys meeting at a hub within `HUB_STOP_S` are one
  (`through_hubs`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRIP_GAP_S = 75 * 60
PLACE_M = 15_000.0
HUB_M = 60_000.0
BEFORE_S = 3 * 3600
MIN_CO_TRAVEL = 2
MIN_CO_TRAVEL_SHARE = 0.15
MIN_CO_TRAVEL_WEIGHT = 1.0
MIN_HUB_TOWN_SHARE = 0.5
MIN_FLEET_WEIGHT_SHARE = 0.04
MIN_FLEET_TRIP_SHARE = 0.25
CORRIDOR_M = 300.0
CORRIDOR_SHARE = 0.01
STATION_M = 500.0
RAIL_GAP_S = 3 * 3600
RAIL_MIN_CELLS = 2
RAIL_END_S = 12 * 3600
HUB_STOP_S = 90 * 60
ROUTE_OFF_M = 10_000.0
ROUTE_OFF_SHARE = 0.3
MIN_PROGRESS = 0.25
OVERSHOOT = 0.3


def distances(x: np.ndarray, y: np.ndarray, places: pd.DataFrame) -> np.ndarray:
    """Metres from each point to each place (`places`: x, y), points by places."""
    return np.hypot(
        np.asarray(x, float)[:, None] - places["x"].to_numpy(float)[None, :],
        np.asarray(y, float)[:, None] - places["y"].to_numpy(float)[None, :],
    )


def nearest_place(x: np.ndarray, y: np.ndarray, places: pd.DataFrame, radius: float) -> np.ndarray:
    """Name of the nearest place (`places`: name, x, y) within `radius` metres, else ""."""
    out = np.full(len(x), "", dtype=object)
    if len(places) == 0 or len(x) == 0:
        return out
    d = distances(x, y, places)
    best = d.argmin(axis=1)
    near = d[np.arange(len(out)), best] <= radius
    out[near] = places["name"].to_numpy(dtype=object)[best[near]]
    return out


def place_names(
    x: np.ndarray, y: np.ndarray, in_town: np.ndarray, hubs: pd.DataFrame, towns: pd.DataFrame
) -> np.ndarray:
    """The place of each point: `in_town` (the area containing it, "" if none), else a hub, else
    a town near its centre (see the module's rules). `hubs`, `towns`: name, x, y."""
    out = np.asarray(in_town, dtype=object).copy()
    free = out == ""
    if len(hubs) and free.any():
        fx, fy = x[free], y[free]
        hub = nearest_place(fx, fy, hubs, HUB_M)
        dh = distances(fx, fy, hubs).min(axis=1)
        dt = distances(fx, fy, towns).min(axis=1) if len(towns) else np.full(len(fx), np.inf)
        out[np.flatnonzero(free)] = np.where(dh < dt, hub, "")
    free = out == ""
    if len(towns) and free.any():
        out[np.flatnonzero(free)] = nearest_place(x[free], y[free], towns, PLACE_M)
    return out


def station_pairs(stations: pd.DataFrame) -> pd.DataFrame:
    """Every pair of stations (`stations`: x, y) as x0, y0, x1, y1: the rail links to assume
    when the case has no `rail_links` table."""
    i, j = np.triu_indices(len(stations), k=1)
    x, y = stations["x"].to_numpy(float), stations["y"].to_numpy(float)
    return pd.DataFrame({"x0": x[i], "y0": y[i], "x1": x[j], "y1": y[j]})


def corridor_cells(cells: pd.DataFrame, links: pd.DataFrame) -> np.ndarray:
    """Whether each cell (`cells`: x, y) lies on a railway: within `CORRIDOR_M` of the straight
    line of a rail link (`links`: x0, y0, x1, y1 of its two stations, metres) and more than
    `STATION_M` from both of its stations. Towns' and cities' own cells stand near their
    railways too: `rail_journeys` tells a train from a phone at home."""
    out = np.zeros(len(cells), dtype=bool)
    if len(links) == 0 or len(cells) == 0:
        return out
    px, py = cells["x"].to_numpy(float), cells["y"].to_numpy(float)
    for x0, y0, x1, y1 in links[["x0", "y0", "x1", "y1"]].to_numpy(float):
        dx, dy = x1 - x0, y1 - y0
        length = float(np.hypot(dx, dy))
        if length <= 2 * STATION_M:
            continue
        along = ((px - x0) * dx + (py - y0) * dy) / length
        off = np.abs((px - x0) * dy - (py - y0) * dx) / length
        near = off <= max(CORRIDOR_M, CORRIDOR_SHARE * length)
        out |= near & (along > STATION_M) & (along < length - STATION_M)
    return out


def _turns(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[int]:
    """Indices where a drive (reads in time order) turns back: split recursively at the read
    furthest from the start while the drive ends less than half as far from its start."""
    if len(t) < 3:
        return []
    d = np.hypot(x - x[0], y - y[0])
    far = int(d.argmax())
    if far in (0, len(t) - 1) or d[-1] >= 0.5 * d[far]:
        return []
    return [far + 1] + [far + 1 + k for k in _turns(t[far + 1 :], x[far + 1 :], y[far + 1 :])]


def vehicle_trips(reads: pd.DataFrame) -> pd.DataFrame:
    """One row per trip: vrm, trip, t0, t1, x0, y0, x1, y1 (first and last read, metres),
    from_place, to_place, from_hub, to_hub, n_reads.
    `reads`: vrm, t, x, y, place, hub (bool) sorted by vrm and t."""
    new_vehicle = reads["vrm"].ne(reads["vrm"].shift())
    gap = reads["t"].diff().fillna(np.inf) > TRIP_GAP_S
    part = (new_vehicle | gap).cumsum().to_numpy()
    t, x, y = (reads[c].to_numpy(float) for c in ("t", "x", "y"))
    starts = np.flatnonzero(np.r_[True, part[1:] != part[:-1]])
    ends = np.r_[starts[1:], len(part)]
    cut = np.zeros(len(part), dtype=bool)
    cut[starts] = True
    for a, b in zip(starts, ends, strict=True):
        for k in _turns(t[a:b], x[a:b], y[a:b]):
            cut[a + k] = True
    trip = np.cumsum(cut) - 1
    g = reads.groupby(trip)
    return pd.DataFrame(
        {
            "vrm": g["vrm"].first(),
            "trip": np.arange(int(trip.max()) + 1 if len(trip) else 0),
            "t0": g["t"].first(),
            "t1": g["t"].last(),
            "x0": g["x"].first(),
            "y0": g["y"].first(),
            "x1": g["x"].last(),
            "y1": g["y"].last(),
            "from_place": g["place"].first(),
            "to_place": g["place"].last(),
            "from_hub": g["hub"].first(),
            "to_hub": g["hub"].last(),
            "n_reads": g.size(),
        }
    ).reset_index(drop=True)


def _moves(sightings: pd.DataFrame) -> pd.DataFrame:
    """Where each phone changed place: line_id, number, a, b (places), ta, tb (the sightings
    either side), from consecutive sightings in a place (sightings in no place are skipped)."""
    placed = sightings[sightings["place"] != ""].sort_values(["line_id", "number", "t"])
    same = placed["number"].eq(placed["number"].shift()) & placed["line_id"].eq(
        placed["line_id"].shift()
    )
    before = placed["place"].shift()
    moved = same & (placed["place"] != before)
    return pd.DataFrame(
        {
            "line_id": placed["line_id"][moved],
            "number": placed["number"][moved],
            "a": before[moved],
            "b": placed["place"][moved],
            "ta": placed["t"].shift()[moved],
            "tb": placed["t"][moved],
        }
    )


def _along(ends: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """Whether each trip's reads run along the way from point `a` to point `b` (metres): its
    first and last reads (`ends`: rows of x0, y0, x1, y1) within `ROUTE_OFF_M` (or
    `ROUTE_OFF_SHARE` of the distance) of the straight line, heading for `b` for at least
    `MIN_PROGRESS` of the way, starting at most `OVERSHOOT` of the way before `a` and ending at
    most that beyond `b`."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = float(np.hypot(dx, dy))
    if length == 0:
        return np.zeros(len(ends), dtype=bool)
    s, off = [], []
    for x, y in ((ends[:, 0] - a[0], ends[:, 1] - a[1]), (ends[:, 2] - a[0], ends[:, 3] - a[1])):
        s.append((x * dx + y * dy) / length**2)
        off.append(np.abs(x * dy - y * dx) / length)
    tolerance = max(ROUTE_OFF_M, ROUTE_OFF_SHARE * length)
    return (
        (s[1] - s[0] >= MIN_PROGRESS)
        & (s[0] >= -OVERSHOOT)
        & (s[1] <= 1 + OVERSHOOT)
        & (off[0] <= tolerance)
        & (off[1] <= tolerance)
    )


def co_travel(trips: pd.DataFrame, sightings: pd.DataFrame, centres: pd.DataFrame) -> pd.DataFrame:
    """(trip, number, line_id, move, a, b, hub_town, exact, ta, tb) for each trip that carried
    a runner phone while the phone moved from place `a` to place `b` (`hub_town`: one of the
    two is a hub; `exact`: the trip's own first and last cameras stand in `a` and `b`; `ta`,
    `tb`: the phone's sightings either side of the move, seconds). `trips`:
    `vehicle_trips`; `sightings`: line_id, number, t, place; `centres`: name, x, y, hub (bool)
    of every hub and town. A trip is checked in full when it runs from `a` to `b` by its own
    places or, as a car's first and last cameras can stand in a neighbouring town or a hub on
    the way, when its reads run along the way from `a` to `b` (`_along`)."""
    columns = ["trip", "number", "line_id", "move", "a", "b", "hub_town", "exact", "ta", "tb"]
    if trips.empty or sightings.empty:
        return pd.DataFrame(columns=columns)
    trips = trips.sort_values("t0")
    t0s, t1s = trips["t0"].to_numpy(float), trips["t1"].to_numpy(float)
    ends = trips[["x0", "y0", "x1", "y1"]].to_numpy(float)
    ids = trips["trip"].to_numpy()
    origin = trips["from_place"].to_numpy(dtype=object)
    dest = trips["to_place"].to_numpy(dtype=object)
    longest = float((t1s - t0s).max())
    phones = {
        key: (group["t"].to_numpy(float), group["place"].to_numpy(dtype=object))
        for key, group in sightings.sort_values("t").groupby(["line_id", "number"])
    }
    where = {str(n): (float(x), float(y)) for n, x, y in zip(
        centres["name"], centres["x"], centres["y"], strict=True)}  # fmt: skip
    hubs = set(centres.loc[centres["hub"].astype(bool), "name"])
    rows: set[tuple[int, str, str, int, str, str, bool, bool, float, float]] = set()
    moves = _moves(sightings)
    for move, (line, number, a, b, ta, tb) in enumerate(zip(
        *(moves[c].tolist() for c in ("line_id", "number", "a", "b", "ta", "tb")), strict=True
    )):  # fmt: skip
        lo = int(np.searchsorted(t0s, float(tb) - BEFORE_S - longest))
        hi = int(np.searchsorted(t0s, float(ta) + BEFORE_S, side="right"))
        exact = (origin[lo:hi] == a) & (dest[lo:hi] == b)
        fits = exact.copy()
        if a in where and b in where:
            fits |= _along(ends[lo:hi], where[a], where[b])
        fits &= t1s[lo:hi] >= float(tb) - BEFORE_S  # the phone reached B soon after the trip
        t, place = phones[(line, number)]
        for i in np.flatnonzero(fits) + lo:
            if _carried(t, place, t0s[i], t1s[i], str(a), str(b)):
                rows.add((int(ids[i]), str(number), str(line), move, str(a), str(b),
                          (a in hubs) != (b in hubs), bool(exact[i - lo]), float(ta),
                          float(tb)))  # fmt: skip
    return pd.DataFrame(sorted(rows), columns=columns)


def _carried(t: np.ndarray, place: np.ndarray, t0: float, t1: float, a: str, b: str) -> bool:
    """The co-travel rule for one phone (sightings `t`, `place`) and one trip from `a` to `b`."""
    lo, hi = np.searchsorted(t, [t0 - BEFORE_S, t1 + BEFORE_S + 1e-9])
    tt, pp = t[lo:hi], place[lo:hi]
    mid = (t0 + t1) / 2
    first, last = tt <= mid, tt >= mid
    during = (tt >= t0) & (tt <= t1)
    elsewhere = during & (pp != a) & (pp != b) & (pp != "")
    return bool(
        (first & (pp == a)).any()
        and (last & (pp == b)).any()
        and not (first & (pp == b) & (tt < t0)).any()
        and not elsewhere.any()
    )


def _hub_town(trips: pd.DataFrame) -> pd.Series:
    """Whether each trip runs between a hub and a town (either way)."""
    return (
        (trips["from_hub"] ^ trips["to_hub"])
        & (trips["from_place"] != "")
        & (trips["to_place"] != "")
    )


def _on_line_route(carried: pd.DataFrame, lines: pd.DataFrame) -> np.ndarray:
    """Whether each co-travel row's move runs between its line's hub (any hub when the line's
    is unknown) and one of its market towns. `lines`: line_id, hub, market_towns (lists)."""
    hub = dict(zip(lines["line_id"], lines["hub"], strict=True))
    towns = dict(zip(lines["line_id"], lines["market_towns"], strict=True))
    return np.array(
        [
            bool({a, b} & set(towns.get(line, ()))) and hub.get(line, "") in ("", a, b)
            for line, a, b in zip(carried["line_id"], carried["a"], carried["b"], strict=True)
        ],
        dtype=bool,
    )


def _best_line(carried: pd.DataFrame) -> pd.DataFrame:
    """Per vehicle (index vrm): the line it carried most (line_id), on `n` trips with
    `weight` runner moves of shared evidence (`carried`: vrm, line_id, trip, weight)."""
    counts = carried.groupby(["vrm", "line_id"]).agg(n=("trip", "nunique"),
                                                     weight=("weight", "sum"))  # fmt: skip
    counts = counts.reset_index().sort_values(
        ["vrm", "n", "weight", "line_id"], ascending=[True, False, False, True]
    )
    return counts.drop_duplicates("vrm").set_index("vrm")


def vehicles_of_interest(
    trips: pd.DataFrame, carried: pd.DataFrame, vehicles: pd.DataFrame, lines: pd.DataFrame
) -> pd.DataFrame:
    """One row per vehicle of interest (the module's rules). `trips`: `vehicle_trips`;
    `carried`: `co_travel`; `vehicles`: vrm, category, operator (the registered hire cars,
    taxis and private-hire cars); `lines`: line_id, hub, market_towns (lists)."""
    columns = [
        "vrm", "line_id", "category", "operator", "n_trips", "n_hub_town_trips",
        "n_co_travel_trips", "co_travel_weight", "runners", "routes", "evidence",
    ]  # fmt: skip
    c = carried[carried["hub_town"].astype(bool)].merge(trips[["trip", "vrm"]], on="trip")
    hub_town = _hub_town(trips) | trips["trip"].isin(c["trip"])
    per = pd.DataFrame({"n_trips": trips.groupby("vrm").size(),
                        "n_hub_town_trips": hub_town.groupby(trips["vrm"]).sum()})  # fmt: skip
    if c.empty:
        return pd.DataFrame(columns=columns)
    c["weight"] = 1.0 / c.groupby("move")["vrm"].transform("nunique")
    registered = c["vrm"].isin(set(vehicles["vrm"])).to_numpy()
    exact = c["exact"].astype(bool).to_numpy()
    on_route = registered & _on_line_route(c, lines)
    n_all = per["n_trips"]
    # any car: its own first and last cameras place it with a line's runners on several trips
    # (each move shared among the cars whose own cameras match it)
    own = c[exact]
    own = _best_line(own.assign(weight=1.0 / own.groupby("move")["vrm"].transform("nunique")))
    own = own[(own["n"] >= MIN_CO_TRAVEL) & (own["weight"] >= MIN_CO_TRAVEL_WEIGHT)
              & (own["n"] >= MIN_CO_TRAVEL_SHARE * n_all.reindex(own.index))]  # fmt: skip
    # a registered hire car or taxi: trips on its line's own route, however they were read,
    # when it drove little else
    hired = _best_line(c[on_route])
    hired = hired[(hired["weight"] >= MIN_FLEET_WEIGHT_SHARE * n_all.reindex(hired.index))
                  | (hired["n"] >= MIN_FLEET_TRIP_SHARE * n_all.reindex(hired.index))]  # fmt: skip
    c = c[exact | on_route]
    best = _best_line(c[c["vrm"].isin(set(own.index) | set(hired.index))]).reset_index()
    best = best[
        best["vrm"].map(per["n_hub_town_trips"]) >= MIN_HUB_TOWN_SHARE * best["vrm"].map(n_all)
    ]
    if best.empty:
        return pd.DataFrame(columns=columns)
    n_trips: dict[str, int] = {str(k): int(v) for k, v in per["n_trips"].items()}
    n_hub_town: dict[str, int] = {str(k): int(v) for k, v in per["n_hub_town_trips"].items()}
    rows = []
    for vrm, line, n, weight in zip(
        *(best[k].tolist() for k in ("vrm", "line_id", "n", "weight")), strict=True
    ):
        mine = c[(c["vrm"] == vrm) & (c["line_id"] == line)]
        routes = (mine["a"] + ">" + mine["b"]).drop_duplicates(keep="first")
        runners = sorted(set(mine["number"]))
        rows.append(
            {
                "vrm": vrm,
                "line_id": line,
                "n_trips": n_trips[vrm],
                "n_hub_town_trips": n_hub_town[vrm],
                "n_co_travel_trips": int(n),
                "co_travel_weight": round(float(weight), 2),
                "runners": ";".join(runners),
                "routes": ";".join(routes.head(5)),
                "evidence": f"carried {len(runners)} runner phone(s) of {line} on {int(n)} "
                f"hub-town trip(s) (evidence {weight:.1f} runner moves, shared with the other "
                f"cars on the road then); {n_hub_town[vrm]} hub-town trips of {n_trips[vrm]}",
            }
        )
    out = pd.DataFrame(rows).merge(vehicles, on="vrm", how="left")
    out[["category", "operator"]] = out[["category", "operator"]].fillna("")
    return out[columns]


def road_journeys(trips: pd.DataFrame, carried: pd.DataFrame,
                  vehicles: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Journeys by road: one row per runner phone's move that one of the line's vehicles of
    interest (`vehicles`: vrm, line_id) matched. A move that only other cars matched is no
    journey: on busy roads cars keep pace with a runner's phone by chance (at full scale a third
    of such moves were no journey of the phone, or a train), and a runner travels by road in
    the line's own cars. Several cars on the road at the time can match one move; the journey
    names the line's vehicle among them (none when several of the line's vehicles matched) and
    counts them all (`n_vehicles`). Times are the span of the line's vehicles' trips; `ta`, `tb`
    the phone's sightings either side of its move."""
    ours = vehicles[["vrm", "line_id"]].drop_duplicates().assign(ours=True)
    c = carried.merge(trips, on="trip").merge(ours, on=["vrm", "line_id"], how="left")
    c["ours"] = c["ours"].fillna(False).astype(bool)
    c = c[c.groupby(["line_id", "number", "move"])["ours"].transform("any")]
    rows = []
    for (line, number, _), group in c.groupby(["line_id", "number", "move"], sort=False):
        one = group[group["ours"]]
        named = one["vrm"].unique()
        rows.append({
            "line_id": line, "number": number, "mode": "road",
            "vrm": named[0] if len(named) == 1 else "", "n_vehicles": group["vrm"].nunique(),
            "from_place": group["a"].iloc[0], "to_place": group["b"].iloc[0],
            "depart": one["t0"].min(), "arrive": one["t1"].max(),
            "route": (f"{int(one['n_reads'].max())} ANPR reads" if len(named) == 1
                      else f"{len(named)} of the line's vehicles"),
            "ta": group["ta"].min(), "tb": group["tb"].max(),
        })  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=[
            "line_id",
            "number",
            "mode",
            "vrm",
            "n_vehicles",
            "from_place",
            "to_place",
            "depart",
            "arrive",
            "route",
            "ta",
            "tb",
        ],
    )


def without_overlaps(road: pd.DataFrame, rail: pd.DataFrame) -> pd.DataFrame:
    """`road` journeys less those whose time overlaps a `rail` journey of the same phone (or
    the other way round): cars on the road beside the railway keep pace with a train, and a
    phone seen on railway cells was on the train. A journey's time is its car's trip or its
    railway cells and, when given (`ta`, `tb`), the phone's move: a car on the same road
    an hour before the train matches the move too. Both frames: number, depart, arrive
    (seconds)."""
    if road.empty or rail.empty:
        return road
    both = road.reset_index().merge(rail[["number", "depart", "arrive"]], on="number",
                                    suffixes=("", "_rail"))  # fmt: skip
    start, end = both["depart"].to_numpy(float), both["arrive"].to_numpy(float)
    if "ta" in both.columns:
        start = np.minimum(start, both["ta"].to_numpy(float))
        end = np.maximum(end, both["tb"].to_numpy(float))
    overlap = (start < both["arrive_rail"]) & (both["depart_rail"] < end)
    return road[~road.index.isin(set(both.loc[overlap, "index"]))]


def through_hubs(journeys: pd.DataFrame, hubs: set[str]) -> pd.DataFrame:
    """`journeys` with each pair of consecutive journeys of one phone by the same mode that meet
    at a hub, the second leaving within `HUB_STOP_S` of the first's arrival, made one journey
    (London to Birmingham, then on to Malvern: London to Malvern, its route naming both legs).
    Columns as `rail_journeys` (road journeys also vrm, n_vehicles); times in seconds."""
    if journeys.empty:
        return journeys
    rows = journeys.sort_values(["number", "depart"]).to_dict("records")
    out = [rows[0]]
    for row in rows[1:]:
        last = out[-1]
        if (row["number"] == last["number"] and row["mode"] == last["mode"]
                and last["to_place"] in hubs and row["from_place"] == last["to_place"]
                and row["to_place"] != last["from_place"]
                and 0 <= row["depart"] - last["arrive"] <= HUB_STOP_S):  # fmt: skip
            merged = {**last, "to_place": row["to_place"], "arrive": row["arrive"],
                      "route": f"{last['route']} | {row['to_place']}: {row['route']}"}  # fmt: skip
            if "vrm" in last and last["vrm"] != row["vrm"]:
                merged["vrm"] = ""
            if "n_vehicles" in last:
                merged["n_vehicles"] = max(last["n_vehicles"], row["n_vehicles"])
            out[-1] = merged
        else:
            out.append(row)
    return pd.DataFrame(out, columns=journeys.columns)


def _placed_near(t: np.ndarray, place: np.ndarray, on: np.ndarray, k: int, step: int) -> str:
    """The place of the nearest sighting off the railway and in a place, from `k` going by
    `step` (-1: back, 1: on), within `RAIL_END_S` of sighting `k - step`; "" for none."""
    t_run = t[k - step]
    while 0 <= k < len(t) and abs(t[k] - t_run) <= RAIL_END_S:
        if not on[k] and place[k]:
            return str(place[k])
        k += step
    return ""


def rail_journeys(sightings: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """Journeys by rail: a runner phone's run of railway cells (`corridor_cells`; gaps under
    `RAIL_GAP_S`) from one place to another: the places of its last sighting off the railway
    before and first after, within `RAIL_END_S`, differ, and on the run the phone passed a
    third place or `RAIL_MIN_CELLS` cells (a phone at home next to the railway does neither).
    `sightings`: line_id, number, t, x, y, cell_id, place, corridor (bool); `stations`: name,
    x, y."""
    rows = []
    for (line, number), seen in sightings.sort_values("t").groupby(["line_id", "number"]):
        on = seen["corridor"].to_numpy(bool)
        if not on.any():
            continue
        t = seen["t"].to_numpy(float)
        place = seen["place"].to_numpy(dtype=object)
        xs, ys = seen["x"].to_numpy(float), seen["y"].to_numpy(float)
        cell = seen["cell_id"].to_numpy(dtype=object)
        i = 0
        while i < len(seen):
            if not on[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(seen) and on[j + 1] and t[j + 1] - t[j] <= RAIL_GAP_S:
                j += 1
            start = _placed_near(t, place, on, i - 1, -1) if i > 0 else ""
            end = _placed_near(t, place, on, j + 1, 1) if j + 1 < len(seen) else ""
            passed = set(place[i : j + 1]) - {start, end, ""}
            moving = bool(passed) or len(set(cell[i : j + 1])) >= RAIL_MIN_CELLS
            if start and end and start != end and moving:
                via = nearest_place(xs[i : j + 1], ys[i : j + 1], stations, np.inf)
                rows.append({
                    "line_id": line, "number": number, "mode": "rail", "vrm": "",
                    "from_place": start, "to_place": end, "depart": t[i], "arrive": t[j],
                    "route": ";".join(dict.fromkeys(v for v in via if v)),
                })  # fmt: skip
            i = j + 1
    return pd.DataFrame(
        rows,
        columns=["line_id", "number", "mode", "vrm", "from_place", "to_place", "depart",
                 "arrive", "route"],
    )  # fmt: skip
