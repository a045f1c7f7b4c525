"""Scoring `violence` and `movement` outputs against a simulated case's truth (docs/movement.md,
"How it is measured"). Detected lines are matched to true lines by their deal numbers: a
detected line stands for the true line that most of its deal numbers belong to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from countylines.evaluate import Real, read_output


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def line_map(truth: Path, numbers: pd.DataFrame) -> dict[str, str]:
    """Detected line_id -> true line_id, by the majority of the detected line's deal numbers."""
    t_nums = _read(truth / "line_numbers.csv")
    both = numbers[numbers["role"] == "deal_line"][["line_id", "number"]].merge(
        t_nums[t_nums["role"] == "deal_line"][["line_id", "number"]],
        on="number",
        suffixes=("", "_true"),
    )
    counts = both.groupby(["line_id", "line_id_true"]).size().rename("n").reset_index()
    best = counts.sort_values(["line_id", "n", "line_id_true"], ascending=[True, False, True])
    return dict(best.drop_duplicates("line_id")[["line_id", "line_id_true"]].to_numpy())


def _share(hits: pd.Series) -> float:
    return round(float(hits.mean()), 4) if len(hits) else 0.0


def _true_pairs(rivalries: pd.DataFrame, mapping: dict[str, str]) -> set[frozenset[str]]:
    """The detected rivalries (line_a, line_b) as pairs of the true lines they stand for."""
    return {
        frozenset((mapping.get(a, ""), mapping.get(b, "")))
        for a, b in rivalries[["line_a", "line_b"]].to_numpy()
    }


def found_rivalries(
    truth: Path, out: Path, real: Real = None
) -> tuple[set[frozenset[str]], set[str]]:
    """The `violence` outputs' rivalries as pairs of true line ids, and the true lines that the
    detected lines stand for."""
    mapping = line_map(truth, read_output(out / "violence_lines.csv", real))
    return _true_pairs(read_output(out / "rivalries.csv", real), mapping), set(mapping.values())


def evaluate_violence(truth: Path, out: Path, real: Real = None) -> dict[str, Any]:
    """Incident attribution, weapon and motive accuracy, rivalry recall and precision."""
    mapping = line_map(truth, read_output(out / "violence_lines.csv", real))
    t_inc = _read(truth / "incidents.csv")
    found = read_output(out / "violence.csv", real)
    both = t_inc.merge(found, on="incident_id", suffixes=("_true", ""))
    both["line_true"] = both["line_id"].map(mapping).fillna("")
    both["rival_true"] = both["rival_line_id"].map(mapping).fillna("")
    caused = both[both["motive_true"] != "unrelated"]
    right = (caused["line_true"] != "") & (
        (caused["line_true"] == caused["line_id_true"])
        | (caused["line_true"] == caused["rival_line_id_true"])
    )
    detected = set(mapping.values())
    of_found = caused["line_id_true"].isin(detected) | caused["rival_line_id_true"].isin(detected)
    unrelated = both[both["motive_true"] == "unrelated"]
    armed = both[both["weapon_true"] != "none"]
    unarmed = both[both["weapon_true"] == "none"]
    filled = armed[armed["weapon_field"] == "unknown"]
    metrics: dict[str, Any] = {
        "attribution_accuracy": _share(right),
        "attribution_accuracy_found_lines": _share(right[of_found]),
        "attributed_share": _share(caused["line_id"] != ""),
        "false_attribution_rate": _share(unrelated["line_id"] != ""),
        "weapon_accuracy": _share(armed["weapon"] == armed["weapon_true"]),
        "weapon_accuracy_unknown_field": _share(filled["weapon"] == filled["weapon_true"]),
        "weapon_false_rate": _share(
            unarmed["weapon"].isin(["knife", "blunt", "bladed", "firearm", "corrosive"])
        ),
        "motive_accuracy_line_incidents": _share(caused["motive"] == caused["motive_true"]),
        "motive_accuracy_unrelated": _share(unrelated["motive"] == "unrelated"),
    }
    t_riv = _read(truth / "rivalries.csv")
    t_riv = t_riv[t_riv["n_incidents"].astype(int) > 0]
    true_pairs = {frozenset((a, b)) for a, b in t_riv[["line_a", "line_b"]].to_numpy()}
    p_riv = read_output(out / "rivalries.csv", real)
    found_pairs = _true_pairs(p_riv, mapping)
    hit = true_pairs & found_pairs
    metrics["rivalry_recall"] = round(len(hit) / len(true_pairs), 4) if true_pairs else None
    metrics["rivalry_precision"] = round(len(hit) / len(found_pairs), 4) if found_pairs else None
    metrics["counts"] = {
        "line_incidents": len(caused),
        "line_incidents_of_found_lines": int(of_found.sum()),
        "unrelated_incidents": len(unrelated),
        "true_rivalries_with_incidents": len(true_pairs),
        "found_rivalries": len(p_riv),
    }
    return metrics


def evaluate_movement(truth: Path, out: Path, real: Real = None) -> dict[str, Any]:
    """Vehicles of interest (precision, recall, F1, right line) and runner journeys: the share
    of true journeys found (a found journey of the same phone departing from 2 hours before the
    true departure to its arrival) and the share of found journeys that are such a match."""
    mapping = line_map(truth, read_output(out / "movement_lines.csv", real))
    t_voi = _read(truth / "vehicles_of_interest.csv")
    p_voi = read_output(out / "vehicles_of_interest.csv", real)
    tp = set(t_voi["vrm"]) & set(p_voi["vrm"])
    n_pred, n_true = p_voi["vrm"].nunique(), t_voi["vrm"].nunique()
    precision = len(tp) / n_pred if n_pred else 0.0
    recall = len(tp) / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    both = p_voi.merge(t_voi, on="vrm", suffixes=("", "_true"))
    t_j = _read(truth / "journeys.csv")
    p_j = read_output(out / "journeys.csv", real)
    metrics: dict[str, Any] = {
        "vehicles_of_interest": {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        },
        "vehicle_line_accuracy": _share(
            both["line_id"].map(mapping).fillna("") == both["line_id_true"]
        ),
    }
    for mode in ("road", "rail"):
        truth_mode = t_j[t_j["mode"] == mode]
        found_mode = p_j[p_j["mode"] == mode].copy()
        found_mode["t"] = pd.to_datetime(found_mode["depart"], utc=True)
        matched: set[int] = set()
        hits = 0
        for row in truth_mode.itertuples():
            mine = found_mode[found_mode["number"] == row.number]
            start, end = pd.Timestamp(str(row.depart)), pd.Timestamp(str(row.arrive))
            near = (mine["t"] >= start - pd.Timedelta(hours=2)) & (mine["t"] <= end)
            hits += bool(near.any())
            matched.update(mine.index[near])
        metrics[f"{mode}_journey_recall"] = (
            round(hits / len(truth_mode), 4) if len(truth_mode) else None
        )
        metrics[f"{mode}_journey_precision"] = (
            round(len(matched) / len(found_mode), 4) if len(found_mode) else None
        )
    metrics["counts"] = {
        "true_vehicles": n_true, "found_vehicles": n_pred,
        "true_journeys": t_j["mode"].value_counts().to_dict(),
        "found_journeys": p_j["mode"].value_counts().to_dict(),
    }  # fmt: skip
    return metrics
