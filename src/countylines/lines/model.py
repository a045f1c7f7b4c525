"""The deal-line score: a logistic model over per-number behaviour, with its evidence.

`DealLineModel` follows scikit-learn's estimator shape: `fit(features, labels)` learns weights
(with scikit-learn's `LogisticRegression`, on standardised features), `predict_proba(features)`
gives the calibrated probability that a number is a deal line, and `explain(features)` lists each
feature's contribution in log-odds. The weights shipped in `deal_line_model.json` were fitted by
`tools/train_line_model.py` on simulator seeds and settings that the evaluation never uses; the
file records which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MODEL_FILE = "deal_line_model.json"

FEATURES: dict[str, str] = {
    "relays_per_day": "orders a day passed on to another number that then contacted the customer",
    "served_share": "share of inbound contacts later contacted by a relay target",
    "bursts_per_day": "bulk-text bursts a day",
    "contacts_per_day": "distinct inbound contacts a day",
    "night_share": "share of inbound contacts between midnight and 6am",
    "handset_changes": "handsets used beyond the first",
    "unregistered_payg": "pay-as-you-go and not registered to a person",
    "no_subscriber_record": "no subscriber check for the number",
    "contact_km": "median distance between the number's cell and its contacts' cells",
}
"""Model features and what each measures (all from `features.number_features`)."""


def model_matrix(raw: pd.DataFrame) -> pd.DataFrame:
    """The model's features from the raw counts of `features.number_features`."""
    span = raw["span_days"].astype(float)
    payg = raw["account_type"].eq("payg") & raw["registered"].eq(False)
    return pd.DataFrame(
        {
            "relays_per_day": np.log1p(raw["n_relayed"] / span),
            "served_share": raw["n_served"] / raw["in_distinct"].clip(lower=1),
            "bursts_per_day": np.log1p(raw["n_bursts"] / span),
            "contacts_per_day": np.log1p(raw["in_contact_days"] / span),
            "night_share": raw["night_in_share"].astype(float),
            "handset_changes": np.log1p((raw["n_handsets"] - 1).clip(lower=0)),
            "unregistered_payg": payg.astype(float),
            "no_subscriber_record": raw["account_type"].isna().astype(float),
            "contact_km": np.log1p(raw["contact_km"].fillna(0.0).astype(float)),
        },
        index=raw.index,
    )[list(FEATURES)]


@dataclass
class DealLineModel:
    """Logistic regression on standardised features; plain numbers in, plain numbers out."""

    coef: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    intercept: float = 0.0
    mean: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    scale: np.ndarray = field(default_factory=lambda: np.ones(len(FEATURES)))
    provenance: dict[str, Any] = field(default_factory=dict)

    def fit(self, raw: pd.DataFrame, labels: np.ndarray, c: float = 1.0) -> DealLineModel:
        """Learn the weights from raw features and 0/1 labels (1: a deal-line number)."""
        from sklearn.linear_model import LogisticRegression

        x = model_matrix(raw).to_numpy(float)
        self.mean = x.mean(axis=0)
        self.scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        fitted = LogisticRegression(C=c, max_iter=1000).fit((x - self.mean) / self.scale, labels)
        self.coef = fitted.coef_[0]
        self.intercept = float(fitted.intercept_[0])
        return self

    def contributions(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Each feature's contribution to the log-odds, one column per feature."""
        z = (model_matrix(raw).to_numpy(float) - self.mean) / self.scale
        return pd.DataFrame(z * self.coef, columns=list(FEATURES), index=raw.index)

    def predict_proba(self, raw: pd.DataFrame) -> np.ndarray:
        """Probability that each number is a deal line."""
        logit = self.contributions(raw).sum(axis=1).to_numpy() + self.intercept
        return 1.0 / (1.0 + np.exp(-logit))

    def save(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "features": list(FEATURES),
                    "coef": self.coef.tolist(),
                    "intercept": self.intercept,
                    "mean": self.mean.tolist(),
                    "scale": self.scale.tolist(),
                    "provenance": self.provenance,
                },
                indent=2,
            )
            + "\n"
        )

    @classmethod
    def load(cls, path: Path | None = None) -> DealLineModel:
        """The shipped model, or the one saved at `path`."""
        text = (
            path.read_text()
            if path
            else resources.files("countylines.lines").joinpath(MODEL_FILE).read_text()
        )
        data = json.loads(text)
        if data["features"] != list(FEATURES):
            raise ValueError(f"{path or MODEL_FILE}: the model was fitted on other features")
        return cls(
            np.array(data["coef"]),
            float(data["intercept"]),
            np.array(data["mean"]),
            np.array(data["scale"]),
            data.get("provenance", {}),
        )
