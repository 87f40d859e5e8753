"""Exports in the exact shape real systems write (tests/exports, made by its seeded make.py),
against matrices computed independently from the generator's logical orders."""

import json
import pathlib

import pytest

EXPORTS = pathlib.Path(__file__).parent / "exports"
EXPECTED = EXPORTS / "expected"
CASES = {
    # file: (as-of, extra arguments, the layout retain must recognise)
    "stripe_payments.csv": ("2024-09-30", [], "stripe"),
    "stripe_payments_multicurrency.csv": ("2024-09-30", ["--currency", "usd"], "stripe"),
    "shopify_orders.csv": ("2024-09-30", [], "shopify"),
    "woocommerce_orders.csv": ("2024-08-31", [], "woocommerce"),
    "taobao_orders.csv": ("2024-06-30", [], "taobao"),
    "excel_orders.csv": ("2024-03-31", [], None),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("metric", ["counts", "revenue"])
def test_export_matrices(run, name, metric):
    as_of, extra, _ = CASES[name]
    flags = ["--counts"] if metric == "counts" else ["--metric", "revenue"]
    result = run("cohort", EXPORTS / name, "--as-of", as_of, *extra, *flags, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    stem = name.removesuffix(".csv")
    assert result.stdout == (EXPECTED / f"{stem}.{metric}.csv").read_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_export_layout_in_json(run, name):
    as_of, extra, layout = CASES[name]
    result = run("cohort", EXPORTS / name, "--as-of", as_of, *extra, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["layout"] == layout


def test_stripe_row_accounting(run):
    result = run(
        "cohort", EXPORTS / "stripe_payments.csv", "--as-of", "2024-09-30", "--format", "json"
    )
    document = json.loads(result.stdout)
    assert document["rows"] == {"read": 142, "used": 112, "skipped": {"filtered": 30}}
    assert document["currency"] == "USD"
    assert result.stderr.splitlines()[0].startswith(
        f"retain: {EXPORTS / 'stripe_payments.csv'}: Stripe payments export: customer = "
        "Customer Email else Customer ID, date = Created date (UTC) (UTC, as written), "
        "amount = Converted Amount - Converted Amount Refunded; left out: "
    )


def test_stripe_multicurrency_is_refused_without_currency(run):
    result = run("cohort", EXPORTS / "stripe_payments_multicurrency.csv", "--as-of", "2024-09-30")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "retain: error: the amounts are in 2 currencies: USD (87 rows), EUR (33 rows); amounts "
        "in different currencies cannot be added: pass --currency CODE to keep one (the others "
        "are skipped and counted), or --amount with a column converted to one currency"
    )


def test_stripe_multicurrency_counts_other_currency(run):
    path = EXPORTS / "stripe_payments_multicurrency.csv"
    result = run("cohort", path, "--as-of", "2024-09-30", "--currency", "USD", "--format", "json")
    assert json.loads(result.stdout)["rows"]["skipped"] == {"filtered": 30, "other_currency": 33}


def test_stripe_original_amount_is_refused_converted_passes(run):
    path = EXPORTS / "stripe_payments.csv"
    original = run("cohort", path, "--as-of", "2024-09-30", "--amount", "Amount")
    converted = run("cohort", path, "--as-of", "2024-09-30", "--amount", "Converted Amount")
    assert original.exit_code == 1
    assert "currencies" in original.stderr.splitlines()[-1]
    assert converted.exit_code == 0, converted.stderr


def test_shopify_line_items_are_not_bad_rows(run):
    path = EXPORTS / "shopify_orders.csv"
    result = run("cohort", path, "--as-of", "2024-09-30", "--format", "json")
    assert json.loads(result.stdout)["rows"] == {
        "read": 99, "used": 46, "skipped": {"filtered": 15, "line_item_row": 38},
    }  # fmt: skip


def test_excel_rows(run):
    path = EXPORTS / "excel_orders.csv"
    result = run("cohort", path, "--as-of", "2024-03-31", "--format", "json")
    assert json.loads(result.stdout)["rows"] == {
        "read": 60, "used": 59, "skipped": {"summary_row": 1},
    }  # fmt: skip


def test_taobao_is_read_as_gb18030_without_flags(run):
    path = EXPORTS / "taobao_orders.csv"
    result = run("cohort", path, "--as-of", "2024-06-30", "--format", "json")
    document = json.loads(result.stdout)
    assert document["files"][0]["read_as"]["encoding"] == "gb18030"
    assert document["rows"]["skipped"] == {"filtered": 12}


def test_layout_none_uses_plain_detection(run):
    path = EXPORTS / "shopify_orders.csv"
    result = run("cohort", path, "--as-of", "2024-09-30", "--layout", "none", "--on-bad-rows", "skip",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["layout"] is None


def test_named_layout_that_does_not_fit_is_an_error(run):
    result = run("cohort", EXPORTS / "excel_orders.csv", "--layout", "stripe")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].endswith(
        "is not a Stripe payments export (no column 'id'); pass --layout auto or none"
    )
