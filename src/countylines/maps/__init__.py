"""Map renderers for places, the assessment report and the dashboard: a static PNG and a
self-contained offline HTML map, both from the same layers (see `layers`).

The renderers are imported on first use (PEP 562 `__getattr__`): importing any submodule, such
as `maps.write`, which every command reaches, would otherwise load matplotlib (about a second
of start-up for every `countylines` command)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from countylines.maps.html import write_html
    from countylines.maps.layers import CLASS_COLOURS, MapInputError, check_layers
    from countylines.maps.png import write_png

_HOMES = {
    "write_html": "countylines.maps.html",
    "CLASS_COLOURS": "countylines.maps.layers",
    "MapInputError": "countylines.maps.layers",
    "check_layers": "countylines.maps.layers",
    "write_png": "countylines.maps.png",
}

__all__ = ["CLASS_COLOURS", "MapInputError", "check_layers", "write_html", "write_png"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
