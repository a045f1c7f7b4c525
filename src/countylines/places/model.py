"""`RiskModel`: an RTM-style relative-risk GLM, tuned by spatial cross-validation.

Plain data in and out (scikit-learn style). Each factor column is standardised (z-score over the
areas where it is known; an area where it is missing gets z = 0, so the factor leaves its risk
unchanged there rather than guessing a value). The GLM is Poisson (counts of lines) or logistic
(infiltrated yes/no), fitted by Newton's method (IRLS) with an L2 penalty on the slopes.
Cross-validation holds out spatial folds (blocks of neighbouring areas, k-means on centroids).

* `selection="ridge"` (the default): every factor is in; the penalty is chosen from `ALPHAS` by
  the held-out deviance, so factors the data do not support are shrunk towards a relative risk
  of 1. With few infiltrated areas this is steadier than picking factors one by one.
* `selection="forward"`: starting from the intercept, the factor that most lowers the held-out
  deviance is added, until the gain is below `min_gain`, or `max_factors` are in, or there
  would be fewer than `EVENTS_PER_FACTOR` areas with the outcome per factor (events per
  variable).

`relative_risk` is exp(beta) per standard deviation of each factor in the model: the factor by
which an area's expected risk grows when the factor is one SD higher, the others held.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

ALPHAS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
"""L2 penalties (per area, on standardised slopes) tried by `selection="ridge"`."""
EVENTS_PER_FACTOR = 5
"""At most one factor per this many areas with the outcome (events per variable, EPV >= 5)."""
ETA_LIMIT = 30.0
"""Linear predictors are clipped to +-30 so exp() stays finite."""


def spatial_folds(x: np.ndarray, y: np.ndarray, k: int = 5, seed: int = 0) -> np.ndarray:
    """Fold number of each area: k-means blocks of the centroids (metres), so neighbouring areas
    are held out together. At most n // 2 folds, at least 2."""
    n = len(x)
    k = max(2, min(k, n // 2))
    points = np.column_stack([x, y])
    return KMeans(n_clusters=k, n_init=2, random_state=seed).fit_predict(points)


def _mean(eta: np.ndarray, family: str) -> np.ndarray:
    eta = np.clip(eta, -ETA_LIMIT, ETA_LIMIT)
    return np.exp(eta) if family == "poisson" else 1.0 / (1.0 + np.exp(-eta))


def fit_glm(z: np.ndarray, y: np.ndarray, family: str, alpha: float) -> np.ndarray:
    """Coefficients (intercept first) of a Poisson (log link) or logistic GLM by Newton's method
    (IRLS), with an L2 penalty `alpha` * n on the slopes."""
    n = len(y)
    design = np.column_stack([np.ones(n), z])
    mean = float(np.clip(y.mean(), 1e-6, 1 - 1e-6 if family != "poisson" else np.inf))
    beta = np.zeros(design.shape[1])
    beta[0] = np.log(mean) if family == "poisson" else np.log(mean / (1 - mean))
    if y.min() == y.max():
        return beta  # one outcome everywhere: nothing for the slopes to explain
    penalty = np.full(design.shape[1], alpha * n)
    penalty[0] = 0.0
    for _ in range(100):
        mu = _mean(design @ beta, family)
        weight = mu if family == "poisson" else mu * (1 - mu)
        grad = design.T @ (y - mu) - penalty * beta
        hess = (design * weight[:, None]).T @ design + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.abs(step).max() < 1e-8 * (1 + np.abs(beta).max()):
            break
    return beta


def deviance(y: np.ndarray, mu: np.ndarray, family: str) -> float:
    """Mean deviance: Poisson, or binomial (twice the log loss)."""
    if family == "poisson":
        mu = np.maximum(mu, 1e-12)
        ratio = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
        return float(np.mean(2 * (ratio - (y - mu))))
    mu = np.clip(mu, 1e-12, 1 - 1e-12)
    return float(np.mean(-2 * (y * np.log(mu) + (1 - y) * np.log(1 - mu))))


@dataclass
class RiskModel:
    """Poisson (`family="poisson"`) or logistic relative-risk model; see the module docstring."""

    family: str = "poisson"
    selection: str = "ridge"
    """`ridge`: every factor, with the L2 penalty chosen by spatial CV from `ALPHAS`;
    `forward`: forward selection of factors by spatial CV, with the fixed penalty `alpha`."""
    max_factors: int = 6
    min_gain: float = 0.01
    """Smallest relative fall in held-out deviance for a factor to be added."""
    alpha: float = 1e-3
    """L2 penalty on the standardised slopes (small: keeps estimates finite when a factor
    separates the areas)."""
    factors_: list[str] = field(default_factory=list)
    cv_deviance_: list[float] = field(default_factory=list)
    mean_: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    sd_: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    coef_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    intercept_: float = 0.0

    def _z(self, X: pd.DataFrame, columns: list[str]) -> np.ndarray:
        z = (X[columns] - self.mean_[columns]) / self.sd_[columns]
        return z.fillna(0.0).to_numpy(float)

    def _cv(self, z: np.ndarray, y: np.ndarray, folds: np.ndarray, columns: list[int]) -> float:
        pred = np.empty(len(y))
        for f in np.unique(folds):
            test = folds == f
            beta = fit_glm(z[~test][:, columns], y[~test], self.family, self.alpha)
            pred[test] = _mean(beta[0] + z[test][:, columns] @ beta[1:], self.family)
        return deviance(y, pred, self.family)

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray, folds: np.ndarray) -> RiskModel:
        """Choose factors among the columns of `X` by spatial CV over `folds`, then fit."""
        y = np.asarray(y, float)
        if self.family != "poisson":
            y = (y > 0).astype(float)
        usable = [c for c in X.columns if X[c].notna().sum() >= 3 and X[c].std() > 0]
        self.mean_, self.sd_ = X[usable].mean(), X[usable].std()
        z = self._z(X, usable)
        if self.selection == "ridge":
            return self._fit_ridge(z, y, folds, usable)
        chosen: list[int] = []
        best = self._cv(z, y, folds, chosen)
        history = [best]
        limit = min(self.max_factors, int((y > 0).sum()) // EVENTS_PER_FACTOR)
        while len(chosen) < limit and len(np.unique(y)) > 1:
            trials = {j: self._cv(z, y, folds, [*chosen, j])
                      for j in range(len(usable)) if j not in chosen}  # fmt: skip
            if not trials:
                break
            j = min(trials, key=lambda k: (trials[k], k))
            if trials[j] > best * (1 - self.min_gain):
                break
            chosen.append(j)
            best = trials[j]
            history.append(best)
        self.factors_ = [usable[j] for j in chosen]
        self.cv_deviance_ = history
        beta = fit_glm(z[:, chosen], y, self.family, self.alpha)
        self.intercept_, self.coef_ = float(beta[0]), beta[1:]
        return self

    def _fit_ridge(
        self, z: np.ndarray, y: np.ndarray, folds: np.ndarray, usable: list[str]
    ) -> RiskModel:
        columns = list(range(len(usable)))
        scores = []
        for alpha in ALPHAS:
            self.alpha = alpha
            scores.append(self._cv(z, y, folds, columns))
        self.alpha = ALPHAS[int(np.argmin(scores))]
        self.factors_, self.cv_deviance_ = usable, [min(scores)]
        beta = fit_glm(z, y, self.family, self.alpha)
        self.intercept_, self.coef_ = float(beta[0]), beta[1:]
        return self

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """beta * z per chosen factor and area: the log relative risk each factor adds."""
        return pd.DataFrame(self._z(X, self.factors_) * self.coef_, index=X.index,
                            columns=self.factors_)  # fmt: skip

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Expected number of lines (Poisson) or probability of infiltration (logistic)."""
        eta = self.intercept_ + self.contributions(X).sum(axis=1).to_numpy(float)
        return _mean(eta, self.family)

    @property
    def relative_risk(self) -> pd.Series:
        """exp(beta) per standard deviation of each chosen factor."""
        return pd.Series(np.exp(self.coef_), index=self.factors_)
