"""Probabilistic customer-base models, as pure numpy/scipy functions.

* BG/NBD (`bgnbd`): who is still a customer, and how many purchases to expect next; with its
  common-dropout limit (every customer the same dropout probability), fitted when the data put
  the maximum there.
* Gamma-Gamma (`gammagamma`): how much a customer spends per purchase.
"""

from retain.models.bgnbd import (
    BGNBDFit,
    ModelError,
    SimulatedCustomers,
    bgnbd_common_dropout_log_likelihood,
    bgnbd_log_likelihood,
    expected_purchases,
    expected_purchases_new,
    fit_bgnbd,
    p_alive,
    simulate_bgnbd,
)
from retain.models.gammagamma import (
    GammaGammaFit,
    Independence,
    expected_spend,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    independence_check,
    simulate_gamma_gamma,
)

__all__ = [
    "bgnbd_common_dropout_log_likelihood",
    "bgnbd_log_likelihood",
    "BGNBDFit",
    "expected_purchases",
    "expected_purchases_new",
    "expected_spend",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
    "GammaGammaFit",
    "Independence",
    "independence_check",
    "ModelError",
    "p_alive",
    "simulate_bgnbd",
    "simulate_gamma_gamma",
    "SimulatedCustomers",
]
