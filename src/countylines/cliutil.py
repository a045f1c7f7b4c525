"""What every `countylines` command shares: the consoles, JSON output and exit codes.

Exit codes: 0 success (warnings allowed), 1 the input has errors (or, for `audit verify`, the log
fails verification), 2 the command could not run (bad arguments, missing folder), 3 an internal
error (a bug: please report it), 4 not authorised (no or wrong login, or a role without the
permission), 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from countylines.problems import CaseError
from countylines.roles import PermissionDenied
from countylines.throttle import Throttled
from countylines.users import AuthError

NOT_AUTHORISED = 4

AnalysisCaseArg = Annotated[
    Path,
    typer.Argument(
        help="A loaded case (the --out folder of `load`, or its case.duckdb) or a case folder, "
        "which is loaded into OUT first."
    ),
]
"""The case argument of the analysis commands (`lines`, `places`)."""
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")]

err = Console(stderr=True, soft_wrap=True, emoji=False, highlight=False)
out = Console(emoji=False, highlight=False)


def print_json(data: Any) -> None:
    """Plain JSON on stdout (never coloured), for scripts."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def print_outputs(
    data: dict[str, Any], text: str, paths: list[Path], out_dir: Path, quiet: bool, as_json: bool
) -> None:
    """An analysis command's report: `data` and the files as JSON on stdout (`--json`), else the
    readable `text` on stdout and the files written on stderr (nothing with `--quiet`)."""
    if as_json:
        print_json({**data, "files": [str(p) for p in paths]})
    elif not quiet:
        out.print(escape(text), end="", soft_wrap=True)
        err.print(f"written to {escape(str(out_dir))}: " + ", ".join(p.name for p in paths))


def run(fn: Callable[[], int]) -> None:
    """Run a command body, turning expected failures into messages and exit codes."""
    try:
        code = fn()
    except CaseError as exc:
        err.print(f"[red]countylines:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except (AuthError, PermissionDenied, Throttled) as exc:
        err.print(f"[red]countylines: not authorised:[/] {escape(str(exc))}")
        raise typer.Exit(NOT_AUTHORISED) from None
    except KeyboardInterrupt:
        err.print("[red]countylines:[/] interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:
        if os.environ.get("COUNTYLINES_DEBUG"):
            raise
        err.print(
            f"[red]countylines: internal error:[/] {escape(type(exc).__name__)}: "
            f"{escape(str(exc))}\n"
            "This is a bug; set COUNTYLINES_DEBUG=1 to see the traceback and please report it."
        )
        raise typer.Exit(3) from None
    raise typer.Exit(code)
