"""Per-number behaviour features of deal lines: the line detector's only SQL.

Written once, in DuckDB's SQL dialect restricted to what Apache Spark SQL also has, and run by an
engine (`countylines.lines.engine`: DuckDB by default, Spark with `countylines.lines.spark`).
Every function takes the engine and returns plain pandas DataFrames. Numbers, handsets and cells
are handled as their integer ids (`countylines.numbering`; id order is the values' text order,
so ties broken by the smaller id are broken by the smaller value) and turned back into text in
the frames returned. Times are whole seconds since 1970-01-01 UTC (the load's `epoch_s`);
distances are kilometres on the sphere (cells are given in WGS84 degrees and only compared with
each other, so no projection is needed).

The work is ordered so that the full events table is scanned only a few times: the contact
pairs (`contact_pairs_t`, stored by the load) and one grouped scan of the texts find
*candidates* (numbers with many inbound contacts or a bulk-text burst), and
every costlier feature (the order -> relay -> callback triangle, contact distances, handsets) is
computed only on the events that touch a candidate. "The latest order before a relay" and "the
first callback after it" are window functions over the merged, time-ordered events of one
number (what an ASOF join does, in SQL both engines have).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from countylines.lines.engine import Engine, check_events

DAY_S = 86_400


@dataclass(frozen=True)
class FeatureSettings:
    """Windows and thresholds of the behaviour features (seconds unless said)."""

    burst_window_s: int = 600
    """A bulk-text burst is counted per window of this length."""
    burst_min_recipients: int = 20
    """Texts from one number within one window that make a burst."""
    list_burst_min_recipients: int = 10
    """Distinct recipients within one window that make a burst when they are also at least
    `list_burst_share` of the sender's distinct inbound contacts: a small line texting most of
    its own customer list (a 15-customer line never reaches 20 texts in one window)."""
    list_burst_share: float = 0.5
    """Share of the sender's distinct inbound contacts that a list burst must reach."""
    callback_window_s: int = 1800
    """A customer's contact is 'called back' by another number within this time."""
    candidate_min_contacts: int = 30
    """Distinct inbound contacts over the whole period that make a number a candidate (as does
    any bulk-text burst): ordinary phones have 10 to 30 (full scale: 99% fewer than 31). Counted
    exactly (on integer number ids this costs no more than an approximate count, and both
    engines agree)."""
    min_span_days: float = 0.25
    """Floor on a number's active span when turning counts into rates per day."""

    def __post_init__(self) -> None:
        if not 1 <= self.burst_min_recipients < 2**26:
            raise ValueError("burst_min_recipients must be from 1 to 2**26 - 1")


def find_candidates(engine: Engine, s: FeatureSettings) -> int:
    """Create `contacts(x, contacts)` (the distinct numbers that contacted each number,
    counted in the contact pairs, `countylines.contact_pairs`) and `cand(number)`; returns how
    many numbers could be deal lines."""
    check_events(engine)
    engine.view(
        "ev",
        """
        SELECT epoch_s AS t, is_sms AS sms, duration_s AS d, a_number_id AS a,
               b_number_id AS b, a_handset_id AS a_imei, a_cell_key AS a_cell,
               b_cell_key AS b_cell, text
        FROM events_t
        WHERE a_number_id IS NOT NULL AND b_number_id IS NOT NULL
        """,
    )
    engine.create(
        "contacts",
        "SELECT b_number_id AS x, count(*) AS contacts FROM contact_pairs_t GROUP BY b_number_id",
    )
    engine.create("burst_windows", _burst_windows_sql(s), dense_keys=True)
    engine.create(
        "bursts",
        "SELECT x AS number, count(*) AS n_bursts, max(n) AS max_burst FROM burst_windows "
        "GROUP BY x",
    )
    engine.create(
        "cand",
        f"""
        SELECT x AS number FROM contacts WHERE contacts >= {s.candidate_min_contacts}
        UNION SELECT number FROM bursts
        """,
    )
    return int(engine.frame("SELECT count(*) AS n FROM cand")["n"].iloc[0])


FIELD_BITS_MAX = 53
"""Bits of a DOUBLE's significand: the packed slot counts of `_busy_periods_sql` are exact
integers below 2**53."""


def _busy_periods_sql(s: FeatureSettings, period: int) -> str:
    """`busy(x, p)`: the periods `p` (`t // period`) in which the number `x` sent at least as
    many texts, within one slot of the period, as the smaller burst threshold. A window lies
    inside one slot (a whole number of windows), so these are the only periods whose texts can
    hold a burst window: an exact pre-filter, far narrower than the period's count alone
    (ordinary people send 10-20 texts on many days, rarely 10 within a few hours).

    One grouped pass per (period, number) sums, per text, 2**high + 2**(bits * slot) as a
    DOUBLE: the sum's high part is the period's count, and, while that count is under
    `burst_min_recipients` (so no slot's count can carry into the next field and every partial
    sum is an exact integer under 2**53), its fields are the slots' counts. From the count
    upwards the period is kept whatever its fields (a sum of non-negative doubles never rounds
    below a partial sum, so it stays at or above the threshold). A second aggregate (a count
    beside a sum) costs twice the first on the full scenario; this one costs a third more
    than a bare count (docs/lines.md, Speed)."""
    window, least = s.burst_window_s, s.burst_min_recipients
    floor = min(least, s.list_burst_min_recipients)
    bits = max(1, (least - 1).bit_length())
    high_room = FIELD_BITS_MAX - least.bit_length()
    slots = max(1, min(8, high_room // bits))
    per_slot = window * -(-(period // window) // slots)
    slots = -(-period // per_slot)
    high = bits * slots
    slot = f"(abs(t % {period}) // {per_slot})"  # windows truncate towards 0 before 1970 too
    total = f"sum(CAST({1 << high} + (CAST(1 AS BIGINT) << ({bits} * {slot})) AS DOUBLE))"
    fields = " OR ".join(f"v // {1 << (bits * i)} % {1 << bits} >= {floor}" for i in range(slots))
    return f"""
        sent AS (
            SELECT a AS x, t // {period} AS p, {total} AS s FROM ev WHERE sms
            GROUP BY t // {period}, a HAVING {total} >= {floor << high}),
        slotted AS (
            SELECT x, p, CASE WHEN s < {least << high} THEN CAST(s AS BIGINT) END AS v FROM sent),
        busy AS (SELECT x, p FROM slotted WHERE v IS NULL OR {fields})"""


def _burst_windows_sql(s: FeatureSettings) -> str:
    """`burst_windows(x, w, n)`: the windows `w` (`t // burst_window_s`) in which the number `x`
    sent a bulk-text burst of `n` texts: at least `burst_min_recipients` texts, or a *list
    burst*: at least `list_burst_min_recipients` distinct recipients who are also at least
    `list_burst_share` of the distinct numbers that ever contacted `x` (`contacts`: a line
    texting most of its own customers, however few they are).

    Counting texts per number and window is a hash aggregation with almost one group per text.
    A window lies inside one *period* (a whole number of windows, about a day), so the periods
    that can hold a burst are found first (`_busy_periods_sql`), and only their texts are
    counted per window: the same windows, exactly, for any `burst_window_s`. The texts are
    picked by sender first (an integer column, which DuckDB pushes into the scan as an IN
    filter when the senders are few). The first count groups by the time first: DuckDB then
    lays its counting array out period by period, so the counts of events stored in time order
    (as a load stores a time-ordered export) stay within a small part of the array at a time:
    half the CPU time of grouping by the number first."""
    window, least = s.burst_window_s, s.burst_min_recipients
    floor = min(least, s.list_burst_min_recipients)
    period = window * max(1, DAY_S // window)
    return f"""
        WITH {_busy_periods_sql(s, period)},
        senders AS (SELECT DISTINCT x FROM busy),
        texts AS (SELECT ev.a, ev.b, ev.t FROM ev SEMI JOIN senders ON ev.a = senders.x
                  WHERE sms),
        windows AS (
            SELECT a AS x, t // {window} AS w, count(*) AS n
            FROM texts SEMI JOIN busy ON texts.a = busy.x AND texts.t // {period} = busy.p
            GROUP BY t // {window}, a HAVING count(*) >= {floor}),
        small AS (SELECT x, w FROM windows WHERE n < {least}),
        spread AS (
            SELECT a AS x, t // {window} AS w, count(DISTINCT b) AS r
            FROM texts SEMI JOIN small ON texts.a = small.x AND texts.t // {window} = small.w
            GROUP BY a, t // {window} HAVING count(DISTINCT b) >= {s.list_burst_min_recipients})
        SELECT x, w, n FROM windows WHERE n >= {least}
        UNION ALL
        SELECT x, w, windows.n FROM spread JOIN windows USING (x, w) LEFT JOIN contacts USING (x)
        WHERE spread.r >= {s.list_burst_share} * coalesce(contacts.contacts, 0)
        """


def _contact_tables(engine: Engine, s: FeatureSettings) -> None:
    """`orders` (anyone -> candidate), `outs` (candidate -> anyone), `touch` (each event with a
    candidate at either end, once), `answered` (the candidate's
    contacts outside bulk bursts, each matched to the latest order to it at or before that
    moment, when within the window; of two orders to one number in the same second, the smaller
    customer number is kept so that the result is deterministic: the window orders them last)
    and `tri`, the callback
    triangle: an order from customer c to candidate x at t, then x texting or calling another
    number y (the relay, at t1), then y contacting c (the callback, at t2: the first contact
    from y to c at or after the relay), all within the callback window. The callbacks are
    looked for among the events from the relay targets, picked by one integer column first
    (DuckDB pushes that into the scan), then by the (y, c) pairs."""
    engine.create(
        "orders",
        "SELECT a AS c, b AS x, t, sms, d, a_cell, b_cell FROM ev "
        "SEMI JOIN cand ON ev.b = cand.number",
    )
    engine.create(
        "outs",
        "SELECT a AS x, b AS y, t, sms, d, a_imei, a_cell, b_cell, text FROM ev "
        "SEMI JOIN cand ON ev.a = cand.number",
    )
    engine.view(
        "touch",
        """
        SELECT x AS a, y AS b, t, sms, d, a_cell, b_cell FROM outs
        UNION ALL
        SELECT c AS a, x AS b, t, sms, d, a_cell, b_cell FROM orders
        ANTI JOIN cand ON orders.c = cand.number
        """,
    )
    engine.create(
        "answered",
        f"""
        WITH lone AS (
            SELECT outs.x, outs.y, outs.t FROM outs ANTI JOIN burst_windows bw
            ON outs.x = bw.x AND outs.t // {s.burst_window_s} = bw.w),
        merged AS (
            SELECT x, t, 0 AS k, c, CAST(NULL AS INT) AS y FROM orders
            UNION ALL SELECT x, t, 1 AS k, CAST(NULL AS INT) AS c, y FROM lone),
        matched AS (
            SELECT x, y, t AS t1, k,
                   last_value(CASE WHEN k = 0 THEN t END IGNORE NULLS) OVER w AS t,
                   last_value(c IGNORE NULLS) OVER w AS c
            FROM merged
            WINDOW w AS (PARTITION BY x ORDER BY t, k, c DESC
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
        SELECT x, y, c, t, t1 FROM matched
        WHERE k = 1 AND t IS NOT NULL AND t1 - t <= {s.callback_window_s}
        """,
    )
    engine.view("relay", "SELECT * FROM answered WHERE y <> c")
    engine.create(
        "tri",
        f"""
        WITH pairs AS (SELECT DISTINCT y, c FROM relay),
        ys AS (SELECT DISTINCT y FROM relay),
        from_ys AS (SELECT ev.a AS y, ev.b AS c, ev.t FROM ev SEMI JOIN ys ON ev.a = ys.y),
        backs AS (
            SELECT f.y, f.c, f.t FROM from_ys f SEMI JOIN pairs p ON f.y = p.y AND f.c = p.c),
        merged AS (
            SELECT x, y, c, t, t1 AS tt, 0 AS k FROM relay
            UNION ALL
            SELECT CAST(NULL AS INT) AS x, y, c, CAST(NULL AS BIGINT) AS t, t AS tt, 1 AS k
            FROM backs),
        matched AS (
            SELECT x, y, c, t, tt AS t1, k,
                   first_value(CASE WHEN k = 1 THEN tt END IGNORE NULLS) OVER (
                       PARTITION BY y, c ORDER BY tt, k
                       ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS t2
            FROM merged)
        SELECT x, y, c, t, t1, t2 FROM matched
        WHERE k = 0 AND t2 IS NOT NULL AND t2 - t <= {s.callback_window_s}
        """,
    )


def number_features(engine: Engine, s: FeatureSettings) -> pd.DataFrame:
    """One row per candidate number with its raw behaviour counts (see docs/lines.md)."""
    _contact_tables(engine, s)
    return _named(
        engine,
        f"""
        WITH
        inb AS (
            SELECT x AS number, count(*) AS n_in, count(DISTINCT c) AS in_distinct,
                   avg(CAST(t % {DAY_S} < 6 * 3600 AS INT)) AS night_in_share,
                   min(t) AS first_in, max(t) AS last_in
            FROM orders GROUP BY x),
        contact_days AS (
            SELECT x AS number, count(*) AS in_contact_days
            FROM (SELECT DISTINCT x, c, t // {DAY_S} AS day FROM orders) AS d GROUP BY x),
        outb AS (
            SELECT x AS number, count(*) AS n_out, count(*) FILTER (WHERE sms) AS n_out_sms,
                   count(DISTINCT a_imei) AS n_handsets, min(t) AS first_out, max(t) AS last_out
            FROM outs GROUP BY x),
        relayed AS (
            SELECT x AS number, count(*) AS n_relayed, count(DISTINCT y) AS n_relay_targets,
                   count(DISTINCT c) AS n_served
            FROM tri GROUP BY x),
        cells AS (SELECT k.cell_key AS cell_id, c.lat, c.lon
                  FROM cells_t c JOIN cell_keys_t k USING (cell_id)),
        dist AS (
            SELECT o.x AS number,
                   median(6371 * acos(least(1, sin(radians(ca.lat)) * sin(radians(cb.lat))
                       + cos(radians(ca.lat)) * cos(radians(cb.lat))
                       * cos(radians(ca.lon - cb.lon))))) AS contact_km
            FROM orders o JOIN cells ca ON ca.cell_id = o.a_cell
                          JOIN cells cb ON cb.cell_id = o.b_cell
            GROUP BY o.x),
        subs AS (
            SELECT n.number_id AS number, min(s.account_type) AS account_type,
                   bool_or(s.registered) AS registered
            FROM subscribers_t s JOIN numbers_t n ON n.number = s.number GROUP BY n.number_id)
        SELECT cand.number,
               coalesce(n_in, 0) AS n_in, coalesce(in_distinct, 0) AS in_distinct,
               coalesce(in_contact_days, 0) AS in_contact_days,
               coalesce(night_in_share, 0) AS night_in_share,
               coalesce(n_out, 0) AS n_out, coalesce(n_out_sms, 0) AS n_out_sms,
               coalesce(n_handsets, 0) AS n_handsets,
               coalesce(n_bursts, 0) AS n_bursts, coalesce(max_burst, 0) AS max_burst,
               coalesce(n_relayed, 0) AS n_relayed,
               coalesce(n_relay_targets, 0) AS n_relay_targets,
               coalesce(n_served, 0) AS n_served,
               contact_km,
               subs.account_type, subs.registered,
               least(first_in, first_out) AS first_seen,
               greatest(last_in, last_out) AS last_seen,
               greatest(CAST({s.min_span_days} * {DAY_S} AS DOUBLE),
                        greatest(last_in, last_out) - least(first_in, first_out)) / {DAY_S}
                   AS span_days
        FROM cand
        LEFT JOIN inb USING (number) LEFT JOIN contact_days USING (number)
        LEFT JOIN outb USING (number)
        LEFT JOIN bursts USING (number) LEFT JOIN relayed USING (number)
        LEFT JOIN dist USING (number)
        LEFT JOIN subs USING (number)
        ORDER BY cand.number
        """,
        "number",
    )


def _named(engine: Engine, sql: str, *columns: str) -> pd.DataFrame:
    """The result of `sql` with the number ids in `columns` turned into the numbers (typed as
    the engine types text: an empty column stays `object`, as DuckDB returns it)."""
    frame = engine.frame(sql)
    if columns:
        if "numbers" not in engine.memo:  # read once per engine: 0.1 s a time at full scale
            names = engine.frame("SELECT number_id, number FROM numbers_t")
            engine.memo["numbers"] = pd.Series(
                names["number"].to_numpy(object), index=names["number_id"].to_numpy()
            )
        lookup = engine.memo["numbers"]
        for column in columns:
            ids = frame[column].to_numpy()
            frame[column] = pd.Series(lookup.reindex(ids).to_numpy(), index=frame.index)
    return frame


def _empty(**dtypes: object) -> pd.DataFrame:
    """An empty frame with the columns and types a query's empty result has."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in dtypes.items()})  # type: ignore[call-overload]


def _select(engine: Engine, numbers: list[str], name: str = "sel") -> None:
    """`sel(number)` (or the table `name`): the ids of the numbers the next query is about."""
    engine.register(f"{name}_numbers", pd.DataFrame({"number": pd.Series(numbers, dtype=object)}))
    engine.create(
        name, f"SELECT n.number_id AS number FROM {name}_numbers JOIN numbers_t n USING (number)"
    )


def relay_pairs(engine: Engine) -> pd.DataFrame:
    """(deal candidate x, relay target y): relayed orders and distinct customers served."""
    return _named(
        engine,
        "SELECT x, y, count(*) AS n, count(DISTINCT c) AS n_customers, min(t1) AS first_t, "
        "max(t2) AS last_t FROM tri GROUP BY x, y ORDER BY x, y",
        "x",
        "y",
    )


def voice_partners(engine: Engine, numbers: list[str]) -> pd.DataFrame:
    """(x, y, n_calls, days, mean_duration, cell): voice contacts of `numbers` in either direction,
    with the partner's most used cell (of equally used cells, the smallest id)."""
    _select(engine, numbers)
    return _named(
        engine,
        f"""
        WITH calls AS (
            SELECT a AS x, b AS y, t, d, b_cell AS cell FROM touch
            SEMI JOIN sel ON touch.a = sel.number WHERE NOT sms
            UNION ALL
            SELECT b AS x, a AS y, t, d, a_cell AS cell FROM touch
            SEMI JOIN sel ON touch.b = sel.number WHERE NOT sms),
        per_cell AS (
            SELECT x, y, cell, row_number() OVER (
                PARTITION BY x, y ORDER BY count(*) DESC, cell) AS r
            FROM calls WHERE cell IS NOT NULL GROUP BY x, y, cell)
        SELECT v.x, v.y, v.n_calls, v.days, v.mean_duration, k.cell_id AS cell, v.first_t,
               v.last_t
        FROM (SELECT calls.x, calls.y, count(*) AS n_calls,
                     count(DISTINCT t // {DAY_S}) AS days, avg(d) AS mean_duration,
                     min(per_cell.cell) AS cell, min(t) AS first_t, max(t) AS last_t
              FROM calls LEFT JOIN per_cell
                  ON per_cell.x = calls.x AND per_cell.y = calls.y AND per_cell.r = 1
              GROUP BY calls.x, calls.y) AS v
        LEFT JOIN cell_keys_t k ON k.cell_key = v.cell
        ORDER BY v.x, v.y
        """,
        "x",
        "y",
    )


def cell_uses(engine: Engine, numbers: list[str]) -> pd.DataFrame:
    """(number, cell_id, lat, lon, n): how often each of `numbers` used each cell in their calls
    and texts with candidate numbers (a customer's cell when ordering, a runner's when given an
    order, a holder's when calling the line), most used first."""
    _select(engine, numbers)
    return _named(
        engine,
        """
        WITH uses AS (
            SELECT a AS number, a_cell AS cell FROM touch SEMI JOIN sel ON touch.a = sel.number
            UNION ALL
            SELECT b AS number, b_cell AS cell FROM touch SEMI JOIN sel ON touch.b = sel.number)
        SELECT u.number, k.cell_id, c.lat, c.lon, u.n
        FROM (SELECT number, cell, count(*) AS n FROM uses WHERE cell IS NOT NULL
              GROUP BY number, cell) u
        JOIN cell_keys_t k ON k.cell_key = u.cell JOIN cells_t c ON c.cell_id = k.cell_id
        ORDER BY u.number, u.n DESC, u.cell
        """,
        "number",
    )


def _outgoing(
    engine: Engine, numbers: list[str], select: str, rest: str, *named: str
) -> pd.DataFrame:
    """`SELECT select FROM` the outgoing events of `numbers` `rest` (a WHERE and more), with
    the number ids in the columns `named` turned into numbers."""
    _select(engine, numbers)
    return _named(
        engine, f"SELECT {select} FROM outs SEMI JOIN sel ON outs.x = sel.number {rest}", *named
    )


def bulk_texts(engine: Engine, numbers: list[str]) -> pd.DataFrame:
    """(x, text, n): message texts `numbers` sent, where the case has them."""
    return _outgoing(
        engine,
        numbers,
        "x, text, count(*) AS n",
        "WHERE text IS NOT NULL GROUP BY x, text ORDER BY x, text",
        "x",
    )


def burst_recipients(engine: Engine, numbers: list[str], s: FeatureSettings) -> pd.DataFrame:
    """(x, c): who `numbers` texted inside a bulk-text burst window."""
    return _outgoing(
        engine,
        numbers,
        "DISTINCT outs.x, outs.y AS c",
        "JOIN burst_windows bw ON outs.x = bw.x AND outs.t // "
        f"{s.burst_window_s} = bw.w WHERE outs.sms ORDER BY outs.x, c",
        "x",
        "c",
    )


def customers(engine: Engine, numbers: list[str], s: FeatureSettings) -> pd.DataFrame:
    """(x, c): customers of `numbers`: texted in a burst, or served through a relay."""
    bulk = burst_recipients(engine, numbers, s)
    served = _named(
        engine,
        "SELECT DISTINCT x, c FROM tri SEMI JOIN sel ON tri.x = sel.number ORDER BY x, c",
        "x",
        "c",
    )
    return pd.concat([bulk, served]).drop_duplicates(ignore_index=True)


def runner_triangles(
    engine: Engine, runners: list[str], known: list[str], s: FeatureSettings
) -> pd.DataFrame:
    """Callback triangles through the numbers `runners`, relayed by anyone but the numbers
    `known` (the lines' deal numbers, whose triangles are counted already): (x, y, c, n), n
    messages from x to the runner y within `callback_window_s` after c contacted x, followed by
    y contacting c, all within the window of c's contact (the candidates' triangle, for numbers
    that need not be candidates). Leaves `to_runners` (x, y, t) for `relay_spans`. Three scans
    of the events, each filtered by integer columns (a caller must be someone a runner
    contacted); the joins are over these few events only. No runners: no scan, no triangle."""
    if not runners:
        return _empty(x=object, y=object, c=object, n="int64")
    _select(engine, known, "known")
    _select(engine, runners)
    w = s.callback_window_s
    engine.create(
        "to_runners",
        "SELECT a AS x, b AS y, t FROM ev SEMI JOIN sel ON ev.b = sel.number "
        "ANTI JOIN known ON ev.a = known.number WHERE a <> b",
    )
    engine.create("backs", "SELECT a AS y, b AS c, t FROM ev SEMI JOIN sel ON ev.a = sel.number")
    engine.create(
        "runner_orders",
        "WITH xs AS (SELECT DISTINCT x FROM to_runners), cs AS (SELECT DISTINCT c FROM backs) "
        "SELECT a AS c, b AS x, t FROM ev SEMI JOIN xs ON ev.b = xs.x SEMI JOIN cs ON ev.a = cs.c",
    )
    return _named(
        engine,
        f"""
        WITH relayed AS (
            SELECT DISTINCT r.x, r.y, o.c, r.t FROM to_runners r
            JOIN runner_orders o ON o.x = r.x AND o.t <= r.t AND r.t - o.t <= {w}
            JOIN backs b ON b.y = r.y AND b.c = o.c AND b.t >= r.t AND b.t - o.t <= {w}
            WHERE o.c <> r.y)
        SELECT x, y, c, count(*) AS n FROM relayed GROUP BY x, y, c ORDER BY x, y, c
        """,
        "x",
        "y",
        "c",
    )


def relay_spans(engine: Engine, numbers: list[str]) -> pd.DataFrame:
    """(x, first_t, last_t): the span of each of `numbers`' messages to runners (`to_runners`
    of the last `runner_triangles`) and of everyone's contacts with it, seconds since 1970 UTC
    (no numbers: no scan)."""
    if not numbers:
        return _empty(x=object, first_t="int64", last_t="int64")
    _select(engine, numbers)
    return _named(
        engine,
        """
        SELECT x, min(t) AS first_t, max(t) AS last_t FROM (
            SELECT x, t FROM to_runners SEMI JOIN sel ON to_runners.x = sel.number
            UNION ALL SELECT b AS x, t FROM ev SEMI JOIN sel ON ev.b = sel.number) AS u
        GROUP BY x ORDER BY x
        """,
        "x",
    )


def handsets(engine: Engine, numbers: list[str]) -> pd.DataFrame:
    """(x, imei): handsets `numbers` were used in."""
    return _outgoing(
        engine,
        numbers,
        "DISTINCT x, h.imei",
        "JOIN handsets_t h ON h.handset_id = outs.a_imei ORDER BY x, h.imei",
        "x",
    )


def deals(engine: Engine, members: pd.DataFrame) -> pd.DataFrame:
    """(line_id, day, deals): distinct customers a day whose order to one of the line's deal
    numbers was answered (by the deal number itself or through a relay to a runner who then
    contacted them). `members` has columns line_id, number, role."""
    engine.register("members", members[["line_id", "number", "role"]].astype(object))
    return engine.frame(
        f"""
        WITH m AS (SELECT line_id, n.number_id AS number FROM members
                   JOIN numbers_t n USING (number) WHERE role = 'deal_line'),
        done AS (
            SELECT x, c, t FROM answered WHERE y = c
            UNION ALL SELECT x, c, t FROM tri)
        SELECT m.line_id, done.t // {DAY_S} AS day, count(DISTINCT done.c) AS deals
        FROM done JOIN m ON done.x = m.number
        GROUP BY m.line_id, done.t // {DAY_S} ORDER BY m.line_id, day
        """
    )


def area_towns(engine: Engine) -> pd.DataFrame:
    """(town, lat, lon, geometry_wkb in EPSG:27700) of the case's areas: the `town` column where
    given, else the area's `name`, and the centroid in WGS84 degrees; empty when the case has no
    areas."""
    return engine.frame(
        "SELECT coalesce(town, name) AS town, lat, lon, geometry_wkb FROM areas_t ORDER BY town"
    )


def table_frame(engine: Engine, table: str, columns: str) -> pd.DataFrame:
    """`columns` of the case table `table` (its stand-in's columns when the case lacks it)."""
    return engine.frame(f"SELECT {columns} FROM {table}_t")
