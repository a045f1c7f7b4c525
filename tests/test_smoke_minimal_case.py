"""The shipped example case validates cleanly and loads every table."""

from pathlib import Path

from countylines.database import load_case, validate_case
from countylines.schema import TABLES

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "minimal-case"


def test_example_case_is_valid() -> None:
    result = validate_case(EXAMPLE)
    assert result.ok, result.log.problems()
    assert result.log.n_warnings == 0, result.log.problems()
    assert set(result.rows) == {*TABLES, "areas"}


def test_example_case_loads(tmp_path: Path) -> None:
    import duckdb

    result, db = load_case(EXAMPLE, tmp_path / "out")
    assert result.ok
    con = duckdb.connect(str(db), read_only=True)
    numbers = {r[0] for r in con.execute("SELECT a_number FROM events").fetchall()}
    assert "+447700900303" in numbers  # '07700 900303' normalised to E.164
    assert con.execute("SELECT count(*) FROM areas").fetchone() == (3,)
