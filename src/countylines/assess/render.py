"""The briefing as HTML and PDF: `report.html`/`report.pdf` (restricted edition) and
`report-public.html`/`report-public.pdf` (public edition), written atomically into OUT.

HTML from a Jinja2 template with autoescaping (nothing from the data is trusted; charts are PNG
data URIs made here), PDF from that HTML by WeasyPrint (A4, page numbers, the protective
marking on every page).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import jinja2

from countylines import __version__
from countylines.assess.briefing import build
from countylines.assess.charts import bar_chart

MARKINGS = {"restricted": "OFFICIAL-SENSITIVE", "public": "OFFICIAL (public)"}
ANALYSES = {"places": "places at risk", "people": "people and exploitation",
            "violence": "violence and weapons", "movement": "transport"}  # fmt: skip
"""Analysis folders of OUT the briefing reports on when present, and how it names them."""

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("countylines.assess", "templates"), autoescape=True
)


def _png(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def charts(briefing: dict[str, Any]) -> dict[str, str]:
    """The briefing's charts, base64 PNG, by name."""
    made = {}
    lines, people = briefing["lines"], briefing["people"]
    if lines:
        made["hubs"] = _png(bar_chart(lines["hub_counts"], "Lines by hub", "lines"))
        if briefing["edition"] == "restricted":
            made["deals"] = _png(
                bar_chart(lines["deals_by_line"], "Deals a day by line (largest 15)", "deals a day")
            )
    violence = briefing["violence"]
    if violence and violence["weapon_counts"]:
        made["weapons"] = _png(
            bar_chart(
                violence["weapon_counts"], "Incidents attributed to lines, by weapon", "incidents"
            )
        )
    places = briefing["places"]
    if places and places["map_png"]:
        made["map"] = _png(places["map_png"])
    if people and briefing["edition"] == "restricted":
        made["factors"] = _png(
            bar_chart(people["factor_counts"], "Risk factors on the safeguarding list", "people")
        )
    return made


def html(
    out: Path, edition: str, title: str, period: str, price: float, key: bytes | None = None
) -> str:
    """The briefing of `out` as one self-contained HTML document (`key`: see `build`)."""
    briefing = build(out, edition, title, period, key)
    missing = [label for folder, label in ANALYSES.items() if not (out / folder).is_dir()]
    return _ENV.get_template("report.html").render(
        b=briefing, charts=charts(briefing), marking=MARKINGS[edition], version=__version__,
        price=f"{price:g}", missing=missing,
    )  # fmt: skip


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_reports(
    out: Path, title: str, period: str, price: float, key: bytes | None = None
) -> list[Path]:
    """Both editions as HTML and PDF in `out`; returns the paths written."""
    import weasyprint

    paths = []
    for edition, stem in (("restricted", "report"), ("public", "report-public")):
        document = html(out, edition, title, period, price, key)
        _write(out / f"{stem}.html", document.encode("utf-8"))
        _write(out / f"{stem}.pdf", weasyprint.HTML(string=document).write_pdf())
        paths += [out / f"{stem}.html", out / f"{stem}.pdf"]
    return paths
