"""Map renderers for places, the assessment report and the dashboard: a static PNG and a
self-contained offline HTML map, both from the same layers (see `layers`)."""

from countylines.maps.html import write_html
from countylines.maps.layers import CLASS_COLOURS, MapInputError, check_layers
from countylines.maps.png import write_png

__all__ = ["CLASS_COLOURS", "MapInputError", "check_layers", "write_html", "write_png"]
