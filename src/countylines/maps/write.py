"""Writing a file atomically: to a temporary name beside it, then renamed into place."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(tmp)` and rename tmp to `path`, so a reader never sees half a file. The
    temporary name keeps the suffix (GDAL chooses the format of a `.gpkg` by it)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
