"""The suggested safeguarding action for each person on the list, and the priority.

A suggestion for the safeguarding team, not a decision: the rules are in `suggest`.
"""

from __future__ import annotations

import pandas as pd

STRONG = {"runner", "cuckooed_occupant"}
"""Facts that are evidence of exploitation by a line (not only of risk)."""
AROUND_A_LINE = {"line_contact", "found_in_line_town", "line_violence", "reported_at_home"}
"""Facts that tie an adult to a line or to a warning sign of cuckooing: without one, an adult's
recorded risk factors alone do not put them on the list (many adults have them)."""


def suggest(child: str, facts: set[str], score: int) -> str:
    """The suggested action for a person with these facts (see docs/people.md)."""
    is_child = child in ("yes", "possibly")
    strong = facts & STRONG
    if is_child and strong:
        return (
            "referral to children's services / MASH today; National Referral Mechanism "
            "referral (no consent needed for a child)"
        )
    if is_child:
        return "referral to children's services / MASH"
    if "runner" in strong:
        return (
            "National Referral Mechanism consideration (with consent; duty to notify "
            "otherwise); adult safeguarding referral"
        )
    if "cuckooed_occupant" in strong:
        return (
            "cuckooing prevention visit with housing and adult social care; National "
            "Referral Mechanism consideration"
        )
    if score >= 3 and facts & AROUND_A_LINE:
        return "welfare visit"
    return "no action suggested (kept for context)"


def priority(child: str, facts: set[str], score: int) -> str:
    """high (evidence of exploitation, or a child at risk), medium (score 3 or more, for an
    adult with a fact AROUND_A_LINE), low."""
    is_child = child in ("yes", "possibly")
    if facts & STRONG or (is_child and score >= 4):
        return "high"
    return "medium" if score >= 3 and (is_child or facts & AROUND_A_LINE) else "low"


def add_actions(scored: pd.DataFrame) -> pd.DataFrame:
    """`scored` (from `risk.score_persons`) with `priority` and `suggested_action` columns."""
    rows = zip(scored["child"], scored["facts"], scored["score"], strict=True)
    pri, act = zip(*((priority(c, f, s), suggest(c, f, s)) for c, f, s in rows), strict=True)
    return scored.assign(priority=list(pri), suggested_action=list(act))
