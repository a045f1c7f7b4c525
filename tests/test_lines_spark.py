"""The line features on Apache Spark (local mode) give exactly what DuckDB gives.

The features' SQL is written once (countylines.lines.features); the Spark engine runs it
translated by sqlglot. One tiny simulated case, through the CLI's `--engine spark`, compared
with the DuckDB engine's register and numbers, column by column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import cli, shared_case, shared_database

from countylines.lines.detect import find_lines
from countylines.private_outputs import OutputPseudonymiser
from countylines.workspace import Workspace, load_key


def test_spark_finds_the_same_lines_as_duckdb(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, _private_workspace: Path
) -> None:
    database = shared_database(shared_case(tmp_path_factory, "tiny", 11))
    duck = find_lines(database)
    res = cli("lines", database, "--out", tmp_path / "spark", "--engine", "spark", "-q")
    assert res.exit_code == 0, res.stderr
    numbers = pd.read_parquet(tmp_path / "spark" / "line_numbers.parquet")
    lines = pd.read_parquet(tmp_path / "spark" / "lines.parquet")
    assert len(duck.lines) >= 2 and (duck.numbers["role"] == "runner").any()
    key = load_key(Workspace(_private_workspace).key_path)  # the CLI's outputs are pseudonymised
    duck = OutputPseudonymiser.for_case(key, database).hide(duck)
    pd.testing.assert_frame_equal(numbers, duck.numbers, check_dtype=False)
    pd.testing.assert_frame_equal(lines, duck.lines, check_dtype=False)


def test_an_unknown_engine_is_refused_before_any_work(tmp_path: Path) -> None:
    res = cli("lines", tmp_path / "nowhere", "--out", tmp_path / "out", "--engine", "oracle")
    assert res.exit_code == 2 and "unknown engine 'oracle'" in res.stderr
    assert not (tmp_path / "out").exists()
