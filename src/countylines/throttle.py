"""Login throttling: per-username and per-client failure counts with exponential backoff.

Plain logic with a clock parameter, so it is testable without sleeping and usable from the CLI
(failures kept in the workspace database) and from the web app (failures kept in memory). After
`free_failures` recent failures for a key, each further attempt must wait `base_delay_s * 2**k`
seconds after the last failure (k = failures beyond the free ones), capped at `max_delay_s`,
which is the lockout. Failures older than `window_s` are forgotten; a success clears the
username's failures (not the client's, so one stolen password does not reset an attacker's
count from the same client).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free, how the delay grows, its cap and how long failures count."""

    free_failures: int = 5
    base_delay_s: float = 2.0
    max_delay_s: float = 900.0
    window_s: float = 3600.0


USER_POLICY = ThrottlePolicy()
"""Per username: 5 free failures, then 2 s, 4 s, 8 s ... up to a 15-minute lockout."""

CLIENT_POLICY = ThrottlePolicy(free_failures=20)
"""Per client (address): more free failures, since several people may share an address."""


def wait_seconds(failures: list[float], now: float, policy: ThrottlePolicy) -> float:
    """Seconds to wait before the next attempt, given the times of earlier failures."""
    recent = sorted(t for t in failures if now - t < policy.window_s)
    extra = len(recent) - policy.free_failures
    if extra < 0:
        return 0.0
    delay = min(policy.max_delay_s, policy.base_delay_s * 2.0 ** min(extra, 60))
    return max(0.0, recent[-1] + delay - now)


class FailureStore(Protocol):
    """Where failure times are kept, by key (`user:NAME` or `client:ADDRESS`)."""

    def failures(self, key: str) -> list[float]: ...

    def add(self, key: str, when: float) -> None: ...

    def clear(self, key: str) -> None: ...


@dataclass
class MemoryFailures:
    """Failure times in memory: for one long-running process such as the web server."""

    times: dict[str, list[float]] = field(default_factory=dict)
    keep: int = 200

    def failures(self, key: str) -> list[float]:
        return list(self.times.get(key, ()))

    def add(self, key: str, when: float) -> None:
        kept = self.times.setdefault(key, [])
        kept.append(when)
        del kept[: -self.keep]

    def clear(self, key: str) -> None:
        self.times.pop(key, None)


class Throttled(Exception):
    """Too many recent failures: try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"too many failed logins; try again in {max(1, round(retry_after))} seconds"
        )


@dataclass
class LoginThrottle:
    """Checks and records login attempts for a username and a client."""

    store: FailureStore = field(default_factory=MemoryFailures)
    clock: Callable[[], float] = time.time
    user_policy: ThrottlePolicy = USER_POLICY
    client_policy: ThrottlePolicy = CLIENT_POLICY

    def _keys(self, username: str, client: str) -> list[tuple[str, ThrottlePolicy]]:
        return [
            (f"user:{username.strip().lower()}", self.user_policy),
            (f"client:{client}", self.client_policy),
        ]

    def wait(self, username: str, client: str) -> float:
        """Seconds before `client` may try `username` again (0: now)."""
        now = self.clock()
        return max(
            wait_seconds(self.store.failures(key), now, policy)
            for key, policy in self._keys(username, client)
        )

    def check(self, username: str, client: str) -> None:
        """Raise `Throttled` if an attempt is not allowed yet."""
        delay = self.wait(username, client)
        if delay > 0:
            raise Throttled(delay)

    def failure(self, username: str, client: str) -> None:
        now = self.clock()
        for key, _ in self._keys(username, client):
            self.store.add(key, now)

    def success(self, username: str, client: str) -> None:
        self.store.clear(self._keys(username, client)[0][0])
