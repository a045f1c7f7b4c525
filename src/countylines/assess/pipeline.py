"""`assess`: from a case folder to every table, the briefing and the map, one step at a time.

Each step writes into its own folder of OUT and is skipped when its inputs have not changed
since it last ran: a step's fingerprint is the SHA-256 of its settings, the fingerprints of the
steps it reads, and (for `load`) the name, size and modification time of every file of the case
(`truth/` excluded). Fingerprints are kept in `OUT/steps.json`, written after each step, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from countylines.problems import CaseError

STEPS_FILE = "steps.json"


def case_fingerprint(case: Path) -> str:
    """SHA-256 of the case folder's file names, sizes and modification times (not `truth/`)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in case.rglob("*") if p.is_file()):
        rel = path.relative_to(case)
        if rel.parts[0] == "truth":
            continue
        st = path.stat()
        digest.update(f"{rel.as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Step:
    """One step: its name, the steps it reads, a file it always writes (relative to OUT; the
    step reruns if it is gone), and what it does (given OUT, returns a short description of
    what it wrote)."""

    name: str
    needs: tuple[str, ...]
    output: str
    run: Callable[[Path], str]
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepOutcome:
    name: str
    ran: bool
    note: str


def _read_steps(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / STEPS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_steps(out: Path, done: dict[str, str]) -> None:
    tmp = out / f".{STEPS_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(done, indent=2, sort_keys=True))
    os.replace(tmp, out / STEPS_FILE)


def run_steps(
    steps: list[Step],
    out: Path,
    case_print: str,
    force: bool = False,
    on_step: Callable[[str, bool], None] | None = None,
) -> list[StepOutcome]:
    """Run `steps` in order into `out`, skipping each whose fingerprint is unchanged (unless
    `force`); `on_step(name, will_run)` is called before each."""
    out.mkdir(parents=True, exist_ok=True)
    before = _read_steps(out)
    done: dict[str, str] = {}
    outcomes = []
    for step in steps:
        missing = [n for n in step.needs if n not in done]
        if missing:
            raise CaseError(f"step {step.name} needs {', '.join(missing)} first")
        upstream = [done[n] for n in step.needs] or [case_print]
        print_ = _fingerprint(step.name, step.settings, upstream)
        skip = not force and before.get(step.name) == print_ and (out / step.output).exists()
        if on_step:
            on_step(step.name, not skip)
        note = "unchanged, skipped" if skip else step.run(out)
        done[step.name] = print_
        _write_steps(out, {**before, **done})
        outcomes.append(StepOutcome(step.name, not skip, note))
    return outcomes
