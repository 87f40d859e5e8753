"""The BG/NBD model of repeat purchases and silent dropout, as pure numpy/scipy functions.

References: P. S. Fader, B. G. S. Hardie and K. L. Lee (2005), "'Counting Your Customers' the
Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284 (equation
numbers below are the paper's); P. S. Fader and B. G. S. Hardie (2008), "Computing P(alive)
Using the BG/NBD Model" (http://brucehardie.com/notes/021/).

What the model assumes, in plain words:

* Non-contractual customers: nobody tells us that they left, we only see their purchases.
* While alive, each customer buys at their own constant rate, as a Poisson process (no
  seasonality, no trend, no effect of the last purchase on the next).
* Right after any repeat purchase a customer may drop out, for good, with their own probability
  p. Dropping out is never observed, and nobody comes back.
* Across customers, purchase rates vary as a Gamma(r, alpha) distribution (alpha a rate, in the
  data's time unit) and dropout probabilities as a Beta(a, b) distribution, independently.
* Everyone is alive at their first purchase (time 0), so a customer without a repeat purchase
  cannot have dropped out yet.

The limit of a point-mass Beta: when every customer has the same dropout probability p, the
maximum of the likelihood lies at the boundary a, b -> infinity with a / (a + b) -> p, where the
likelihood is flat along a ridge and no finite (a, b) is the maximum. `fit_bgnbd` then fits that
limit exactly, as "BG/NBD with a common dropout probability p" (three parameters r, alpha, p; see
`bgnbd_common_dropout_log_likelihood`), and the predictions use its closed forms.

Data, per customer and all in one time unit (e.g. weeks): frequency x, the number of repeat
purchases; recency t_x, the time from the first purchase to the last one (0 when x = 0); and age
T, the time from the first purchase to the end of the observation period.

This module also holds what the Gamma-Gamma model shares with it: `ModelError` and the
maximum-likelihood machinery (several starting points, a numerical Hessian for standard errors).
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.special import betaincinv, betaln, expit, gammaln, hyp2f1

from retain.errors import RetainError, counted

MIN_CUSTOMERS = 5  # fewer customers than this: no fit at all
# A fit that ends with a + b above this may be on the common-dropout ridge (see `fit_bgnbd`). The
# Beta's polarisation index 1 / (1 + a + b), the share of the Bernoulli variance p (1 - p) that is
# due to customers differing in p, is then below 1%; the starting points have a + b of 3 to 10.5.
RIDGE = 100.0
# The common-dropout limit replaces the four-parameter fit only if its log-likelihood, the
# supremum along the ridge, is at least the best four-parameter value less this (a thousandth of
# a unit, far below the 1.92 of a 5% likelihood-ratio test, above the optimiser's rounding).
RIDGE_LL_TOLERANCE = 1e-3
LOG_BOUND = 10.0  # the optimiser keeps log(parameter) in [-10, 10], in internally scaled units
_HESSIAN_STEP = 1e-4  # central-difference step on log(parameter)


class ModelError(RetainError):
    """A model cannot be fitted or applied to these data (too few customers, inconsistent data)."""


# --- maximum likelihood, shared with the Gamma-Gamma model --------------------------------------


class _Estimate(NamedTuple):
    log_params: np.ndarray  # in the internally scaled units
    cov: np.ndarray  # covariance of the log-parameters (NaN when the Hessian is not usable)
    converged: bool
    note: str  # why the fit is doubtful, "" when converged
    ends: np.ndarray = np.empty((0, 0))  # where each start ended (log-parameters), one per row
    values: np.ndarray = np.empty(0)  # and the negative log-likelihood there (summed)


def _maximise(
    neg_ll: Callable[[np.ndarray], float], starts: np.ndarray, n: float, names: Sequence[str]
) -> _Estimate:
    """Minimise `neg_ll` (the negative log-likelihood summed over customers, as a function of the
    log-parameters) with L-BFGS-B from each row of `starts`; keep the best.

    The fit is `converged` when the optimiser reports success at the best estimate (from any
    start), no parameter sits at the edge of [-LOG_BOUND, LOG_BOUND], the Hessian is positive
    definite, every standard error is below its parameter, and at least two starts (or the only
    one) end within a tenth of a standard error of the best estimate.
    """

    def mean_nll(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = neg_ll(theta) / n
        return float(value) if np.isfinite(value) else 1e10  # steer the line search away

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
    runs = []
    for start in starts:
        run = minimize(
            mean_nll,
            start,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-12, "gtol": 1e-6, "maxiter": 2000},
        )
        if run.fun < 1e10:
            runs.append(run)
    if not runs:
        raise ModelError(
            "the likelihood is not finite at any starting point; check that the data are "
            "purchase counts, times and amounts of the kind the model expects"
        )
    best = min(runs, key=lambda run: run.fun)
    theta = best.x
    cov = _inverse_hessian(neg_ll, theta)

    notes = []
    edge = [name for name, value in zip(names, theta, strict=True) if abs(value) > LOG_BOUND - 0.01]
    if edge:
        notes.append(f"{', '.join(edge)} at the edge of the search range")
    if np.isnan(cov).any():
        notes.append("the likelihood is flat or not at a maximum, no standard errors")
        tolerance = np.full(len(names), 1e-3)
    else:
        se_log = np.sqrt(np.diag(cov))  # se(log theta) = se(theta) / theta
        loose = [name for name, se in zip(names, se_log, strict=True) if se > 1]
        if loose:
            notes.append(f"{', '.join(loose)} not pinned down (standard error above the value)")
        tolerance = np.minimum(0.1 * se_log, 0.05) + 1e-6
    agree = [run for run in runs if np.all(np.abs(run.x - theta) <= tolerance)]
    if not any(run.success for run in agree):  # a line search may give up at the optimum
        notes.append(f"the optimiser stopped early ({best.message})")
    if len(agree) < min(2, len(starts)):
        notes.append(
            f"the starting points ended at different estimates ({len(agree)} of {len(starts)})"
        )
    ends = np.array([run.x for run in runs])
    values = np.array([run.fun * n for run in runs])
    return _Estimate(theta, cov, not notes, "; ".join(notes), ends, values)


def _inverse_hessian(f: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Inverse central-difference Hessian of `f` at `theta` (NaN if not positive definite)."""
    k, h = len(theta), _HESSIAN_STEP
    step = np.eye(k) * h
    hessian = np.empty((k, k))
    with np.errstate(all="ignore"):
        f0 = f(theta)
        for i in range(k):
            hessian[i, i] = (f(theta + step[i]) - 2 * f0 + f(theta - step[i])) / h**2
            for j in range(i):
                hessian[i, j] = hessian[j, i] = (
                    f(theta + step[i] + step[j])
                    - f(theta + step[i] - step[j])
                    - f(theta - step[i] + step[j])
                    + f(theta - step[i] - step[j])
                ) / (4 * h**2)
    try:
        np.linalg.cholesky(hessian)  # raises unless positive definite (NaN included)
        return np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)


def _starts(first: Sequence[float], grid: Sequence[Sequence[float]], count: int) -> np.ndarray:
    """`count` starting log-parameters: `first`, then the `grid`, then pseudo-random points."""
    if count < 1:
        raise ValueError("starts must be at least 1")
    points = [list(first), *map(list, grid)]
    rng = np.random.default_rng(0)
    while len(points) < count:
        points.append(list(np.asarray(first) * np.exp(rng.uniform(-2, 2, len(first)))))
    return np.log(np.clip(np.array(points[:count], dtype=float), 1e-4, 1e4))


def _whole_numbers(values: np.ndarray, what: str, meaning: str) -> None:
    bad = (values < 0) | (values != np.round(values))
    if bad.any():
        raise ModelError(
            f"{counted(int(bad.sum()), 'customer')} with a {what} that is not a whole number "
            f"0 or more; the {what} counts {meaning}"
        )


# --- BG/NBD ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BGNBDFit:
    """Maximum-likelihood BG/NBD parameters, in the caller's time unit.

    `converged` is False when the fit is doubtful (see `note`): the optimiser failed, a parameter
    ran to the edge of its range, the likelihood is flat, or the starting points disagree.
    `standard_errors` maps "r", "alpha", "a", "b" to the standard error from the inverse Hessian
    of the negative log-likelihood (NaN when it is not positive definite). `n` is the number of
    customers (the sum of the weights).

    The common-dropout limit (`common_dropout` is True): every customer has the same dropout
    probability `p`, the limit of Beta(a, b) as a, b -> infinity with a / (a + b) -> p. Then `a`
    and `b` are `math.inf`, `p` is the fitted probability, `standard_errors` has the keys "r",
    "alpha" and "p", and `note` says that it is the limit (with `converged` True: the limit fit is
    sound). For the ordinary model `p` is None.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool
    n: int
    standard_errors: dict[str, float]
    note: str = ""
    p: float | None = None  # the common dropout probability; None for the ordinary model

    def __post_init__(self):
        infinite = math.isinf(self.a) and math.isinf(self.b)
        if self.p is None and infinite:
            raise ValueError("a = b = inf is the common-dropout limit: give its probability p")
        if self.p is not None and not (infinite and 0 < self.p < 1):
            raise ValueError("the common-dropout limit needs a = b = math.inf and 0 < p < 1")

    @property
    def common_dropout(self) -> bool:
        """True for the common-dropout limit (a, b infinite, one dropout probability `p`)."""
        return self.p is not None


class SimulatedCustomers(NamedTuple):
    """Customers simulated from the BG/NBD story (`simulate_bgnbd`)."""

    frequency: np.ndarray  # repeat purchases in (0, T]
    recency: np.ndarray  # time of the last repeat purchase in (0, T], 0 without one
    T: np.ndarray
    alive: np.ndarray  # bool: not yet dropped out at T
    holdout: np.ndarray  # purchases in (T, T + holdout]


def _rfm(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three inputs as float arrays of one shape, checked for consistency."""
    try:
        x, tx, age = np.broadcast_arrays(
            *(np.asarray(v, dtype=float) for v in (frequency, recency, T))
        )
    except ValueError:
        raise ModelError("frequency, recency and T must have one value per customer") from None
    if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(age).all()):
        raise ModelError("frequency, recency and T must be finite numbers; drop the missing ones")
    _whole_numbers(x, "frequency", "repeat purchases")
    for bad, problem in (
        ((tx < 0) | (age < 0), "a negative recency or age T; both must be 0 or more"),
        (tx > age, "a recency greater than their age T; measure both from the first purchase"),
        ((x == 0) & (tx > 0), "no repeat purchase but a recency above 0; it must then be 0"),
    ):
        if bad.any():
            raise ModelError(f"{counted(int(bad.sum()), 'customer')} with {problem}")
    return x, tx, age


def bgnbd_log_likelihood(r, alpha, a, b, frequency, recency, T) -> np.ndarray:
    """Log of eq. 6, the likelihood of one customer's (x, t_x, T), per customer.

    L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x)),

    computed in log space (gammaln, betaln, logaddexp) so that it stays finite for large x and T.
    The inputs are not checked (see `fit_bgnbd`).
    """
    x = np.asarray(frequency, dtype=float)
    xs, at = np.unique(x, return_inverse=True)  # few distinct counts: special functions on those
    per_x = gammaln(r + xs) - gammaln(r) + betaln(a, b + xs) - betaln(a, b)
    # B(a+1, b+x-1) = B(a, b+x) a / (b+x-1), so both terms share the factor above
    gone = np.where(xs > 0, np.log(a / (b + np.maximum(xs, 1) - 1)), -np.inf)
    alive_at_T = -(r + x) * np.log(alpha + T)
    gone_after_tx = gone[at] - (r + x) * np.log(alpha + recency)
    return per_x[at] + r * np.log(alpha) + np.logaddexp(alive_at_T, gone_after_tx)


def bgnbd_common_dropout_log_likelihood(r, alpha, p, frequency, recency, T) -> np.ndarray:
    """Log-likelihood of one customer's (x, t_x, T) when every customer has the same dropout
    probability p (0 < p < 1), per customer: the limit of eq. 6 as a, b -> infinity with
    a / (a + b) -> p, where B(a, b+x)/B(a, b) = E[(1-p)^x] -> (1-p)^x and B(a+1, b+x-1)/B(a, b)
    = E[p (1-p)^(x-1)] -> p (1-p)^(x-1):

    L = Gamma(r+x) alpha^r / Gamma(r)
        * [(1-p)^x / (alpha+T)^(r+x) + [x > 0] p (1-p)^(x-1) / (alpha+t_x)^(r+x)],

    alive at T after surviving x purchases, or gone right after the x-th; in log space. The
    inputs are not checked (see `fit_bgnbd`).
    """
    x = np.asarray(frequency, dtype=float)
    xs, at = np.unique(x, return_inverse=True)
    per_x = gammaln(r + xs) - gammaln(r)
    survive = np.log1p(-p)
    alive_at_T = x * survive - (r + x) * np.log(alpha + T)
    gone = np.where(x > 0, np.log(p) + (np.maximum(x, 1) - 1) * survive, -np.inf)
    gone_after_tx = gone - (r + x) * np.log(alpha + recency)
    return per_x[at] + r * np.log(alpha) + np.logaddexp(alive_at_T, gone_after_tx)


def fit_bgnbd(frequency, recency, T, *, weights=None, starts: int = 4) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood (eq. 6, summed over customers).

    `frequency`, `recency` and `T` are per-customer arrays in one time unit; `weights`, if given,
    is the number of customers sharing each (x, t_x, T) row. The log-parameters are optimised
    with L-BFGS-B from `starts` starting points, on times divided by the mean age (so that the
    search does not depend on the time unit); the result is in the caller's unit. Standard errors
    come from a central-difference Hessian of the negative log-likelihood.

    Raises ModelError for inconsistent inputs (negative values, recency > T, recency > 0 with
    frequency 0), fewer than MIN_CUSTOMERS customers, no repeat purchase at all, or no finite
    likelihood. A doubtful fit is returned with `converged=False`, never silently.

    The common-dropout limit: when the best estimate has a + b > RIDGE, the data are refitted with
    the three-parameter limit (r, alpha, p; `bgnbd_common_dropout_log_likelihood`, log r, log
    alpha and logit p optimised the same way). On that ridge the four-parameter fit is doubtful,
    or only seems converged (from one start, say, where the optimiser stopped partway along it).
    The limit is returned (`common_dropout` True, a = b = inf) when it is sound, its
    log-likelihood is at least the best four-parameter one less RIDGE_LL_TOLERANCE (so that the
    likelihood rises along the ridge to the limit, rather than peaking at a finite a + b), and
    the four-parameter starts that end there agree with it:
    the best of them and at least two (or the only one) end with a + b > RIDGE and with r, alpha
    and a / (a + b) within a standard error (and 5%) of the limit's r, alpha and p, on the log
    and logit scales. Their log-likelihoods need not agree: along the ridge it keeps rising
    towards the limit, so each start stops short of it by how far along it went. Other doubtful
    fits, with r or alpha at an edge, a -> 0, or b -> infinity with a finite (p -> 0, nobody drops
    out; the limit's p then runs to its edge), are returned as not converged.
    """
    x, tx, age = (np.ravel(v) for v in _rfm(frequency, recency, T))
    w = np.ones_like(x) if weights is None else np.ravel(np.asarray(weights, dtype=float))
    if w.shape != x.shape or not np.isfinite(w).all():
        raise ModelError("weights must be one finite number per customer")
    _whole_numbers(w, "weight", "the customers who share a row")
    n = int(w.sum())
    if n < MIN_CUSTOMERS:
        raise ModelError(
            f"only {counted(n, 'customer')}: the BG/NBD model needs at least {MIN_CUSTOMERS}; "
            "fit it on a larger group"
        )
    if not (w * x).any():
        raise ModelError(
            "no customer made a repeat purchase, so dropout cannot be estimated; "
            "use a longer observation period"
        )
    scale = float(np.average(age, weights=w))
    if scale <= 0:
        raise ModelError(
            "every customer has age T = 0; T must be the time since the first purchase"
        )

    def neg_ll(theta: np.ndarray, tx=tx / scale, age=age / scale) -> float:
        return -float(w @ bgnbd_log_likelihood(*np.exp(theta), x, tx, age))

    rate = (w @ x) / (w @ age) * scale  # repeat purchases per scaled time unit
    first = (1.0, 1.0 / rate, 1.0, 3.0)  # E[lambda] = r / alpha = the observed rate
    grid = [(0.3, 0.1, 0.8, 2.5), (2.0, 5.0, 2.0, 5.0), (0.5, 1.0, 0.2, 10.0)]
    names = ("r", "alpha", "a", "b")
    est = _maximise(neg_ll, _starts(first, grid, starts), n, names)

    r, alpha, a, b = np.exp(est.log_params) * np.array([1.0, scale, 1.0, 1.0])
    params = np.array([r, alpha, a, b])
    se = params * np.sqrt(np.diag(est.cov))  # delta method: se(theta) = theta * se(log theta)
    with np.errstate(all="ignore"):
        ll = float(w @ bgnbd_log_likelihood(r, alpha, a, b, x, tx, age))
    fit = BGNBDFit(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=ll,
        converged=est.converged and bool(np.isfinite(ll)),
        n=n,
        standard_errors=dict(zip(names, map(float, se), strict=True)),
        note=est.note,
    )
    if not np.isfinite(ll) or a + b <= RIDGE:
        return fit
    limit, why = _common_dropout(x, tx, age, w, scale, est, ll, starts)
    if limit is not None:
        return limit
    return fit if fit.converged else replace(fit, note=f"{fit.note}; {why}")


def _common_dropout(x, tx, age, w, scale, est: _Estimate, ll: float, starts: int):
    """The common-dropout limit fitted to the data of a four-parameter fit `est` (log-likelihood
    `ll`) that ended on the ridge, as (BGNBDFit, "") when the limit is the maximum (see
    `fit_bgnbd`), else (None, why)."""
    n = float(w.sum())

    def neg_ll(theta: np.ndarray, tx=tx / scale, age=age / scale) -> float:
        r, alpha, p = np.exp(theta[0]), np.exp(theta[1]), expit(theta[2])
        return -float(w @ bgnbd_common_dropout_log_likelihood(r, alpha, p, x, tx, age))

    # starts given as (r, alpha, odds p / (1 - p)): `_starts` takes logs, so theta[2] = logit p
    log_r, log_alpha, log_a, log_b = est.log_params
    first = (np.exp(log_r), np.exp(log_alpha), np.exp(log_a - log_b))  # the ridge's a / (a + b)
    rate = (w @ x) / (w @ age) * scale
    grid = [(1.0, 1.0 / rate, 1 / 9), (0.3, 0.1, 0.02), (2.0, 5.0, 1.0)]
    names = ("r", "alpha", "p")
    limit = _maximise(neg_ll, _starts(first, grid, starts), n, names)
    if not limit.converged:
        return None, f"the common-dropout limit (a, b -> infinity) is doubtful too: {limit.note}"

    r, alpha = np.exp(limit.log_params[:2]) * np.array([1.0, scale])
    p = float(expit(limit.log_params[2]))
    with np.errstate(all="ignore"):
        limit_ll = float(w @ bgnbd_common_dropout_log_likelihood(r, alpha, p, x, tx, age))
    if not limit_ll >= ll - RIDGE_LL_TOLERANCE:
        return None, (
            f"the likelihood peaks at a finite a + b, above the common-dropout limit's "
            f"({limit_ll:,.3f})"
        )
    # the starts on the ridge: a + b > RIDGE, and r, alpha, a / (a + b) close to the limit's
    se_theta = np.sqrt(np.diag(limit.cov))
    ends = est.ends
    mean_dropout = ends[:, 2] - ends[:, 3]  # logit(a / (a + b)) = log a - log b
    near = np.column_stack([ends[:, 0], ends[:, 1], mean_dropout]) - limit.log_params
    on_ridge = (np.exp(ends[:, 2]) + np.exp(ends[:, 3]) > RIDGE) & np.all(
        np.abs(near) <= np.minimum(se_theta, 0.05) + 1e-6, axis=1
    )
    best = int(np.argmin(est.values))
    if not on_ridge[best] or on_ridge.sum() < min(2, starts):
        return None, (
            f"too few starting points run along the ridge to the common-dropout limit "
            f"({int(on_ridge.sum())} of {starts})"
        )
    se = np.array([r, alpha, p * (1 - p)]) * se_theta  # delta method, logit for p
    fit = BGNBDFit(
        r=float(r),
        alpha=float(alpha),
        a=math.inf,
        b=math.inf,
        log_likelihood=limit_ll,
        converged=bool(np.isfinite(limit_ll)),
        n=int(n),
        standard_errors=dict(zip(names, map(float, se), strict=True)),
        note=(
            f"a and b run to infinity: the dropout probability is the same for every "
            f"customer (p = {p:.3g})"
        ),
        p=p,
    )
    return fit, ""


def p_alive(fit: BGNBDFit, frequency, recency, T) -> np.ndarray:
    """P(alive at T | x, t_x, T) (Fader and Hardie 2008), the share of eq. 6 that its first term,
    the customer still alive at T, makes up:

        1 / (1 + [x > 0] a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)),

    which is 1 for a customer without a repeat purchase (they cannot have dropped out). For the
    common-dropout limit, a / (b + x - 1) becomes p / (1 - p).
    """
    x, tx, age = _rfm(frequency, recency, T)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    if fit.p is None:
        odds = np.log(a) - np.log(b + np.maximum(x, 1) - 1)
    else:
        odds = np.log(fit.p) - np.log1p(-fit.p)
    log_odds_gone = odds + (r + x) * np.log((alpha + age) / (alpha + tx))
    return np.where(x > 0, expit(-log_odds_gone), 1.0)[()]


def expected_purchases(fit: BGNBDFit, t, frequency, recency, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T], the expected number of purchases in (T, T + t] (eq. 10):

        (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; z)]
        * P(alive | x, t_x, T),  with z = t / (alpha + T + t) < 1.

    See `_purchases_if_alive` for how the first line is computed. For the common-dropout limit
    it is (1/p) [1 - ((alpha+T)/(alpha+T+p t))^(r+x)]: alive at T, lambda is Gamma(r+x, alpha+T)
    a posteriori, and a customer buying at rate lambda who drops out after each purchase with
    probability p makes E[Y(t) | lambda] = (1 - exp(-lambda p t)) / p purchases in the next t.
    """
    x, tx, age = _rfm(frequency, recency, T)
    t = np.asarray(t, dtype=float)
    if not np.isfinite(t).all() or (t < 0).any():
        raise ModelError("the forecast horizon t must be a finite time of 0 or more")
    s = t / (fit.alpha + age)
    if fit.p is None:
        if_alive = _purchases_if_alive(fit, x, s)
    else:
        if_alive = -np.expm1(-(fit.r + x) * np.log1p(fit.p * s)) / fit.p
    return (if_alive * p_alive(fit, x, tx, age))[()]


def _purchases_if_alive(fit: BGNBDFit, x, s) -> np.ndarray:
    """The first line of eq. 10, the expected purchases in the next t of a customer alive at T
    with x repeat purchases, for s = t / (alpha + T) (so z = s / (1 + s)).

    (1-z)^(r+x) 2F1(r+x, b+x; c; z) is computed after Euler's transformation, as
    (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z), whose first two arguments do not grow with x. Checked
    against quadrature, `scipy.special.hyp2f1` is then finite and accurate for x up to 10^5 and z
    up to 1 - 10^-12, except near z = 1 when c = a+b+x-1 is above about 100 and b is large or
    r - a is a whole number: it overflows there, and `_purchases_by_quadrature` takes over; as
    it does within 1e-6 of a = 1, where the formula is 0/0 (and loses digits near it). (With b
    of 10^7, small a and small z, hyp2f1 stays finite but is off by up to about 1e-5.)
    """
    r, a, b = fit.r, fit.a, fit.b
    x, s = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(s, dtype=float))
    c = a + b + x - 1
    z = s / (1 + s)
    with np.errstate(all="ignore"):
        tail = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, c, z)
        out = np.array(c / (a - 1) * (1 - tail), dtype=float)  # writable, also 0-d
    done: dict[tuple[float, float], float] = {}
    for i in np.flatnonzero(~np.isfinite(out) | (abs(a - 1) < 1e-6)):
        key = (x.flat[i], s.flat[i])
        if key not in done:
            done[key] = _purchases_by_quadrature(r, a, b, *key)
        out.flat[i] = done[key]
    return out


def _purchases_by_quadrature(r, a, b, x, s) -> float:
    """The same number as the mean of (1 - (1 + s p)^-(r+x)) / p for p ~ Beta(a, b+x), the
    posterior of the dropout probability of a customer alive at T (the paper's appendix), by
    `scipy.integrate.quad`; lambda, Gamma(r+x, alpha+T) a posteriori, is integrated out in
    closed form.

    The integral runs over y = log p for p <= 1/2 and over v = log(1-p) for p >= 1/2, so that
    neither tail loses digits near 0 or 1, in pieces cut at quantiles of p and of 1-p: with a and
    b+x large, Beta(a, b+x) is a narrow peak (relative width about 1/sqrt(a)) that quad would not
    find on its own. The log-density is taken relative to its value near the peak, at p = m =
    a / (a+b+x): for a or b of 10^6 its terms are of that size, and would leave rounding noise
    above quad's tolerance.
    """
    n, k = r + x, b + x - 1  # the density is p^(a-1) (1-p)^k / B(a, b+x)
    m, rest = a / (a + b + x), (b + x) / (a + b + x)  # m and 1 - m
    log_m, log_rest = np.log(m), np.log(rest)
    log_peak = (a - 1) * log_m + k * log_rest - betaln(a, b + x)  # log density at m

    def bought(p: float) -> float:  # 1 - (1 + s p)^-n
        return -np.expm1(-n * np.log1p(s * p))

    def lower(y: float) -> float:  # p = e^y <= 1/2: bought/p * density * p dy
        log_nsp = np.log(n * s) + y
        # 1 - (1 + s p)^-n = n s p, to 1e-11, below e^-25; in logs, as p can underflow
        log_bought = log_nsp if log_nsp < -25 else np.log(bought(np.exp(y)))
        u = y - log_m  # p = m e^u, 1 - p = rest (1 - m expm1(u) / rest)
        log_value = log_peak + (a - 1) * u + k * np.log1p(-m * np.expm1(u) / rest)
        return np.exp(log_bought + log_value)

    def upper(v: float) -> float:  # 1 - p = e^v <= 1/2: bought/p * density * (1 - p) dv
        w = v - log_rest  # 1 - p = rest e^w, p = m (1 - rest expm1(w) / m)
        log_p_over_m = np.log1p(-rest * np.expm1(w) / m)
        log_value = log_peak + (a - 2) * log_p_over_m - log_m + (k + 1) * w + log_rest
        return bought(1 - np.exp(v)) * np.exp(log_value)

    tails = [1e-14, 1e-6, 0.01, 0.5, 0.99, 1 - 1e-6]
    half, knee = np.log(0.5), -np.log(n * s)
    with np.errstate(divide="ignore"):
        at_p = np.log(betaincinv(a, b + x, tails))  # quantiles of p
        at_q = np.log(betaincinv(b + x, a, tails))  # and of 1 - p ~ Beta(b+x, a)
    # beyond the lowest quantile the integrand falls like e^(a y) and like e^((b+x) v)
    lowest = min(log_m, knee, half, at_p[0]) - 50 / a
    cuts = sorted({lowest, *(c for c in (log_m, knee, *at_p) if lowest < c < half), half})
    # bought(p) / p is convex and m the mean, so the result is at least bought(m) / m (Jensen):
    # an absolute tolerance relative to it, for the pieces that hold nearly nothing
    tolerance = dict(epsabs=1e-12 * bought(m) / m, epsrel=1e-10, limit=200)
    total = sum(quad(lower, lo, hi, **tolerance)[0] for lo, hi in zip(cuts, cuts[1:], strict=False))
    lowest = min(log_rest, half, at_q[0]) - 50 / (b + x)
    cuts = sorted({lowest, *(c for c in (log_rest, *at_q) if lowest < c < half), half})
    return total + sum(
        quad(upper, lo, hi, **tolerance)[0] for lo, hi in zip(cuts, cuts[1:], strict=False)
    )


def expected_purchases_new(fit: BGNBDFit, t) -> np.ndarray:
    """E[X(t)], the expected number of repeat purchases in (0, t] of a new customer (eq. 9):

        (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r * 2F1(r, b; a+b-1; t/(alpha+t))],

    which is eq. 10 for x = t_x = T = 0; for the common-dropout limit, (1/p) [1 - (alpha /
    (alpha + p t))^r].
    """
    return expected_purchases(fit, t, 0, 0, 0)


def simulate_bgnbd(
    r, alpha, a, b, T, rng: np.random.Generator, *, holdout=0.0, p: float | None = None
) -> SimulatedCustomers:
    """Simulate customers of ages `T` (an array) from the model's story, and their purchases in a
    holdout period (T, T + holdout].

    Each customer draws a purchase rate lambda ~ Gamma(r, rate alpha) and a dropout probability
    p ~ Beta(a, b) (or has the common dropout probability `p`, when given, with a = b = math.inf
    as in a common-dropout `BGNBDFit`); D, the repeat purchase after which they drop out, is
    Geometric(p) on 1, 2, ...
    Purchases while alive come at the times of a Poisson process of rate lambda: with N(T) events
    in (0, T], x = min(N(T), D); the x-th of N(T) uniform event times gives t_x; the customer is
    alive at T when D > N(T); and the holdout adds min(N(T + holdout), D) - x purchases.
    """
    if p is not None and not (math.isinf(a) and math.isinf(b) and 0 <= p <= 1):
        raise ValueError("a common dropout probability p (0 to 1) needs a = b = math.inf")
    age = np.asarray(T, dtype=float)
    lam = rng.gamma(r, 1.0 / alpha, age.shape)
    drop = rng.beta(a, b, age.shape) if p is None else np.full(age.shape, float(p))
    with np.errstate(divide="ignore"):  # p = 0 never drops out: D = inf
        dropout = np.maximum(np.ceil(np.log(rng.uniform(size=age.shape)) / np.log1p(-drop)), 1.0)
    events = rng.poisson(lam * age)
    later = rng.poisson(lam * holdout)
    x = np.minimum(events, dropout)
    kth = rng.beta(np.maximum(x, 1), events - x + 1)  # x-th order statistic of N(T) uniforms
    recency = np.where(x > 0, age * kth, 0.0)
    alive = dropout > events
    future = np.minimum(events + later, dropout) - x
    return SimulatedCustomers(x.astype(int), recency, age, alive, future.astype(int))
