"""Group commit of audit entries, for a server with many concurrent requests.

`GroupWriter.record` queues an entry and blocks until it is durable. One writer thread takes
every entry queued since its last commit and appends them with `audit.append`: one transaction,
one fsync and one anchor update for the whole group, in queue order, chained exactly as
`audit.record` chains them (so `audit verify` is unchanged). A request therefore never returns
before its own entry is on disk, but twenty requests waiting together cost one commit, not
twenty in turn on SQLite's write lock. Other processes (the command line) may append at the
same time: `BEGIN IMMEDIATE` serialises them as before.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterable
from concurrent.futures import Future

from countylines.audit import Entry, Pending, append
from countylines.workspace import Workspace

MAX_GROUP = 500
"""At most this many entries in one transaction."""
IDLE_S = 2.0
"""The writer thread stops after this many seconds without an entry (and starts again on the
next), so an idle server or a finished test holds no thread or connection."""


class GroupWriter:
    """Appends the entries of many threads to `ws`'s audit log, a group per transaction."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._queue: queue.SimpleQueue[tuple[Pending, Future[Entry]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(
        self, user: str, action: str, target: str, records: Iterable[str] = (), reason: str = ""
    ) -> Future[Entry]:
        """Queue one entry (the fields of `audit.record`); the future is done once it is
        committed, or holds the writer's error."""
        done: Future[Entry] = Future()
        self._queue.put((Pending(user, action, target, tuple(records), reason), done))
        self._start()
        return done

    def record(
        self, user: str, action: str, target: str, records: Iterable[str] = (), reason: str = ""
    ) -> Entry:
        """Append one entry and return it once it is committed (`submit`, waited for)."""
        return self.submit(user, action, target, records, reason).result()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()

    def _next_group(self) -> list[tuple[Pending, Future[Entry]]] | None:
        """What is queued (waiting up to IDLE_S for the first), or None to stop: nothing came
        and nothing is queued (checked under the lock `_start` takes, so no entry is left)."""
        try:
            group = [self._queue.get(timeout=IDLE_S)]
        except queue.Empty:
            with self._lock:
                if self._queue.empty():
                    self._thread = None
                    return None
            group = []
        while len(group) < MAX_GROUP:
            try:
                group.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return group

    def _run(self) -> None:
        try:
            with self.ws.connect() as con:
                while (group := self._next_group()) is not None:
                    if group:
                        self._commit(con, group)
        except Exception as exc:  # the database cannot be opened: fail what waits, not hang
            with self._lock:
                self._thread = None
            while not self._queue.empty():
                self._queue.get_nowait()[1].set_exception(exc)

    def _commit(self, con: sqlite3.Connection, group: list[tuple[Pending, Future[Entry]]]) -> None:
        try:
            entries = append(con, [p for p, _ in group], self.ws.anchor_path)
        except Exception as exc:  # every waiting request sees the failure
            for _, done in group:
                done.set_exception(exc)
            return
        for (_, done), entry in zip(group, entries, strict=True):
            done.set_result(entry)
