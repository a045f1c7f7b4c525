"""Small lines: a line whose customer list is too short for the fixed bulk-text and contact
thresholds still reaches the candidates (list bursts), and a deal number too short-lived to
score joins its line when it relays the line's orders to the line's runners."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from countylines.database import load_case
from countylines.evaluate import evaluate
from countylines.lines.detect import LineSettings, find_lines
from countylines.lines.features import FeatureSettings
from countylines.lines.link import LinkSettings, relay_successors
from countylines.lines.report import write_outputs
from countylines.simulate.params import params_for
from countylines.simulate.region import builtin_region
from countylines.simulate.run import simulate


def _triangles(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["x", "y", "c", "n"])


def test_a_short_lived_number_relaying_to_a_line_runners_joins_it() -> None:
    line_of = {"D1": "L001", "r1": "L001", "r2": "L001", "D9": "L002", "r9": "L002"}
    customers = {"L001": {"c1", "c2", "c3"}, "L002": {"k1", "k2"}}
    triangles = _triangles(
        [
            ("N", "r1", "c1", 1), ("N", "r2", "c2", 1),  # a new number of L001
            ("F", "r1", "c1", 1), ("F", "r1", "z1", 1), ("F", "r1", "z2", 1),  # mostly strangers
            ("O", "r2", "c3", 2),  # two relays, but one customer
            ("c2", "r1", "c1", 3), ("c2", "r2", "c3", 1),  # a customer is never one
            ("D1", "r1", "c1", 9),  # nor a deal number already in the line
            ("M", "r1", "c1", 1), ("M", "r1", "c2", 1), ("M", "r9", "k1", 2), ("M", "r9", "k2", 1),
        ]
    )  # fmt: skip
    found = relay_successors(triangles, line_of, customers, LinkSettings())
    assert found.values.tolist() == [["M", "L002", 1.0, 3], ["N", "L001", 1.0, 2]]


def test_relay_successor_thresholds_are_settings() -> None:
    triangles = _triangles([("N", "r1", "c1", 1), ("N", "r1", "c2", 1), ("N", "r1", "x", 1)])
    line_of, customers = {"r1": "L001"}, {"L001": {"c1", "c2"}}
    assert relay_successors(triangles, line_of, customers, LinkSettings()).shape[0] == 1
    stricter = LinkSettings(successor_overlap=0.7)  # 2 of 3 callers served are customers
    assert relay_successors(triangles, line_of, customers, stricter).empty
    assert relay_successors(
        triangles, line_of, customers, LinkSettings(relay_successor_min_triangles=4)
    ).empty


@pytest.fixture(scope="module")
def small_lines(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny case whose lines have small customer lists (median 15, the simulator's floor;
    seed 5151, a development seed of the small-line work)."""
    folder = tmp_path_factory.mktemp("small-lines")
    case = folder / "case"
    simulate(
        case, params_for("tiny", seed=5151, customers_median=15), builtin_region("west-mercia")
    )
    result, _ = load_case(case, folder / "loaded")
    assert result.ok, result.log.problems()[:3]
    return case, folder / "loaded" / "case.duckdb"


def test_lines_of_a_few_customers_are_found(small_lines: tuple[Path, Path], tmp_path: Path) -> None:
    case, database = small_lines
    truth = pd.read_csv(case / "truth" / "lines.csv")
    assert (truth["n_customers"] < 20).sum() >= 2  # lines too small for 20-text bursts
    result = find_lines(database)
    write_outputs(result, tmp_path)
    m = evaluate(case, tmp_path)["lines"]
    assert m["line_recall"] == 1.0 and m["line_precision"] == 1.0, m
    assert m["deal_numbers"]["precision"] == 1.0 and m["deal_numbers"]["f1"] >= 0.95, m
    assert m["bulk_texters_flagged"] == 0, m
    # without list bursts the small lines never reach the candidates
    fixed = LineSettings(features=FeatureSettings(list_burst_min_recipients=10**6))
    assert len(find_lines(database, fixed).lines) < len(truth)
