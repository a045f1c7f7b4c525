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
    bg_hub_share: float = _p(
        0.15,
        "share of background subscribers living in the hub cities",
        "choice: the case is a West Mercia one; hub numbers appear as contacts",
    )
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
        0.3,
        "orders a day per customer",
        "choice: about GBP 500/day at the median list, GBP 5k+/day for the largest lists "
        "(NCA 2018: up to GBP 3-5k a day per line)",
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
    deal_phones_in_town: bool = _p(
        False,
        "deal phones are used from the market town instead of the hub (an evasive line)",
        "choice: the default follows NCA 2018 (the deal line is run from the hub)",
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
    town_population_power: float = _p(
        1.0,
        "a town's attractiveness to lines grows as population ** power (the size of its market)",
        "Poisson fit of data.police.uk West Mercia 'Drugs' + 'Possession of weapons' "
        "2018-10..2019-01 per town on log population and vulnerability: 0.92 (town polygons) "
        "to 1.19 (crimes near the town point) (tools/calibrate_town_choice.py)",
    )
    town_vulnerability_beta: float = _p(
        0.25,
        "a town's attractiveness grows as exp(beta * vulnerability) (town mean deprivation)",
        "the same fit: 0.26 on town polygons, -0.24 and -0.20 near the town point",
    )
    town_noise_sigma: float = _p(
        0.4,
        "log-normal spread of town attractiveness the data cannot see",
        "the same fit: residual spread beyond Poisson 0.40 on town polygons (0.41 and 0.52 "
        "near the town point), as a log-normal sigma",
    )
    neighbourhood_vulnerability_sd: float = _p(
        0.24,
        "standard deviation of a neighbourhood's deprivation (vulnerability) around its town's",
        "West Mercia LSOAs in the region's town polygons, IMD 2019 rank rescaled: pooled "
        "within-town SD 0.24 (0.27 and 0.25 in the built-up part only) "
        "(tools/calibrate_neighbourhoods.py)",
    )
    neighbourhood_density_correlation: float = _p(
        0.19,
        "correlation of a neighbourhood's deprivation with its density (minus its log area, "
        "standardised within the town)",
        "the same LSOAs: correlation of the within-town deviation with minus log LSOA area 0.19 "
        "(0.36 and 0.29 in the built-up part only)",
    )
    neighbourhood_vulnerability_beta: float = _p(
        2.3,
        "a line picks a town's neighbourhoods with weight population x exp(beta * vulnerability)",
        "Poisson fit of data.police.uk West Mercia 'Drugs' + 'Possession of weapons' "
        "2018-10..2019-01 per LSOA on vulnerability with town fixed effects and log population "
        "offset: 2.33 (SE 0.14) in the town polygons (2.22 and 2.34 in the built-up part only) "
        "(tools/calibrate_neighbourhoods.py)",
    )
    line_customers_per_neighbourhood: float = _p(
        25.0,
        "customers a line serves per neighbourhood it works (it works ceil(customers / this) "
        "of a town's neighbourhoods)",
        "choice: the opiate and crack users of a neighbourhood of ~4,000 residents (Hay et al. "
        "2019: 8.9 per 1,000 aged 15-64, ~2,600 of them: ~23)",
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
    bg_mental_health_share: float = _p(
        0.1,
        "share of background adults with a recorded mental-health need",
        "APMS 2014: 17% of adults in England have a common mental disorder; about 3 in 5 of "
        "them recorded by police or partners (assumption)",
    )
    bg_drug_use_share: float = _p(
        0.03,
        "share of background adults recorded as drug users",
        "CSEW 2018/19: 9% of 16-59s used a drug in the last year; about 1 in 3 of them "
        "recorded by police or partners (assumption)",
    )
    customer_mental_health_share: float = _p(
        0.4,
        "share of the lines' customers (not their victims) with a recorded mental-health need",
        "PHE 2017: about 70% of people in drug treatment have a mental-health need; about 3 in "
        "5 of them recorded (assumption)",
    )
    customer_drug_debt_share: float = _p(
        0.15,
        "share of the lines' customers (not their victims) with a recorded drug debt",
        "choice: debt is common among heroin and crack users, rarely recorded",
    )
    cuckoo_report_share: float = _p(
        0.6,
        "share of cuckooed homes that neighbours, housing or partners ever report to police",
        "choice: not every takeover is noticed or reported",
    )
    cuckoo_report_delay_days: float = _p(
        21.0, "mean days from a takeover to the first report of the home (exponential)", "choice"
    )
    cuckoo_reports_per_month: float = _p(
        1.0, "further reports a month of a cuckooed home once it has been reported", "choice"
    )
    address_reports_per_1000_month: float = _p(
        0.255,
        "reports of drug dealing or callers at an ordinary home per 1,000 residents a month",
        "data.police.uk West Mercia 2018-10..2019-01: anti-social behaviour 3,187/month over "
        "1.25m residents (2.55 per 1,000); 1 in 10 of it about callers or dealing at a home "
        "(assumption)",
    )
    address_report_drug_lift: float = _p(
        10.0,
        "how many times as often the home of a recorded drug user is reported",
        "choice: users deal to friends and attract callers",
    )
    welfare_concern_per_month: float = _p(
        0.02,
        "chance a month of a concern for welfare at the home of a person with a recorded "
        "mental-health need",
        "choice",
    )
    report_named_share: float = _p(
        0.6, "share of address reports that name the occupant (when known)", "choice"
    )

    # Movement
    runner_rail_share: float = _p(
        0.5,
        "share of child runners' trips made by train (when both ends have a station)",
        "NCA 2018/BTP: runners travel by train, hire car or taxi; choice",
    )
    runner_stay_days_min: int = _p(
        2, "shortest stay of a child runner in the market town, days", "NCA 2018: stays of days"
    )
    runner_stay_days_max: int = _p(
        5, "longest stay of a child runner in the market town, days", "choice"
    )
    runner_hub_days_min: int = _p(2, "fewest days a child runner spends back in the hub", "choice")
    runner_hub_days_max: int = _p(
        5, "most days a child runner spends back in the hub (trips roughly weekly)", "choice"
    )
    line_vehicles_max: int = _p(
        3, "most hire cars, taxis or private-hire cars a line uses (at least 1)", "choice"
    )
    cuckoo_visit_share: float = _p(
        0.2,
        "share of orders placed from the cuckooed address (customers visit it)",
        "Home Office 2018: cuckooed homes used as a base to deal from",
    )
    road_camera_minutes: float = _p(
        20.0, "minutes of driving between ANPR cameras along a road", "choice"
    )
    anpr_read_prob: float = _p(0.9, "chance a camera reads a passing vehicle's plate", "choice")
    private_car_share: float = _p(
        0.15, "private cars driving between towns per background subscriber", "choice"
    )
    private_trips_per_day: float = _p(
        0.1, "out-and-back drives to another town a day per private car", "choice"
    )
    fleet_vehicle_share: float = _p(
        0.01,
        "legitimate hire cars, taxis and private-hire cars per background subscriber (at least 6)",
        "choice",
    )
    fleet_trips_per_day: float = _p(
        0.5, "out-and-back drives to another town a day per legitimate fleet vehicle", "choice"
    )
    care_children_share: float = _p(
        0.02,
        "children in care (not exploited) who go missing, per background subscriber (at least 10)",
        "choice",
    )
    care_missing_per_month: float = _p(
        0.8,
        "missing episodes a month of a child in care who is not exploited",
        "choice: repeat episodes are common for children in care",
    )
    runner_missing_report_prob: float = _p(
        0.75,
        "chance a trip of a child runner known to care is reported as a missing episode",
        "Children's Society / NCA: going missing is a key indicator of exploitation",
    )

    # Violence: line-caused incidents (taxing, rivalry, show of strength) and background crime
    taxing_per_line_month: float = _p(
        0.8,
        "taxing incidents (robbing or attacking a customer who owes, or a rival dealer) "
        "a line-month",
        "choice; NPCC 2024: 3 in 4 county-lines offenders have violence or weapons convictions",
    )
    show_of_strength_per_line_month: float = _p(
        0.4,
        "public shows of strength (weapon brandished, attack at a cuckooed address) a line-month",
        "choice",
    )
    rivalry_prob: float = _p(0.6, "chance two lines working the same town become rivals", "choice")
    rivalry_max_per_line: int = _p(
        2, "most rivalries a line is drawn into", "choice: keeps busy towns from all-out war"
    )
    rivalry_delay_days: float = _p(
        14.0, "mean days from two lines meeting in a town to the first rivalry", "choice"
    )
    rivalry_base_per_month: float = _p(
        0.8,
        "rivalry incidents a month between two rival lines in the rivalry's first month",
        "choice",
    )
    rivalry_growth: float = _p(
        1.6,
        "factor by which a rivalry's incident rate grows each month (escalation)",
        "choice: tit-for-tat escalation",
    )
    rivalry_max_per_month: float = _p(8.0, "cap on a rivalry's incident rate a month", "choice")
    rivalry_weapon_escalation: float = _p(
        0.35,
        "log-weight per rivalry month (up to 4) shifting weapons toward machetes, guns and acid",
        "choice; NCA 2017: knives 85% of forces, firearms 74%, acid noted since 2016",
    )
    line_suspect_named_share: float = _p(
        0.7, "share of line incidents in which the line's runners are named", "choice"
    )
    rivalry_victim_named_share: float = _p(
        0.9,
        "share of rivalry assaults (category violence) in which the attacked line's runners, the "
        "victims, are named",
        "choice: a crime record of violence names its victim (Home Office Counting Rules); "
        "the injured are identified through A&E even when they will not support a prosecution",
    )
    arrest_phone_seized_share: float = _p(
        0.5,
        "share of a line's runners arrested and searched (named suspects of a weapons find at "
        "the scene, or of a robbery or assault later) whose runner phone is seized and its "
        "number recorded against them in subscribers.person_id",
        "choice: phones on a person arrested are seized as evidence (PACE 1984 s.32 search on "
        "arrest, s.19 seizure) and downloaded in drug-supply cases (customer lists read from "
        "seized deal phones, Nottinghamshire 2021, Sussex 2022); national intensification week "
        "Sept 2020: 102 deal-line phones from 1,041 arrests, most arrested not being runners",
    )
    suspect_later_arrest_share: float = _p(
        0.5,
        "share of a line's robberies and assaults naming its runners as suspects in which they "
        "are arrested, 1-14 days later (a weapons find arrests them at the scene)",
        "choice: a named suspect of a violent offence is normally arrested; some are never "
        "found or the victim withdraws first",
    )
    motive_mention_share: float = _p(
        0.35, "share of line incident descriptions that mention the motive", "choice"
    )
    incident_call_prob: float = _p(
        0.5, "chance the runner calls the deal line within minutes of a line incident", "choice"
    )
    weapon_unknown_share: float = _p(
        0.15,
        "share of incidents whose weapon field is 'unknown' (the text may still name it)",
        "choice",
    )
    weapon_silent_share: float = _p(
        0.2, "share of incidents whose description does not repeat the weapon field", "choice"
    )
    typo_share: float = _p(0.12, "share of incident descriptions with a typo", "choice")
    bg_violence_per_1000_month: float = _p(
        2.29,
        "background violence incidents per 1,000 residents a month",
        "data.police.uk West Mercia street crime 2018-10..2019-01, 'Violence and sexual "
        "offences' in West Mercia LSOAs (2,856/month) / IoD 2019 mid-2015 population (1.25m)",
    )
    bg_weapons_per_1000_month: float = _p(
        0.054,
        "background weapons-possession incidents per 1,000 residents a month",
        "data.police.uk West Mercia 2018-10..2019-01, 'Possession of weapons' (68/month)",
    )
    bg_drugs_per_1000_month: float = _p(
        0.139,
        "background drugs incidents per 1,000 residents a month",
        "data.police.uk West Mercia 2018-10..2019-01, 'Drugs' (174/month)",
    )
    bg_robbery_per_1000_month: float = _p(
        0.041,
        "background robberies per 1,000 residents a month",
        "data.police.uk West Mercia 2018-10..2019-01, 'Robbery' (51/month)",
    )
    bg_other_per_1000_month: float = _p(
        0.38,
        "background 'other' incidents (public order, other crime) per 1,000 residents a month",
        "data.police.uk West Mercia 2018-10..2019-01, 'Public order' + 'Other crime' (479/month)",
    )
    bg_incident_deprivation_beta: float = _p(
        2.3,
        "background incident rate grows as exp(beta * vulnerability), mean rate kept",
        "Poisson fit over West Mercia LSOAs of 2018-10..2019-01 counts against IMD 2019 "
        "rank: beta 2.2 (violence) to 2.7 (robbery)",
    )
    bg_incident_scale: float = _p(
        1.0, "multiplier on all background incident rates (thin out for small demos)", "choice"
    )
    bg_person_incident_rate: float = _p(
        0.02,
        "chance a month that a known town resident (background person or drug-using customer) "
        "is named in an unrelated incident",
        "choice: people known to police, ~4x twice the violence rate per head (2.3/1,000)",
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


BEHAVIOURS: dict[str, dict[str, Any]] = {
    "default": {},
    "evasive": dict(marketing_per_day=0.15, number_change_days=4.0, deal_phones_in_town=True),
}
"""Behaviour presets applied on top of a scale: `evasive` lines send few bulk texts, change
number every few days and keep their deal phones in the market town."""


def params_for(scale: str = "small", behaviour: str = "default", **overrides: Any) -> Params:
    """The preset of `scale` with the `behaviour` preset and then `overrides` applied."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"unknown behaviour {behaviour!r}; choose one of {', '.join(BEHAVIOURS)}")
    return replace(Params(), **{**SCALES[scale], **BEHAVIOURS[behaviour], **overrides})


def parse_override(text: str) -> tuple[str, Any]:
    """`NAME=VALUE` from the command line, VALUE converted to the parameter's type."""
    name, sep, raw = text.partition("=")
    types = {f.name: f.type for f in fields(Params)}
    if not sep or name.strip() not in types:
        raise ValueError(f"--set {text!r}: expected NAME=VALUE with NAME a simulator parameter")
    name, raw, kind = name.strip(), raw.strip(), str(types[name.strip()])
    try:
        if kind == "bool":
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(raw)
            return name, raw.lower() in ("true", "1", "yes")
        if kind == "int":
            return name, int(raw)
        if kind == "float":
            return name, float(raw)
        if kind == "date":
            return name, date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"--set {name}: {raw!r} is not a valid {kind}") from None
    return name, raw


def describe() -> list[tuple[str, Any, str, str]]:
    """(name, default, meaning, source) for every parameter, for the docs."""
    return [(f.name, f.default, f.metadata["doc"], f.metadata["source"]) for f in fields(Params)]
