"""Who is about to leave: the BG/NBD and Gamma-Gamma models (``models/``, the scipy extra)
fitted on the RFM summary (``metrics.rfm``), the at-risk list and the holdout validation.
Pure functions of the summary; ``pipeline`` reads the inputs into it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retain.errors import RetainError

YEAR = {"day": 365.0, "week": 52.0, "month": 12.0}  # the default horizon, in each time unit
FREQUENCY_GROUPS = 7  # the holdout table groups customers by repeat purchases 0..6 and 7+


def _models():
    import importlib

    try:
        models = importlib.import_module("retain.models")
    except ImportError:
        raise RetainError(
            "the churn model needs scipy: pip install 'retain[model]' (from a clone: "
            "pip install -e '.[model]')"
        ) from None
    return models


@dataclass
class ChurnModel:
    """The fitted models: BG/NBD on every customer's (frequency, recency, T), Gamma-Gamma on the
    repeat buyers' mean repeat amounts (None without amounts), and its independence check."""

    fit: object  # models.BGNBDFit
    spend: object | None  # models.GammaGammaFit
    independence: object | None  # models.Independence
    time_unit: str
    observation_end: dt.date
    spend_left_out: int = 0  # repeat buyers whose mean repeat amount is not above 0

    def meta(self) -> dict:
        """What the JSON outputs carry of the model."""
        fit = self.fit
        common = fit.common_dropout  # a and b infinite: one drop-out probability p for all
        meta = {"model": {
            "name": "bgnbd", "r": fit.r, "alpha": fit.alpha,
            "a": None if common else fit.a, "b": None if common else fit.b, "p": fit.p,
            "log_likelihood": fit.log_likelihood, "converged": fit.converged,
            "customers": fit.n, "standard_errors": fit.standard_errors, "note": fit.note,
            "time_unit": self.time_unit, "observation_end": self.observation_end.isoformat(),
        }}  # fmt: skip
        if self.spend is not None:
            spend = self.spend
            meta["spend_model"] = {
                "name": "gamma-gamma", "p": spend.p, "q": spend.q, "v": spend.v,
                "log_likelihood": spend.log_likelihood, "converged": spend.converged,
                "customers": spend.n, "standard_errors": spend.standard_errors,
                "left_out": self.spend_left_out,
                "independence": {"correlation": self.independence.correlation,
                                 "customers": self.independence.n},
            }  # fmt: skip
        return meta


def fit_models(rfm: pd.DataFrame, time_unit: str, observation_end: dt.date) -> ChurnModel:
    """Fit BG/NBD on ``rfm`` (rows sharing (x, t_x, T) weighted together) and, where it has
    ``monetary_value``, Gamma-Gamma on the repeat buyers with a mean repeat amount above 0.
    A fit that does not converge is an error: its numbers would not be trustworthy."""
    models = _models()
    triples = rfm.groupby(["frequency", "recency", "T"], sort=True).size().reset_index()
    fit = models.fit_bgnbd(triples["frequency"], triples["recency"], triples["T"],
                           weights=triples[0])  # fmt: skip
    if not fit.converged:
        raise models.ModelError(
            f"the BG/NBD fit did not converge ({fit.note}); its numbers would not be "
            "trustworthy: fit more customers, a longer observation period, or another time unit"
        )
    spend = independence = None
    left_out = 0
    if "monetary_value" in rfm:
        repeat = rfm[rfm["frequency"] > 0]
        positive = repeat[repeat["monetary_value"] > 0]
        left_out = len(repeat) - len(positive)
        spend = models.fit_gamma_gamma(positive["frequency"], positive["monetary_value"])
        if not spend.converged:
            raise models.ModelError(
                f"the Gamma-Gamma spend fit did not converge ({spend.note}); rank by purchases "
                "instead, without amounts"
            )
        _ = spend.population_mean  # q <= 1: no mean spend exists, a ModelError
        independence = models.independence_check(positive["frequency"],
                                                 positive["monetary_value"])  # fmt: skip
    return ChurnModel(fit, spend, independence, time_unit, observation_end, left_out)


def at_risk(
    rfm: pd.DataFrame, model: ChurnModel, horizon: float, *, min_orders: int = 1,
    top: int | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Customers ranked by the value at risk, largest first (ties by id): P(not alive) times the
    value expected in the next ``horizon`` time units were they still alive, i.e. expected
    purchases given alive (``purchases_if_active``: E[Y(t) | data] / P(alive)), times the
    expected spend per purchase (Gamma-Gamma, E(Z | x, m)); without amounts, in purchases.
    ``expected_purchases`` is E[Y(t) | data] itself, what to expect of the customer.
    ``min_orders``: customers with at least that many purchase days."""
    models = _models()
    x, tx, age = (rfm[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    alive = models.p_alive(model.fit, x, tx, age)
    expected = models.expected_purchases(model.fit, horizon, x, tx, age)
    if_alive = np.divide(expected, alive, out=np.zeros_like(expected), where=alive > 0)
    out = rfm[["customer", "cohort", "last_purchase", "purchase_days"]].copy()
    out["p_alive"] = alive
    out["expected_purchases"] = expected
    out["purchases_if_active"] = if_alive
    value = if_alive
    if model.spend is not None:
        # a repeat buyer whose repeat days net to 0 or less (refunds) counts with a mean of 0:
        # their expected spend leans on the shop's mean, by how few their purchases are
        mean = np.where(x > 0, np.maximum(rfm["monetary_value"].fillna(0).to_numpy(), 0), 0)
        out["expected_spend"] = models.expected_spend(model.spend, x, mean)
        value = if_alive * out["expected_spend"].to_numpy()
    out["value_at_risk"] = (1 - alive) * value
    for column in ("frequency", "recency", "T", "monetary_value"):
        if column in rfm:
            out[column] = rfm[column]
    out = out[out["purchase_days"] >= min_orders]
    out = out.sort_values(["value_at_risk", "customer"], ascending=[False, True], kind="stable")
    return out.head(top) if top else out.reset_index(drop=True)


def holdout_table(rfm: pd.DataFrame, model: ChurnModel, length: float) -> pd.DataFrame:
    """Predicted against actual purchase days in the holdout (``length`` time units after the
    observation end), by repeat purchases in the calibration period (0..6, 7+) and in all:
    customers, actual and predicted purchases (sums and means per customer)."""
    models = _models()
    x, tx, age = (rfm[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    predicted = models.expected_purchases(model.fit, length, x, tx, age)
    group = np.minimum(rfm["frequency"].to_numpy(), FREQUENCY_GROUPS)
    frame = pd.DataFrame({"group": group, "actual": rfm["holdout_purchases"].to_numpy(),
                          "predicted": predicted})  # fmt: skip
    rows = frame.groupby("group").agg(customers=("actual", "size"), actual=("actual", "sum"),
                                      predicted=("predicted", "sum"))  # fmt: skip
    rows.loc["all"] = [len(frame), frame["actual"].sum(), frame["predicted"].sum()]
    labels = [f"{g}+" if g == FREQUENCY_GROUPS else str(g) for g in rows.index[:-1]]
    rows.index = [*labels, "all"]
    rows.index.name = "repeat_purchases"
    rows["actual_mean"] = rows["actual"] / rows["customers"]
    rows["predicted_mean"] = rows["predicted"] / rows["customers"]
    rows["customers"] = rows["customers"].astype(np.int64)
    rows["actual"] = rows["actual"].astype(np.int64)
    return rows.reset_index()
