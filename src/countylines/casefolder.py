"""Finding the tables and geography files of a case folder.

A case is a directory holding `NAME.csv`, `NAME.csv.gz` or `NAME.parquet` for each table in
`countylines.schema.TABLES`, plus `areas.geojson` or `areas.gpkg`. `truth/` (simulator ground
truth) is never read here. Other files are reported as warnings and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from countylines.problems import CaseError, ProblemLog
from countylines.schema import AREAS_FILES, TABLES

TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet")
IGNORED_NAMES = {"truth", "README.md", "README.txt", ".DS_Store"}


@dataclass(frozen=True)
class TableFile:
    """A table file found in a case: the table it holds, its path and its format."""

    table: str
    path: Path
    format: str  # "csv", "csv.gz" or "parquet"

    @property
    def display(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class CaseFiles:
    """Everything found in a case folder."""

    root: Path
    tables: dict[str, TableFile]
    areas: Path | None


def split_table_name(name: str) -> tuple[str, str] | None:
    """(table, format) of a table file name such as `events.csv.gz`; None for another name."""
    for suffix in TABLE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix.lstrip(".")
    return None


def _leads_inside(path: Path, real_root: Path) -> bool:
    target = path.resolve()
    return real_root in target.parents


def member_path(root: Path, name: str) -> Path:
    """The path of `name` inside the folder `root`, refusing any name that leads outside it.

    For names that come from users (uploads, web requests): absolute paths, `..` parts and
    links leading out of `root` are a CaseError. The path need not exist yet.
    """
    real_root = Path(root).resolve()
    candidate = Path(name)
    if not name or candidate.is_absolute() or ".." in candidate.parts or "\\" in name:
        raise CaseError(f"{name!r} is not a plain name inside {root}")
    target = (real_root / candidate).resolve()
    if real_root not in target.parents:
        raise CaseError(f"{name!r} leads outside {root}")
    return real_root / candidate


def find_case_files(root: Path, log: ProblemLog) -> CaseFiles:
    """List the case's table and geography files; problems with the folder go to `log`."""
    root = Path(root)
    if not root.exists():
        raise CaseError(f"case folder {root} does not exist")
    if not root.is_dir():
        raise CaseError(f"{root} is not a folder: a case is a folder of table files")
    tables: dict[str, TableFile] = {}
    areas: list[Path] = []
    real_root = root.resolve()
    for path in sorted(root.iterdir()):
        name = path.name
        if name in IGNORED_NAMES or name.startswith("."):
            continue
        if path.is_symlink() and not _leads_inside(path, real_root):
            log.error(
                "outside_case",
                name,
                "a link that leads outside the case folder; not read (copy the file in instead)",
            )
            continue
        if name in AREAS_FILES:
            if not path.is_file():
                log.error("not_a_file", name, "expected a file, found a folder or special file")
                continue
            areas.append(path)
            continue
        split = split_table_name(name)
        if split is None or split[0] not in TABLES:
            log.warning("unknown_file", name, "not a case table or geography file; ignored")
            continue
        if not path.is_file():
            log.error("not_a_file", name, "expected a file, found a folder or special file")
            continue
        table, fmt = split
        if table in tables:
            log.error(
                "duplicate_table",
                name,
                f"table {table!r} is given twice ({tables[table].display} and {name}); keep one",
            )
            continue
        tables[table] = TableFile(table, path, fmt)
    if len(areas) > 1:
        log.error("duplicate_table", areas[1].name, "areas given twice; keep one geography file")
    if not tables and not areas:
        raise CaseError(
            f"{root} holds no case tables: expected files such as events.csv, cells.csv "
            "(see docs/data-formats.md)"
        )
    return CaseFiles(root, tables, areas[0] if areas else None)
