"""`assess`: the steps, resuming, both editions of the briefing, its PDF, and hostile text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import XSS, cli, shared_case, write_hostile_results
from PIL import Image

from countylines.assess.assessment import assess
from countylines.assess.briefing import shown
from countylines.assess.render import html
from countylines.pseudonym import IdType, pseudonym

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    case = tmp_path_factory.mktemp("assess") / "case"
    shutil.copytree(shared_case(tmp_path_factory, "small", 12), case)
    out = case.parent / "out"
    outcomes = assess(case, out, KEY)
    assert [(o.name, o.ran) for o in outcomes] == [
        ("load", True), ("lines", True), ("places", True), ("people", True),
        ("violence", True), ("movement", True), ("network", True), ("report", True)]  # fmt: skip
    return case, out


def test_outputs_and_a_second_run_skips_every_step(assessed: tuple[Path, Path]) -> None:
    case, out = assessed
    for name in ("work/case.duckdb", "lines/lines.csv", "places/towns.csv",
                 "places/places_map.png", "people/safeguarding.csv", "network/network.anx",
                 "report.html",
                 "report.pdf", "report-public.html", "report-public.pdf"):  # fmt: skip
        assert (out / name).is_file(), name
    assert [o.ran for o in assess(case, out, KEY)] == [False] * 8
    text = (out / "report.html").read_text()
    assert "Victims and exploitation" in text and "safeguarding list" in text
    assert "Places: infiltrated and at risk" in text and "Map of infiltrated" in text
    assert "Violence and weapons" in text and "Transport" in text


def test_a_changed_input_or_a_lost_output_reruns_what_depends_on_it(
    assessed: tuple[Path, Path],
) -> None:
    case, out = assessed
    (out / "report.pdf").unlink()
    assert [o.ran for o in assess(case, out, KEY)] == [False] * 7 + [True]
    hubs = case / "hubs.csv"
    stat = hubs.stat()
    os.utime(hubs, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert [o.ran for o in assess(case, out, KEY)] == [True] * 8


def test_no_output_holds_a_real_identifier(assessed: tuple[Path, Path]) -> None:
    """Every table of every analysis (CSV and Parquet) is pseudonymised: no phone number of
    the case, no person id and no registration mark appears, while their tokens do."""
    case, out = assessed
    persons = set(pd.read_csv(case / "persons.csv", dtype=str)["person_id"])
    vrms = set(pd.read_csv(case / "vehicles.csv", dtype=str)["vrm"])
    numbers = set(pd.read_csv(case / "subscribers.csv", dtype=str)["number"])
    phone = re.compile(r"\+44\d{9,10}")
    seen_tokens = set()
    tables = [p for p in out.rglob("*") if p.suffix in (".csv", ".parquet", ".txt")]
    assert len(tables) > 20
    for path in tables:
        if path.suffix == ".parquet":
            text = pd.read_parquet(path).to_csv(index=False)
        else:
            text = path.read_text()
        words = set(re.findall(r"[A-Za-z0-9+]+", text))
        assert not phone.search(text), (path, phone.search(text))
        assert not words & persons, (path, sorted(words & persons)[:3])
        assert not words & vrms, (path, sorted(words & vrms)[:3])
        assert not words & numbers, (path, sorted(words & numbers)[:3])
        seen_tokens |= {t[:3] for t in re.findall(r"\b(?:PH|PE|VR)-[0-9a-z]{12}\b", text)}
    assert seen_tokens == {"PH-", "PE-", "VR-"}
    listed = pd.read_csv(out / "people" / "safeguarding.csv", dtype=str)
    tokens = {pseudonym(p, IdType.PERSON, KEY) for p in persons}
    assert len(listed) and set(listed["person_id"]) <= tokens


def test_public_edition_shows_aggregates_only(assessed: tuple[Path, Path]) -> None:
    _, out = assessed
    images = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")
    public = images.sub("", (out / "report-public.html").read_text())
    restricted = images.sub("", (out / "report.html").read_text())
    assert "L001" in restricted and "L001" not in public
    assert "OFFICIAL-SENSITIVE" in restricted and "OFFICIAL (public)" in public
    phone = re.compile(r"\+44\d{9,10}\b")
    assert not phone.search(restricted) and not phone.search(public)
    assert shown(3, "public") == "fewer than 5" and shown(3, "restricted") == "3"
    assert shown(0, "public") == "0" and shown(12, "public") == "12"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="no pdftoppm (poppler-utils)")
def test_the_pdf_pages_are_not_blank(assessed: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = assessed
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(out / "report.pdf"), str(tmp_path / "p")],
                   check=True)  # fmt: skip
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 2
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"), dtype=float)
        assert pixels.std() > 5, f"{page.name} is blank"


def test_hostile_text_is_escaped_in_the_briefing(tmp_path: Path) -> None:
    write_hostile_results(tmp_path)
    document = html(tmp_path, "restricted", XSS[0], "period", 15.0)
    assert "<script" not in document and "<img src=x" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document


def test_cli_refuses_a_missing_case_or_an_output_inside_it(tmp_path: Path) -> None:
    res = cli("assess", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert res.exit_code == 2 and "not a case folder" in res.stderr
    (tmp_path / "case").mkdir()
    res = cli("assess", tmp_path / "case", "--out", tmp_path / "case" / "out")
    assert res.exit_code == 2 and "inside the case folder" in res.stderr


def test_evaluate_reads_an_assess_folder(assessed: tuple[Path, Path]) -> None:
    from countylines.evaluate import evaluate

    case, out = assessed
    metrics = evaluate(case, out, KEY)
    assert set(metrics) == {"lines", "places", "people", "violence", "movement"}
    assert metrics["lines"]["deal_numbers"]["f1"] > 0.5
