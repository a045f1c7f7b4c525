"""Fit the deal-line model shipped in src/countylines/lines/deal_line_model.json.

Simulates and loads the training cases (seeds and settings below, which evaluation never uses),
computes every candidate's features, labels them from truth/line_numbers.csv and fits
`DealLineModel`. Run from the project root:

    .venv/bin/python tools/train_line_model.py --work /tmp/line-training
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from simulated_cases import loaded_case

from countylines.lines import features as fx
from countylines.lines.engine import DuckDBEngine
from countylines.lines.model import MODEL_FILE, DealLineModel

TRAINING = (
    ("small", "default", 101),
    ("small", "default", 102),
    ("small", "default", 103),
    ("small", "evasive", 104),
    ("small", "evasive", 105),
)
"""(scale, behaviour, seed) of every training case."""


def training_frame(work: Path) -> pd.DataFrame:
    frames = []
    for scale, behaviour, seed in TRAINING:
        case, database = loaded_case(work, scale, behaviour, seed)
        engine = DuckDBEngine(database)
        fx.find_candidates(engine, fx.FeatureSettings())
        raw = fx.number_features(engine, fx.FeatureSettings())
        engine.close()
        truth = pd.read_csv(case / "truth" / "line_numbers.csv", dtype=str)
        deal = set(truth.loc[truth["role"] == "deal_line", "number"])
        raw["label"] = raw["number"].isin(deal).astype(int)
        raw["case"] = case.name
        frames.append(raw)
        print(f"{case.name}: {len(raw)} candidates, {raw['label'].sum()} deal numbers")
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("/tmp/line-training"))
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data = training_frame(args.work)
    model = DealLineModel().fit(data, data["label"].to_numpy(), c=args.c)
    model.provenance = {
        "fitted_by": "tools/train_line_model.py",
        "training_cases": [{"scale": sc, "behaviour": b, "seed": s} for sc, b, s in TRAINING],
        "candidates": len(data),
        "deal_numbers": int(data["label"].sum()),
        "c": args.c,
        "training_accuracy_at_0.5": float(
            np.mean((model.predict_proba(data) >= 0.5) == data["label"].to_numpy())
        ),
    }
    out = Path(__file__).resolve().parents[1] / "src" / "countylines" / "lines" / MODEL_FILE
    model.save(out)
    print(json.dumps(model.provenance, indent=2))
    print(dict(zip(model.contributions(data.head(1)).columns, model.coef.round(2), strict=True)))


if __name__ == "__main__":
    main()
