"""Hostile input: oversized files, decompression bombs, links out of the case, quotes in paths."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import duckdb
import pytest
from conftest import cli, copy_example, groups, keep_only, login_as, validate_json

import countylines.cli
from countylines import audit
from countylines.casefolder import member_path
from countylines.database import load_case, validate_case
from countylines.problems import CaseError
from countylines.reader import InputLimits
from countylines.workspace import Workspace

SMALL = InputLimits(max_gzip_ratio=100, min_gzip_budget=0)


def _bomb(path: Path, rows: int = 20_000) -> Path:
    """A .csv.gz whose rows repeat: it compresses several hundred times."""
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"cell_id,lat,lon\n")
        fh.write(b"".join(f"C{i % 7},52.0,-2.0\n".encode() for i in range(rows)))
    return path


def test_decompression_bomb_stops_with_a_clear_problem(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "cells")
    (case / "cells.csv").unlink()
    bomb = _bomb(case / "cells.csv.gz")
    result = validate_case(case, limits=SMALL)
    (problem,) = [p for p in result.log.problems() if p.code == "gzip_too_large"]
    budget = 100 * bomb.stat().st_size  # more than the 64 KiB header sniff
    assert problem.file == "cells.csv.gz" and f"{budget:,} bytes" in problem.message
    assert "decompression bomb" in problem.message
    assert result.rows["cells"] * len(b"C0,52.0,-2.0\n") <= budget
    # The default limits read the same file in full: the bound is about the ratio.
    assert "gzip_too_large" not in {p.code for p in validate_case(case).log.problems()}


def test_cli_gzip_ratio_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "cells")
    (case / "cells.csv").unlink()
    _bomb(case / "cells.csv.gz", rows=100_000)
    monkeypatch.setattr(countylines.cli, "DEFAULT_LIMITS", InputLimits(min_gzip_budget=0))
    report = validate_json(case, "--max-gzip-ratio", "1000", codes=(1,))  # duplicate keys
    assert not groups(report, code="gzip_too_large")
    report = validate_json(case, "--max-gzip-ratio", "50", codes=(1,))
    assert groups(report, code="gzip_too_large", file="cells.csv.gz")


def test_tiny_budget_stops_at_the_header(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "cells")
    (case / "cells.csv").unlink()
    _bomb(case / "cells.csv.gz")
    result = validate_case(case, limits=InputLimits(max_decompressed_bytes=100))
    assert [p.code for p in result.log.problems()] == ["gzip_too_large"]


def test_oversized_file_is_not_read(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "events", "cells")
    size = (case / "events.csv").stat().st_size
    result = validate_case(case, limits=InputLimits(max_file_bytes=size - 1))
    (problem,) = [p for p in result.log.problems() if p.code == "file_too_large"]
    assert problem.file == "events.csv" and f"{size:,} bytes" in problem.message
    assert "events" not in result.rows and "cells" in result.rows
    report = validate_json(case, "--max-file-gb", "0.000001", codes=(1,))  # 1,073 bytes
    assert {g["file"] for g in groups(report, code="file_too_large")} == {"events.csv"}


def test_oversized_geography_is_not_read(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "cells", "areas")
    result = validate_case(case, limits=InputLimits(max_areas_bytes=10))
    assert [p.file for p in result.log.problems() if p.code == "file_too_large"] == [
        "areas.geojson"
    ]
    assert "areas" not in result.rows


def test_links_leading_outside_the_case_are_refused(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "events", "cells")
    secret = tmp_path / "elsewhere" / "persons.csv"
    secret.parent.mkdir()
    secret.write_text("person_id,birth_year\nP1,2001\n")
    (case / "persons.csv").symlink_to(secret)
    (case / "areas.geojson").symlink_to("../../../../etc/hostname")
    (case / "cells.csv").rename(case / "real-cells.data")
    (case / "cells.csv").symlink_to("real-cells.data")  # a link inside the case is fine
    report = validate_json(case, codes=(1,))
    refused = {g["file"] for g in groups(report, code="outside_case")}
    assert refused == {"persons.csv", "areas.geojson"}
    assert "persons" not in report["rows"] and report["rows"]["cells"] > 0


def test_member_path_refuses_traversal(tmp_path: Path) -> None:
    root = tmp_path / "uploads"
    root.mkdir()
    assert member_path(root, "events.csv") == root.resolve() / "events.csv"
    (root / "out").symlink_to(tmp_path)
    for name in ("../x.csv", "/etc/passwd", "a/../../x", "", "out/x.csv", "..\\x.csv"):
        with pytest.raises(CaseError):
            member_path(root, name)


def test_paths_with_quotes_reach_sql_only_as_parameters(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "it's a case")
    out = tmp_path / "out'; DROP TABLE events; --"
    result, db = load_case(case, out)
    assert result.ok
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT value FROM _case_meta WHERE key = 'case'").fetchone() == (
        str(case.resolve()),
    )
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] > 0
    con.close()


def test_load_is_recorded_when_a_workspace_exists(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "events", "cells")
    cli("load", case, "--out", tmp_path / "work").assert_clean(0)
    (entry,) = audit.entries(workspace)
    assert entry.action == "collect" and entry.user.startswith("os:")
    assert entry.target == str((tmp_path / "work" / "case.duckdb").resolve())
    assert f"case:{case.resolve()}" in entry.records
    login_as(workspace, "root", "admin", monkeypatch)
    cli("audit", "verify").assert_clean(0)


def test_load_refuses_a_workspace_inside_the_output(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "cells")
    home = tmp_path / "work" / "ws"
    from countylines.workspace import open_workspace

    open_workspace(home, create=True)
    run = cli("load", case, "--out", tmp_path / "work", "--home", home).assert_clean(2)
    assert "outside every case and output folder" in run.flat
    assert not os.path.exists(tmp_path / "work" / "case.duckdb")
