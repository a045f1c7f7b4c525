"""Every parameter of the simulator, with its meaning and where its value comes from.

`Params` is plain data. `params_for(scale)` gives the preset of a scale; any field can be
overridden (`dataclasses.replace`). `docs/simulator.md` lists every field with its source; a
test keeps the two in step. Times are in days or seconds as the name says; money in pounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any


def _p(default: Any, doc: str, source: str) -> Any:  # a field() with documentation
    return field(default=default, metadata={"doc": doc, "source": source})


@dataclass(frozen=True)
class Params:
    """Simulator settings. Defaults are the `small` scale."""

    # Run
    seed: int = _p(1, "random seed; the same seed and settings give the same case", "choice")
    months: int = _p(2, "length of the simulated period, in 30-day months", "choice")
    start: date = _p(
        date(2018, 10, 1),
        "first simulated day (UTC)",
        "aligned with the real street-crime months in shared data (2018-10 on)",
    )

    # Background population: ordinary subscribers
    n_background: int = _p(1_500, "ordinary subscribers (one phone each)", "scale choice")
    bg_events_per_day: float = _p(
        4.0,
        "median calls and texts sent a day per subscriber",
        "Ofcom Communications Market Report: ~4-6 calls/texts a day",
    )
    bg_events_sigma: float = _p(0.8, "log-normal spread of subscribers' activity", "choice")
    bg_contacts: int = _p(8, "size of a subscriber's social circle", "choice (Dunbar inner layers)")
    bg_contacts_same_town: float = _p(0.8, "share of contacts living in the same town", "choice")
    bg_sms_share: float = _p(0.45, "share of background events that are texts", "choice")
    bg_reply_prob: float = _p(0.5, "chance a text gets a reply within minutes", "choice")
    bg_payg_share: float = _p(
        0.35,
        "share of background subscribers on pay-as-you-go",
        "Ofcom: about a third of UK mobile connections are prepay",
    )
    bg_payg_registered: float = _p(
        0.3,
        "share of pay-as-you-go subscribers who registered",
        "choice: UK has no SIM registration law",
    )
    bg_handset_change: float = _p(
        0.06, "chance a subscriber changes handset in the period", "choice: ~2.5-year handset life"
    )

    # Businesses: legitimate hard negatives
    n_bulk_senders: int = _p(
        24,
        "GP surgeries, pharmacies, schools and takeaways sending bulk texts",
        "choice: several per town",
    )
    bulk_list_median: int = _p(350, "median recipient list of a bulk sender", "choice")
    bulk_sends_per_week: float = _p(2.0, "bulk sends a week per sender", "choice")
    n_taxi_firms: int = _p(
        8, "taxi and private-hire firms (inbound bookings, drivers call back)", "choice"
    )
    taxi_bookings_per_day: float = _p(45.0, "bookings a day per firm", "choice")
    taxi_drivers: int = _p(5, "drivers per firm, each with a phone", "choice")
    n_busy_businesses: int = _p(16, "small businesses with many inbound callers", "choice")
    busy_calls_per_day: float = _p(30.0, "inbound calls a day per busy business", "choice")
    business_payg_share: float = _p(
        0.3,
        "share of business numbers on unregistered PAYG",
        "choice: small firms often use prepay phones",
    )

    # Lines
    n_lines: int = _p(
        12,
        "county lines operating into the region",
        "West Mercia PCC panel 2018: 80+ lines (full scale)",
    )
    parallel_share: float = _p(
        0.3,
        "share of lines running two deal phones at once",
        "NCA 2018: ~2,000 deal numbers for ~1,000 branded lines",
    )
    customers_median: int = _p(
        110,
        "median customer list of a line",
        "seized deal phones: ~100 (heroin/crack) to 2,000+ (cocaine)",
    )
    customers_sigma: float = _p(0.7, "log-normal spread of customer list sizes", "choice")
    customers_max: int = _p(2_000, "largest customer list", "West Midlands 2021 seizure: 2,000+")
    shared_customer_share: float = _p(
        0.12, "share of a line's customers who also buy elsewhere", "choice"
    )
    orders_per_customer_day: float = _p(
        0.3, "orders a day per customer", "chosen so deals/day give GBP 1-5k/day revenue"
    )
    order_text_share: float = _p(0.6, "share of orders placed by text rather than call", "choice")
    deal_price: float = _p(15.0, "pounds per deal", "NCA 2018 / Hansard 2017: GBP 10-20 a deal")
    relay_prob: float = _p(
        0.85,
        "share of orders passed from the deal line to a runner",
        "NCA 2018: order passed to a runner who meets the customer",
    )
    relay_delay_s: float = _p(
        90.0, "median seconds from order to the runner's instruction", "choice"
    )
    callback_delay_s: float = _p(
        240.0, "median seconds from instruction to runner's callback", "choice"
    )
    marketing_per_day: float = _p(
        1.2, "bulk marketing sends a day per line", "NCA 2018: bulk 'marketing' texts"
    )
    marketing_reach: float = _p(0.9, "share of the customer list in a marketing send", "choice")
    marketing_burst_s: float = _p(
        420.0, "seconds a marketing burst lasts", "BTP 2020: a handset sends ~500 texts at once"
    )
    runners_min: int = _p(2, "fewest runners per line", "choice")
    runners_max: int = _p(5, "most runners per line", "choice")
    runner_child_share: float = _p(
        0.7,
        "share of runners aged 15-17 (rest vulnerable adults)",
        "NCA 2018: 15-17-year-olds the bulk of those exploited",
    )
    runner_male_share: float = _p(0.91, "share of runners who are male", "NCA 2018: 91% male")
    holder_calls_per_day: float = _p(3.0, "calls a day between holder and deal phone", "choice")
    handset_swap_days: float = _p(
        21.0,
        "mean days between deal-phone handset swaps",
        "BTP: '20 phones for GBP 150', frequent swaps",
    )
    number_change_days: float = _p(
        75.0,
        "mean days between planned deal-number changes",
        "NCA 2018: ~2 numbers per branded line",
    )
    keep_handset_prob: float = _p(
        0.4, "chance a new deal number goes into the old handset", "choice"
    )
    disruptions_per_month: float = _p(
        0.2, "police disruptions (number blocked) per line a month", "choice"
    )
    relaunch_hours: float = _p(
        3.0,
        "median hours until a blocked line is back on a new number",
        "HMICFRS 2020: replacement phones sometimes within an hour",
    )
    expand_per_month: float = _p(
        0.15,
        "chance a line opens up in another town each month",
        "choice: lines spread month by month",
    )
    town_noise_sigma: float = _p(
        0.5,
        "log-normal spread of town attractiveness the data cannot see",
        "choice: keeps place models honest",
    )
    late_start_share: float = _p(0.2, "share of lines that start during the period", "choice")
    download_share: float = _p(
        0.3, "share of deal numbers whose message texts are known (handset downloads)", "choice"
    )
    intel_known_share: float = _p(0.25, "share of deal numbers already in intelligence", "choice")
    subscriber_check_share: float = _p(0.8, "share of numbers with a subscriber check", "choice")
    person_known_share: float = _p(
        0.15, "share of background people in the persons table", "choice"
    )


SCALES: dict[str, dict[str, Any]] = {
    "tiny": dict(
        months=1,
        n_background=400,
        n_lines=3,
        n_bulk_senders=4,
        n_taxi_firms=2,
        n_busy_businesses=3,
        customers_median=60,
        bulk_list_median=120,
        taxi_bookings_per_day=20.0,
    ),
    "small": {},
    "full": dict(
        months=3,
        n_background=90_000,
        n_lines=80,
        n_bulk_senders=160,
        n_taxi_firms=60,
        n_busy_businesses=200,
    ),
    "huge": dict(
        months=3,
        n_background=300_000,
        n_lines=80,
        n_bulk_senders=500,
        n_taxi_firms=200,
        n_busy_businesses=700,
    ),
}
"""Scale presets: fields that differ from the defaults (`small`, the demo)."""


def params_for(scale: str = "small", **overrides: Any) -> Params:
    """The preset of `scale`, with `overrides` applied."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return replace(Params(), **{**SCALES[scale], **overrides})


def describe() -> list[tuple[str, Any, str, str]]:
    """(name, default, meaning, source) for every parameter, for the docs."""
    return [(f.name, f.default, f.metadata["doc"], f.metadata["source"]) for f in fields(Params)]
