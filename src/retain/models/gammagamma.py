"""The Gamma-Gamma model of spend per purchase, as pure numpy/scipy functions.

References: P. S. Fader and B. G. S. Hardie (2013), "The Gamma-Gamma Model of Monetary Value"
(http://brucehardie.com/notes/025/; equation numbers below are the note's); P. S. Fader,
B. G. S. Hardie and K. L. Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
Analysis", Journal of Marketing Research 42(4), 415-430.

What the model assumes, in plain words:

* The value of each of a customer's purchases varies randomly around that customer's own mean,
  as a Gamma(p, nu) distribution: the shape p, hence the spread relative to the mean
  (coefficient of variation 1 / sqrt(p)), is common to all customers.
* A customer's mean spend does not change over time.
* Across customers, nu varies as a Gamma(q, v) distribution (v is the note's gamma, in the
  data's currency), so mean spends vary as an inverse Gamma, with population mean p v / (q - 1)
  when q > 1.
* Spend is independent of how often and how long a customer buys (see `independence_check`).

Data, per customer: frequency x, the number of repeat purchases, and monetary_value, the mean
value of those repeat purchases (the first purchase is left out, as in the BG/NBD). Only
customers with x > 0 inform the fit.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import betaln

from retain.errors import counted
from retain.models.bgnbd import MIN_CUSTOMERS, ModelError, _maximise, _starts, _whole_numbers


@dataclass(frozen=True)
class GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters, in the caller's currency (v scales with it).

    `converged`, `standard_errors` (keys "p", "q", "v") and `note` are as in `BGNBDFit`; `n` is
    the number of repeat buyers the fit used.
    """

    p: float
    q: float
    v: float
    log_likelihood: float
    converged: bool
    n: int
    standard_errors: dict[str, float]
    note: str = ""

    @property
    def population_mean(self) -> float:
        """E(Z) = p v / (q - 1), the mean spend per purchase across customers (needs q > 1)."""
        if self.q <= 1:
            raise ModelError(
                f"the fitted q is {self.q:.3g}, at most 1, so the population mean spend does not "
                "exist; do not use the Gamma-Gamma model on these data"
            )
        return self.p * self.v / (self.q - 1)


class Independence(NamedTuple):
    """Pearson correlation of frequency and mean repeat spend over `n` repeat buyers."""

    correlation: float
    n: int


def _repeat_buyers(frequency, monetary_value) -> tuple[np.ndarray, np.ndarray]:
    """Frequency and mean spend of the customers with a repeat purchase, checked."""
    x = np.ravel(np.asarray(frequency, dtype=float))
    m = np.ravel(np.asarray(monetary_value, dtype=float))
    if x.shape != m.shape:
        raise ModelError("frequency and monetary_value must have one value per customer")
    if not np.isfinite(x).all():
        raise ModelError("frequency must be a finite number for every customer")
    _whole_numbers(x, "frequency", "repeat purchases")
    repeat = x > 0
    bad = ~(m[repeat] > 0) | ~np.isfinite(m[repeat])
    if bad.any():
        raise ModelError(
            f"{counted(int(bad.sum()), 'repeat buyer')} with a mean repeat spend that is not a "
            "positive number; leave out refunds and zero-value orders"
        )
    return x[repeat], m[repeat]


def gamma_gamma_log_likelihood(p, q, v, frequency, monetary_value) -> np.ndarray:
    """Log of eq. 1a, the density of a customer's mean spend m over x > 0 purchases:

        f(m | x) = Gamma(px+q) / (Gamma(px) Gamma(q)) * v^q m^(px-1) x^px / (v + x m)^(px+q)
                 = 1 / (m B(px, q)) * (v / (v + x m))^q * (x m / (v + x m))^px,

    in the second form (eq. 1b), whose two bases are below 1. The inputs are not checked.
    """
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    return -np.log(m) - betaln(p * x, q) - q * np.log1p(x * m / v) - p * x * np.log1p(v / (x * m))


def fit_gamma_gamma(frequency, monetary_value, *, starts: int = 4) -> GammaGammaFit:
    """Fit the Gamma-Gamma model by maximum likelihood (eq. 6: eq. 1a summed over customers with
    a repeat purchase; the others are left out, whatever their monetary_value).

    Same approach as `fit_bgnbd`: log-parameters optimised with L-BFGS-B from `starts` starting
    points, amounts divided by their mean inside, standard errors from a numerical Hessian.
    Raises ModelError when fewer than MIN_CUSTOMERS customers have a repeat purchase or when a
    repeat buyer's mean spend is not positive; a doubtful fit has `converged=False`.
    """
    x, m = _repeat_buyers(frequency, monetary_value)
    if len(x) < MIN_CUSTOMERS:
        raise ModelError(
            f"only {counted(len(x), 'customer')} with a repeat purchase: the Gamma-Gamma model "
            f"needs at least {MIN_CUSTOMERS}; use a longer observation period or a larger group"
        )
    scale = float(m.mean())

    def neg_ll(theta: np.ndarray, m=m / scale) -> float:
        return -float(gamma_gamma_log_likelihood(*np.exp(theta), x, m).sum())

    first = (2.0, 3.0, 1.0)  # population mean p v / (q - 1) = 1 = the observed mean
    grid = [(6.0, 4.0, 0.5), (1.0, 10.0, 9.0), (20.0, 2.0, 0.05)]
    names = ("p", "q", "v")
    est = _maximise(neg_ll, _starts(first, grid, starts), len(x), names)

    p, q, v = np.exp(est.log_params) * np.array([1.0, 1.0, scale])
    se = np.array([p, q, v]) * np.sqrt(np.diag(est.cov))
    ll = float(gamma_gamma_log_likelihood(p, q, v, x, m).sum())
    return GammaGammaFit(
        p=float(p),
        q=float(q),
        v=float(v),
        log_likelihood=ll,
        converged=est.converged and bool(np.isfinite(ll)),
        n=len(x),
        standard_errors=dict(zip(names, map(float, se), strict=True)),
        note=est.note,
    )


def expected_spend(fit: GammaGammaFit, frequency, monetary_value) -> np.ndarray:
    """E(Z | x, m), a customer's expected spend per purchase (eq. 5):

        p (v + x m) / (p x + q - 1)
        = (q - 1) / (p x + q - 1) * p v / (q - 1)  +  p x / (p x + q - 1) * m,

    the weighted average of the population mean and the customer's own mean repeat spend m, the
    latter weighing more with more purchases. For x = 0 it is the population mean (m ignored).
    Raises ModelError when q <= 1 (no population mean).
    """
    population = fit.population_mean
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    if not np.isfinite(x).all() or (x < 0).any():
        raise ModelError("frequency must be a finite count of 0 or more")
    m = np.where(x > 0, m, 0.0)
    if not (np.isfinite(m).all() and (m >= 0).all()):
        raise ModelError("the mean repeat spend must be a finite amount of 0 or more")
    weight = (fit.q - 1) / (fit.p * x + fit.q - 1)
    return (weight * population + (1 - weight) * m)[()]


def independence_check(frequency, monetary_value) -> Independence:
    """Pearson correlation between frequency and mean repeat spend among repeat buyers.

    The model assumes the two independent; Fader, Hardie and Lee (2005, RFM and CLV) report 0.11
    on CDNOW and judge it small. NaN when either is constant; ModelError with fewer than 3 repeat
    buyers.
    """
    x, m = _repeat_buyers(frequency, monetary_value)
    if len(x) < 3:
        raise ModelError("fewer than 3 customers with a repeat purchase: no correlation to check")
    if x.std() == 0 or m.std() == 0:
        return Independence(float("nan"), len(x))
    return Independence(float(np.corrcoef(x, m)[0, 1]), len(x))


def simulate_gamma_gamma(p, q, v, frequency, rng: np.random.Generator) -> np.ndarray:
    """Mean repeat spend of customers with `frequency` repeat purchases, from the model's story:
    nu ~ Gamma(q, rate v) per customer, then the mean of x Gamma(p, rate nu) purchase values,
    which is Gamma(p x, rate nu x). NaN for customers without a repeat purchase.
    """
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1.0 / v, x.shape)
    mean = rng.gamma(np.maximum(p * x, 1e-300), 1.0 / (nu * np.maximum(x, 1)))
    return np.where(x > 0, mean, np.nan)
