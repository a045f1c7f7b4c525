"""The canonical case-folder schema: every table, its columns and the links between tables.

This module is plain data. Other tools write these files, so table and column names are fixed;
new optional columns may be added. `docs/data-formats.md` documents the same schema for users.
Coordinates in tables are WGS84 degrees (EPSG:4326); distance work happens later in British
National Grid (EPSG:27700, metres).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's text is parsed and checked."""

    ID = "id"  # non-empty identifier, kept as text
    TEXT = "text"  # free text, anything goes
    TIMESTAMP = "timestamp"  # ISO 8601; with offset or Z; a naive value is UTC
    DATE = "date"  # ISO 8601 calendar date
    PHONE = "phone"  # E.164 after normalisation of UK national forms
    IMEI = "imei"  # 15 digits with a valid Luhn check digit, or a 16-digit IMEISV
    IMSI = "imsi"  # 14 or 15 digits
    VRM = "vrm"  # vehicle registration mark, normalised to upper case without spaces
    INT = "int"  # whole number
    FLOAT = "float"  # finite decimal number
    BOOL = "bool"  # true/false (also yes/no, 1/0, t/f, y/n); empty means unknown
    ENUM = "enum"  # one of a fixed set of lower-case values
    ID_LIST = "id_list"  # ';'-separated identifiers
    ENUM_LIST = "enum_list"  # ';'-separated values of a fixed set; an empty entry is unknown


@dataclass(frozen=True)
class Column:
    """One column: its name, kind, whether it must be present and filled, and its bounds."""

    name: str
    kind: Kind
    required: bool = False
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Reference:
    """`table.column` values must exist in `target.target_column`."""

    column: str
    target: str
    target_column: str


@dataclass(frozen=True)
class Table:
    """One case table: columns, the unique key (if any) and references to other tables."""

    name: str
    columns: tuple[Column, ...]
    key: str | None = None
    references: tuple[Reference, ...] = ()
    description: str = ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _lat(name: str = "lat", required: bool = True) -> Column:
    return Column(
        name, Kind.FLOAT, required, min=-90, max=90, description="latitude, WGS84 degrees"
    )


def _lon(name: str = "lon", required: bool = True) -> Column:
    return Column(
        name, Kind.FLOAT, required, min=-180, max=180, description="longitude, WGS84 degrees"
    )


EVENT_TYPES = ("voice", "sms")
ACCOUNT_TYPES = ("payg", "contract", "business")
VEHICLE_CATEGORIES = ("private", "hire", "taxi", "private_hire")
INCIDENT_CATEGORIES = ("violence", "weapons_possession", "drugs", "robbery", "other")
WEAPONS = ("knife", "blunt", "bladed", "firearm", "corrosive", "none", "unknown")
RISK_FACTORS = ("mental_health", "drug_use", "debt_bondage", "known_to_care")
TRAVEL_MODES = ("road", "rail")
PERSON_ROLES = ("suspect", "victim", "witness", "other")
"""A named person's involvement in an incident, as records systems export occurrence links."""

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "events",
            (
                Column("event_id", Kind.ID, True, description="unique event identifier"),
                Column("start_time", Kind.TIMESTAMP, True, description="when the event started"),
                Column("event_type", Kind.ENUM, True, EVENT_TYPES),
                Column("a_number", Kind.PHONE, True, description="originator"),
                Column("b_number", Kind.PHONE, True, description="recipient"),
                Column("duration_s", Kind.INT, True, min=0, description="seconds; 0 for sms"),
                Column("a_imei", Kind.IMEI),
                Column("a_imsi", Kind.IMSI),
                Column("a_cell_id", Kind.ID),
                Column("b_imei", Kind.IMEI),
                Column("b_imsi", Kind.IMSI),
                Column("b_cell_id", Kind.ID),
                Column("text", Kind.TEXT, description="message body, where a download gives it"),
            ),
            key="event_id",
            references=(
                Reference("a_cell_id", "cells", "cell_id"),
                Reference("b_cell_id", "cells", "cell_id"),
            ),
            description="communications events (call data records, handset downloads)",
        ),
        Table(
            "cells",
            (
                Column("cell_id", Kind.ID, True),
                _lat(),
                _lon(),
                Column("azimuth_deg", Kind.FLOAT, min=0, max=360),
                Column("beamwidth_deg", Kind.FLOAT, min=0, max=360),
                Column("radius_m", Kind.FLOAT, min=0, max=100_000),
            ),
            key="cell_id",
            description="mobile network cells (masts and sectors)",
        ),
        Table(
            "subscribers",
            (
                Column("number", Kind.PHONE, True),
                Column("account_type", Kind.ENUM, True, ACCOUNT_TYPES),
                Column("registered", Kind.BOOL, True),
                Column("person_id", Kind.ID),
                Column("activation_date", Kind.DATE),
            ),
            key="number",
            references=(Reference("person_id", "persons", "person_id"),),
            description="subscriber checks on numbers",
        ),
        Table(
            "persons",
            (
                Column("person_id", Kind.ID, True),
                Column("birth_year", Kind.INT, True, min=1900, max=2100),
                Column("sex", Kind.ENUM, values=("male", "female", "other", "unknown")),
                Column("home_address_id", Kind.ID),
                *(
                    Column(f, Kind.BOOL, description="true/false; empty is unknown")
                    for f in RISK_FACTORS
                ),
                Column("missing_episodes", Kind.INT, min=0, description="count"),
            ),
            key="person_id",
            references=(Reference("home_address_id", "addresses", "address_id"),),
            description="people known to police or partners, with exploitation risk factors",
        ),
        Table(
            "addresses",
            (
                Column("address_id", Kind.ID, True),
                _lat(),
                _lon(),
                Column("postcode", Kind.TEXT),
                Column("occupant_person_id", Kind.ID),
            ),
            key="address_id",
            references=(Reference("occupant_person_id", "persons", "person_id"),),
            description="addresses",
        ),
        Table(
            "missing_episodes",
            (
                Column("person_id", Kind.ID, True),
                Column("start_time", Kind.TIMESTAMP, True),
                Column("end_time", Kind.TIMESTAMP, True),
                _lat("found_lat", required=False),
                _lon("found_lon", required=False),
            ),
            references=(Reference("person_id", "persons", "person_id"),),
            description="missing-person episodes",
        ),
        Table(
            "vehicles",
            (
                Column("vrm", Kind.VRM, True, description="registration mark"),
                Column("category", Kind.ENUM, True, VEHICLE_CATEGORIES),
                Column("operator", Kind.TEXT),
            ),
            key="vrm",
            description="vehicles of known category (hire, taxi, private hire)",
        ),
        Table(
            "anpr",
            (
                Column("read_id", Kind.ID, True),
                Column("vrm", Kind.VRM, True),
                Column("time", Kind.TIMESTAMP, True),
                Column("camera_id", Kind.ID, True),
                _lat(),
                _lon(),
            ),
            key="read_id",
            description="automatic number-plate recognition reads",
        ),
        Table(
            "incidents",
            (
                Column("incident_id", Kind.ID, True),
                Column("time", Kind.TIMESTAMP, True),
                _lat(),
                _lon(),
                Column("category", Kind.ENUM, True, INCIDENT_CATEGORIES),
                Column("weapon", Kind.ENUM, True, WEAPONS),
                Column("description", Kind.TEXT),
                Column("person_ids", Kind.ID_LIST, description="';'-separated person ids"),
                Column(
                    "person_roles",
                    Kind.ENUM_LIST,
                    values=PERSON_ROLES,
                    description="one role per entry of person_ids, same order; empty: unknown",
                ),
            ),
            key="incident_id",
            references=(Reference("person_ids", "persons", "person_id"),),
            description="police-recorded incidents",
        ),
        Table(
            "intel_lines",
            (
                Column("number", Kind.PHONE, True),
                Column("brand", Kind.TEXT),
                Column("date", Kind.DATE),
                Column("source", Kind.TEXT),
            ),
            description="deal-line numbers already known to intelligence",
        ),
        Table(
            "stations",
            (Column("code", Kind.ID, True), Column("name", Kind.TEXT, True), _lat(), _lon()),
            key="code",
            description="rail stations",
        ),
        Table(
            "hubs",
            (Column("name", Kind.ID, True), _lat(), _lon()),
            key="name",
            description="urban hubs that export lines",
        ),
        Table(
            "travel_times",
            (
                Column("area_id", Kind.ID, True),
                Column("hub", Kind.ID, True),
                Column("mode", Kind.ENUM, True, TRAVEL_MODES),
                Column("minutes", Kind.FLOAT, True, min=0, description="minutes to the hub"),
            ),
            references=(
                Reference("area_id", "areas", "area_id"),
                Reference("hub", "hubs", "name"),
            ),
            description="travel minutes from each area to each hub's centre, by road or rail",
        ),
        Table(
            "rail_links",
            (
                Column("from_code", Kind.ID, True),
                Column("to_code", Kind.ID, True),
                Column("minutes", Kind.FLOAT, min=0, description="typical in-train minutes"),
            ),
            references=(
                Reference("from_code", "stations", "code"),
                Reference("to_code", "stations", "code"),
            ),
            description="direct rail services between two stations (both ways)",
        ),
    )
}

AREAS_FILES = ("areas.geojson", "areas.gpkg")
"""Accepted file names for the area polygons (a geography file, not a table)."""

AREA_COLUMNS = (
    Column("area_id", Kind.ID, True),
    Column("name", Kind.TEXT, True),
    Column("population", Kind.INT, min=0),
    Column("town", Kind.TEXT, description="built-up town the area belongs to; else its own"),
)
"""Named columns of `areas`; any other numeric column is kept as an indicator."""
