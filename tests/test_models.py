"""BG/NBD and Gamma-Gamma models (retain.models): simulation recovery, the published CDNOW figures,
unit and property checks."""

import math
import pathlib
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import betaln, gammaln

from retain.errors import RetainError
from retain.models import (
    BGNBDFit,
    GammaGammaFit,
    ModelError,
    bgnbd_common_dropout_log_likelihood,
    bgnbd_log_likelihood,
    expected_purchases,
    expected_purchases_new,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    independence_check,
    p_alive,
    simulate_bgnbd,
    simulate_gamma_gamma,
)

CDNOW = pathlib.Path(__file__).parent / "data/cdnow/cdnow_customers_summary_with_transactions.csv"
ORDERS = pathlib.Path(__file__).parent.parent / "examples/orders.csv"
PUBLISHED = BGNBDFit(0.243, 4.414, 0.793, 2.426, -9582.4, True, 2357, {})  # FHL 2005, sec. 7
NAMES = ("r", "alpha", "a", "b")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow) -> BGNBDFit:
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


def params(fit) -> dict[str, float]:
    return {name: getattr(fit, name) for name in fit.standard_errors}


# --- recovery of known parameters from simulated customers ----------------------------------------


@pytest.mark.parametrize(
    ("truth", "ages", "seed"),
    [
        # close to CDNOW, in weeks: T uniform over 27-39 weeks (12 weeks of first purchases)
        (dict(r=0.24, alpha=4.41, a=0.79, b=2.43), (27, 39), 1),
        # frequent buyers who rarely drop out, in days: alpha far from 1 tests the time scaling
        (dict(r=1.5, alpha=10.0, a=2.0, b=8.0), (30, 365), 11),
    ],
)
def test_bgnbd_recovers_simulated_parameters(truth, ages, seed):
    rng = np.random.default_rng(seed)
    sim = simulate_bgnbd(**truth, T=rng.uniform(*ages, 20_000), rng=rng)
    fit = fit_bgnbd(sim.frequency, sim.recency, sim.T)
    assert fit.converged, fit.note
    assert fit.n == 20_000
    for name, value in truth.items():
        se = fit.standard_errors[name]
        assert 0 < se < 0.2 * value, (name, se)
        assert abs(getattr(fit, name) - value) < 3 * se, (name, getattr(fit, name), se)


def test_bgnbd_standard_errors_match_the_spread_of_estimates():
    """Reported standard errors against the spread of 20 fits of independent samples."""
    rng = np.random.default_rng(3)
    estimates, errors = [], []
    for _ in range(20):
        sim = simulate_bgnbd(0.24, 4.41, 0.79, 2.43, rng.uniform(27, 39, 1_500), rng)
        fit = fit_bgnbd(sim.frequency, sim.recency, sim.T, starts=2)
        estimates.append([getattr(fit, name) for name in NAMES])
        errors.append([fit.standard_errors[name] for name in NAMES])
    ratio = np.std(estimates, axis=0, ddof=1) / np.median(errors, axis=0)
    assert np.all((ratio > 0.6) & (ratio < 1.6)), ratio


def test_gamma_gamma_recovers_simulated_parameters():
    rng = np.random.default_rng(1)
    frequency = rng.geometric(0.4, 5_000)  # 1, 2, 3, ... repeat purchases
    spend = simulate_gamma_gamma(6.25, 3.74, 15.44, frequency, rng)
    fit = fit_gamma_gamma(frequency, spend)
    assert fit.converged, fit.note
    assert fit.n == 5_000
    for name, value in dict(p=6.25, q=3.74, v=15.44).items():
        se = fit.standard_errors[name]
        assert 0 < se < 0.2 * value, (name, se)
        assert abs(getattr(fit, name) - value) < 3 * se, (name, getattr(fit, name), se)
    # simulated independently of the frequency: no correlation
    assert abs(independence_check(frequency, spend).correlation) < 0.05


# --- the published CDNOW figures ------------------------------------------------------------------


def test_bgnbd_reproduces_the_published_cdnow_fit(cdnow, cdnow_fit):
    fit = cdnow_fit
    assert fit.converged, fit.note
    assert fit.n == len(cdnow) == 2357
    for name in NAMES:  # to the published three decimals
        assert round(getattr(fit, name), 3) == getattr(PUBLISHED, name), name
    assert round(fit.log_likelihood, 1) == -9582.4
    # the paper publishes no standard errors: regression values of this fit's Hessian, which
    # the simulation tests check against the spread of estimates
    assert fit.standard_errors == pytest.approx(
        dict(r=0.0126, alpha=0.378, a=0.186, b=0.705), rel=0.02
    )
    # an ordinary fit, far from the common-dropout ridge (a + b = 3.2)
    assert fit.p is None and not fit.common_dropout


def test_bgnbd_log_likelihood_at_the_published_parameters(cdnow):
    ll = bgnbd_log_likelihood(0.243, 4.414, 0.793, 2.426, cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert ll.sum() == pytest.approx(-9582.4, abs=0.05)
    # the spreadsheet's first and third customers (note 004): ln L = -9.46 and -0.55
    assert ll[:3:2].tolist() == pytest.approx([-9.4586, -0.5547], abs=1e-4)


def test_bgnbd_weights_give_the_same_fit(cdnow, cdnow_fit):
    rows = cdnow.groupby(["x", "t_x", "T"]).size().reset_index(name="count")
    assert len(rows) < len(cdnow)
    fit = fit_bgnbd(rows["x"], rows["t_x"], rows["T"], weights=rows["count"])
    assert fit.n == 2357
    assert params(fit) == pytest.approx(params(cdnow_fit), rel=1e-4)
    assert fit.log_likelihood == pytest.approx(cdnow_fit.log_likelihood, abs=1e-6)


def test_bgnbd_cdnow_expectations_match_hardies_spreadsheet(cdnow_fit):
    # customer 0001: x = 2, t_x = 30.43, T = 38.86; E[Y(39)] = 1.226
    assert expected_purchases(cdnow_fit, 39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=5e-4)
    # E[X(t)] of a new customer (the spreadsheet's cumulative tracking, per customer)
    t = np.array([0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0])
    published = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    assert expected_purchases_new(cdnow_fit, t) == pytest.approx(published, abs=5e-4)


def test_gamma_gamma_reproduces_the_published_cdnow_fit(cdnow):
    fit = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert fit.converged, fit.note
    assert fit.n == 946  # the repeat buyers
    # p = 6.25, q = 3.74, gamma = 15.44 (note 025): within one unit of the last digit, the
    # maximum here being v = 15.448 (the likelihood is flat along p v / (q - 1) fixed)
    assert (fit.p, fit.q, fit.v) == pytest.approx((6.25, 3.74, 15.44), abs=0.01)
    # "the theoretical mean differs from the observed mean by a mere nine cents" (FHL 2005, JMR)
    observed = cdnow.loc[cdnow["x"] > 0, "zbar"].mean()
    assert round(fit.population_mean - observed, 2) == 0.09
    # the spreadsheet's E(Z | x, zbar) for the first ten customers
    published = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    spend = expected_spend(fit, cdnow["x"][:10], cdnow["zbar"][:10])
    assert spend == pytest.approx(published, abs=0.01)
    # FHL 2005 (JMR): correlation 0.11 between frequency and mean spend of the 946 repeat buyers
    check = independence_check(cdnow["x"], cdnow["zbar"])
    assert (round(check.correlation, 2), check.n) == (0.11, 946)


# --- predictions: unit checks ---------------------------------------------------------------------

TRUE = BGNBDFit(0.24, 4.41, 0.79, 2.43, float("nan"), True, 0, {})


def test_p_alive_is_one_without_repeat_purchases(cdnow_fit):
    assert p_alive(cdnow_fit, 0, 0, 38.86) == 1.0
    assert np.all(p_alive(cdnow_fit, [0, 0, 0], [0, 0, 0], [0, 1, 1e6]) == 1.0)


def test_p_alive_decreases_with_silence(cdnow_fit):
    ages = np.linspace(20, 200, 50)
    alive = p_alive(cdnow_fit, 3, 20, ages)
    assert np.all((alive > 0) & (alive <= 1))
    assert np.all(np.diff(alive) < 0)  # older, same history: more likely gone
    assert np.all(np.diff(p_alive(cdnow_fit, 3, np.linspace(1, 20, 20), 30)) > 0)  # more recent
    # customer 0001 (x = 2, t_x = 30.43, T = 38.86): 1 / (1 + a/(b+1) ((alpha+T)/(alpha+t_x))^(r+2))
    assert p_alive(cdnow_fit, 2, 30.43, 38.86) == pytest.approx(0.7266, abs=1e-4)


def test_expected_purchases_grow_with_the_horizon(cdnow_fit):
    t = np.linspace(0, 200, 41)
    for x, recency in [(0, 0.0), (1, 5.0), (2, 30.43), (29, 37.71)]:
        values = expected_purchases(cdnow_fit, t, x, recency, 38.86)
        assert values[0] == 0
        assert np.all(np.diff(values) > 0)
    assert expected_purchases_new(cdnow_fit, 0) == 0


def by_quadrature(fit, t, x, recency, T):
    """E[Y(t) | x, t_x, T] without the hypergeometric function: P(alive) times the mean, over the
    posterior p ~ Beta(a, b + x), of (1 - E[exp(-lambda p t)]) / p with lambda ~ Gamma(r + x,
    alpha + T) (FHL 2005, eq. 5 and appendix)."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    s, n, log_beta = t / (alpha + T), r + x, betaln(a, b + x)

    def bought(p):
        return -np.expm1(-n * np.log1p(s * p))

    def low(y):  # p = e^y in (0, 1/2], where the integrand turns at p = 1 / (n s)
        return bought(np.exp(y)) * np.exp(
            (a - 1) * y + (b + x - 1) * np.log1p(-np.exp(y)) - log_beta
        )

    knee = min(-np.log(n * s), np.log(0.5))
    cuts = [knee - 40 / a, knee, np.log(0.5)]
    mean = sum(
        quad(low, lo, hi, epsabs=0, epsrel=1e-12, limit=500)[0]
        for lo, hi in zip(cuts, cuts[1:], strict=False)
        if hi > lo
    )
    # p in (1/2, 1): (1 - p)^(b + x - 1) as quad's algebraic weight where it may be singular
    if b + x < 2:
        mean += quad(
            lambda p: bought(p) * np.exp((a - 2) * np.log(p) - log_beta),
            0.5,
            1,
            weight="alg",
            wvar=(0, b + x - 1),
            epsabs=0,
            epsrel=1e-12,
            limit=500,
        )[0]
    else:
        mean += quad(
            lambda p: (
                bought(p) * np.exp((a - 2) * np.log(p) + (b + x - 1) * np.log1p(-p) - log_beta)
            ),
            0.5,
            1,
            epsabs=0,
            epsrel=1e-12,
            limit=500,
        )[0]
    return mean * p_alive(fit, x, recency, T)


@pytest.mark.parametrize(
    "model",
    [
        (0.243, 4.414, 0.793, 2.426),  # CDNOW
        (2.0, 1.0, 3.0, 0.5),  # r - a whole: scipy's hyp2f1 overflows for large x, quadrature
        (0.5, 0.1, 1.5, 300.0),  # b large: hyp2f1 overflows near z = 1, quadrature
        (5.0, 50.0, 0.2, 0.3),
        (0.5, 2.0, 1.0, 2.0),  # a = 1: eq. 10 is 0/0, quadrature
        (0.5, 2.0, 1.0 + 1e-9, 2.0),  # and near it, where it loses digits
    ],
)
def test_expected_purchases_match_quadrature(model):
    fit = BGNBDFit(*model, float("nan"), True, 0, {})
    for x in [0, 1, 10, 200, 3000]:
        for T in [0.5, 39.0, 1000.0]:
            recency = 0.0 if x == 0 else 0.9 * T
            for t in [0.1, 39.0, 1e4, 1e7]:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # no overflow or integration warnings
                    value = expected_purchases(fit, t, x, recency, T)
                if p_alive(fit, x, recency, T) > 1e-200:
                    assert np.isfinite(value) and value > 0, (x, T, t)
                    assert value == pytest.approx(by_quadrature(fit, t, x, recency, T), rel=1e-6), (
                        x,
                        T,
                        t,
                    )


@pytest.mark.parametrize(
    ("a", "b"),
    [(3e3, 4e3), (1e5, 8e5), (2e6, 5e4), (3e5, 40.0)],  # narrow Beta(a, b + x) posteriors
)
def test_expected_purchases_with_large_a_and_b(a, b):
    """Where hyp2f1 overflows and the quadrature must find a narrow peak (of width about
    1/sqrt(a) relative to the mean): against quad over p, broken at the mean +- k sd."""
    from scipy.stats import beta

    fit = BGNBDFit(0.9, 7.6, a, b, float("nan"), True, 0, {})
    for x, recency, T in [(0, 0.0, 39.0), (3, 20.0, 39.0), (200, 400.0, 500.0)]:
        posterior = beta(a, b + x)
        mean, sd = posterior.mean(), posterior.std()
        cuts = [c for c in mean + sd * np.array([-40, -10, -3, 0, 3, 10, 40]) if 0 < c < 1]
        cuts = [max(mean - 40 * sd, 0.0), *cuts, min(mean + 40 * sd, 1.0)]
        for t in [1.0, 39.0, 1e4]:
            s, n = t / (fit.alpha + T), fit.r + x

            def bought(p, s=s, n=n, density=posterior.pdf):
                return -np.expm1(-n * np.log1p(s * p)) / p * density(p)

            pieces = zip(cuts, cuts[1:], strict=False)
            mean_bought = sum(quad(bought, lo, hi, epsabs=0, epsrel=1e-10)[0] for lo, hi in pieces)
            expected = mean_bought * p_alive(fit, x, recency, T)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                value = expected_purchases(fit, t, x, recency, T)
            assert value == pytest.approx(expected, rel=1e-6), (x, t)


def test_expected_purchases_new_matches_simulation():
    rng = np.random.default_rng(5)
    sim = simulate_bgnbd(0.24, 4.41, 0.79, 2.43, np.full(100_000, 39.0), rng)
    mean, se = sim.frequency.mean(), sim.frequency.std() / np.sqrt(100_000)
    assert abs(mean - expected_purchases_new(TRUE, 39.0)) < 4 * se


def test_conditional_expectations_match_a_simulated_holdout():
    rng = np.random.default_rng(6)
    sim = simulate_bgnbd(0.24, 4.41, 0.79, 2.43, rng.uniform(27, 39, 100_000), rng, holdout=39.0)
    expected = expected_purchases(TRUE, 39.0, sim.frequency, sim.recency, sim.T)
    for group in [
        sim.frequency == 0,
        sim.frequency == 1,
        (sim.frequency >= 2) & (sim.frequency < 5),
        sim.frequency >= 5,
    ]:
        actual, predicted = sim.holdout[group], expected[group]
        spread = np.sqrt(np.sum((actual - predicted) ** 2))  # sd of the sum of the differences
        assert abs(actual.sum() - predicted.sum()) < 4 * spread, group.sum()
    # and P(alive) is calibrated: alive share against the mean probability, in bands
    alive = p_alive(TRUE, sim.frequency, sim.recency, sim.T)
    for low, high in [(0, 0.3), (0.3, 0.6), (0.6, 0.9), (0.9, 1.0)]:
        band = (alive >= low) & (alive < high)
        se = np.sqrt(np.sum(alive[band] * (1 - alive[band]))) / band.sum()
        assert abs(sim.alive[band].mean() - alive[band].mean()) < 4 * se + 1e-3, (low, high)
    assert np.all(sim.alive[alive == 1.0])


def test_expected_spend_is_a_weighted_average():
    fit = GammaGammaFit(6.25, 3.74, 15.44, float("nan"), True, 946, {})
    population = 6.25 * 15.44 / 2.74
    assert fit.population_mean == pytest.approx(population)
    assert expected_spend(fit, 0, np.nan) == pytest.approx(population)  # no repeat purchase
    spend = expected_spend(fit, [1, 2, 7, 50], 100.0)
    assert np.all((spend > population) & (spend < 100)) and np.all(np.diff(spend) > 0)
    low = GammaGammaFit(6.25, 0.9, 15.44, float("nan"), True, 946, {})
    with pytest.raises(ModelError, match="q is 0.9"):
        expected_spend(low, 1, 20.0)


# --- fits that fail or are doubtful ---------------------------------------------------------------

GOOD = dict(frequency=[0, 1, 2, 0, 3, 1], recency=[0, 5, 8, 0, 9, 2], T=[10, 10, 12, 12, 14, 14])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(frequency=[0, -1, 2, 0, 3, 1]), "frequency that is not a whole number 0 or more"),
        (dict(frequency=[0, 1.5, 2, 0, 3, 1]), "frequency that is not a whole number"),
        (dict(recency=[0, 5, 13, 0, 9, 2]), "1 customer with a recency greater than their age T"),
        (dict(recency=[1, 5, 8, 0, 9, 2]), "no repeat purchase but a recency above 0"),
        (dict(recency=[0, -5, 8, 0, 9, 2]), "negative recency or age"),
        (dict(T=[10, 10, 12, 12, np.nan, 14]), "finite numbers"),
        (dict(T=[10, 10, 12]), "one value per customer"),
        (dict(frequency=[0, 1], recency=[0, 5], T=[10, 10]), "only 2 customers"),
        (dict(frequency=[0] * 6, recency=[0] * 6), "no customer made a repeat purchase"),
    ],
)
def test_bgnbd_refuses_bad_inputs(change, message):
    with pytest.raises(ModelError, match=message) as error:
        fit_bgnbd(**{**GOOD, **change})
    assert isinstance(error.value, RetainError) and "\n" not in str(error.value)


def test_bgnbd_refuses_bad_weights_and_predictions_check_inputs(cdnow_fit):
    with pytest.raises(ModelError, match="weight"):
        fit_bgnbd(**GOOD, weights=[1, 1, -1, 1, 1, 1])
    with pytest.raises(ModelError, match="recency greater than their age"):
        p_alive(cdnow_fit, 2, 40, 38.86)
    with pytest.raises(ModelError, match="horizon"):
        expected_purchases(cdnow_fit, -1, 2, 30, 38.86)


def test_bgnbd_reports_a_doubtful_fit():
    rng = np.random.default_rng(2)
    # every buyer bought at the very end: no sign of dropout, b runs away
    frequency = rng.poisson(3, 200)
    ages = rng.uniform(20, 40, 200)
    fit = fit_bgnbd(frequency, np.where(frequency > 0, ages, 0.0), ages)
    assert not fit.converged and fit.note
    # five customers, four parameters
    small = fit_bgnbd([1, 0, 2, 0, 1], [3, 0, 5, 0, 1], [10, 10, 10, 10, 10])
    assert not small.converged and small.note


@pytest.mark.parametrize(
    ("frequency", "spend", "message"),
    [
        ([0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], "only 0 customers with a repeat purchase"),
        ([1, 2, 1, 3, 1, 1], [10, 20, 0, 5, 8, 9], "1 repeat buyer with a mean repeat spend"),
        ([1, 2, 1, 3, 1, 1], [10, 20, np.nan, 5, 8, 9], "not a positive number"),
        ([1, 2, 1], [10, 20], "one value per customer"),
    ],
)
def test_gamma_gamma_refuses_bad_inputs(frequency, spend, message):
    with pytest.raises(ModelError, match=message):
        fit_gamma_gamma(frequency, spend)


def test_gamma_gamma_ignores_customers_without_repeat_purchases(cdnow):
    repeat = cdnow[cdnow["x"] > 0]
    assert fit_gamma_gamma(cdnow["x"], cdnow["zbar"]) == fit_gamma_gamma(
        repeat["x"], repeat["zbar"]
    )
    with pytest.raises(ModelError, match="fewer than 3"):
        independence_check([0, 1, 2], [0, 10, 20])


# --- properties -----------------------------------------------------------------------------------

positive = st.floats(0.05, 20)
histories = st.tuples(st.integers(0, 500), st.floats(0, 1), st.floats(0.01, 5_000)).map(
    lambda h: (h[0], 0.0 if h[0] == 0 else h[1] * h[2], h[2])  # (x, t_x <= T, T)
)


@settings(max_examples=200, deadline=None)
@given(model=st.tuples(positive, positive, positive, positive), history=histories)
def test_p_alive_is_a_probability(model, history):
    x, recency, T = history
    alive = p_alive(BGNBDFit(*model, float("nan"), True, 0, {}), x, recency, T)
    assert 0 <= alive <= 1
    assert alive == 1 or x > 0


@settings(max_examples=100, deadline=None)
@given(
    model=st.tuples(positive, positive, positive, positive),
    history=histories,
    t=st.floats(0.01, 1_000),
)
def test_expected_purchases_are_finite_and_grow(model, history, t):
    fit = BGNBDFit(*model, float("nan"), True, 0, {})
    values = expected_purchases(fit, [t, 2 * t], *history)
    assert np.all(np.isfinite(values)) and np.all(values >= 0)
    assert values[1] >= values[0] * (1 - 1e-12)  # equal to rounding once the horizon saturates


@settings(max_examples=200, deadline=None)
@given(
    model=st.tuples(st.floats(0.1, 50), st.floats(1.01, 50), st.floats(0.01, 1_000)),
    x=st.integers(1, 1_000),
    spend=st.floats(0.01, 10_000),
)
def test_expected_spend_lies_between_the_population_and_customer_means(model, x, spend):
    fit = GammaGammaFit(*model, float("nan"), True, 0, {})
    value = expected_spend(fit, x, spend)
    low, high = sorted([fit.population_mean, spend])
    assert low * (1 - 1e-12) <= value <= high * (1 + 1e-12)


# --- the common-dropout limit (a, b -> infinity, a / (a + b) -> p) -------------------------------

R, ALPHA, P = 0.9, 7.6, 0.1
LIMIT = BGNBDFit(R, ALPHA, math.inf, math.inf, float("nan"), True, 0, {}, p=P)
HISTORIES = dict(  # (x, t_x, T) from new to heavy buyers, recent and silent
    frequency=np.array([0, 0, 1, 1, 2, 5, 18, 40]),
    recency=np.array([0.0, 0.0, 0.5, 9.0, 30.0, 12.0, 60.0, 400.0]),
    T=np.array([0.0, 39.0, 1.0, 10.0, 30.0, 60.0, 62.0, 500.0]),
)


def test_common_dropout_limit_is_the_full_model_at_large_a_and_b():
    """The limit formulas against the full model's at a = p K, b = (1 - p) K: the gap shrinks
    like 1 / K, to below 1e-4 at K = 1e7."""
    x, recency, T = HISTORIES.values()
    horizons = [1.0, 39.0, 1e4]
    gaps = []
    for K in [1e5, 1e7]:
        full = BGNBDFit(R, ALPHA, P * K, (1 - P) * K, float("nan"), True, 0, {})
        ll = bgnbd_log_likelihood(R, ALPHA, P * K, (1 - P) * K, x, recency, T)
        assert bgnbd_common_dropout_log_likelihood(R, ALPHA, P, x, recency, T) == pytest.approx(
            ll, abs=1e3 / K
        )
        pairs = [(p_alive(fit, x, recency, T), fit) for fit in (full, LIMIT)]
        pairs = [
            (np.concatenate([alive, *(expected_purchases(fit, t, x, recency, T) for t in horizons),
                             expected_purchases_new(fit, horizons)]), fit)
            for alive, fit in pairs
        ]  # fmt: skip
        (full_values, _), (limit_values, _) = pairs
        assert np.all(limit_values > 0)
        gaps.append(np.max(np.abs(full_values / limit_values - 1)))
    assert gaps[1] < 1e-4
    assert gaps[1] < gaps[0] / 50  # converging, like 1 / K


def by_the_story(x, recency, T, t):
    """Integrals over lambda ~ Gamma(R, ALPHA), dropout probability P, of: alive at T with x
    purchases ((1-P)^x lambda^x e^(-lambda T)); gone right after the x-th at t_x (P (1-P)^(x-1)
    lambda^x e^(-lambda t_x)); and alive times the purchases in the next t, given lambda and
    alive, (1 - exp(-lambda P t)) / P (a Poisson process of rate lambda, stopped after each
    purchase with probability P)."""

    def prior(lam):
        return np.exp(R * np.log(ALPHA) + (R - 1) * np.log(lam) - ALPHA * lam - gammaln(R))

    def alive(lam):
        return (1 - P) ** x * lam**x * np.exp(-lam * T) * prior(lam)

    def gone(lam):
        return P * (1 - P) ** (x - 1) * lam**x * np.exp(-lam * recency) * prior(lam) if x else 0.0

    def future(lam):
        return alive(lam) * -np.expm1(-lam * P * t) / P

    return [quad(f, 0, np.inf, epsabs=0, epsrel=1e-11, limit=200)[0] for f in (alive, gone, future)]


def test_common_dropout_formulas_by_quadrature_over_lambda():
    """The limit's likelihood, P(alive), E[Y(t)] and E[X(t)] against the story, integrated."""
    t = 39.0
    for x, recency, T in zip(*HISTORIES.values(), strict=True):
        alive, gone, future = by_the_story(x, recency, T, t)
        assert bgnbd_common_dropout_log_likelihood(R, ALPHA, P, x, recency, T) == pytest.approx(
            np.log(alive + gone), rel=1e-8
        )
        assert p_alive(LIMIT, x, recency, T) == pytest.approx(alive / (alive + gone), rel=1e-8)
        expected = future / (alive + gone)
        assert expected_purchases(LIMIT, t, x, recency, T) == pytest.approx(expected, rel=1e-8)
    # a new customer, x = t_x = T = 0: (1/p) (1 - (alpha / (alpha + p t))^r)
    assert expected_purchases_new(LIMIT, t) == pytest.approx(by_the_story(0, 0, 0, t)[2], rel=1e-8)


def test_common_dropout_limit_is_fitted_to_simulated_customers():
    """Customers who all drop out with the same p: the maximum is the limit, with r, alpha and p
    recovered. (Sampling noise puts the maximum of about half of such samples at a finite a + b,
    where the four-parameter fit stands or is doubtful; this seed's is at the limit.)"""
    rng = np.random.default_rng(5)
    sim = simulate_bgnbd(R, ALPHA, math.inf, math.inf, rng.uniform(10, 60, 2_000), rng, p=P)
    fit = fit_bgnbd(sim.frequency, sim.recency, sim.T)
    assert fit.converged and fit.common_dropout, fit.note
    assert (fit.a, fit.b, fit.n) == (math.inf, math.inf, 2_000)
    assert "a and b run to infinity" in fit.note and "p = 0." in fit.note
    assert set(fit.standard_errors) == {"r", "alpha", "p"}
    for name, value in dict(r=R, alpha=ALPHA, p=P).items():
        se = fit.standard_errors[name]
        assert 0 < se < 0.2 * value, (name, se)
        assert abs(getattr(fit, name) - value) < 3 * se, (name, getattr(fit, name), se)
    # the supremum along the ridge: above the full model at large a + b, with a / (a + b) = p
    for K in [1e2, 1e3, 1e4]:
        a, b = fit.p * K, (1 - fit.p) * K
        ll = bgnbd_log_likelihood(fit.r, fit.alpha, a, b, sim.frequency, sim.recency, sim.T)
        assert ll.sum() < fit.log_likelihood
    ll = bgnbd_common_dropout_log_likelihood(fit.r, fit.alpha, fit.p, *sim[:3])
    assert ll.sum() == pytest.approx(fit.log_likelihood, abs=1e-9)


def test_common_dropout_expectations_match_a_simulated_holdout():
    rng = np.random.default_rng(7)
    sim = simulate_bgnbd(
        R, ALPHA, math.inf, math.inf, rng.uniform(10, 60, 100_000), rng, holdout=39.0, p=P
    )
    expected = expected_purchases(LIMIT, 39.0, sim.frequency, sim.recency, sim.T)
    for group in [
        sim.frequency == 0,
        sim.frequency == 1,
        (sim.frequency >= 2) & (sim.frequency < 5),
        sim.frequency >= 5,
        np.ones(len(sim.T), dtype=bool),
    ]:
        actual, predicted = sim.holdout[group], expected[group]
        spread = np.sqrt(np.sum((actual - predicted) ** 2))  # sd of the sum of the differences
        assert abs(actual.sum() - predicted.sum()) < 4 * spread, group.sum()
    alive = p_alive(LIMIT, sim.frequency, sim.recency, sim.T)
    for low, high in [(0, 0.3), (0.3, 0.6), (0.6, 0.8), (0.8, 0.9)]:
        band = (alive >= low) & (alive < high)
        se = np.sqrt(np.sum(alive[band] * (1 - alive[band]))) / band.sum()
        assert abs(sim.alive[band].mean() - alive[band].mean()) < 4 * se + 1e-3, (low, high)
    # without a repeat purchase alive for sure; with one, at most 1 - p (just bought)
    assert np.all(sim.alive[alive == 1.0]) and np.array_equal(alive == 1.0, sim.frequency == 0)
    assert np.all(alive[sim.frequency > 0] <= 1 - P)
    new = simulate_bgnbd(R, ALPHA, math.inf, math.inf, np.full(100_000, 39.0), rng, p=P)
    mean, se = new.frequency.mean(), new.frequency.std() / np.sqrt(100_000)
    assert abs(mean - expected_purchases_new(LIMIT, 39.0)) < 4 * se


def test_common_dropout_fit_of_the_example_orders():
    """examples/orders.csv, monthly activity in weeks: every customer drops out with p = 0.108;
    the four-parameter starts ran along the ridge to a of 200 to 1200, b of 1700 to 9700."""
    from retain.pipeline import read_activity, rfm_of
    from retain.settings import settings_of

    settings = settings_of(period="day")
    activity = read_activity([str(ORDERS)], settings)
    rfm, _ = rfm_of(activity, replace(settings, period="month"), time_unit="week")
    rows = rfm.groupby(["frequency", "recency", "T"]).size().reset_index(name="count")
    x, recency, T, count = (rows[name] for name in ("frequency", "recency", "T", "count"))
    fit = fit_bgnbd(x, recency, T, weights=count)
    assert fit.converged and fit.common_dropout, fit.note
    assert fit.note == (
        "a and b run to infinity: the dropout probability is the same for every customer "
        "(p = 0.108)"
    )
    assert fit.n == 3320 and (fit.a, fit.b) == (math.inf, math.inf)
    assert (fit.r, fit.alpha, fit.p) == pytest.approx((0.9435, 7.603, 0.1085), rel=1e-3)
    assert fit.standard_errors == pytest.approx(dict(r=0.0405, alpha=0.390, p=0.00493), rel=0.02)
    assert fit.log_likelihood == pytest.approx(-24803.658, abs=1e-3)
    # above the four-parameter fit's best (-24803.80 at a = 644, b = 5288), and the ridge
    ridge = bgnbd_log_likelihood(fit.r, fit.alpha, 644.0, 5288.0, x, recency, T) @ count
    assert ridge < fit.log_likelihood - 0.1
    # from a single start the four-parameter fit stopped on the ridge, and passed as converged
    assert fit_bgnbd(x, recency, T, weights=count, starts=1).common_dropout
    # the predictions use the limit's closed forms
    assert p_alive(fit, 2, 10, 30) == pytest.approx(
        1 / (1 + fit.p / (1 - fit.p) * ((fit.alpha + 30) / (fit.alpha + 10)) ** (fit.r + 2))
    )


def test_common_dropout_fit_states_are_consistent():
    assert LIMIT.common_dropout and not TRUE.common_dropout and TRUE.p is None
    with pytest.raises(ValueError, match="a = b = math.inf"):
        BGNBDFit(0.9, 7.6, 1.0, 2.0, float("nan"), True, 0, {}, p=0.1)
    with pytest.raises(ValueError, match="give its probability p"):
        BGNBDFit(0.9, 7.6, math.inf, math.inf, float("nan"), True, 0, {})
    with pytest.raises(ValueError, match="0 < p < 1"):
        replace(LIMIT, p=1.0)
    with pytest.raises(ValueError, match="needs a = b = math.inf"):
        simulate_bgnbd(0.9, 7.6, 1.0, 2.0, np.ones(3), np.random.default_rng(0), p=0.1)


@settings(max_examples=200, deadline=None)
@given(
    model=st.tuples(positive, positive, st.floats(1e-4, 1 - 1e-4)),
    history=histories,
    t=st.floats(0.01, 1_000),
)
def test_common_dropout_predictions_are_probabilities_and_grow(model, history, t):
    r, alpha, p = model
    fit = BGNBDFit(r, alpha, math.inf, math.inf, float("nan"), True, 0, {}, p=p)
    alive = p_alive(fit, *history)
    assert 0 <= alive <= 1 and (alive == 1 or history[0] > 0)
    values = expected_purchases(fit, [t, 2 * t], *history)
    assert np.all(np.isfinite(values)) and np.all(values >= 0)
    assert values[1] >= values[0] * (1 - 1e-12)
    assert values[1] <= alive / p * (1 + 1e-12)  # at most 1 / p purchases while alive
