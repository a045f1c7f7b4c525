"""Pseudonymised analysis outputs: tables, free text, results, reading them back, evaluating."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_lines import _truth_and_outputs

from countylines.evaluate import evaluate
from countylines.private_outputs import (
    OutputPseudonymiser,
    has_tokens,
    known_values,
    replace_tokens,
    restore,
)
from countylines.problems import CaseError
from countylines.pseudonym import TOKEN_RE, IdType, pseudonym

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def _hide() -> OutputPseudonymiser:
    return OutputPseudonymiser(KEY, {"P0007": IdType.PERSON, "AB12CDE": IdType.VRM})


def test_identifier_columns_lists_and_text_become_tokens() -> None:
    frame = pd.DataFrame(
        {
            "number": ["+447700900001", None],
            "runners": ["+447700900002;+447700900003", ""],
            "person_id": ["P0007", "P0008"],
            "vrm": ["AB12CDE", "XY99ZZZ"],
            "evidence": ["call from +447700900001 to P0007 in AB12CDE; P00071 no", None],
            "line_id": ["L001", "L002"],
        }
    )
    out = _hide().frame(frame)
    assert out.loc[0, "number"] == pseudonym("+447700900001", IdType.PHONE, KEY)
    assert pd.isna(out.loc[1, "number"]) and out.loc[1, "runners"] == ""
    assert out.loc[0, "runners"].split(";") == [
        pseudonym(n, IdType.PHONE, KEY) for n in ("+447700900002", "+447700900003")
    ]
    assert out.loc[1, "person_id"] == pseudonym("P0008", IdType.PERSON, KEY)
    assert out.loc[1, "vrm"] == pseudonym("XY99ZZZ", IdType.VRM, KEY)
    text = out.loc[0, "evidence"]
    assert "+4477" not in text and " P0007 " not in text and "AB12CDE" not in text
    assert pseudonym("P0007", IdType.PERSON, KEY) in text
    assert "P00071 no" in text  # only whole words of the vocabulary
    assert list(out["line_id"]) == ["L001", "L002"]
    assert _hide().frame(out).equals(out)  # tokens stay tokens: pseudonymising twice is safe
    assert frame.loc[0, "number"] == "+447700900001"  # the input is not changed


def test_hide_pseudonymises_every_table_of_a_result() -> None:
    @dataclass
    class Result:
        numbers: pd.DataFrame
        n: int

    result = Result(pd.DataFrame({"number": ["+447700900001"]}), 3)
    hidden = _hide().hide(result)
    assert hidden.n == 3 and TOKEN_RE.fullmatch(hidden.numbers.loc[0, "number"])
    assert result.numbers.loc[0, "number"] == "+447700900001"


def _case(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "case.duckdb"))
    con.execute("CREATE TABLE subscribers (number VARCHAR, person_id VARCHAR)")
    con.execute("INSERT INTO subscribers VALUES ('+447700900001', NULL), ('+447700900002', NULL)")
    con.execute("CREATE TABLE persons (person_id VARCHAR)")
    con.execute("INSERT INTO persons VALUES ('P0007')")
    return con


def test_restore_turns_tokens_back_into_the_case_values(tmp_path: Path) -> None:
    con = _case(tmp_path)
    frame = pd.DataFrame({"number": ["+447700900001", "+447700900002"], "person_id": ["P0007"] * 2})
    hidden = _hide().frame(frame)
    assert restore(con, hidden, KEY).equals(frame)
    assert restore(con, frame, None).equals(frame)  # nothing to restore, no key needed
    with pytest.raises(ValueError, match="no workspace key"):
        restore(con, hidden, None)
    with pytest.raises(ValueError, match="another case, or with another"):
        restore(con, OutputPseudonymiser(OTHER).frame(frame), KEY)


def test_known_values_and_replace_tokens_leave_unknown_tokens() -> None:
    truth = pd.DataFrame({"number": ["+447700900001"]})
    real = known_values([truth], KEY)
    hidden = _hide().frame(pd.DataFrame({"number": ["+447700900001", "+447700900009"]}))
    back = replace_tokens(hidden, real)
    assert back.loc[0, "number"] == "+447700900001"
    assert back.loc[1, "number"] == hidden.loc[1, "number"]  # not in the truth: a token still
    assert has_tokens(hidden) and not has_tokens(truth)


def test_evaluation_of_pseudonymised_outputs_equals_that_of_raw_ones(tmp_path: Path) -> None:
    case, out = _truth_and_outputs(tmp_path)
    raw = evaluate(case, out)
    hidden = tmp_path / "hidden"
    shutil.copytree(out, hidden)
    for path in hidden.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        _hide().frame(frame).to_csv(path, index=False)
    assert evaluate(case, hidden, KEY) == raw
    with pytest.raises(CaseError, match="no workspace key"):
        evaluate(case, hidden)
    assert evaluate(case, hidden, OTHER) != raw  # another key matches nothing
