"""Writing the people outputs: CSV and Parquet tables and a short readable summary.

Files (columns in docs/people.md): `safeguarding.csv|parquet`, `runners.csv|parquet`,
`cuckooed_addresses.csv|parquet`, `person_scores.parquet` (every person's score, for evaluation
and for checks of disparity) and `people_summary.txt`. Each file is written to a temporary name
and renamed (as `countylines lines` does), so a reader never sees half a file.
"""

from __future__ import annotations

from pathlib import Path

from countylines.lines.report import _replace, write_table
from countylines.people.assess import PeopleResult


def summary(result: PeopleResult) -> str:
    """A few lines for the safeguarding team: how many people, how urgent, which homes."""
    sg = result.safeguarding
    pri = sg["priority"].value_counts()
    children = int(sg["child"].isin(["yes", "possibly"]).sum())
    linked = result.runners["person_id"].notna().sum()
    out = [
        f"{len(sg)} persons on the safeguarding list ({pri.get('high', 0)} high, "
        f"{pri.get('medium', 0)} medium priority), {children} of them children or possibly "
        f"children (ages against {result.period_year}).",
        f"{len(result.runners)} runner numbers in {result.n_lines} lines, {linked} linked to a "
        "person.",
        f"{len(result.cuckooed)} homes suspected cuckooed.",
        "",
        "The score prioritises safeguarding contact; it is not, on its own, grounds for any "
        "enforcement decision.",
    ]
    if len(sg):
        out += ["", "Highest priority:"]
        for row in sg.head(10).itertuples():
            out.append(
                f"  {row.rank:>3} {row.person_id!s:<12} {row.age_band!s:<9} score {row.score:>2}  "
                f"{row.suggested_action}"
            )
    if len(result.cuckooed):
        out += ["", "Suspected cuckooed homes:"]
        for row in result.cuckooed.head(10).itertuples():
            out.append(
                f"  {row.rank:>3} {row.address_id!s:<12} {row.line_ids!s:<10} score {row.score:>2}"
                f"  occupant {row.occupant_person_id}"
            )
    return "\n".join(out) + "\n"


def write_outputs(result: PeopleResult, out: Path) -> list[Path]:
    """Write every output file of `countylines people` into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = write_table(result.safeguarding, out, "safeguarding")
    paths += write_table(result.runners, out, "runners")
    paths += write_table(result.cuckooed, out, "cuckooed_addresses")
    paths += write_table(result.scores, out, "person_scores", csv=False)
    text = summary(result)
    paths.append(out / "people_summary.txt")
    _replace(paths[-1], lambda p: p.write_text(text))
    return paths
