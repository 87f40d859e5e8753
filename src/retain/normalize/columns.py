"""Which header columns hold the customer id, the date and the amount."""

from __future__ import annotations

from dataclasses import dataclass

from retain.errors import ColumnError
from retain.headers import key

# Header names we recognise, most specific first, compared without case, spaces or punctuation.
CUSTOMER_NAMES = [
    "customer_id",
    "customerid",
    "customer_number",
    "customer_no",
    "customer",
    "client_id",
    "client",
    "user_id",
    "account_id",
    "member_id",
    "buyer_id",
    "contact_id",
    "user",
    "account",
    "customer_email",
    "email",
    "用户ID",
    "客户ID",
    "会员ID",
    "买家ID",
    "客户编号",
    "会员编号",
    "用户编号",
    "买家会员名",
    "会员名",
    "客户",
    "买家",
    "用户",
]
DATE_NAMES = [
    "order_date",
    "transaction_date",
    "invoice_date",
    "purchase_date",
    "payment_date",
    "sale_date",
    "order_time",
    "transaction_time",
    "created_at",
    "created_date",
    "created",
    "date",
    "datetime",
    "timestamp",
    "time",
    "event_time",
    "paid_at",
    "下单时间",
    "订单时间",
    "付款时间",
    "支付时间",
    "交易时间",
    "创建时间",
    "订单创建时间",
    "订单付款时间",
    "下单日期",
    "订单日期",
    "日期",
    "时间",
]
AMOUNT_NAMES = [
    "amount",
    "revenue",
    "total",
    "order_total",
    "total_amount",
    "net_amount",
    "gross_amount",
    "sales",
    "value",
    "dollar_value",
    "total_price",
    "price",
    "实付金额",
    "支付金额",
    "订单金额",
    "实收金额",
    "买家实际支付金额",
    "付款金额",
    "交易金额",
    "金额",
    "销售额",
    "总金额",
]


@dataclass(frozen=True)
class Columns:
    """The header names that hold the customer id, the date and (optionally) the amount."""

    customer: str
    date: str
    amount: str | None


def _listing(header: list[str]) -> str:
    return ", ".join(repr(h) for h in header)


def find_column(name: str, header: list[str], given: str, flag: str) -> str:
    """The header's spelling of a column a flag names (exact, else the one equal but for case)."""
    if given in header:
        return given
    folded = [h for h in header if h.lower() == given.lower()]
    if len(folded) == 1:
        return folded[0]
    raise ColumnError(
        f"{name}: no column {given!r} for --{flag}; its columns are {_listing(header)}"
    )


def _find(name: str, header: list[str], given: str | None, field_: str, names: list[str]):
    if given is not None:
        return find_column(name, header, given, field_)
    for candidate in names:
        matches = [h for h in header if key(h) == key(candidate)]
        if len(matches) == 1:
            return matches[0]
        if len(set(matches)) == 1:
            raise ColumnError(f"{name}: the header names {matches[0]!r} twice; rename one of them")
        if len(matches) > 1:
            raise ColumnError(
                f"{name}: columns {_listing(matches)} could each be the {field_}; "
                f"pass --{field_} COLUMN to choose"
            )
    return None


def detect_columns(
    name: str,
    header: list[str],
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
) -> Columns:
    """Choose the customer, date and amount columns of ``header`` (flags first, then names)."""
    if not header or header == [""]:
        raise ColumnError(f"{name}: the file has no header row")
    found = {}
    for field_, given, names in (
        ("customer", customer, CUSTOMER_NAMES),
        ("date", date, DATE_NAMES),
        ("amount", amount, AMOUNT_NAMES),
    ):
        column = _find(name, header, given, field_, names)
        if column is None and field_ != "amount":
            raise ColumnError(
                f"{name}: cannot tell which column holds the {field_}; its columns are "
                f"{_listing(header)}; pass --{field_} COLUMN"
            )
        found[field_] = column
    chosen = [c for c in found.values() if c is not None]
    if len(set(chosen)) < len(chosen):
        raise ColumnError(
            f"{name}: the same column serves two roles ({found}); pass --customer, --date and "
            "--amount to tell them apart"
        )
    return Columns(**found)
