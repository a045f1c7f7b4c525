"""Case files that arrive from users (dashboard uploads): named safely, bounded, checked first.

`store_upload(root, case, name, chunks)` keeps one uploaded file in the case folder
`root/case`, only if the case with it is valid:

* the case name is a plain name (letters, digits, `-`, `_`) and the file name one of a case's
  table or geography files (`events.csv`, `persons.parquet`, `areas.geojson`, …), both resolved
  through `casefolder.member_path`, so `..`, absolute paths and links out of the folder are
  refused;
* the bytes are counted as they arrive and the upload is refused past `max_bytes` (a `.csv.gz`
  is then bounded again by the loader's decompression limits);
* the case as it would be (its current files, linked, plus the new one) is validated in a
  staging folder beside it; with any error the upload is refused with the problems (file, row,
  column) and the stored case is left exactly as it was. Otherwise the file is moved into place
  in one rename (replacing the same table in another format).

Uploads into one case are serialised by a lock file, so two at once cannot interleave.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from countylines.casefolder import TABLE_SUFFIXES, member_path, split_table_name
from countylines.database import validate_case
from countylines.problems import CaseError
from countylines.reader import DEFAULT_LIMITS, InputLimits
from countylines.schema import AREAS_FILES, TABLES

CASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MAX_UPLOAD_BYTES = 2 << 30
"""Default bound on one uploaded file (2 GiB)."""


class UploadRefused(CaseError):
    """An upload that was not kept: `status` is the HTTP status that fits (400 a bad name,
    413 too large, 422 the case would not be valid), `problems` what validation found."""

    def __init__(self, status: int, message: str, problems: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.problems = problems or []


@dataclass(frozen=True)
class Stored:
    """An upload that was kept: where, how big, the case's rows, and its warnings."""

    case: str
    name: str
    bytes: int
    rows: dict[str, int]
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _same_table(name: str) -> set[str]:
    """Every file name that holds the same table (or geography) as `name`."""
    if name in AREAS_FILES:
        return set(AREAS_FILES)
    split = split_table_name(name)
    return {split[0] + s for s in TABLE_SUFFIXES} if split else set()


def check_names(root: Path, case: str, name: str) -> tuple[Path, Path]:
    """(case folder, target file) for an upload, or UploadRefused (400) for a bad name."""
    if not CASE_NAME.fullmatch(case):
        raise UploadRefused(400, f"{case!r} is not a case name (letters, digits, - and _)")
    split = split_table_name(name)
    if name not in AREAS_FILES and (split is None or split[0] not in TABLES):
        known = ", ".join(sorted(TABLES))
        raise UploadRefused(
            400,
            f"{name!r} is not a case file: name it TABLE.csv, TABLE.csv.gz or TABLE.parquet "
            f"with TABLE one of {known}, or {' or '.join(AREAS_FILES)}",
        )
    try:
        folder = member_path(root, case)
        return folder, member_path(folder, name)
    except CaseError as exc:
        raise UploadRefused(400, str(exc)) from None


@contextmanager
def _locked(root: Path, case: str) -> Iterator[None]:
    with open(root / f".{case}.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _stage(folder: Path, staging: Path, replaced: set[str]) -> None:
    """Link (or copy) the case's current files into `staging`, leaving out `replaced`."""
    staging.mkdir()
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name in replaced or path.name.startswith(".") or not path.is_file():
            continue
        if path.is_symlink():
            continue  # never followed out of the case (the loader refuses such links too)
        try:
            os.link(path, staging / path.name)
        except OSError:
            shutil.copy2(path, staging / path.name)


def _receive(chunks: Iterable[bytes], path: Path, max_bytes: int) -> int:
    size = 0
    with open(path, "xb") as fh:
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise UploadRefused(413, f"the file is larger than {max_bytes:,} bytes")
            fh.write(chunk)
    if size == 0:
        raise UploadRefused(400, "the file is empty")
    return size


def store_upload(
    root: Path,
    case: str,
    name: str,
    chunks: Iterable[bytes],
    max_bytes: int = MAX_UPLOAD_BYTES,
    limits: InputLimits = DEFAULT_LIMITS,
) -> Stored:
    """Keep the uploaded file `name` (its bytes in `chunks`) in the case `root/case` if the
    case stays valid with it; UploadRefused otherwise, with the stored case unchanged."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    folder, target = check_names(root, case, name)
    with _locked(root, case):
        staging = root / f".staging-{case}-{secrets.token_hex(8)}"
        try:
            replaced = _same_table(name)
            _stage(folder, staging, replaced)
            size = _receive(chunks, staging / name, max_bytes)
            result = validate_case(staging, limits=limits)
            problems = [p.to_dict() for p in result.log.problems()]
            if not result.ok:
                raise UploadRefused(
                    422,
                    f"{name} was not kept: the case would have {result.log.n_errors:,} errors",
                    problems,
                )
            folder.mkdir(exist_ok=True)
            os.replace(staging / name, target)
            for other in replaced - {name}:
                (folder / other).unlink(missing_ok=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    warnings = [p for p in problems if p["severity"] != "error"]
    return Stored(case, name, size, result.rows, warnings)


def case_files(root: Path) -> dict[str, list[str]]:
    """The uploaded cases under `root` and their files."""
    if not Path(root).is_dir():
        return {}
    return {
        d.name: sorted(f.name for f in d.iterdir() if f.is_file() and not f.name.startswith("."))
        for d in sorted(Path(root).iterdir())
        if d.is_dir() and CASE_NAME.fullmatch(d.name)
    }
