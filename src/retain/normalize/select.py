"""Which rows are transactions (METRICS.md, Input: Selection and net amounts).

``--where`` conditions, the rows an export layout leaves out, line-item continuation rows,
and the currency of each row. Rows left out here are not transactions: they are counted by
reason (``filtered``, ``line_item_row``, ``other_currency``), never as bad rows.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retain.errors import RetainError, counted
from retain.headers import key
from retain.normalize.columns import find_column
from retain.normalize.text import as_text

_CONDITION = re.compile(r"^(?P<column>.+?)\s*(?P<op>!=|=|~)(?P<value>.*)$", re.S)


@dataclass(frozen=True)
class Condition:
    """``COL=VALUE`` (any of the values given for COL), ``COL!=VALUE`` (none of them) or
    ``COL~REGEX`` (a match anywhere in the value). Values are compared as trimmed text."""

    column: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Condition:
        match = _CONDITION.match(text)
        if not match or not match["column"].strip():
            raise ValueError(f"{text!r} is not COL=VALUE, COL!=VALUE or COL~REGEX")
        op, value = match["op"], match["value"].strip()
        if op == "~":
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(
                    f"{text!r}: the pattern is not a regular expression: {exc}"
                ) from None
        return cls(match["column"].strip(), op, value)

    def __str__(self) -> str:
        return f"{self.column}{self.op}{self.value}"


def resolve(
    name: str, header: list[str], conditions: list[Condition], flag: str = "where"
) -> list[Condition]:
    """The conditions with their columns as the header spells them."""
    return [Condition(find_column(name, header, c.column, flag), c.op, c.value) for c in conditions]


def keep_mask(frame: pd.DataFrame, conditions: list[Condition]) -> np.ndarray:
    """Rows that meet every condition: ``=`` values of one column are alternatives, ``!=``
    values are all excluded, different columns (and each ``~``) combine with AND."""
    keep = np.ones(len(frame), dtype=bool)
    by_column: dict[tuple[str, str], list[str]] = {}
    for c in conditions:
        if c.op == "~":
            text = as_text(frame[c.column]).str.strip()
            keep &= text.str.contains(c.value, regex=True).fillna(False).to_numpy(bool)
        else:
            by_column.setdefault((c.column, c.op), []).append(c.value)
    for (column, op), values in by_column.items():
        inside = as_text(frame[column]).str.strip().isin(values).to_numpy(bool)
        keep &= inside if op == "=" else ~inside
    return keep


# --- status columns that no condition uses: a warning, not an error -------------------------

STATUS_NAMES = {
    "status", "state", "financialstatus", "orderstatus", "paymentstatus", "transactionstatus",
    "状态", "订单状态", "交易状态", "支付状态", "付款状态",
}  # fmt: skip
_NO_MONEY = re.compile(
    r"fail|cancel|void|declin|pending|reject|expire|unpaid|uncaptured|abandon|"
    r"取消|关闭|失败|未付款|等待买家付款",
    re.I,
)
_REFUNDED = re.compile(r"refund|退款", re.I)
_COMPLETED = re.compile(
    r"^(paid|complete|completed|succeeded|success|successful|settled|captured|fulfilled|"
    r"delivered|shipped|交易成功|已完成|已付款|已支付|已发货)$",
    re.I,
)


def status_columns(header: list[str], used: set[str]) -> list[str]:
    """Status-like columns of the header that no condition or rule uses."""
    return [h for h in header if h not in used and key(h) in STATUS_NAMES]


def status_warning(column: str, counts: Counter) -> str | None:
    """One line naming a status column whose values say some rows moved no money, with the
    ``--where`` that keeps completed orders; refunded orders are orders (their amount is netted
    with a refunded-amount column), so they are named apart."""
    doubtful = sorted(v for v in counts if v and _NO_MONEY.search(v))
    refunded = sorted(v for v in counts if v and _REFUNDED.search(v) and v not in doubtful)
    if not (doubtful or refunded):
        return None
    shown = ", ".join(f"{v} ({counts[v]:,})" for v in sorted(counts, key=lambda v: (-counts[v], v)))
    message = f"column {column!r} holds {shown}: rows of every status count as orders"
    if doubtful:
        completed = sorted(v for v in counts if _COMPLETED.match(v.strip()))
        keep = [f"--where '{column}={v}'" for v in completed + refunded] if completed else [
            f"--where '{column}!={v}'" for v in doubtful
        ]  # fmt: skip
        message += f"; to keep completed orders pass {' '.join(keep)}"
    if refunded:
        message += (
            f"; {', '.join(refunded)} orders still count as activity: net their amounts with "
            "--refunded COLUMN"
        )
    return message


# --- currencies ----------------------------------------------------------------------------

CURRENCY_NAMES = {"currency", "currencycode", "币种", "货币", "币别", "结算币种", "交易币种"}
_AMOUNT_WORDS = re.compile(r"amount|total|price|value|revenue|金额|价格")
_CURRENCY_WORDS = re.compile(r"currencycode|currency|币种|货币|币别")
# symbols that stand for one currency; ``$`` and ``¥`` are kept as written (several currencies
# use them), and --currency USD (or any dollar) keeps ``$``, CNY or JPY keeps ``¥``
SYMBOLS = {"€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₫": "VND",
           "₱": "PHP", "฿": "THB", "￥": "¥", "＄": "$", "US$": "USD", "C$": "CAD", "CA$": "CAD",
           "A$": "AUD", "AU$": "AUD", "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "R$": "BRL",
           "RMB": "CNY", "元": "CNY", "円": "JPY"}  # fmt: skip
ALIASES = {"$": ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"), "¥": ("CNY", "JPY", "RMB")}


def is_currency_column(name: str) -> bool:
    return bool(_CURRENCY_WORDS.fullmatch(key(name)) or key(name).endswith("currency"))


def currency_column(header: list[str], amount: str | None) -> str | None:
    """The currency column that describes ``amount``: the one sharing its prefix (``Converted
    Amount`` with ``Converted Currency``, ``Amount`` with ``Currency``), else the only one."""
    candidates = [h for h in header if is_currency_column(h)]
    if amount is None or not candidates:
        return None
    prefix = _AMOUNT_WORDS.sub("", key(amount))
    paired = [h for h in candidates if _CURRENCY_WORDS.sub("", key(h)) == prefix]
    if len(paired) == 1:
        return paired[0]
    return candidates[0] if len(candidates) == 1 else None


def currency_label(mark: str) -> str:
    """A currency mark or code as one label: ``€`` -> ``EUR``, ``eur`` -> ``EUR``."""
    mark = mark.strip()
    return SYMBOLS.get(mark, SYMBOLS.get(mark.upper(), mark.upper()))


def labels(values: pd.Series) -> pd.Series:
    """Currency labels of a column of marks or codes ('' where none)."""
    text = values.fillna("").astype(str).str.strip()
    distinct = {v: currency_label(v) if v else "" for v in text.unique()}
    return text.map(distinct)


def keeps(label: str, wanted: str) -> bool:
    """Whether a row of currency ``label`` is of the currency --currency asks for."""
    wanted = currency_label(wanted)
    return label == wanted or wanted in ALIASES.get(label, ())


class CurrencyError(RetainError):
    """The rows in use are in several currencies: summing them would be wrong."""


def check_currencies(tally: Counter, chosen: str | None) -> str | None:
    """The one currency of the money figures (None when no row says), or ``CurrencyError``."""
    found = {c: n for c, n in tally.items() if c}
    if len(found) > 1:
        listing = ", ".join(
            f"{c} ({counted(n, 'row')})" for c, n in sorted(found.items(), key=_by_count)
        )
        raise CurrencyError(
            f"the amounts are in {len(found)} currencies: {listing}; amounts in different "
            "currencies cannot be added: pass --currency CODE to keep one (the others are "
            "skipped and counted), or --amount with a column converted to one currency"
        )
    if chosen:
        return currency_label(chosen)
    return next(iter(found)) if found else None


def _by_count(item):
    return -item[1], item[0]


def require_column(name: str, header: list[str], column: str | None, flag: str) -> str | None:
    """A column named by a flag, as the header spells it (``ColumnError`` when missing)."""
    return None if column is None else find_column(name, header, column, flag)
