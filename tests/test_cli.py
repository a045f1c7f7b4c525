"""The command line: help, version, schema, quiet and JSON output, and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import (
    CLI_EXE,
    EXAMPLE,
    cli,
    cli_subprocess,
    copy_example,
    keep_only,
    read_table,
    set_cell,
    write_table,
)

import countylines
import countylines.cli
from countylines.schema import AREA_COLUMNS, TABLES


def test_help_lists_the_commands() -> None:
    run = cli("--help").assert_clean(0)
    for command in ("validate", "load", "schema"):
        assert command in run.output
    for command in ("validate", "load", "schema"):
        sub = cli(command, "--help").assert_clean(0)
        assert "Usage" in sub.output


def test_version() -> None:
    run = cli("--version").assert_clean(0)
    assert run.output.split() == ["countylines", countylines.__version__]
    assert countylines.__version__ == version("countylines")


def test_schema_events_json_lists_the_schema_columns() -> None:
    run = cli("schema", "events", "--json").assert_clean(0)
    data = json.loads(run.stdout)
    assert list(data) == ["events"]
    columns = TABLES["events"].columns
    assert [c["column"] for c in data["events"]] == [c.name for c in columns]
    for got, col in zip(data["events"], columns, strict=True):
        assert got["kind"] == col.kind.value
        assert got["required"] == col.required
        assert got["values"] == list(col.values)


def test_schema_without_a_table_lists_every_table() -> None:
    data = json.loads(cli("schema", "--json").assert_clean(0).stdout)
    assert list(data) == [*TABLES, "areas"]
    assert [c["column"] for c in data["areas"]] == [c.name for c in AREA_COLUMNS]
    human = cli("schema", "persons").assert_clean(0)
    for name in TABLES["persons"].column_names:
        assert name in human.output


def test_schema_of_an_unknown_table() -> None:
    run = cli("schema", "nope").assert_clean(2)
    assert "nope" in run.output
    assert "events" in run.output  # says which tables exist


def _case_with_one_error_and_one_warning(tmp_path: Path) -> Path:
    case = keep_only(copy_example(tmp_path / "case"), "events", "cells")
    rows = read_table(case, "events")
    rows[0][rows[0].index("b_number")] = "B Number"  # warning: renamed column
    rows[4][rows[0].index("duration_s")] = "long"  # error: row 5
    write_table(case, "events", rows)
    return case


def test_quiet_prints_only_errors(tmp_path: Path) -> None:
    case = _case_with_one_error_and_one_warning(tmp_path)
    loud = cli("validate", case).assert_clean(1)
    assert "warning" in loud.flat and "B Number" in loud.flat  # the warning exists
    quiet = cli("validate", case, "--quiet").assert_clean(1)
    assert quiet.stdout == ""
    lines = [line for line in quiet.stderr.splitlines() if line.strip()]
    assert lines, "the error must still be shown"
    assert "events.csv, row 5, column 'duration_s'" in quiet.flat
    assert "B Number" not in quiet.output
    assert all(not line.startswith("warning") for line in lines)
    assert "FAILED" not in quiet.output and "OK" not in quiet.output


def test_quiet_valid_case_prints_nothing(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "events", "cells")
    rows = read_table(case, "events")
    rows[0][rows[0].index("b_number")] = "B Number"  # a warning only
    write_table(case, "events", rows)
    run = cli("validate", case, "--quiet").assert_clean(0)
    assert run.output.strip() == ""
    out = tmp_path / "out"
    run = cli("load", case, "--out", out, "-q").assert_clean(0)
    assert run.output.strip() == ""
    assert (out / "case.duckdb").is_file()


def test_json_output_parses(tmp_path: Path) -> None:
    good = cli("validate", EXAMPLE, "--json").assert_clean(0)
    report = json.loads(good.stdout)
    assert report["ok"] is True and report["errors"] == 0
    assert "Traceback" not in good.stderr

    case = _case_with_one_error_and_one_warning(tmp_path)
    bad = cli("validate", case, "--json").assert_clean(1)
    report = json.loads(bad.stdout)
    assert report["ok"] is False
    assert report["errors"] == 1 and report["warnings"] >= 1

    loaded = cli("load", case, "--out", tmp_path / "out", "--json").assert_clean(1)
    assert json.loads(loaded.stdout)["ok"] is False


def test_json_output_keeps_long_and_unusual_values_intact(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "events")
    value = "[bold]x[/bold] :smile: " + "é" * 150 + ' "quoted" \\ end'
    set_cell(case, "events", 3, "event_type", value)
    run = cli("validate", case, "--json").assert_clean(1)
    report = json.loads(run.stdout)
    (example,) = [e for g in report["groups"] for e in g["examples"] if g["code"] == "bad_enum"]
    assert example["value"] == value


@pytest.mark.parametrize("command", ["validate", "load"])
def test_missing_case_folder(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "no-such-case"
    extra = ["--out", str(tmp_path / "out")] if command == "load" else []
    run = cli(command, missing, *extra).assert_clean(2)
    assert str(missing).replace(" ", "") in run.squashed
    assert "exist" in run.flat
    assert not (tmp_path / "out" / "case.duckdb").exists()


def test_missing_case_folder_real_process(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-case"
    run = cli_subprocess("validate", missing, "--json").assert_clean(2)
    assert run.stdout == ""
    assert str(missing) in run.squashed
    assert "Traceback" not in run.stderr


# Regression (was a bug): when stderr is not a terminal (pipe, CI log) Rich hard-wraps messages at
# 80 columns, splitting file paths across lines
def test_error_messages_keep_paths_on_one_line(tmp_path: Path) -> None:
    missing = tmp_path / ("a-long-folder-name-" * 4) / "no-such-case"
    run = cli_subprocess("validate", missing).assert_clean(2)
    assert any(str(missing) in line for line in run.stderr.splitlines()), run.stderr


def test_case_that_is_a_file_or_an_empty_folder(tmp_path: Path) -> None:
    a_file = tmp_path / "events.csv"
    a_file.write_text("event_id\n")
    run = cli("validate", a_file).assert_clean(2)
    assert str(a_file) in run.squashed
    empty = tmp_path / "empty"
    empty.mkdir()
    run = cli("validate", empty).assert_clean(2)
    assert str(empty) in run.squashed


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    cli("validate").assert_clean(2)
    cli("load", EXAMPLE).assert_clean(2)  # --out is required
    cli("validate", EXAMPLE, "--examples", "0").assert_clean(2)
    cli("frobnicate").assert_clean(2)


def test_internal_error_exit_3_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated failure")

    monkeypatch.delenv("COUNTYLINES_DEBUG", raising=False)
    monkeypatch.setattr(countylines.cli, "validate_case", boom)
    run = cli("validate", EXAMPLE).assert_clean(3)
    assert "simulated failure" in run.flat
    assert "internal error" in run.flat


def test_human_report_summarises_rows(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "events", "cells")
    run = cli("validate", case).assert_clean(0)
    n_events = len(read_table(case, "events")) - 1
    n_cells = len(read_table(case, "cells")) - 1
    assert f"{n_events} events" in run.flat and f"{n_cells} cells" in run.flat
    assert "OK" in run.flat


# Regression (was a bug): the human report passes values through Rich's emoji substitution, so
# ':smile:' in a bad value is shown as an emoji, not verbatim
def test_human_report_shows_values_verbatim(tmp_path: Path) -> None:
    case = keep_only(copy_example(tmp_path / "case"), "events")
    value = "fax :smile: [b]x[/b]"
    set_cell(case, "events", 3, "event_type", value)
    run = cli("validate", case).assert_clean(1)
    assert "events.csv, row 3, column 'event_type'" in run.flat
    assert value in run.output


# Regression (was a bug): --json output goes through Rich's JSON highlighter, so with FORCE_COLOR
# set (common in CI) stdout is full of ANSI codes and is not JSON
def test_json_output_is_plain_even_when_colour_is_forced() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COUNTYLINES_DEBUG")}
    env["FORCE_COLOR"] = "1"
    res = subprocess.run(
        [str(CLI_EXE), "schema", "events", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert [c["column"] for c in json.loads(res.stdout)["events"]] == list(
        TABLES["events"].column_names
    )
