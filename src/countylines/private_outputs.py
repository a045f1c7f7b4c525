"""Pseudonymised analysis outputs: every identifier in a written table replaced by its token.

The analysis commands (`lines`, `people`, `violence`, `movement`, `assess`) write their tables
through `OutputPseudonymiser.frame`. The identifier columns named in `OUTPUT_COLUMNS` (phone
numbers, person ids and vehicle registration marks, as single values or `;`-separated lists) and
the identifiers inside free-text columns (`TEXT_COLUMNS`: phone numbers in E.164 form, and the
case's person ids and registration marks) become keyed-HMAC tokens (`countylines.pseudonym`,
e.g. `PH-0a1b2c3d4e5f`). An output folder can then be handed on without the identities behind
it: the key stays in the workspace, outside every case and output.

Readers that must go back to the case (the people step reads the line register to find its
runners' events) call `restore`, which maps tokens back to the case's own values by
pseudonymising every value of that type in the case database. Values that are not tokens pass
through both ways, so outputs written by older versions still read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from countylines.problems import CaseError
from countylines.pseudonym import TOKEN_RE, IdType, as_token, case_values, pseudonym
from countylines.workspace import existing_workspace

OUTPUT_COLUMNS: dict[str, IdType] = {
    "number": IdType.PHONE,
    "runners": IdType.PHONE,
    "person_id": IdType.PERSON,
    "occupant_person_id": IdType.PERSON,
    "vrm": IdType.VRM,
    "vehicles": IdType.VRM,
}
"""Output columns that hold identifiers, by name (the same name means the same thing in every
output table); a value holding `;` is a list."""

TEXT_COLUMNS = ("evidence", "reasons", "link_evidence", "weapon_text", "motive_text")
"""Free-text output columns whose identifiers are replaced in place."""

PHONE_IN_TEXT = re.compile(r"\+[1-9]\d{6,14}")
"""An E.164 number inside free text."""

_WORD = re.compile(r"[A-Za-z0-9]+")
LIST_SEP = ";"
Result = TypeVar("Result")


@dataclass
class OutputPseudonymiser:
    """Pseudonymises output tables with `key`; `vocabulary` holds the identifiers (person ids,
    registration marks) to look for in free text, with their types."""

    key: bytes
    vocabulary: Mapping[str, IdType] = field(default_factory=dict)
    _tokens: dict[tuple[str, IdType], str] = field(default_factory=dict, init=False, repr=False)

    def value(self, value: str, id_type: IdType) -> str:
        """`value` as its token (a token stays as it is)."""
        found = self._tokens.get((value, id_type))
        if found is None:
            found = self._tokens[(value, id_type)] = as_token(value, id_type, self.key)
        return found

    def series(self, values: pd.Series, id_type: IdType) -> pd.Series:
        """Each value of `values` as its token (a missing value becomes "")."""
        text = values.fillna("").astype(str)
        return text.map({v: self.value(v, id_type) if v else "" for v in text.unique()})

    def text(self, text: str) -> str:
        """`text` with every E.164 number and every vocabulary word replaced by its token."""
        text = PHONE_IN_TEXT.sub(lambda m: self.value(m.group(0), IdType.PHONE), text)

        def word(m: re.Match[str]) -> str:
            id_type = self.vocabulary.get(m.group(0))
            return m.group(0) if id_type is None else self.value(m.group(0), id_type)

        return _WORD.sub(word, text)

    def _cell(self, value: object, id_type: IdType) -> object:
        if not isinstance(value, str) or not value:
            return value
        return LIST_SEP.join(self.value(v, id_type) if v else v for v in value.split(LIST_SEP))

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of `frame` with its identifier and free-text columns pseudonymised."""
        out = frame.copy()
        for name, id_type in OUTPUT_COLUMNS.items():
            if name in out.columns:
                out[name] = out[name].map(lambda v, t=id_type: self._cell(v, t)).astype(object)
        for name in TEXT_COLUMNS:
            if name in out.columns:
                out[name] = out[name].map(lambda v: self.text(v) if isinstance(v, str) else v)
        return out

    def hide(self, result: Result) -> Result:
        """A copy of a result (a dataclass, e.g. `LineResult`) with every table pseudonymised."""
        tables = {
            f.name: self.frame(value)
            for f in fields(result)  # type: ignore[arg-type]
            if isinstance(value := getattr(result, f.name), pd.DataFrame)
        }
        return replace(result, **tables)  # type: ignore[type-var]

    @classmethod
    def for_case(cls, key: bytes, database: Path) -> OutputPseudonymiser:
        """The pseudonymiser of outputs of the loaded case `database`, with its free-text
        vocabulary."""
        con = duckdb.connect(str(database), read_only=True)
        try:
            return cls(key, case_vocabulary(con))
        finally:
            con.close()


def case_vocabulary(con: duckdb.DuckDBPyConnection) -> dict[str, IdType]:
    """The person ids and registration marks of the case on `con` (its tables at top level)."""
    found: dict[str, IdType] = {}
    for id_type in (IdType.VRM, IdType.PERSON):
        found.update(dict.fromkeys(case_values(con, id_type), id_type))
    return found


def output_key(home: Path | None, *folders: Path) -> bytes | None:
    """The workspace's key when a workspace exists (to read pseudonymised outputs), else None;
    the workspace must lie outside `folders`."""
    ws = existing_workspace(home, *folders)
    return None if ws is None else ws.key(*folders)


def _tokens_in(values: Iterable[object]) -> set[str]:
    return {
        part
        for v in values
        if isinstance(v, str)
        for part in v.split(LIST_SEP)
        if TOKEN_RE.fullmatch(part)
    }


def restore(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, key: bytes | None) -> pd.DataFrame:
    """A copy of `frame` with the tokens in its identifier columns turned back into the case's
    values (the case's tables at top level on `con`). Values that are not tokens stay; a token
    with no value in the case is a ValueError (the output belongs to another case or key)."""
    real: dict[str, str] = {}
    for name, id_type in OUTPUT_COLUMNS.items():
        tokens = _tokens_in(frame[name]) if name in frame.columns else set()
        if not tokens:
            continue
        if key is None:
            raise ValueError(NO_KEY.format(name=name))
        mine = {
            t: v for v in case_values(con, id_type) if (t := pseudonym(v, id_type, key)) in tokens
        }
        missing = tokens - mine.keys()
        if missing:
            raise ValueError(
                f"column {name}: {len(missing)} pseudonym(s) such as {min(missing)} match no "
                "value of this case (the output was written for another case, or with another "
                "workspace's key)"
            )
        real.update(mine)
    return replace_tokens(frame, real)


NO_KEY = (
    "column {name} holds pseudonyms, but there is no workspace key to read them (give --home, "
    "or set COUNTYLINES_HOME, to the workspace that wrote them)"
)


def replace_tokens(frame: pd.DataFrame, real: Mapping[str, str]) -> pd.DataFrame:
    """A copy of `frame` with the tokens in its identifier columns that `real` knows replaced
    by their values; others stay."""
    out = frame.copy()
    for name in OUTPUT_COLUMNS:
        if name in out.columns:
            out[name] = out[name].map(
                lambda v: (
                    LIST_SEP.join(real.get(p, p) for p in v.split(LIST_SEP))
                    if isinstance(v, str)
                    else v
                )
            )
    return out


def known_values(frames: Iterable[pd.DataFrame], key: bytes) -> dict[str, str]:
    """Token -> value for every value in the identifier columns of `frames` (for example a
    simulated case's truth tables, to read pseudonymised outputs against them)."""
    real: dict[str, str] = {}
    for frame in frames:
        for name, id_type in OUTPUT_COLUMNS.items():
            if name in frame.columns:
                values = {p for v in frame[name].dropna().astype(str) for p in v.split(LIST_SEP)}
                real.update({pseudonym(v, id_type, key): v for v in values if v})
    return real


def has_tokens(frame: pd.DataFrame) -> bool:
    """Whether any identifier column of `frame` holds a pseudonym."""
    return any(_tokens_in(frame[n]) for n in OUTPUT_COLUMNS if n in frame.columns)


def read_identifiers(database: Path, frame: pd.DataFrame, key: bytes | None) -> pd.DataFrame:
    """`restore` against the loaded case `database` (opened read-only); a token that cannot be
    turned back is a CaseError."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return restore(con, frame, key)
    except ValueError as exc:
        raise CaseError(str(exc)) from None
    finally:
        con.close()


ERASED = "[erased]"
"""What an erased person's token becomes inside free text."""


def erase_from_frame(frame: pd.DataFrame, token: str) -> tuple[pd.DataFrame, int]:
    """`frame` without the person `token`: rows whose `person_id` is it are dropped, an
    `occupant_person_id` that is it is cleared, and the token inside free text becomes
    `[erased]`; with the number of rows changed or dropped."""
    out, n = frame, 0
    if "person_id" in out.columns:
        keep = out["person_id"] != token
        n += int((~keep).sum())
        out = out[keep]
    for name in (c for c in OUTPUT_COLUMNS if c != "person_id" and c in out.columns):
        if OUTPUT_COLUMNS[name] is IdType.PERSON:
            hit = out[name] == token
            n += int(hit.sum())
            out = out.assign(**{name: out[name].where(~hit, None)})
    for name in (c for c in TEXT_COLUMNS if c in out.columns):
        text = out[name].astype(object)
        hit = text.map(lambda v: isinstance(v, str) and token in v)
        n += int(hit.sum())
        out = out.assign(
            **{name: text.map(lambda v: v.replace(token, ERASED) if isinstance(v, str) else v)}
        )
    return out, n
