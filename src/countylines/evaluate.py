"""Scoring an analysis against the ground truth a simulated case carries in `truth/`.

`evaluate(case, out)` compares the outputs in `out` with `case/truth` for every analysis whose
outputs are present (the line register of `countylines lines`, the places of `countylines
places`, the outputs of `countylines people`) and returns plain metrics. The definitions are in
docs/lines.md, docs/places.md and docs/people.md ("How it is measured"). `places_truth` hands the
true infiltration to the places backtest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from countylines.private_outputs import NO_KEY, has_tokens, known_values, replace_tokens
from countylines.problems import CaseError


def _f1(tp: int, n_pred: int, n_true: int) -> dict[str, float]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


Real = Mapping[str, str] | None
"""Token -> truth value, to read pseudonymised outputs (None: the outputs must hold none)."""


def read_output(path: Path, real: Real, columns: list[str] | None = None) -> pd.DataFrame:
    """An output table (CSV as text, or Parquet `columns`) with its pseudonyms turned back into
    the truth's values by `real`; tokens of values the truth does not hold stay tokens."""
    frame = pd.read_parquet(path, columns=columns) if path.suffix == ".parquet" else _read(path)
    if real is None:
        if has_tokens(frame):
            raise CaseError(f"{path}: " + NO_KEY.format(name="of identifiers"))
        return frame
    return replace_tokens(frame, real)


def truth_values(truth: Path, key: bytes) -> dict[str, str]:
    """Token -> value of every identifier in the truth tables of a simulated case."""
    return known_values((_read(p) for p in sorted(truth.glob("*.csv"))), key)


def _majority(members: pd.DataFrame, by: str, of: str) -> pd.DataFrame:
    """For each `by` group: its most common `of` value and that value's share of the group."""
    counts = members.groupby([by, of]).size().rename("n").reset_index()
    counts["share"] = counts["n"] / counts.groupby(by)["n"].transform("sum")
    best = counts.sort_values([by, "n", of], ascending=[True, False, True]).groupby(by).head(1)
    return best.set_index(by)[[of, "share"]]


def evaluate_lines(truth: Path, out: Path, real: Real = None) -> dict[str, Any]:
    """Deal-number, line, linking, hub, market-town and runner metrics."""
    t_lines, t_nums = _read(truth / "lines.csv"), _read(truth / "line_numbers.csv")
    p_lines = _read(out / "lines.csv")
    p_nums = read_output(out / "line_numbers.csv", real)
    metrics: dict[str, Any] = {}
    t_deal = t_nums[t_nums["role"] == "deal_line"][["line_id", "number"]]
    p_deal = p_nums[p_nums["role"] == "deal_line"][["line_id", "number"]]
    tp = len(set(t_deal["number"]) & set(p_deal["number"]))
    metrics["deal_numbers"] = _f1(tp, p_deal["number"].nunique(), t_deal["number"].nunique())
    # A true line is found when most of its deal numbers sit in one detected line.
    both = t_deal.merge(p_deal, on="number", how="left", suffixes=("_true", "_found"))
    both["line_id_found"] = both["line_id_found"].fillna("")
    found = _majority(both, "line_id_true", "line_id_found")
    found = found[(found["line_id_found"] != "") & (found["share"] > 0.5)]
    metrics["line_recall"] = round(len(found) / max(1, t_lines["line_id"].nunique()), 4)
    # A detected line is right when most of its deal numbers belong to one true line.
    pred = p_deal.merge(t_deal, on="number", how="left", suffixes=("_found", "_true"))
    pred["line_id_true"] = pred["line_id_true"].fillna("")
    purity = _majority(pred, "line_id_found", "line_id_true")
    right = purity[(purity["line_id_true"] != "") & (purity["share"] > 0.5)]
    metrics["line_precision"] = round(len(right) / max(1, len(purity)), 4)
    # Linking purity: of the true deal numbers in each detected line, the share that belong to
    # its majority true line (numbers that are no line's are left to precision).
    linked = pred[pred["line_id_true"] != ""]
    sizes = linked.groupby("line_id_found").size()
    if len(linked):
        major = _majority(linked, "line_id_found", "line_id_true")
        purity_value = float((major["share"] * sizes.reindex(major.index)).sum() / sizes.sum())
    else:
        purity_value = 0.0
    metrics["linking_purity"] = round(purity_value, 4)
    pairs = right.reset_index()[["line_id_found", "line_id_true"]]
    pairs = pairs.merge(
        p_lines.rename(columns={"line_id": "line_id_found"}), on="line_id_found"
    ).merge(t_lines.rename(columns={"line_id": "line_id_true"}), on="line_id_true",
            suffixes=("_found", "_true"))  # fmt: skip
    metrics["hub_accuracy"] = (
        round(float((pairs["hub_found"] == pairs["hub_true"]).mean()), 4) if len(pairs) else 0.0
    )
    town_tp = town_pred = town_true = 0
    for row in pairs.itertuples():
        f = {t for t in str(row.market_towns_found).split(";") if t}
        t = {t for t in str(row.market_towns_true).split(";") if t}
        town_tp, town_pred, town_true = town_tp + len(f & t), town_pred + len(f), town_true + len(t)
    metrics["market_towns"] = _f1(town_tp, town_pred, town_true)
    t_run = set(t_nums.loc[t_nums["role"] == "runner", "number"])
    p_run = set(p_nums.loc[p_nums["role"] == "runner", "number"])
    metrics["runners"] = _f1(len(t_run & p_run), len(p_run), len(t_run))
    t_hold = set(t_nums.loc[t_nums["role"] == "holder", "number"])
    p_hold = set(p_nums.loc[p_nums["role"] == "holder", "number"])
    metrics["holders"] = _f1(len(t_hold & p_hold), len(p_hold), len(t_hold))
    candidates = out / "line_candidates.parquet"
    if candidates.exists():
        cand = read_output(candidates, real, ["number", "n_bursts"])
        wrong = set(p_deal["number"]) - set(t_deal["number"])
        metrics["bulk_texters_flagged"] = int(
            cand[cand["number"].isin(wrong) & (cand["n_bursts"] > 0)]["number"].nunique()
        )
    metrics["counts"] = {
        "true_lines": int(t_lines["line_id"].nunique()),
        "found_lines": int(p_lines["line_id"].nunique()),
        "true_deal_numbers": int(t_deal["number"].nunique()),
        "found_deal_numbers": int(p_deal["number"].nunique()),
    }
    return metrics


def places_truth(case: Path) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The true infiltration of a simulated case (town, month as an int from 0, line_id) and the
    start of its period (UTC): the simulator's months are 30 days from the start."""
    truth = Path(case) / "truth"
    path = truth / "infiltration.csv"
    if not path.is_file():
        raise CaseError(f"{case} has no truth/infiltration.csv: only simulated cases can be scored")
    rows = pd.read_csv(path, dtype={"town": str, "line_id": str})
    params = json.loads((truth / "params.json").read_text())
    return rows, pd.Timestamp(params["start"], tz="UTC")


def evaluate_places(truth: Path, out: Path) -> dict[str, Any]:
    """How the places outputs match the true infiltration: the towns classed `infiltrated`
    against the towns lines worked (precision, recall, F1), and the AUC of the town score for
    towns ever infiltrated."""
    from countylines.places.backtest import auc

    towns = _read(out / "towns.csv")
    true = set(_read(truth / "infiltration.csv")["town"])
    found = set(towns.loc[towns["class"] == "infiltrated", "town"])
    return {
        "infiltrated_towns": _f1(len(found & true), len(found), len(true)),
        "town_score_auc": round(
            auc(towns["score"].astype(float), towns["town"].isin(true).astype(int)), 4
        ),
    }


def evaluate_people(truth: Path, out: Path, real: Real = None) -> dict[str, Any]:
    """Runner and cuckooed-address precision, recall and F1, and the AUC of the risk score for
    the persons the truth marks as exploited (every person scored; see docs/people.md)."""
    from sklearn.metrics import roc_auc_score

    needed = truth / "exploited_persons.csv"
    if not needed.exists():
        raise CaseError(f"{needed} not found: simulate the case again with this version")
    t_nums, t_cuckoo = _read(truth / "line_numbers.csv"), _read(truth / "cuckooed_addresses.csv")
    exploited = _read(needed)
    metrics: dict[str, Any] = {}
    t_run = set(t_nums.loc[t_nums["role"] == "runner", "number"])
    p_run = set(read_output(out / "runners.csv", real)["number"])
    metrics["runners"] = _f1(len(t_run & p_run), len(p_run), len(t_run))
    t_addr = set(t_cuckoo["address_id"])
    p_addr = set(_read(out / "cuckooed_addresses.csv")["address_id"])
    metrics["cuckooed_addresses"] = _f1(len(t_addr & p_addr), len(p_addr), len(t_addr))
    # Homes taken over at least a week before the end leave a trace to find (nights, visits).
    end = pd.to_datetime(t_nums["last_active"], utc=True).max()
    since = pd.to_datetime(t_cuckoo["from"], utc=True)
    settled = set(t_cuckoo.loc[since <= end - pd.Timedelta(days=7), "address_id"])
    metrics["cuckooed_recall_settled"] = round(len(settled & p_addr) / max(1, len(settled)), 4)
    scores = read_output(out / "person_scores.parquet", real, ["person_id", "score"])
    truth_y = scores["person_id"].isin(set(exploited["person_id"]))
    auc = roc_auc_score(truth_y, scores["score"]) if 0 < truth_y.sum() < len(truth_y) else 0.0
    metrics["exploited_auc"] = round(float(auc), 4)
    metrics["counts"] = {
        "persons_scored": len(scores),
        "exploited_scored": int(truth_y.sum()),
        "exploited_in_truth": int(exploited["person_id"].nunique()),
        "true_cuckooed": len(t_addr),
        "true_cuckooed_settled": len(settled),
        "found_cuckooed": len(p_addr),
    }
    return metrics


def _outputs(out: Path, step: str, marker: str) -> Path | None:
    """The folder holding `step`'s outputs: `out` itself (an analysis command's folder) or
    `out/step` (an `assess` folder); None when neither holds `marker`."""
    for folder in (Path(out), Path(out) / step):
        if (folder / marker).exists():
            return folder
    return None


def evaluate(case: Path, out: Path, key: bytes | None = None) -> dict[str, Any]:
    """Every metric that the outputs in `out` allow, against `case/truth`; `key` reads
    pseudonymised outputs (the workspace's key that wrote them). `out` is an analysis command's
    folder or an `assess` folder (its `lines/`, `places/`, `people/`, `violence/`, `movement/`)."""
    truth = Path(case) / "truth"
    if not truth.is_dir():
        raise CaseError(f"{case} has no truth/ folder: only simulated cases can be evaluated")
    real = truth_values(truth, key) if key is not None else None
    results: dict[str, Any] = {}
    if lines := _outputs(out, "lines", "lines.csv"):
        results["lines"] = evaluate_lines(truth, lines, real)
    if (places := _outputs(out, "places", "towns.csv")) and (truth / "infiltration.csv").exists():
        results["places"] = evaluate_places(truth, places)
    if people := _outputs(out, "people", "person_scores.parquet"):
        results["people"] = evaluate_people(truth, people, real)
    if violence := _outputs(out, "violence", "violence.csv"):
        from countylines.movement.scoring import evaluate_violence

        results["violence"] = evaluate_violence(truth, violence, real)
        from countylines.movement.observable import rivalry_breakdown
        from countylines.movement.scoring import found_rivalries

        found = found_rivalries(truth, violence, real)
        results["violence"]["rivalry_breakdown"] = rivalry_breakdown(Path(case), *found)
    if movement := _outputs(out, "movement", "vehicles_of_interest.csv"):
        from countylines.movement.scoring import evaluate_movement

        results["movement"] = evaluate_movement(truth, movement, real)
    if not results:
        raise CaseError(
            f"{out} holds no outputs to evaluate; run `countylines lines`, `places`, `people`, "
            "`violence` or `movement` first"
        )
    return results
