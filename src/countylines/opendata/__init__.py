"""Real open data in: a case folder (and monthly crime counts) for English police forces.

See docs/opendata.md; `case.build_case` and `police_uk.monthly_counts` are the entry points."""
