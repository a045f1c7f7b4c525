"""Synthetic identifiers: phone numbers, IMEIs and IMSIs, vectorised and unique.

Numbers look like UK mobiles (+447 and nine digits) but are drawn at random by the simulator;
they describe no real subscriber.
"""

from __future__ import annotations

from datetime import date

import numpy as np

IMSI_NETWORKS = ("23410", "23415", "23420", "23430")  # UK MCC-MNC of the four networks


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct E.164 mobile numbers (+447 then nine digits)."""
    draws = rng.choice(10**9, size=n, replace=False)
    return np.char.add("+447", np.char.zfill(draws.astype("U9"), 9)).astype(object)


def luhn_digit(body: np.ndarray) -> np.ndarray:
    """Luhn check digits for rows of digits (2-D integer array, most significant first)."""
    digits = body[:, ::-1].copy()
    doubled = digits[:, 0::2] * 2
    digits[:, 0::2] = np.where(doubled > 9, doubled - 9, doubled)
    return (10 - digits.sum(axis=1) % 10) % 10


def imeis(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct 15-digit IMEIs with valid Luhn check digits."""
    serial = rng.choice(10**12, size=n, replace=False)
    body = np.empty((n, 14), dtype=np.int64)
    body[:, 0:2] = (3, 5)  # reporting body 35: most handsets' type allocation codes
    rest = serial
    for i in range(13, 1, -1):
        body[:, i] = rest % 10
        rest = rest // 10
    check = luhn_digit(body)
    chars = (np.concatenate([body, check[:, None]], axis=1) + ord("0")).astype(np.uint8)
    return np.ascontiguousarray(chars).view("S15")[:, 0].astype("U15").astype(object)


def imsis(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct 15-digit IMSIs on UK networks."""
    network = rng.choice(np.array(IMSI_NETWORKS), size=n)
    serial = rng.choice(10**10, size=n, replace=False)
    return np.char.add(network, np.char.zfill(serial.astype("U10"), 10)).astype(object)


def prefixed_ids(prefix: str, index: np.ndarray, width: int) -> np.ndarray:
    """Case identifiers for 0-based indices: prefix and the 1-based number, zero-padded."""
    numbers = (np.asarray(index, dtype=np.int64) + 1).astype(f"U{width}")
    if numbers.size == 0:
        return np.empty(numbers.shape, dtype=object)
    return np.char.add(prefix, np.char.zfill(numbers, width)).astype(object)


def person_ids(index: np.ndarray) -> np.ndarray:
    """Person ids (P0000001, ...) of person indices."""
    return prefixed_ids("P", index, 7)


def address_ids(index: np.ndarray) -> np.ndarray:
    """Address ids (A0000001, ...) of address indices."""
    return prefixed_ids("A", index, 7)


def utc_text(start: date, seconds: np.ndarray | int) -> np.ndarray:
    """Seconds since midnight UTC of `start` as case-format text (2018-10-01T07:39:40Z)."""
    moments = np.datetime64(start, "s") + np.asarray(seconds, dtype=np.int64).astype(
        "timedelta64[s]"
    )
    return np.char.add(np.datetime_as_string(moments, unit="s"), "Z").astype(object)
