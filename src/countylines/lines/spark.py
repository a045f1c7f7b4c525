"""The Apache Spark engine of the line features (optional extra: `pip install countylines[spark]`).

Runs the same SQL as the DuckDB engine (`countylines.lines.features`), translated from DuckDB's
dialect to Spark SQL by sqlglot, on a Spark session: local mode by default, or any session
(a cluster) passed in. The case tables are Parquet files, one folder or file per table; for a
loaded case database, `from_database` first exports the tables the detector reads to Parquet.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from countylines.attached_case import attach_case, case_tables
from countylines.lines.engine import CASE_TABLES, EMPTY_TABLES, expose_events
from countylines.problems import CaseError

SPARK_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": "2g",
}
"""Settings of the local session `SparkEngine` starts when it is given none."""


def _require_spark() -> Any:
    try:
        import pyspark.sql
        import sqlglot
    except ImportError as exc:
        raise CaseError(
            f"the Spark engine needs the optional extra: pip install 'countylines[spark]' ({exc})"
        ) from None
    return pyspark.sql, sqlglot


def local_session(cores: int = 2) -> Any:
    """A local Spark session using `cores` cores, with SPARK_CONFIG."""
    sql, _ = _require_spark()
    builder = sql.SparkSession.builder.master(f"local[{cores}]").appName("countylines")
    for key, value in SPARK_CONFIG.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def export_tables(database: Path, folder: Path) -> dict[str, Path]:
    """Write the case tables the detector reads from the loaded `database` to Parquet files in
    `folder`; returns {table: file} for the tables the case has."""
    con = attach_case(database)
    try:
        present = case_tables(con)
        files = {}
        for table in CASE_TABLES:
            if table in present:
                files[table] = folder / f"{table}.parquet"
                con.execute(f"COPY db.{table} TO '{files[table]}' (FORMAT parquet)")
        return files
    finally:
        con.close()


class SparkEngine:
    """Runs the features' SQL on Spark. `tables` maps case table names to Parquet paths."""

    name = "spark"

    def __init__(
        self, tables: dict[str, Path], session: Any = None, cleanup: Path | None = None
    ) -> None:
        self.memo: dict[str, Any] = {}
        _, self._sqlglot = _require_spark()
        self.session = session or local_session()
        self._cleanup = cleanup
        self._present = set(tables) & set(CASE_TABLES)
        for table in CASE_TABLES:
            if table in self._present:
                frame = self.session.read.parquet(str(tables[table]))
                if table == "areas" and "town" not in frame.columns:
                    frame = frame.selectExpr("*", "CAST(NULL AS STRING) AS town")
                frame.createOrReplaceTempView(f"{table}_t")
            else:
                self.view(f"{table}_t", EMPTY_TABLES.get(table, "SELECT 1 AS none LIMIT 0"))
        if "events" in self._present:
            events = self.session.table("events_t")
            events.createOrReplaceTempView("events_unkeyed")
            expose_events(self, "events_unkeyed", self._present, events.columns)

    @classmethod
    def from_database(cls, database: Path, session: Any = None) -> SparkEngine:
        """An engine over a loaded case database, exported to Parquet in a temporary folder
        (removed by `close`)."""
        folder = Path(tempfile.mkdtemp(prefix="countylines-spark-"))
        try:
            return cls(export_tables(database, folder), session, cleanup=folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def _sql(self, sql: str) -> Any:
        spark_sql = self._sqlglot.transpile(sql, read="duckdb", write="spark")[0]
        return self.session.sql(spark_sql)

    def has_table(self, table: str) -> bool:
        return table in self._present

    def create(self, name: str, sql: str, dense_keys: bool = False) -> None:
        self._sql(sql).cache().createOrReplaceTempView(name)

    def view(self, name: str, sql: str) -> None:
        self._sql(sql).createOrReplaceTempView(name)

    def frame(self, sql: str) -> pd.DataFrame:
        with warnings.catch_warnings():
            # PySpark warns that it is not yet tested with pandas 3; the conversion of the
            # plain columns used here works (tests compare it with DuckDB's results).
            warnings.simplefilter("ignore")
            return pd.DataFrame(self._sql(sql).toPandas())

    def register(self, name: str, frame: pd.DataFrame) -> None:
        schema = ", ".join(f"`{c}` STRING" for c in frame.columns)
        rows = [tuple(None if pd.isna(v) else str(v) for v in r) for r in frame.to_numpy()]
        self.session.createDataFrame(rows, schema).createOrReplaceTempView(name)

    def close(self) -> None:
        self.session.catalog.clearCache()
        if self._cleanup is not None:
            shutil.rmtree(self._cleanup, ignore_errors=True)
