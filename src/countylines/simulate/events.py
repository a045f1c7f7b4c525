"""A day's communications events as parallel numpy arrays, and time-of-day profiles.

Times are seconds since the start of the simulation (UTC). Phones and cells are integer ids of
the world; -1 means unknown (no cell recorded). `text` is a message id (0: no text).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

HOURLY_PEOPLE = np.array(
    [
        0.3,
        0.15,
        0.1,
        0.08,
        0.08,
        0.15,
        0.5,
        1.2,
        2.0,
        2.2,
        2.3,
        2.4,
        2.6,
        2.5,
        2.3,
        2.3,
        2.5,
        2.8,
        3.0,
        3.0,
        2.8,
        2.3,
        1.5,
        0.8,
    ]
)
"""Relative activity of ordinary phone users by hour of day (evening peak, quiet nights)."""

HOURLY_LINES = np.array(
    [
        1.2,
        1.0,
        0.8,
        0.6,
        0.5,
        0.6,
        0.8,
        1.0,
        1.2,
        1.3,
        1.4,
        1.5,
        1.6,
        1.6,
        1.6,
        1.7,
        1.8,
        2.0,
        2.2,
        2.3,
        2.3,
        2.1,
        1.8,
        1.5,
    ]
)
"""Relative ordering activity of a deal line by hour: trading is 24/7, with an evening peak."""

HOURLY_OFFICE = np.array([0.0] * 8 + [1.5, 2.0, 2.0, 1.8, 1.5, 1.8, 2.0, 1.8, 1.5, 0.8] + [0.0] * 6)
"""Office hours (surgeries, schools, pharmacies)."""

HOURLY_EVENING = np.array(
    [
        0.3,
        0.2,
        0.05,
        0,
        0,
        0,
        0,
        0.1,
        0.3,
        0.3,
        0.3,
        0.8,
        1.5,
        1.0,
        0.5,
        0.5,
        1.0,
        2.5,
        3.5,
        3.5,
        3.0,
        2.0,
        1.2,
        0.6,
    ]
)
"""Takeaways and taxis: lunch and evening peaks."""


def times_of_day(rng: np.random.Generator, day: int, n: int, hourly: np.ndarray) -> np.ndarray:
    """`n` times (seconds since the start) on `day`, following an hourly profile."""
    hours = rng.choice(24, size=n, p=hourly / hourly.sum())
    return day * 86_400 + hours * 3600 + rng.integers(0, 3600, size=n)


@dataclass
class Events:
    t: np.ndarray
    sms: np.ndarray
    a: np.ndarray
    b: np.ndarray
    duration: np.ndarray
    a_cell: np.ndarray
    b_cell: np.ndarray
    text: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def make(
        cls,
        t: np.ndarray,
        sms: np.ndarray | bool,
        a: np.ndarray,
        b: np.ndarray,
        duration: np.ndarray | None = None,
        a_cell: np.ndarray | None = None,
        b_cell: np.ndarray | None = None,
        text: np.ndarray | None = None,
    ) -> Events:
        """Events with defaults: duration 0, cells unknown (-1), no text."""
        n = len(t)
        neg = np.full(n, -1, dtype=np.int64)
        return cls(
            t=np.asarray(t, dtype=np.int64),
            sms=np.broadcast_to(np.asarray(sms, dtype=bool), (n,)).copy(),
            a=np.asarray(a, dtype=np.int64),
            b=np.asarray(b, dtype=np.int64),
            duration=np.zeros(n, dtype=np.int64) if duration is None else duration.astype(np.int64),
            a_cell=neg.copy() if a_cell is None else a_cell.astype(np.int64),
            b_cell=neg.copy() if b_cell is None else b_cell.astype(np.int64),
            text=np.zeros(n, dtype=np.int64) if text is None else np.asarray(text, dtype=np.int64),
        )

    @classmethod
    def concat(cls, parts: list[Events]) -> Events:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.make(np.empty(0), False, np.empty(0), np.empty(0))
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    def sorted(self) -> Events:
        order = np.argsort(self.t, kind="stable")
        return Events(**{f.name: getattr(self, f.name)[order] for f in fields(self)})

    def subset(self, mask: np.ndarray) -> Events:
        return Events(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})


def call_durations(
    rng: np.random.Generator, n: int, median_s: float, sigma: float = 0.9
) -> np.ndarray:
    """Log-normal call lengths in whole seconds (at least 1)."""
    return np.maximum(1, rng.lognormal(np.log(median_s), sigma, n)).astype(np.int64)
