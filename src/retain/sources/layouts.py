"""Known export layouts: the header tells which system wrote a file, and the system's meaning
of its columns follows (METRICS.md, Input: Selection and net amounts).

A layout names the customer, date and amount columns (an amount may have a refunded-amount
column that is subtracted), the rows where no money moved (``filtered``), and for exports that
write one row per line item, how continuation rows are told from an order's first row
(``line_item_row``). Every flag the user gives overrides its part of the layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from retain.errors import ColumnError
from retain.headers import key


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    signature: tuple[str, ...]  # header names that must all be there (compared by key)
    customer: tuple[str, ...]  # first non-empty of these per row
    date: str
    amounts: tuple[tuple[str, str | None], ...]  # (amount, refunded) pairs: the first found
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> values, any case
    line_items: tuple[str, str] | None = None  # (order column, column only first rows fill)
    clock: str = "as written"
    notes: tuple[str, ...] = ()

    def matches(self, header: list[str]) -> bool:
        keys = {key(h) for h in header}
        return all(key(s) in keys for s in self.signature)

    def column(self, header: list[str], name: str | None) -> str | None:
        """The header's spelling of one of this layout's column names, if the file has it."""
        if name is None:
            return None
        found = [h for h in header if key(h) == key(name)]
        return found[0] if found else None


LAYOUTS: dict[str, Layout] = {}


def register(layout: Layout) -> Layout:
    LAYOUTS[layout.name] = layout
    return layout


def detect(name: str, header: list[str], choice: str = "auto") -> Layout | None:
    """The layout ``choice`` names (``auto``: the one whose signature the header has)."""
    if choice == "none":
        return None
    if choice == "auto":
        found = [layout for layout in LAYOUTS.values() if layout.matches(header)]
        return found[0] if found else None
    layout = LAYOUTS[choice]
    if not layout.matches(header):
        missing = [s for s in layout.signature if layout.column(header, s) is None]
        raise ColumnError(
            f"{name}: is not a {layout.title} (no column {missing[0]!r}); pass --layout auto "
            "or none"
        )
    return layout


register(Layout(
    name="stripe",
    title="Stripe payments export",
    signature=("id", "Amount", "Amount Refunded", "Currency", "Status", "Customer ID"),
    customer=("Customer Email", "Customer ID"),
    date="Created date (UTC)",
    amounts=(("Converted Amount", "Converted Amount Refunded"), ("Amount", "Amount Refunded")),
    exclude={
        # no money moved: declined, never captured, or a PaymentIntent that never paid
        "Status": ("failed", "canceled", "cancelled", "uncaptured", "pending", "blocked",
                   "requires_payment_method", "requires_action", "requires_confirmation",
                   "requires_capture", "processing", "incomplete", "expired"),
        "Captured": ("false",),
    },
    clock="UTC, as written",
    notes=("customer: Customer Email (lower-cased), else Customer ID",),
))  # fmt: skip
register(Layout(
    name="shopify",
    title="Shopify orders export",
    signature=("Name", "Email", "Financial Status", "Created at", "Total", "Lineitem quantity"),
    customer=("Email",),
    date="Created at",
    amounts=(("Total", "Refunded Amount"),),
    exclude={"Financial Status": ("voided", "pending", "authorized", "expired")},
    line_items=("Name", "Financial Status"),
    clock="store time, as written",
))  # fmt: skip
register(Layout(
    name="woocommerce",
    title="WooCommerce order export",
    signature=("order_id", "date", "status", "order_total", "billing_email"),
    customer=("billing_email", "customer_id"),
    date="date",
    amounts=(("order_total", "refunded_total"),),
    exclude={"status": ("pending", "pending payment", "on-hold", "on hold", "failed",
                        "cancelled", "checkout-draft", "wc-pending", "wc-on-hold", "wc-failed",
                        "wc-cancelled", "wc-checkout-draft")},
    clock="site time, as written",
))  # fmt: skip
register(Layout(
    name="taobao",
    title="Taobao/Tmall order report",
    signature=("订单编号", "买家会员名", "买家实际支付金额", "订单状态"),
    customer=("买家会员名",),
    date="订单付款时间",
    amounts=(("买家实际支付金额", "退款金额"),),
    exclude={"订单状态": ("交易关闭", "等待买家付款")},
    clock="China time, as written",
))  # fmt: skip
NAMES = ("auto", "none", *LAYOUTS)
