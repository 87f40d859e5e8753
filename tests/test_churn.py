"""retain rfm, at-risk and model: the RFM summary by hand and against pandas, the at-risk
ranking against the published formulas, the holdout validation, and a transaction log simulated
from the BG/NBD story with known parameters."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from retain.cli import cli

pytest.importorskip("scipy")
from scipy.special import hyp2f1  # noqa: E402

from retain import churn, models  # noqa: E402

ORDERS = """\
customer,date,amount
a,2024-01-01,10
a,2024-01-01,5
a,2024-01-15,20
a,2024-01-15,-5
a,2024-01-20,-20
a,2024-02-12,30
a,2024-03-10,40
b,2024-01-08,100
b,2024-02-29,50
c,2024-03-05,70
d,2024-02-01,-10
"""


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def orders(write):
    return write("orders.csv", ORDERS)


def test_rfm_by_hand_with_an_observation_end(orders):
    # a: purchase days 01-01 (10 + 5), 01-15 (20 - 5 that day), 02-12 (30); 01-20 is a refund
    # only (no purchase); 03-10 is after the observation end: the holdout. recency 42 days,
    # T 59 days (01-01 to 02-29); repeat days' mean (15 + 30) / 2, every day's (15 + 15 + 30) / 3.
    # b: 01-08 (100) and 02-29 (50, on the observation end: in). c first bought after it: out.
    # d has only a refund: out.
    result = invoke("rfm", orders, "--observation-end", "2024-02-29", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "customer,frequency,recency,T,monetary_value,average_value,cohort,first_purchase,last_purchase,holdout_purchases",
        "a,2,6.00,8.43,22.50,20.00,2024-01,2024-01-01,2024-02-12,1",
        "b,1,7.43,7.43,50.00,75.00,2024-01,2024-01-08,2024-02-29,0",
    ]


@pytest.mark.parametrize("unit, a, b", [("day", "42.00,59.00", "52.00,52.00"),
                                        ("month", "1.38,1.94", "1.71,1.71")])  # fmt: skip
def test_rfm_time_units(orders, unit, a, b):
    result = invoke("rfm", orders, "--observation-end", "2024-02-29", "--time-unit", unit,
                    "--format", "csv")  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[1].startswith(f"a,2,{a},") and lines[2].startswith(f"b,1,{b},")


def test_rfm_to_the_as_of_date(orders):
    # to 2024-03-10: a's 03-10 purchase is a repeat (69 days); c (03-05) is in, with T 5 days
    result = invoke("rfm", orders, "--format", "csv")
    assert result.stdout.splitlines() == [
        "customer,frequency,recency,T,monetary_value,average_value,cohort,first_purchase,last_purchase",
        "a,3,9.86,9.86,28.33,25.00,2024-01,2024-01-01,2024-03-10",
        "b,1,7.43,8.86,50.00,75.00,2024-01,2024-01-08,2024-02-29",
        "c,0,0.00,0.71,,70.00,2024-03,2024-03-05,2024-03-05",
    ]
    events = invoke("rfm", orders, "--amount", "none", "--format", "csv")
    assert (
        events.stdout.splitlines()[0]
        == "customer,frequency,recency,T,cohort,first_purchase,last_purchase"
    )


def _pandas_rfm(frame: pd.DataFrame, end: pd.Timestamp, unit_days: float) -> pd.DataFrame:
    """The summary as lifetimes' freq="D" computes it, written afresh in pandas."""
    frame = frame.assign(day=pd.to_datetime(frame["date"]).dt.normalize())
    days = frame.groupby(["customer", "day"]).agg(
        amount=("amount", "sum"), bought=("amount", lambda s: (s >= 0).any())
    )
    days = days[days["bought"]].reset_index()
    days = days[days["day"] <= end]
    out = []
    for customer, group in days.groupby("customer"):
        group = group.sort_values("day")
        first, last = group["day"].iloc[0], group["day"].iloc[-1]
        out.append({"customer": customer, "frequency": len(group) - 1,
                    "recency": round((last - first).days / unit_days, 2),
                    "T": round((end - first).days / unit_days, 2),
                    "monetary_value": group["amount"].iloc[1:].mean() if len(group) > 1 else None})  # fmt: skip
    return pd.DataFrame(out)


def test_rfm_matches_pandas_on_random_orders_at_any_batch_size(tmp_path):
    rng = np.random.default_rng(5)
    n = 600
    frame = pd.DataFrame({
        "customer": [f"u{i:03d}" for i in rng.integers(0, 90, n)],
        "date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200 * 24, n), "h")).astype(str),
        "amount": np.round(rng.choice([1, 1, 1, 1, -0.3], n) * rng.integers(100, 9000, n) / 100, 2),
    })  # fmt: skip
    path = tmp_path / "random.csv"
    frame.to_csv(path, index=False)
    outputs = [invoke("rfm", path, "--observation-end", "2024-05-31", "--format", "csv",
                      "--chunksize", size).stdout for size in (1, 7, 1000)]  # fmt: skip
    assert outputs[0] == outputs[1] == outputs[2]
    ours = pd.read_csv(pd.io.common.StringIO(outputs[0]))
    theirs = _pandas_rfm(frame, pd.Timestamp("2024-05-31"), 7.0)
    # money to the cent (half up from the exact sum, where a float's round may go down)
    pd.testing.assert_frame_equal(ours[list(theirs.columns)], theirs, check_dtype=False,
                                  check_exact=False, atol=0.005 + 1e-9, rtol=0)  # fmt: skip


# -- the at-risk list against the published formulas ------------------------------------------


def _fits():
    fit = models.BGNBDFit(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-1.0,
                          converged=True, n=4, standard_errors={})  # fmt: skip
    spend = models.GammaGammaFit(p=6.25, q=3.74, v=15.44, log_likelihood=-1.0, converged=True,
                                 n=3, standard_errors={})  # fmt: skip
    return churn.ChurnModel(fit, spend, models.Independence(0.1, 3), "week", dt.date(2024, 1, 1))


def _by_formula(x, tx, T, t, spend_mean):
    """Fader, Hardie and Lee (2005) eq. 10 and the P(alive) note; Gamma-Gamma eq. 5."""
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    ratio = (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) if x > 0 else 0.0
    alive = 1 / (1 + ratio)
    z = t / (alpha + T + t)
    expected = (
        ((a + b + x - 1) / (a - 1))
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
        / (1 + ratio)
    )
    p, q, v = 6.25, 3.74, 15.44
    spend = p * (v + x * spend_mean) / (p * x + q - 1)
    return alive, expected, (1 - alive) * expected / alive * spend


def test_at_risk_ranks_by_value_at_risk_from_the_formulas():
    rfm = pd.DataFrame({
        "customer": ["w", "x", "y", "z"], "cohort": ["2024-01"] * 4,
        "last_purchase": ["2024-01-02"] * 4, "purchase_days": [1, 3, 5, 2],
        "frequency": [0, 2, 4, 1], "recency": [0.0, 30.43, 10.0, 5.0],
        "T": [20.0, 38.86, 38.0, 6.0], "monetary_value": [np.nan, 20.0, 60.0, 10.0],
    })  # fmt: skip
    table = churn.at_risk(rfm, _fits(), 39)
    expected = {c: _by_formula(x, tx, T, 39, m if x else 0) for c, x, tx, T, m in zip(
        rfm["customer"], rfm["frequency"], rfm["recency"], rfm["T"], rfm["monetary_value"],
        strict=True)}  # fmt: skip
    assert list(table["customer"]) == sorted(expected, key=lambda c: -expected[c][2])
    for row in table.to_dict("records"):
        alive, purchases, value = expected[row["customer"]]
        assert row["p_alive"] == pytest.approx(alive, rel=1e-9)
        assert row["expected_purchases"] == pytest.approx(purchases, rel=1e-7)
        assert row["value_at_risk"] == pytest.approx(value, rel=1e-7)
    # the published example: E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226
    assert table.set_index("customer").loc["x", "expected_purchases"] == pytest.approx(
        1.226, abs=5e-4
    )
    never = table.set_index("customer").loc["w"]
    assert never["p_alive"] == 1 and never["value_at_risk"] == 0  # no repeat: alive in BG/NBD
    repeat = churn.at_risk(rfm, _fits(), 39, min_orders=3)  # x and y: 3 and 5 purchase days
    assert list(repeat["customer"]) == [c for c in table["customer"] if c in ("x", "y")]
    assert list(churn.at_risk(rfm, _fits(), 39, top=2)["customer"]) == list(table["customer"][:2])


# -- the commands on a log simulated from the model ----------------------------------------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """Transactions of 3,000 customers drawn from the BG/NBD story (per day: r = 0.9, alpha =
    45, so one purchase in 50 days on average; drop-out after each repeat purchase with
    p ~ Beta(1, 3); the first purchase is at time 0 and no drop-out follows it, as eq. 6's x = 0
    term says), first purchases in January to March 2024, observed to 2024-12-31; one id has
    a formula."""
    rng = np.random.default_rng(11)
    rows = []
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    horizon = (end - start).days + 1
    for i in range(3000):
        rate, p = rng.gamma(0.9, 1 / 45), rng.beta(1.0, 3.0)
        t = float(rng.integers(0, 91)) + rng.random()
        name = f"=cmd{i}" if i == 0 else f"c{i:04d}"
        first = True
        while t < horizon:
            rows.append((name, (start + dt.timedelta(days=int(t))).isoformat(),
                         round(float(rng.gamma(6.0, 5.0)), 2)))  # fmt: skip
            if not first and rng.random() < p:
                break
            first = False
            t += rng.exponential(1 / rate)
    path = tmp_path_factory.mktemp("sim") / "simulated.csv"
    pd.DataFrame(rows, columns=["customer", "date", "amount"]).to_csv(path, index=False)
    return path


def test_model_recovers_the_parameters_and_the_holdout(simulated, tmp_path):
    result = invoke("model", simulated, "--time-unit", "day", "--holdout", "2024-09-01",
                    "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    model = document["model"]
    assert model["name"] == "bgnbd" and model["converged"] is True
    # purchases fall on whole days, so the fit sees a slightly coarser story than it was drawn
    # from: the rate r / alpha and the mean drop-out a / (a + b) within 10%
    assert model["r"] / model["alpha"] == pytest.approx(0.9 / 45, rel=0.1)
    assert model["a"] / (model["a"] + model["b"]) == pytest.approx(0.25, rel=0.1)
    groups = {g["repeat_purchases"]: g for g in document["holdout"]["groups"]}
    assert document["holdout"]["length"] == 122  # 2024-09-01 to 2024-12-31
    total = groups["all"]
    assert total["customers"] == 3000
    assert total["predicted"] == pytest.approx(total["actual"], rel=0.08)
    assert sum(g["actual"] for k, g in groups.items() if k != "all") == total["actual"]
    picture = tmp_path / "holdout.png"
    assert invoke("model", simulated, "--time-unit", "day", "--holdout", "2024-09-01", "--plot",
                  picture).exit_code == 0  # fmt: skip
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_at_risk_json_carries_the_model_and_csv_is_injection_safe(simulated):
    result = invoke("at-risk", simulated, "--format", "json", "--top", "5")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document["model"]) >= {"name", "r", "alpha", "a", "b", "log_likelihood", "converged"}
    assert document["spend_model"]["name"] == "gamma-gamma"
    assert abs(document["spend_model"]["independence"]["correlation"]) < 0.1  # drawn apart
    values = [c["value_at_risk"] for c in document["customers"]]
    assert len(values) == 5 and values == sorted(values, reverse=True)
    csv = invoke("at-risk", simulated, "--format", "csv").stdout.splitlines()
    assert csv[0] == ("customer,cohort,last_purchase,purchase_days,p_alive,expected_purchases,"
                      "purchases_if_active,expected_spend,value_at_risk,frequency,recency,T,"
                      "monetary_value")  # fmt: skip
    # the value at risk from the columns shown: (1 - P(alive)) x purchases if active x spend
    for row in document["customers"]:
        rebuilt = (1 - row["p_alive"]) * row["purchases_if_active"] * row["expected_spend"]
        assert row["value_at_risk"] == pytest.approx(rebuilt, rel=2e-2, abs=0.05)
    assert any(line.startswith("'=cmd0,") for line in csv)
    assert len(csv) == 3001


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["model", "--holdout", "2024-02-01", "--observation-end", "2024-01-31"],
            "--holdout sets the observation end",
        ),
        (["model", "--plot", "x.png"], "--plot draws the holdout: it goes with --holdout"),
        (
            ["at-risk", "--segment", "customer"],
            "--segment does not apply: the model reads purchases only",
        ),
        (["rfm", "--time-unit", "year"], "Invalid value for '--time-unit'"),
    ],
)
def test_usage_errors(orders, args, message):
    result = invoke(args[0], orders, *args[1:])
    assert result.exit_code == 2 and message in result.stderr


def test_data_errors_name_what_to_do(orders):
    late = invoke("rfm", orders, "--observation-end", "2025-01-01")
    assert late.exit_code == 1
    assert (
        late.stderr
        == "retain: error: the observation end 2025-01-01 is after the as-of date 2024-03-10: the data cannot reach it\n"
    )
    few = invoke("at-risk", orders)
    assert few.exit_code == 1
    assert few.stderr.startswith("retain: error: only 3 customers: the BG/NBD model needs at least")


def test_model_needs_scipy(orders, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "retain.models", None)
    result = invoke("at-risk", orders)
    assert result.exit_code == 1
    assert (
        result.stderr
        == "retain: error: the churn model needs scipy: pip install 'retain[model]' (from a clone: pip install -e '.[model]')\n"
    )


@pytest.mark.parametrize("command, function", [("rfm", "rfm"), ("at-risk", "at_risk"),
                                               ("model", "churn_model")])  # fmt: skip
def test_every_option_is_an_api_keyword(command, function):
    import inspect

    import retain
    from retain.settings import DATE_OPTIONS, OPTIONS

    keywords = set(inspect.signature(getattr(retain, function)).parameters)
    cli_only = {"files", "fmt", "output", "debug", "table_style", "color", "config", "plot_path"}
    missing = {p.name for p in cli.commands[command].params} - cli_only - keywords
    assert not missing - OPTIONS - set(DATE_OPTIONS)


def test_api_gives_the_commands_numbers(simulated):
    import retain

    frame = pd.read_csv(simulated, dtype=str)
    table = retain.at_risk(frame, top=3)
    command = json.loads(invoke("at-risk", simulated, "--top", "3", "--format", "json").stdout)
    assert list(table["customer"]) == [c["customer"] for c in command["customers"]]
    assert table.attrs["model"]["r"] == command["model"]["r"]
    fitted = retain.churn_model(frame, time_unit="day", holdout="2024-09-01")
    assert fitted.holdout.iloc[-1]["actual"] == json.loads(invoke(
        "model", simulated, "--time-unit", "day", "--holdout", "2024-09-01", "--format", "json"
    ).stdout)["holdout"]["groups"][-1]["actual"]  # fmt: skip
    summary = retain.rfm(frame, observation_end="2024-06-30")
    assert list(summary.columns[:5]) == ["customer", "frequency", "recency", "T", "monetary_value"]


def test_one_dropout_probability_for_all_is_shown_as_p():
    # examples/orders.csv is drawn with one drop-out chance for everyone: the fit runs to the
    # limit a, b -> infinity (tests/test_models.py), which the outputs show as p
    document = json.loads(invoke("model", "examples/orders.csv", "--format", "json").stdout)
    model = document["model"]
    assert model["converged"] is True and model["a"] is None and model["b"] is None
    assert model["p"] == pytest.approx(0.1085, abs=1e-3)
    assert set(model["standard_errors"]) == {"r", "alpha", "p"}
    text = invoke("model", "examples/orders.csv").stdout.splitlines()
    assert text[3].split()[:2] == ["p", "0.1085"]
    assert "the dropout probability is the same for every customer" in text[4]


@pytest.mark.parametrize("command", ["rfm", "at-risk"])
def test_parquet_and_xlsx_of_the_model_tables(simulated, tmp_path, command):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "t.parquet"
    assert invoke(command, simulated, "-o", out).exit_code == 0
    table = pq.read_table(out)
    types = dict(zip(table.column_names, map(str, table.schema.types), strict=True))
    assert types["frequency"] == "int64" and types["recency"] == "double"
    assert types["T"] == "double" and types["customer"] == "string"
    csv = pd.read_csv(pd.io.common.StringIO(invoke(command, simulated, "--format", "csv").stdout),
                      dtype={"customer": str}, keep_default_na=False, na_values=[""])  # fmt: skip
    frame = table.to_pandas()
    assert len(frame) == len(csv) == 3000
    assert (frame["recency"].round(2) == csv["recency"]).all()
    assert invoke(command, simulated, "-o", tmp_path / "t.xlsx").exit_code == 0


def test_rfm_holdout_column_only_when_the_observation_end_is_before_the_as_of(orders):
    same = invoke("rfm", orders, "--observation-end", "2024-03-10", "--format", "csv")
    assert "holdout_purchases" not in same.stdout.splitlines()[0]
