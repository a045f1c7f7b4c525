"""Uploaded case files: safe names, bounded size, validated before kept, the case unchanged
when refused."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE

from countylines.reader import InputLimits
from countylines.uploads import UploadRefused, case_files, store_upload


def _chunks(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An uploads folder holding case `wm`: the minimal example without its persons."""
    shutil.copytree(EXAMPLE, tmp_path / "uploads" / "wm")
    (tmp_path / "uploads" / "wm" / "persons.csv").unlink()
    return tmp_path / "uploads"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_valid_file_is_kept_and_replaces_its_table_in_another_format(root: Path) -> None:
    data = (EXAMPLE / "persons.csv").read_bytes()
    stored = store_upload(root, "wm", "persons.csv", _chunks(data))
    assert (root / "wm" / "persons.csv").read_bytes() == data
    assert stored.bytes == len(data) and stored.rows["persons"] == data.count(b"\n") - 1
    again = store_upload(root, "wm", "persons.csv.gz", [gzip.compress(data)])
    assert again.rows == stored.rows
    assert not (root / "wm" / "persons.csv").exists()
    assert "persons.csv.gz" in case_files(root)["wm"]
    assert not [p for p in root.iterdir() if p.name.startswith(".staging")]


def test_a_new_case_starts_with_its_first_file(root: Path) -> None:
    store_upload(root, "new-case_1", "cells.csv", [(EXAMPLE / "cells.csv").read_bytes()])
    assert case_files(root)["new-case_1"] == ["cells.csv"]


@pytest.mark.parametrize(
    ("case", "name"),
    [
        ("wm", "../persons.csv"),
        ("wm", "/etc/persons.csv"),
        ("wm", "sub/persons.csv"),
        ("..", "persons.csv"),
        ("wm/..", "persons.csv"),
        ("", "persons.csv"),
        ("wm", "notes.txt"),
        ("wm", "persons.csv.exe"),
        ("wm", ".persons.csv"),
    ],
)
def test_bad_names_are_refused_before_anything_is_written(root: Path, case: str, name: str) -> None:
    before = sorted(p.name for p in root.parent.rglob("*"))
    with pytest.raises(UploadRefused) as refused:
        store_upload(root, case, name, [b"person_id\nP1\n"])
    assert refused.value.status == 400
    assert sorted(p.name for p in root.parent.rglob("*")) == before


def test_a_case_linked_out_of_the_uploads_folder_is_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "linked")
    with pytest.raises(UploadRefused, match="outside") as refused:
        store_upload(root, "linked", "persons.csv", [(EXAMPLE / "persons.csv").read_bytes()])
    assert refused.value.status == 400 and not list(outside.iterdir())


def test_an_invalid_file_is_refused_with_its_problems_and_the_case_unchanged(root: Path) -> None:
    before = _snapshot(root / "wm")
    bad = b"person_id,birth_year,sex\nP001,1968,male\nP002,nineteen,male\nP002,2001,female\n"
    with pytest.raises(UploadRefused) as refused:
        store_upload(root, "wm", "persons.csv", [bad])
    assert refused.value.status == 422
    where = {(p["file"], p["row"], p["column"]) for p in refused.value.problems}
    assert ("persons.csv", 3, "birth_year") in where
    assert any(p["code"] == "duplicate_key" for p in refused.value.problems)
    assert _snapshot(root / "wm") == before


def test_an_oversized_or_empty_file_is_refused(root: Path) -> None:
    before = _snapshot(root / "wm")
    with pytest.raises(UploadRefused) as refused:
        store_upload(root, "wm", "events.csv", _chunks(b"x" * 5000), max_bytes=4096)
    assert refused.value.status == 413
    with pytest.raises(UploadRefused, match="empty"):
        store_upload(root, "wm", "events.csv", [])
    assert _snapshot(root / "wm") == before


def test_a_decompression_bomb_is_refused_by_the_loader_limits(root: Path) -> None:
    header = (EXAMPLE / "persons.csv").read_bytes().splitlines(keepends=True)[0]
    bomb = gzip.compress(header + b"P9,1990,male,,,,,,0\n" * 200_000)
    limits = InputLimits(max_gzip_ratio=2, min_gzip_budget=1000)
    with pytest.raises(UploadRefused) as refused:
        store_upload(root, "wm", "persons.csv.gz", [bomb], limits=limits)
    assert refused.value.status == 422
    assert any(p["code"] == "gzip_too_large" for p in refused.value.problems)
    assert "persons.csv.gz" not in case_files(root)["wm"]
