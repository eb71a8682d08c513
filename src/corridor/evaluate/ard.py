"""Validation measures: Flee's averaged relative difference (ARD) and per-camp errors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Validation:
    """Simulated vs observed counts in the validation camps, and the errors between them."""

    camps: list[str]
    simulated: np.ndarray  # (days, camps) int64
    observed: np.ndarray  # (days, camps) int64

    @property
    def ard_by_day(self) -> np.ndarray:
        """Sum over camps of |sim - obs| / max(total observed in camps, 1), each day (ANCHORS.md)."""
        total = np.maximum(self.observed.sum(axis=1), 1)
        return np.abs(self.simulated - self.observed).sum(axis=1) / total

    @property
    def ard_mean(self) -> float:
        return float(self.ard_by_day.mean()) if len(self.observed) else float("nan")

    @property
    def ard_rescaled_by_day(self) -> np.ndarray:
        """ARD after scaling each day's simulated camp counts to the observed camp total (Flee's 'rescaled')."""
        sim_tot = self.simulated.sum(axis=1, keepdims=True)
        obs_tot = self.observed.sum(axis=1, keepdims=True)
        scale = np.where(sim_tot > 0, obs_tot / np.maximum(sim_tot, 1), 1.0)
        total = np.maximum(obs_tot[:, 0], 1)
        return np.abs(self.simulated * scale - self.observed).sum(axis=1) / total

    def per_camp(self) -> dict[str, dict[str, float]]:
        """For each camp: its share of the mean ARD, its mean relative error, and last-day counts."""
        total = np.maximum(self.observed.sum(axis=1), 1)
        out = {}
        for j, name in enumerate(self.camps):
            sim, obs = self.simulated[:, j], self.observed[:, j]
            rel = np.where(obs > 0, np.abs(sim / np.maximum(obs, 1) - 1.0), 0.0)
            out[name] = {
                "ard_share": float((np.abs(sim - obs) / total).mean()),
                "relative_error_mean": float(rel.mean()),
                "simulated_last": int(sim[-1]),
                "observed_last": int(obs[-1]),
            }
        return out
