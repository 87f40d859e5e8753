"""Values as real exports write them: amounts, dates, column names."""

import numpy as np
import pandas as pd
import pytest

from retain.errors import ColumnError
from retain.normalize import (
    AMOUNT_SCALE,
    Columns,
    detect_columns,
    parse_amounts,
)


@pytest.mark.parametrize(
    "text, decimal, value",
    [
        ("12", ".", 12.0),
        ("-3.5", ".", -3.5),
        ("1,234.56", ".", 1234.56),
        ("1,234,567.89", ".", 1234567.89),
        ("1 234.56", ".", 1234.56),
        ("$12", ".", 12.0),
        ("-$3.50", ".", -3.5),
        ("$-3.50", ".", -3.5),
        ("12 EUR", ".", 12.0),
        ("USD 1,000", ".", 1000.0),
        ("¥12", ".", 12.0),
        ("£0.99", ".", 0.99),
        ("12.5 €", ".", 12.5),
        ("(12.00)", ".", -12.0),
        ("($1,200.00)", ".", -1200.0),
        ("1.234,56", ",", 1234.56),
        ("1 234,56", ",", 1234.56),
        ("5,5", ",", 5.5),
        ("-7", ",", -7.0),
        ("12,34 EUR", ",", 12.34),
        ("0", ".", 0.0),
    ],
)
def test_amounts(text, decimal, value):
    scaled, bad, _ = parse_amounts(pd.Series([text], dtype="str"), decimal)
    assert not bad[0]
    assert scaled[0] == round(value * AMOUNT_SCALE)


@pytest.mark.parametrize(
    "text, decimal",
    [("", "."), ("abc", "."), ("NaN", "."), ("inf", "."), ("-inf", "."), ("1e300", "."),
     ("1,2", "."), ("12,34", "."), ("1.2.3", "."), ("$", "."), ("(12", "."), ("--5", "."),
     ("1.234,56", "."), ("1,234.56", ",")],
)  # fmt: skip
def test_bad_amounts_are_never_zero(text, decimal):
    scaled, bad, _ = parse_amounts(pd.Series([text], dtype="str"), decimal)
    assert bad[0]


def test_numeric_amounts_pass_through_and_round_to_the_scale():
    scaled, bad, _ = parse_amounts(pd.Series([1.5, np.nan, 0.00004, -2.0]))
    assert bad.tolist() == [False, True, False, False]
    assert scaled.tolist() == [15000, 0, 0, -20000]


@pytest.mark.parametrize(
    "header, customer, date, amount",
    [
        (["Customer ID", "Order Date", "Total"], "Customer ID", "Order Date", "Total"),
        (["email", "customer_id", "created_at", "price"], "customer_id", "created_at", "price"),
        (["user_id", "timestamp"], "user_id", "timestamp", None),
        # a unit price is not what an order came to: no amount, revenue metrics ask for --amount
        (["CustomerID", "InvoiceDate", "UnitPrice"], "CustomerID", "InvoiceDate", None),
    ],
)
def test_column_detection(header, customer, date, amount):
    assert detect_columns("f", header) == Columns(customer, date, amount)


def test_column_flags_are_case_insensitive_when_unambiguous():
    assert (
        detect_columns("f", ["Kunde", "Datum"], customer="kunde", date="DATUM").customer == "Kunde"
    )
    with pytest.raises(ColumnError, match="no column 'x' for --amount"):
        detect_columns("f", ["customer", "date"], amount="x")
