"""`countylines opendata …`: build cases and counts from real open data (no login needed)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from countylines.cliutil import err, out, print_json, run

opendata_app = typer.Typer(
    help="Build a case folder, or monthly crime counts, from real open data (docs/opendata.md).",
    no_args_is_help=True,
)

FAR_POSTCODE_KM = 10.0
"""A hub whose nearest matrix postcode is further than this gets a warning."""

DataArg = Annotated[
    Path, typer.Argument(help="Open data folder, laid out as shared/data (see docs/opendata.md).")
]
ForceOpt = Annotated[
    list[str],
    typer.Option("--force", "-f", help="Police force, e.g. 'West Mercia' (repeatable)."),
]
MonthsOpt = Annotated[
    str | None,
    typer.Option(
        "--months", help="YYYY-MM, a range YYYY-MM..YYYY-MM or a comma list; default: all."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]


@opendata_app.command("case")
def case_command(
    data: DataArg,
    force: ForceOpt,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="New case folder to write.")],
    months: MonthsOpt = None,
    hub: Annotated[
        list[str] | None,
        typer.Option(
            "--hub",
            help="Hub city, a GeoNames place name (repeatable); default Birmingham, Liverpool, "
            "Manchester, London.",
        ),
    ] = None,
    station_margin_km: Annotated[
        float, typer.Option(min=0.0, help="Keep rail stations this far outside the areas (km).")
    ] = 10.0,
    all_rows: Annotated[
        bool,
        typer.Option("--all-rows", help="Keep crimes the forces recorded outside their own LSOAs."),
    ] = False,
    fix_geometry: Annotated[
        bool, typer.Option("--fix-geometry", help="Repair broken polygons (shapely.make_valid).")
    ] = False,
    boundaries: Annotated[
        Path | None,
        typer.Option(
            help="LSOA 2011 boundary file (GeoJSON, .geojson.gz, GeoPackage or Shapefile) "
            "instead of DATA/boundaries/lsoa11_bsc_ew.geojson.gz."
        ),
    ] = None,
    crime_dir: Annotated[
        Path | None,
        typer.Option(help="police.uk archive folder (YYYY-MM/…) instead of DATA/crime/police_uk."),
    ] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write a case folder (areas, incidents, stations, hubs, travel times) for police forces."""
    from countylines.opendata.case import DEFAULT_HUBS, build_case
    from countylines.opendata.police_uk import parse_months
    from countylines.opendata.sources import DataFiles

    def body() -> int:
        files = DataFiles()
        files = replace(files, boundaries=boundaries.resolve()) if boundaries else files
        files = replace(files, crime=crime_dir.resolve()) if crime_dir else files
        summary = build_case(
            data,
            force,
            out_dir,
            months=parse_months(months) if months else None,
            hubs=hub or DEFAULT_HUBS,
            station_margin_m=station_margin_km * 1000.0,
            in_area=not all_rows,
            fix_geometry=fix_geometry,
            files=files,
        )
        if as_json:
            print_json(summary.as_dict())
        elif not quiet:
            s = summary.street
            err.print(
                f"wrote {escape(str(summary.out))}: {summary.areas} areas in "
                f"{len(summary.towns)} towns and rural groups, {summary.incidents:,} incidents "
                f"({s.no_coordinates} rows without coordinates and {s.out_of_area} outside the "
                f"forces left out), {summary.stations} stations, {len(summary.hubs)} hubs, "
                f"{summary.travel_rows:,} travel times"
            )
            for h in summary.hubs:
                if h["distance_km"] > FAR_POSTCODE_KM:
                    err.print(
                        f"[yellow]warning:[/] travel times to {escape(h['hub'])} are to postcode "
                        f"{escape(h['postcode'])}, {h['distance_km']} km from its centre"
                    )
        return 0

    run(body)


@opendata_app.command("counts")
def counts_command(
    data: DataArg,
    force: ForceOpt,
    months: Annotated[str, typer.Option("--months", help="YYYY-MM, YYYY-MM..YYYY-MM or a list.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    crime_type: Annotated[
        list[str] | None,
        typer.Option(
            "--crime-type",
            help="police.uk crime type (repeatable); default Drugs and Possession of weapons.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Monthly crime counts per LSOA of the forces (area_id, month, count), zeros included."""
    from countylines.opendata.police_uk import DRUGS_AND_WEAPONS, monthly_counts, parse_months
    from countylines.opendata.sources import DataFiles, choose_forces, read_lookup

    def body() -> int:
        files = DataFiles().under(data)
        lookup = read_lookup(files.lookup)
        chosen = choose_forces(lookup, force)
        areas = sorted(lookup.loc[lookup["police_force"].isin(chosen), "lsoa11_code"])
        counts = monthly_counts(
            files.crime, chosen, parse_months(months), areas, crime_type or DRUGS_AND_WEAPONS
        )
        counts.to_csv(out_file, index=False)
        by_month = {str(k): int(v) for k, v in counts.groupby("month")["count"].sum().items()}
        if as_json:
            print_json({"out": str(out_file), "areas": len(areas), "by_month": by_month})
        else:
            err.print(f"wrote {escape(str(out_file))}: {len(areas)} LSOAs, counts {by_month}")
        return 0

    run(body)


@opendata_app.command("forces")
def forces_command(data: DataArg, as_json: JsonOpt = False) -> None:
    """List the police forces, their LSOA counts and the months of street files present."""
    from countylines.opendata.police_uk import street_months
    from countylines.opendata.sources import DataFiles, force_names, read_lookup

    def body() -> int:
        files = DataFiles().under(data)
        lookup = read_lookup(files.lookup)
        sizes = lookup["police_force"].value_counts()
        rows = [
            (
                name,
                int(sizes[name]),
                street_months(files.crime, name) if files.crime.is_dir() else [],
            )
            for name in force_names(lookup)
        ]
        if as_json:
            print_json([{"force": f, "lsoas": n, "months": m} for f, n, m in rows])
            return 0
        table = RichTable("force", "LSOAs", "street files", box=None)
        for name, n, months in rows:
            table.add_row(escape(name), str(n), ", ".join(months) or "-")
        out.print(table)
        return 0

    run(body)


@opendata_app.command("backtest")
def backtest_command(
    data: DataArg,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for real_backtest.json.")],
    target: Annotated[str, typer.Option(help="The force scored from its neighbours.")] = (
        "West Mercia"
    ),
    neighbour: Annotated[
        list[str] | None,
        typer.Option(
            "--neighbour",
            help="Neighbouring force (repeatable); default Staffordshire and Warwickshire.",
        ),
    ] = None,
    fit_months: Annotated[
        str, typer.Option(help="Months to fit on: YYYY-MM, a range or a comma list.")
    ] = "2018-10..2018-12",
    score_month: Annotated[str, typer.Option(help="The month scored, YYYY-MM.")] = "2019-01",
    as_json: JsonOpt = False,
) -> None:
    """Backtest the place model on police.uk Drugs + Possession of weapons counts per LSOA."""
    from countylines.maps.write import replace_atomically
    from countylines.opendata.backtest import NEIGHBOURS, real_backtest, scenarios
    from countylines.opendata.police_uk import MONTH, parse_months
    from countylines.opendata.sources import OpenDataError

    def body() -> int:
        if not MONTH.match(score_month):
            raise OpenDataError(f"--score-month must be one month (YYYY-MM), not {score_month!r}")
        plan = scenarios(target, neighbour or NEIGHBOURS, parse_months(fit_months), score_month)
        result = real_backtest(data, plan)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "real_backtest.json"
        replace_atomically(path, lambda p: p.write_text(json.dumps(result, indent=2) + "\n"))
        if as_json:
            print_json(result)
            return 0
        for s in result["scenarios"]:
            out.print(
                f"{s['scenario']}: fit {', '.join(s['fit_forces'])} {s['fit_months'][0]}.."
                f"{s['fit_months'][-1]} ({s['fit_counts']} crimes), score "
                f"{', '.join(s['score_forces'])} {s['score_month']} ({s['score_counts']} crimes "
                f"in {s['score_areas_with_counts']} of {s['score_areas']} LSOAs)"
            )
            columns = [c.replace("hit_rate_", "hit") for c in next(iter(s["metrics"].values()))]
            table = RichTable("score", *(c.replace("pai_", "pai") for c in columns), box=None)
            for name, values in s["metrics"].items():
                table.add_row(name, *(f"{v:.3f}" for v in values.values()))
            out.print(table)
        err.print(f"written to {escape(str(path))}")
        return 0

    run(body)


def register(app: typer.Typer) -> None:
    app.add_typer(opendata_app, name="opendata")
