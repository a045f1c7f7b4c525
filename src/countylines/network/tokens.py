"""Identifiers as pseudonym tokens (`countylines.pseudonym`), for every value that enters the
graph: raw case values are pseudonymised with the workspace key and values that already are
tokens of the right type (pseudonymised analysis outputs) are kept, so both join."""

from __future__ import annotations

import pandas as pd

from countylines.pseudonym import IdType, as_token


class Tokens:
    """`as_token` with a cache per identifier type (a case repeats its numbers often)."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._cache: dict[IdType, dict[str, str]] = {t: {} for t in IdType}

    def one(self, value: str, id_type: IdType) -> str:
        """The token of `value` ("" stays "")."""
        if value == "":
            return ""
        cache = self._cache[id_type]
        token = cache.get(value)
        if token is None:
            token = cache[value] = as_token(value, id_type, self.key)
        return token

    def series(self, values: pd.Series, id_type: IdType) -> pd.Series:
        """Each value as a token (missing values become "")."""
        text = values.fillna("").astype(str)
        uniques = text.unique()
        mapping = {v: self.one(v, id_type) for v in uniques}
        return text.map(mapping)

    def listed(self, values: pd.Series, id_type: IdType, sep: str = ";") -> pd.Series:
        """Each `sep`-separated list of values with every element as a token."""
        return (
            values.fillna("")
            .astype(str)
            .map(
                lambda s: sep.join(self.one(v.strip(), id_type) for v in s.split(sep) if v.strip())
            )
        )
