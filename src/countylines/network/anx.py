"""An i2 Analyst's Notebook chart (`.anx`, the i2 XML chart format) of the chart graph.

`Chart` > `EntityTypeCollection` (one `EntityType` per node type, with an i2 standard icon
name), `LinkTypeCollection`, `AttributeClassCollection`, and `ChartItemCollection`: one
`ChartItem` per entity (`End` > `Entity` with `EntityId`/`Identity`, `Icon` > `IconStyle` with
the type) and per link (`Link` with `End1Id`/`End2Id` naming entity ids and a `LinkStyle`).
Items carry `AttributeCollection`s (community, lines, first/last seen, weight). Written with
`xml.etree.ElementTree`, which escapes every label and value: text from the case (brands,
town names) can never become markup.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from countylines.maps.write import replace_atomically
from countylines.network.chart import layout
from countylines.network.graph import Graph
from countylines.network.xmltext import xml_text

ICONS = {
    "person": "Person",
    "phone": "Mobile Phone",
    "handset": "Phone",
    "vehicle": "Vehicle",
    "line": "Organisation",
    "address": "House",
    "town": "Location",
    "cell": "Cell Site",
    "incident": "Incident",
    "journey": "Event",
}
ATTRIBUTES = {
    "Community": ("community", "AttNumber"),
    "Lines": ("line_ids", "AttText"),
    "First seen": ("first_seen", "AttText"),
    "Last seen": ("last_seen", "AttText"),
    "Betweenness": ("betweenness", "AttNumber"),
}
LINK_ATTRIBUTES = {
    "Weight": ("weight", "AttNumber"),
    "Line": ("line_id", "AttText"),
    "First seen": ("first_seen", "AttText"),
    "Last seen": ("last_seen", "AttText"),
}


def _attributes(item: ET.Element, row: pd.Series, spec: dict[str, tuple[str, str]]) -> None:
    found = ET.SubElement(item, "AttributeCollection")
    for name, (column, _) in spec.items():
        value = row.get(column)
        if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
            continue
        ET.SubElement(found, "Attribute", AttributeClass=name, Value=xml_text(value))


def chart_xml(graph: Graph) -> ET.Element:
    """The `Chart` element of `graph` (nodes need community and betweenness)."""
    nodes, edges = graph.nodes, graph.edges
    chart = ET.Element("Chart", IdReferenceLinking="false", Rigorous="true")
    types = ET.SubElement(chart, "EntityTypeCollection")
    for kind in sorted(set(nodes["type"])):
        ET.SubElement(types, "EntityType", Name=kind, IconFile=ICONS.get(kind, "Entity"))
    links = ET.SubElement(chart, "LinkTypeCollection")
    for kind in sorted(set(edges["type"])):
        ET.SubElement(links, "LinkType", Name=kind, Colour="0")
    classes = ET.SubElement(chart, "AttributeClassCollection")
    for name, (_, kind) in {**ATTRIBUTES, **LINK_ATTRIBUTES}.items():
        ET.SubElement(classes, "AttributeClass", Name=name, Type=kind, ShowValue="true")
    items = ET.SubElement(chart, "ChartItemCollection")
    xs, ys = layout(nodes)
    for (_, row), x, y in zip(nodes.iterrows(), xs, ys, strict=True):
        item = ET.SubElement(
            items,
            "ChartItem",
            Label=xml_text(row["label"]),
            Description=xml_text(row["description"]),
            DateSet="false",
            XPosition=str(x),
        )
        end = ET.SubElement(item, "End", Y=str(y))
        ident = xml_text(row["node_id"])
        entity = ET.SubElement(
            end, "Entity", EntityId=ident, Identity=ident, LabelIsIdentity="false"
        )
        icon = ET.SubElement(entity, "Icon")
        ET.SubElement(icon, "IconStyle", Type=row["type"])
        _attributes(item, row, ATTRIBUTES)
    for _, row in edges.iterrows():
        item = ET.SubElement(
            items,
            "ChartItem",
            Label=row["type"],
            Description=xml_text(row["description"]),
            DateSet="false",
        )
        link = ET.SubElement(
            item, "Link", End1Id=xml_text(row["source"]), End2Id=xml_text(row["target"])
        )
        ET.SubElement(
            link,
            "LinkStyle",
            Type=row["type"],
            ArrowStyle="ArrowNone",
            Strength="1",
            MlStyle="MultiplicityMultiple",
        )
        _attributes(item, row, LINK_ATTRIBUTES)
    return chart


def write_anx(graph: Graph, path: Path) -> Path:
    """Write the chart of `graph` to `path` (UTF-8 XML), atomically."""
    tree = ET.ElementTree(chart_xml(graph))
    ET.indent(tree, space=" ")
    replace_atomically(path, lambda p: tree.write(p, encoding="utf-8", xml_declaration=True))
    return path
