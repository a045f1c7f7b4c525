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
    """`n` times (seconds since the start) on `day`, following an hourly profile.

    One uniform draw per time through the inverse of the profile's distribution function
    (piecewise linear: the hour by its weight, then uniform within the hour).
    """
    cdf = np.concatenate([[0.0], np.cumsum(hourly)])
    cdf /= cdf[-1]
    seconds = np.interp(rng.random(n), cdf, np.arange(25) * 3600.0)
    return day * 86_400 + np.minimum(seconds.astype(np.int64), 86_399)


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
        """Events with defaults: duration 0, cells unknown (-1), no text.

        Times are int64; ids, durations and texts int32 (half the memory to concatenate, sort
        and pass between processes).
        """
        n = len(t)
        i32 = np.int32
        return cls(
            t=np.asarray(t, dtype=np.int64),
            sms=np.broadcast_to(np.asarray(sms, dtype=bool), (n,)).copy(),
            a=np.asarray(a, dtype=i32),
            b=np.asarray(b, dtype=i32),
            duration=np.zeros(n, dtype=i32) if duration is None else duration.astype(i32),
            a_cell=np.full(n, -1, dtype=i32) if a_cell is None else a_cell.astype(i32),
            b_cell=np.full(n, -1, dtype=i32) if b_cell is None else b_cell.astype(i32),
            text=np.zeros(n, dtype=i32) if text is None else np.asarray(text, dtype=i32),
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
        """The events in time order (ties keep their order)."""
        order = self.order()
        return Events(**{f.name: getattr(self, f.name)[order] for f in fields(self)})

    def order(self) -> np.ndarray:
        """The stable time order, by one plain sort of (time, position) packed into an int64
        (several times faster than a stable argsort)."""
        n = len(self.t)
        if n == 0:
            return np.empty(0, dtype=np.int64)
        low = int(self.t.min())
        bits = max(1, (n - 1).bit_length())
        if (int(self.t.max()) - low).bit_length() + bits > 62:
            return np.argsort(self.t, kind="stable")
        key = ((self.t - low) << bits) | np.arange(n)
        return np.sort(key) & ((1 << bits) - 1)

    def subset(self, mask: np.ndarray) -> Events:
        return Events(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})


def call_durations(
    rng: np.random.Generator, n: int, median_s: float, sigma: float = 0.9
) -> np.ndarray:
    """Log-normal call lengths in whole seconds (at least 1)."""
    return np.maximum(1, rng.lognormal(np.log(median_s), sigma, n)).astype(np.int64)
