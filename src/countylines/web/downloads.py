"""The files of an assess output folder the dashboard offers for download, and to whom.

A file is offered by where it lies, never by its name alone, so the exports of steps added
later (`network/`, `exports/` ...) are offered as soon as they appear in a known folder:

* `report-public.*` and `places/` (the public report and the places aggregates):
  `VIEW_AGGREGATES` (every role);
* `report.*` (the restricted report), `lines/`, `violence/`, `movement/`, `network/`,
  `exports/`, `maps/`: `VIEW_LINES` (analyst and above);
* `people/` (the safeguarding list, runners and cuckooed homes, pseudonymised):
  `VIEW_PERSON_DETAILS` (safeguarding and admin) - a download leaves the system's controls.

Nothing else is offered: not `work/` (the loaded case with the real identifiers), not hidden
files, not symbolic links, not a path with `..` or an absolute path. `resolve` checks the
path's parts and that the file, resolved, is exactly that path inside the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from countylines.roles import Permission

FOLDERS: dict[str, tuple[Permission, str]] = {
    "places": (Permission.VIEW_AGGREGATES, "places aggregates (towns, areas, map)"),
    "lines": (Permission.VIEW_LINES, "line register"),
    "violence": (Permission.VIEW_LINES, "violence and rivalries"),
    "movement": (Permission.VIEW_LINES, "movement and vehicles"),
    "network": (Permission.VIEW_LINES, "network exports"),
    "exports": (Permission.VIEW_LINES, "exports"),
    "maps": (Permission.VIEW_LINES, "maps"),
    "people": (Permission.VIEW_PERSON_DETAILS, "safeguarding and people"),
}
"""Subfolder of the results -> the permission its files need, and what they are."""

REPORT_SUFFIXES = (".html", ".pdf")
PUBLIC_REPORT = "report-public"


@dataclass(frozen=True)
class Download:
    """An offered file: its path relative to the results (POSIX), size in bytes, the
    permission it needs and what it is."""

    path: str
    size: int
    permission: Permission
    group: str


class NotOffered(Exception):
    """The path names no file the dashboard offers."""


def _rule(parts: tuple[str, ...]) -> tuple[Permission, str] | None:
    """The permission and group of the relative path `parts`, or None if not offered."""
    if not parts or any(p in ("", ".", "..") or p.startswith(".") or "\\" in p for p in parts):
        return None
    if len(parts) == 1:
        name = PurePosixPath(parts[0])
        if name.suffix not in REPORT_SUFFIXES or not name.stem.startswith("report"):
            return None
        if name.stem.startswith(PUBLIC_REPORT):
            return Permission.VIEW_AGGREGATES, "public report"
        return Permission.VIEW_LINES, "restricted report"
    return FOLDERS.get(parts[0])


def _offered(root: Path, rel: tuple[str, ...]) -> Download | None:
    rule = _rule(rel)
    path = root.joinpath(*rel)
    if rule is None or path.is_symlink() or not path.is_file():
        return None
    # No symbolic link anywhere on the way: the resolved file is this very path.
    if path.resolve() != root.joinpath(*rel):
        return None
    return Download("/".join(rel), path.stat().st_size, *rule)


def catalogue(folder: Path) -> list[Download]:
    """Every file of `folder` that is offered (to someone), by group then path."""
    root = folder.resolve()
    found = [_offered(root, (p.name,)) for p in root.iterdir()]
    for sub in FOLDERS:
        if (root / sub).is_dir() and not (root / sub).is_symlink():
            found += [_offered(root, p.relative_to(root).parts) for p in (root / sub).rglob("*")]
    return sorted((d for d in found if d is not None), key=lambda d: (d.group, d.path))


def resolve(folder: Path, requested: str) -> tuple[Path, Download]:
    """The file `requested` (relative, `/`-separated) names in `folder`; NotOffered if it is
    not one the dashboard offers."""
    rel = PurePosixPath(requested)
    if rel.is_absolute() or "\x00" in requested:
        raise NotOffered(requested)
    root = folder.resolve()
    found = _offered(root, rel.parts)
    if found is None:
        raise NotOffered(requested)
    return root.joinpath(*rel.parts), found
