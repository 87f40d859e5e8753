"""Seeded generator of real-shaped export files and their independent expected matrices.

    python tests/exports/make.py

writes, beside this file, one CSV per export layout (see LAYOUTS.md) and, under expected/, the
cohort matrices a correct tool must print for each (counts and revenue, month periods). Same bytes
on every run: every choice comes from random.Random(seed), nothing reads the clock or the locale.

Each file is made in two steps. First LOGICAL orders: (customer identity as the system holds it,
local date-time, amounts in integer cents, currency, status, refunded cents, line items). Then a
writer lays them out in the system's own export shape. The expected numbers are computed from the
logical orders with the project rules (METRICS.md, LAYOUTS.md), never by reading a written file.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected"


# --------------------------------------------------------------------------------------------
# logical orders


@dataclass
class Order:
    """One order or payment attempt as the system knows it (amounts in integer cents)."""

    customer: str  # identity as written by the system (email with its case, cus_ id, nickname)
    when: datetime  # naive, on the file's own clock (UTC for Stripe, store time elsewhere)
    amount: int  # order total in the reporting currency (Stripe: the converted amount)
    status: str  # the system's own status word
    refunded: int = 0  # refunded, same currency as amount
    currency: str = "usd"  # presentment currency
    presented: int = 0  # Stripe: amount in the presentment currency
    presented_refunded: int = 0
    kept: bool = True  # moved money under the layout's rules
    exclusion: str = ""  # why not kept (status, currency)
    extra: dict = field(default_factory=dict)


def money(cents: int) -> str:
    """Cents as a plain decimal with 2 places (exact: no float)."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def month_index(d: datetime | date) -> int:
    return d.year * 12 + d.month - 1


def month_label(i: int) -> str:
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def last_day(i: int) -> date:
    y, m = divmod(i + 1, 12)
    return date(y, m + 1, 1) - timedelta(days=1)


def rand_time_in_month(rng: random.Random, i: int) -> datetime:
    first = date(i // 12, i % 12 + 1, 1)
    day = rng.randrange(last_day(i).day)
    return datetime(first.year, first.month, 1) + timedelta(
        days=day, seconds=rng.randrange(7 * 3600, 24 * 3600)
    )


def token(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def activity_plan(
    rng: random.Random, months: list[int], new_per_month: tuple[int, int], p_return: float
) -> list[tuple[int, int]]:
    """(customer number, month index) pairs: each month brings new customers (every month at
    least one, so every cohort row exists), who come back in later months with p_return."""
    plan: list[tuple[int, int]] = []
    n = 0
    for c in months:
        for _ in range(rng.randint(*new_per_month)):
            plan.append((n, c))
            for m in months:
                if m > c and rng.random() < p_return:
                    plan.append((n, m))
            n += 1
    return plan


# --------------------------------------------------------------------------------------------
# expected matrices (plain Python, from logical orders only)


def expected_matrices(
    orders: list[Order], identity, asof: int
) -> tuple[list[list[str]], list[list[str]]]:
    """Counts and revenue matrices (as CSV rows) from the kept logical orders."""
    months: dict[str, set[int]] = {}
    revenue: dict[tuple[str, int], int] = {}
    for o in orders:
        if not o.kept:
            continue
        net = o.amount - o.refunded
        assert net >= 0, o
        who = identity(o)
        m = month_index(o.when)
        assert m <= asof
        months.setdefault(who, set()).add(m)
        revenue[who, m] = revenue.get((who, m), 0) + net
    cohorts: dict[int, list[str]] = {}
    for who, ms in months.items():
        cohorts.setdefault(min(ms), []).append(who)
    first = min(cohorts)
    k_max = asof - first
    header = ["cohort", "customers"] + [str(k) for k in range(k_max + 1)]
    counts, money_rows = [header], [header]
    for c in sorted(cohorts):
        members = cohorts[c]
        crow = [month_label(c), str(len(members))]
        rrow = [month_label(c), str(len(members))]
        for k in range(k_max + 1):
            if c + k > asof:
                crow.append("")
                rrow.append("")
                continue
            crow.append(str(sum(1 for w in members if c + k in months[w])))
            rrow.append(money(sum(revenue.get((w, c + k), 0) for w in members)))
        counts.append(crow)
        money_rows.append(rrow)
    return counts, money_rows


def write_expected(stem: str, orders: list[Order], identity, asof: int) -> None:
    counts, revenue = expected_matrices(orders, identity, asof)
    EXPECTED.mkdir(exist_ok=True)
    for suffix, rows in (("counts", counts), ("revenue", revenue)):
        text = "".join(",".join(r) + "\n" for r in rows)
        (EXPECTED / f"{stem}.{suffix}.csv").write_bytes(text.encode("ascii"))


def check_window(orders: list[Order], months: list[int]) -> int:
    """Every row inside the window, the last month holds kept rows: as-of = its last day."""
    assert all(months[0] <= month_index(o.when) <= months[-1] for o in orders)
    asof = max(month_index(o.when) for o in orders if o.kept)
    assert asof == months[-1]
    return asof


# --------------------------------------------------------------------------------------------
# CSV text helpers


def quote_min(value: str, delimiter: str = ",") -> str:
    """RFC 4180 minimal quoting (what most exporters, and Python's csv, do)."""
    if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def quote_php(value: str) -> str:
    """PHP fputcsv(): encloses a field holding the delimiter, the enclosure, the escape char,
    a newline, a carriage return, a tab or a space."""
    if any(ch in value for ch in (",", '"', "\\", "\n", "\r", "\t", " ")):
        return '"' + value.replace('"', '""') + '"'
    return value


def join(fields: list[str], quote=quote_min) -> str:
    return ",".join(quote(f) for f in fields)


# --------------------------------------------------------------------------------------------
# Stripe: Dashboard > Payments > Export (unified payments), default 23 columns

STRIPE_HEADER = [
    "id", "Created date (UTC)", "Amount", "Amount Refunded", "Currency", "Captured",
    "Converted Amount", "Converted Amount Refunded", "Converted Currency", "Decline Reason",
    "Description", "Fee", "Refunded date (UTC)", "Statement Descriptor", "Status",
    "Seller Message", "Taxes On Fee", "Card ID", "Customer ID", "Customer Description",
    "Customer Email", "Invoice ID", "Transfer",
]  # fmt: skip
STRIPE_CONVERTED = {"Converted Amount", "Converted Amount Refunded", "Converted Currency"}
STRIPE_KEEP = {"Paid", "Refunded"}  # and Captured == true
RATES = {"usd": Decimal("1"), "eur": Decimal("1.0850"), "gbp": Decimal("1.2710")}
INCOMPLETE_MSG = (
    "The latest payment attempt of this PaymentIntent has failed or been canceled, and the "
    "attached payment method has been removed. You can try confirming again with a new payment "
    "method."
)


def stripe_identity(o: Order) -> str:
    email = o.extra.get("email", "")
    return email.lower() if email else o.extra["customer_id"]


def stripe_customers(rng: random.Random, n: int) -> list[dict]:
    first = ["alice", "bruno", "chen", "dana", "emeka", "fatima", "goran", "hana", "ivan", "julia",
             "kofi", "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sven", "tariq",
             "uma", "viktor", "wen", "xenia", "yusuf", "zoe"]  # fmt: skip
    people = []
    for i in range(n):
        cid = "cus_" + token(rng, 14)
        if rng.random() < 0.25:  # known only by Customer ID
            people.append({"customer_id": cid, "emails": [""]})
            continue
        local = f"{first[i % len(first)]}.{token(rng, 4, string.ascii_lowercase)}"
        email = f"{local}@example.{rng.choice(['com', 'org', 'net'])}"
        variants = [email]
        if rng.random() < 0.4:  # the same address typed with other case on later payments
            variants.append(email.title())
            variants.append(email.upper() if rng.random() < 0.5 else email.capitalize())
        people.append({"customer_id": cid, "emails": variants})
    return people


def stripe_orders(rng: random.Random, months: list[int], converted: bool) -> list[Order]:
    people = stripe_customers(rng, 90)
    plan = activity_plan(rng, months, (3, 6), 0.33)
    orders: list[Order] = []

    def currency_for(person: dict) -> str:
        if converted:
            return person.setdefault("cur", rng.choice(["usd"] * 6 + ["eur", "gbp"]))
        return person.setdefault("cur", rng.choice(["usd"] * 3 + ["eur"]))

    def base(person: dict, when: datetime, status: str, cur: str | None = None) -> Order:
        cur = cur or currency_for(person)
        presented = rng.choice([900, 1499, 1999, 2900, 4900, 7900, 12000]) + rng.randrange(0, 100)
        amount = int((Decimal(presented) * RATES[cur]).quantize(Decimal(1), ROUND_HALF_UP))
        if not converted:
            amount = presented  # no converted columns: amounts are in the row's own currency
        return Order(
            customer=person["customer_id"],
            when=when,
            amount=amount,
            status=status,
            currency=cur,
            presented=presented,
            extra={
                "customer_id": person["customer_id"],
                "email": rng.choice(person["emails"]),
                "id": rng.choice(["ch_3", "py_3"]) + token(rng, 23),
                "captured": "true",
            },
        )

    for n, m in plan:
        person = people[n % len(people)]
        for _ in range(2 if rng.random() < 0.12 else 1):
            when = rand_time_in_month(rng, m)
            if rng.random() < 0.1:  # late on the last day of the month, UTC
                when = datetime.combine(last_day(m), datetime.min.time()) + timedelta(
                    hours=23, minutes=rng.randrange(60), seconds=rng.randrange(60)
                )
            o = base(person, when, "Paid")
            r = rng.random()
            if r < 0.07:  # full refund: Status Refunded
                o.status = "Refunded"
                o.presented_refunded, o.refunded = o.presented, o.amount
                o.extra["refunded_at"] = when + timedelta(days=rng.randint(1, 9), hours=3)
            elif r < 0.15:  # partial refund: Status stays Paid
                o.presented_refunded = o.presented // rng.choice([2, 3, 4])
                o.refunded = (
                    int(
                        (Decimal(o.presented_refunded) * RATES[o.currency]).quantize(
                            Decimal(1), ROUND_HALF_UP
                        )
                    )
                    if converted
                    else o.presented_refunded
                )
                o.extra["refunded_at"] = when + timedelta(days=rng.randint(1, 9), hours=5)
            orders.append(o)

    # rows that moved no money: before a first payment, between payments, and from people who
    # never paid at all
    kinds = (
        ["Failed"] * 7
        + ["requires_payment_method"] * 3
        + ["canceled"] * 2
        + ["Uncaptured"] * 2
        + ["expired_uncaptured"]
    )
    never_paid = [p for i, p in enumerate(people) if i >= len({n for n, _ in plan})][:4]
    for i, kind in enumerate(kinds * 2):
        if i < len(never_paid):
            person, m = never_paid[i], rng.choice(months)
        else:
            n, m = rng.choice(plan)
            person = people[n % len(people)]
            if i % 3 == 0:  # the month before the first payment, when there is one
                m = max(months[0], min(mm for nn, mm in plan if nn == n) - 1)
        o = base(person, rand_time_in_month(rng, m), kind, cur=None if converted else "usd")
        o.kept = False
        o.exclusion = "status"
        if kind == "Failed":
            o.extra["captured"] = "false"
            o.extra["decline"] = rng.choice(["insufficient_funds", "do_not_honor", "card_declined"])
        elif kind in ("requires_payment_method", "canceled"):
            o.extra["id"] = ""
            o.extra["captured"] = ""
        elif kind == "Uncaptured":
            o.extra["captured"] = "false"
        else:  # an authorization never captured expires and is marked refunded
            o.status = "Refunded"
            o.extra["captured"] = "false"
            o.presented_refunded, o.refunded = o.presented, o.amount
            o.extra["refunded_at"] = o.when + timedelta(days=7)
        orders.append(o)

    if not converted:  # --currency usd: other-currency rows are left out (all of them kept-status)
        for o in orders:
            if o.kept and o.currency != "usd":
                o.kept = False
                o.exclusion = "currency"
        # customers whose first payment is in eur and later ones in usd: their usd cohort starts
        # at the first usd payment
        for n in range(3):
            person = people[n]
            first_m = min(mm for nn, mm in plan if nn == n)
            if first_m + 2 > months[-1]:
                continue
            o = base(person, rand_time_in_month(rng, first_m), "Paid", cur="eur")
            o.kept, o.exclusion = False, "currency"
            orders.append(o)
            orders.append(base(person, rand_time_in_month(rng, first_m + 2), "Paid", cur="usd"))
    return orders


def stripe_write(orders: list[Order], path: Path, converted: bool) -> int:
    header = [h for h in STRIPE_HEADER if converted or h not in STRIPE_CONVERTED]
    lines = [join(header)]
    rows = sorted(orders, key=lambda o: o.when, reverse=True)  # the Dashboard lists newest first
    for o in rows:
        x = o.extra
        incomplete = o.status in ("requires_payment_method", "canceled")
        paid_like = x["captured"] == "true"
        conv_amount = money(o.amount) if converted else ""
        rec = {
            "id": x["id"],
            "Created date (UTC)": o.when.strftime("%Y-%m-%d %H:%M:%S"),
            "Amount": money(o.presented),
            "Amount Refunded": "" if incomplete else money(o.presented_refunded),
            "Currency": o.currency,
            "Captured": x["captured"],
            "Converted Amount": "" if incomplete else conv_amount,
            "Converted Amount Refunded": "" if incomplete else money(o.refunded),
            "Converted Currency": "" if incomplete else "usd",
            "Decline Reason": x.get("decline", ""),
            "Description": "Subscription update" if o.presented % 2 else "Payment for Invoice",
            "Fee": "" if incomplete else (money(o.amount * 29 // 1000 + 30) if paid_like else "0.00"),
            "Refunded date (UTC)": x["refunded_at"].strftime("%Y-%m-%d %H:%M:%S") if "refunded_at" in x else "",
            "Statement Descriptor": "" if incomplete else "RETAINSHOP",
            "Status": o.status,
            "Seller Message": (
                INCOMPLETE_MSG if o.status == "requires_payment_method"
                else "" if o.status == "canceled"
                else f"The bank returned the decline code `{x['decline']}`." if o.status == "Failed"
                else "Payment complete."
            ),
            "Taxes On Fee": "" if incomplete else "0.00",
            "Card ID": "" if incomplete else "pm_" + x["id"][4:28],
            "Customer ID": x["customer_id"],
            "Customer Description": "",
            "Customer Email": x["email"],
            "Invoice ID": "" if incomplete else "in_" + x["id"][5:29],
            "Transfer": "",
        }  # fmt: skip
        lines.append(join([rec[h] for h in header]))
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return len(rows)


# --------------------------------------------------------------------------------------------
# Shopify: Admin > Orders > Export (CSV for Excel, Numbers, or other spreadsheet programs)

SHOPIFY_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City",
    "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes",
    "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount",
    "Vendor", "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags",
    "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name",
    "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name",
    "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name",
    "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References",
]  # fmt: skip
# what a continuation row (second and later line item of an order) carries, as Shopify writes it
SHOPIFY_CONTINUATION = {
    "Name", "Email", "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price",
    "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping", "Lineitem taxable",
    "Lineitem fulfillment status", "Vendor", "Lineitem discount",
}  # fmt: skip
SHOPIFY_KEEP = {"paid", "partially_refunded", "refunded"}
PRODUCTS = [
    ("Merino Beanie - Charcoal", 2800, "MB-CH"), ("Canvas Tote - Natural", 2200, "CT-NA"),
    ("Trail Socks 3-Pack - M", 1800, "TS3-M"), ("Rain Shell - Navy / L", 12900, "RS-NV-L"),
    ("Field Notebook", 900, "FN-01"), ("Enamel Mug - Cream", 1600, "EM-CR"),
    ("Wool Scarf - Rust", 4500, "WS-RU"), ("Leather Card Case", 3500, "LC-BR"),
]  # fmt: skip


def us_eastern_offset(local: datetime) -> str:
    """America/New_York offset for a local wall time (DST: 2nd Sunday of March 02:00 to 1st
    Sunday of November 02:00), computed here so the output needs no tz database."""
    y = local.year
    march = date(y, 3, 8) + timedelta(days=(6 - date(y, 3, 8).weekday()) % 7)
    nov = date(y, 11, 1) + timedelta(days=(6 - date(y, 11, 1).weekday()) % 7)
    start, end = (
        datetime.combine(march, datetime.min.time()) + timedelta(hours=2),
        datetime.combine(nov, datetime.min.time()) + timedelta(hours=2),
    )
    return "-0400" if start <= local < end else "-0500"


def shopify_ts(local: datetime) -> str:
    return local.strftime("%Y-%m-%d %H:%M:%S ") + us_eastern_offset(local)


def shopify_orders(rng: random.Random, months: list[int]) -> list[Order]:
    names = ["Ava Brooks", "Ben Ortiz", "Cleo Park", "Dev Shah", "Eli Novak", "Fay Moreau",
             "Gus Lind", "Hugo Reyes", "Iris Kato", "Jon Pike", "Kim Sato", "Leo Marsh",
             "Mia Costa", "Ned Varga", "Ola Berg", "Pia Roth", "Raj Iyer", "Sam Cole",
             "Tea Horvat", "Uri Adler", "Val Dunn", "Wes Yang", "Yara Haddad", "Zed Quinn",
             "Amy Lowe", "Bo Finch", "Cy Hale", "Di Frost", "Ed Krause", "Flo Bishop",
             "Gia Rossi", "Hal Stone", "Ike Moss", "Jo Keller", "Kai Lund", "Liv Ward"]  # fmt: skip
    names = [
        f"{a} {b}" for b in ("Brooks", "Ortiz", "Novak") for a in (n.split()[0] for n in names)
    ]
    plan = activity_plan(rng, months, (3, 6), 0.3)
    assert len({n for n, _ in plan}) + 2 <= len(names)
    orders: list[Order] = []
    serial = 1001

    def make(n: int, m: int, status: str) -> Order:
        nonlocal serial
        name = names[n % len(names)]
        email = name.lower().replace(" ", ".") + "@example.com"
        if n % 5 == 0 and rng.random() < 0.6:  # typed with capitals on some orders
            email = name.replace(" ", ".") + "@Example.com"
        when = rand_time_in_month(rng, m)
        if rng.random() < 0.14:  # late on the last day of the month, store time: next month in UTC
            when = datetime.combine(last_day(m), datetime.min.time()) + timedelta(
                hours=rng.choice([20, 21, 22, 23]),
                minutes=rng.randrange(60),
                seconds=rng.randrange(60),
            )
        items = [rng.choice(PRODUCTS) for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))]
        qty = [rng.choice([1, 1, 1, 2]) for _ in items]
        subtotal = sum(p[1] * q for p, q in zip(items, qty, strict=True))
        discount = subtotal // 10 if rng.random() < 0.15 else 0
        subtotal -= discount
        shipping = 0 if subtotal >= 7500 else 695
        taxes = (subtotal + shipping) * 6 // 100
        total = subtotal + shipping + taxes
        o = Order(customer=email, when=when, amount=total, status=status)
        o.extra = {
            "name": f"#{serial}", "id": str(5_500_000_000_000 + serial * 7919), "person": name,
            "items": list(zip(items, qty, strict=True)), "subtotal": subtotal, "shipping": shipping,
            "taxes": taxes, "discount": discount, "email": email,
        }  # fmt: skip
        serial += 1
        return o

    events = sorted(((m, n) for n, m in plan))
    for m, n in events:
        o = make(n, m, "paid")
        r = rng.random()
        if r < 0.08:
            o.status, o.refunded = "refunded", o.amount
        elif r < 0.17:
            o.status = "partially_refunded"
            o.refunded = rng.choice(
                [o.extra["items"][0][0][1], o.amount // 2, o.extra["shipping"] or 500]
            )
        orders.append(o)
    # no money moved: voided (cancelled authorization), pending (awaiting manual payment),
    # authorized (not captured) and expired (authorization lapsed)
    for i, status in enumerate(
        ["voided"] * 6 + ["pending"] * 5 + ["authorized"] * 2 + ["expired"] * 2
    ):
        n, m = excluded_buyer(i, plan, months, rng)
        o = make(n, m, status)
        o.kept, o.exclusion = False, "status"
        orders.append(o)
    orders.sort(key=lambda o: o.when)
    for k, o in enumerate(orders):  # order numbers follow creation time, as in a real store
        o.extra["name"] = f"#{1001 + k}"
        o.extra["id"] = str(5_500_000_000_000 + (1001 + k) * 7919)
    return orders


def shopify_write(orders: list[Order], path: Path) -> tuple[int, int]:
    lines = [join(SHOPIFY_HEADER)]
    n_rows = n_cont = 0
    for o in sorted(orders, key=lambda o: o.when, reverse=True):  # newest order first
        x = o.extra
        created = shopify_ts(o.when)
        paid_at = shopify_ts(o.when + timedelta(seconds=1)) if o.status in SHOPIFY_KEEP else ""
        cancelled = shopify_ts(o.when + timedelta(hours=2)) if o.status == "voided" else ""
        fulfilled = o.status in SHOPIFY_KEEP and o.when.day % 3 != 0
        fulfilled_at = shopify_ts(o.when + timedelta(days=2)) if fulfilled else ""
        street = f"{10 + int(x['id']) % 890} Elm Street"
        for j, ((pname, price, sku), qty) in enumerate(x["items"]):
            rec = {h: "" for h in SHOPIFY_HEADER}
            rec.update({
                "Name": x["name"], "Email": x["email"], "Created at": created,
                "Lineitem quantity": str(qty), "Lineitem name": pname, "Lineitem price": money(price),
                "Lineitem compare at price": '""', "Lineitem sku": sku,
                "Lineitem requires shipping": "true", "Lineitem taxable": "true",
                "Lineitem fulfillment status": "fulfilled" if fulfilled else "pending",
                "Vendor": "Retain Outfitters", "Lineitem discount": "0.00",
            })  # fmt: skip
            if j == 0:
                rec.update({
                    "Financial Status": o.status, "Paid at": paid_at,
                    "Fulfillment Status": "fulfilled" if fulfilled else "unfulfilled",
                    "Fulfilled at": fulfilled_at, "Accepts Marketing": "no", "Currency": "USD",
                    "Subtotal": money(x["subtotal"]), "Shipping": money(x["shipping"]),
                    "Taxes": money(x["taxes"]), "Total": money(o.amount),
                    "Discount Code": "WELCOME10" if x["discount"] else '""',
                    "Discount Amount": money(x["discount"]),
                    "Shipping Method": "Free Shipping" if not x["shipping"] else "Standard",
                    "Billing Name": x["person"], "Billing Street": street, "Billing Address1": street,
                    "Billing City": "Albany", "Billing Zip": "12207", "Billing Province": "NY",
                    "Billing Country": "US", "Shipping Name": x["person"], "Shipping Street": street,
                    "Shipping Address1": street, "Shipping City": "Albany", "Shipping Zip": "12207",
                    "Shipping Province": "NY", "Shipping Country": "US", "Note Attributes": '""',
                    "Cancelled at": cancelled,
                    "Payment Method": "manual" if o.status == "pending" else "Shopify Payments",
                    "Payment Reference": f"c{x['id']}.1", "Refunded Amount": money(o.refunded),
                    "Outstanding Balance": money(o.amount) if o.status == "pending" else "0.00",
                    "Id": x["id"], "Tags": '""', "Risk Level": "Low", "Source": "web",
                    "Tax 1 Name": "NY State Tax 6%", "Tax 1 Value": money(x["taxes"]),
                    "Billing Province Name": "New York", "Shipping Province Name": "New York",
                    "Payment ID": f"c{x['id']}.1", "Payment References": f"c{x['id']}.1",
                })  # fmt: skip
            else:
                assert all(
                    rec[h] in ("", '""') for h in SHOPIFY_HEADER if h not in SHOPIFY_CONTINUATION
                )
                n_cont += 1
            # '""' marks fields Shopify writes as a quoted empty string
            lines.append(
                ",".join(v if v == '""' else quote_min(v) for v in (rec[h] for h in SHOPIFY_HEADER))
            )
            n_rows += 1
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return n_rows, n_cont


# --------------------------------------------------------------------------------------------
# WooCommerce: Customer / Order / Coupon Export extension, orders, "Default" format (one row per
# order)

WOO_HEADER = [
    "order_id", "order_number", "order_number_formatted", "date", "status", "shipping_total",
    "shipping_tax_total", "fee_total", "fee_tax_total", "tax_total", "discount_total",
    "order_total", "refunded_total", "order_currency", "payment_method", "shipping_method",
    "customer_id", "billing_first_name", "billing_last_name", "billing_company", "billing_email",
    "billing_phone", "billing_address_1", "billing_address_2", "billing_postcode", "billing_city",
    "billing_state", "billing_country", "shipping_first_name", "shipping_last_name",
    "shipping_address_1", "shipping_address_2", "shipping_postcode", "shipping_city",
    "shipping_state", "shipping_country", "shipping_company", "customer_note", "line_items",
    "shipping_items", "fee_items", "tax_items", "coupon_items", "refunds", "order_notes",
    "download_permissions_granted",
]  # fmt: skip
WOO_KEEP = {"completed", "processing", "refunded"}


def woo_orders(rng: random.Random, months: list[int]) -> list[Order]:
    people = [("Anna", "Weber"), ("Bilal", "Khan"), ("Carla", "Diaz"), ("David", "Lee"),
              ("Elif", "Demir"), ("Finn", "Murphy"), ("Greta", "Olsen"), ("Hiro", "Tanaka"),
              ("Ines", "Silva"), ("Jakub", "Nowak"), ("Kira", "Ivanova"), ("Luca", "Bianchi"),
              ("Maya", "Cohen"), ("Nils", "Berg"), ("Oona", "Virtanen"), ("Paul", "Martin"),
              ("Rita", "Costa"), ("Sina", "Rahimi"), ("Tom", "Baker"), ("Ula", "Kowalska"),
              ("Vera", "Novak"), ("Will", "Evans"), ("Yuki", "Mori"), ("Zara", "Ali"),
              ("Adam", "Fox"), ("Bea", "Hart"), ("Cole", "Reed"), ("Dina", "Sol")]  # fmt: skip
    people = [(a, b) for b in ("Weber", "Khan", "Diaz") for a, _ in people]
    plan = activity_plan(rng, months, (3, 5), 0.32)
    assert len({n for n, _ in plan}) + 2 <= len(people)
    registered = {
        n: (100 + 7 * n if (n * 37) % 5 < 3 else 0) for n in range(len(people))
    }  # 0: guest
    orders: list[Order] = []

    def make(n: int, m: int, status: str) -> Order:
        first, last = people[n % len(people)]
        email = f"{first.lower()}.{last.lower()}@example.net"
        if n % 4 == 1 and rng.random() < 0.5:
            email = f"{first}.{last}@Example.net"
        items = [rng.choice(PRODUCTS) for _ in range(rng.choice([1, 1, 2]))]
        subtotal = sum(p[1] for p in items)
        shipping = 0 if subtotal > 6000 else 500
        tax = (subtotal + shipping) * 8 // 100
        o = Order(
            customer=email,
            when=rand_time_in_month(rng, m),
            amount=subtotal + shipping + tax,
            status=status,
        )
        if rng.random() < 0.1:
            o.when = datetime.combine(last_day(m), datetime.min.time()) + timedelta(
                hours=23, minutes=rng.randrange(60)
            )
        o.extra = {"first": first, "last": last, "email": email, "customer_id": registered[n],
                   "items": items, "shipping": shipping, "tax": tax}  # fmt: skip
        return o

    for n, m in sorted(plan, key=lambda t: t[1]):
        o = make(n, m, rng.choice(["completed"] * 5 + ["processing"]))
        r = rng.random()
        if r < 0.08:
            o.status, o.refunded = "refunded", o.amount
        elif r < 0.15:  # partial refund: the order keeps its status
            o.refunded = o.extra["items"][0][1] // 2
        orders.append(o)
    statuses = ["failed"] * 4 + ["cancelled"] * 4 + ["pending"] * 3 + ["on-hold"] * 3
    for i, status in enumerate(statuses):
        n, m = excluded_buyer(i, plan, months, rng)
        o = make(n, m, status)
        o.kept, o.exclusion = False, "status"
        orders.append(o)
    orders.sort(key=lambda o: o.when)
    for k, o in enumerate(orders):
        o.extra["order_id"] = str(2301 + 3 * k)  # post ids: not consecutive
    return orders


def woo_write(orders: list[Order], path: Path) -> int:
    lines = [join(WOO_HEADER, quote_php)]
    for o in orders:  # export order: by order id
        x = o.extra
        items = ";".join(
            f"id:{int(x['order_id']) * 10 + j}|name:{name}|product_id:{40 + PRODUCTS.index((name, price, sku))}"
            f"|sku:{sku}|quantity:1|subtotal:{money(price)}|subtotal_tax:{money(price * 8 // 100)}"
            f"|total:{money(price)}|total_tax:{money(price * 8 // 100)}"
            f"|refunded:{money(o.refunded if j == 0 and o.status != 'refunded' else (price if o.status == 'refunded' else 0))}"
            f"|refunded_qty:{1 if o.status == 'refunded' else 0}|meta:"
            for j, (name, price, sku) in enumerate(x["items"])
        )
        refunds = ""
        if o.refunded:
            refunds = (
                f"id:{int(x['order_id']) + 1}|date:{(o.when + timedelta(days=4)).strftime('%Y-%m-%d %H:%M:%S')}"
                f"|amount:{money(o.refunded)}|reason:"
            )
        pay = {"failed": "stripe", "pending": "bacs", "on-hold": "cheque"}.get(o.status, "stripe")
        rec = {h: "" for h in WOO_HEADER}
        rec.update({
            "order_id": x["order_id"], "order_number": x["order_id"],
            "order_number_formatted": x["order_id"], "date": o.when.strftime("%Y-%m-%d %H:%M:%S"),
            "status": o.status, "shipping_total": money(x["shipping"]), "shipping_tax_total": "0.00",
            "fee_total": "0.00", "fee_tax_total": "0.00", "tax_total": money(x["tax"]),
            "discount_total": "0.00", "order_total": money(o.amount),
            "refunded_total": money(o.refunded), "order_currency": "EUR", "payment_method": pay,
            "shipping_method": "Flat rate" if x["shipping"] else "Free shipping",
            "customer_id": str(x["customer_id"]), "billing_first_name": x["first"],
            "billing_last_name": x["last"], "billing_email": x["email"],
            "billing_phone": "+49 30 " + x["order_id"] + "55", "billing_address_1": "Hauptstraße 1",
            "billing_postcode": "10115", "billing_city": "Berlin", "billing_country": "DE",
            "shipping_first_name": x["first"], "shipping_last_name": x["last"],
            "shipping_address_1": "Hauptstraße 1", "shipping_postcode": "10115",
            "shipping_city": "Berlin", "shipping_country": "DE", "line_items": items,
            "shipping_items": f"id:{int(x['order_id']) * 10 + 9}|method_id:flat_rate|method_title:Flat rate|total:{money(x['shipping'])}"
            if x["shipping"] else "",
            "tax_items": f"id:{int(x['order_id']) * 10 + 8}|rate_id:1|code:DE-MWST-1|title:MwSt|total:{money(x['tax'])}|compound:",
            "refunds": refunds, "download_permissions_granted": "1" if o.status in WOO_KEEP else "0",
        })  # fmt: skip
        lines.append(join([rec[h] for h in WOO_HEADER], quote_php))
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return len(orders)


# --------------------------------------------------------------------------------------------
# Taobao / Tmall seller centre: 已卖出的宝贝 > 批量导出 > 订单报表 (ExportOrderList*.csv), GBK

TAOBAO_HEADER = [
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额",
    "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ",
    "运送方式", "联系电话 ", "联系手机", "订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类 ",
    "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费",
    "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息", "特权订金订单id", "是否上传合同照片",
    "是否上传小票", "是否代付", "定金排名", "修改后的sku", "修改后的收货地址", "异常信息", "天猫卡券抵扣",
    "集分宝抵扣", "是否是O2O交易", "新零售交易类型", "新零售导购门店名称", "新零售导购门店id",
    "新零售发货门店名称", "新零售发货门店id", "退款金额", "预约门店", "确认收货时间", "打款商家金额",
    "含应开票给个人的个人红包",
]  # fmt: skip
TAOBAO_KEEP = {"交易成功", "卖家已发货，等待买家确认", "买家已付款，等待卖家发货"}
TAOBAO_GOODS = [("纯棉短袖T恤 白色 L", 5900), ("陶瓷马克杯 350ml", 3800), ("双肩背包 黑色", 12900),
                ("不锈钢保温杯 500ml", 6900), ("蓝牙耳机 无线", 19900), ("手工香皂 三块装", 2990)]  # fmt: skip


def taobao_orders(rng: random.Random, months: list[int]) -> list[Order]:
    nicks = ["小王爱购物", "tb8837261", "快乐的鱼", "晴天小猪", "tb2019xiaoli", "阿杰的店铺控", "木子李",
             "星星点灯", "tb55120934", "夏天的风", "陈大宝", "bluesky_88", "吃货小张", "tb77001234",
             "柠檬不萌", "大橙子", "tb31415926", "月亮湾", "周末去哪儿", "tb66668888", "风吹麦浪",
             "小熊饼干", "tb10293847", "一只猫"]  # fmt: skip
    nicks = nicks + [f"{a}{i}" for i in (2, 7) for a in nicks]
    plan = activity_plan(rng, months, (3, 5), 0.3)
    assert len({n for n, _ in plan}) + 2 <= len(nicks)
    orders: list[Order] = []

    def make(n: int, m: int, status: str) -> Order:
        goods = rng.choice(TAOBAO_GOODS)
        qty = rng.choice([1, 1, 2])
        goods_total = goods[1] * qty
        post = 0 if goods_total >= 9900 else 800
        total = goods_total + post
        paid = total - (500 if rng.random() < 0.2 else 0)  # 店铺优惠: paid less than 总金额
        o = Order(
            customer=nicks[n % len(nicks)],
            when=rand_time_in_month(rng, m),
            amount=paid,
            status=status,
        )
        if rng.random() < 0.1:
            o.when = datetime.combine(last_day(m), datetime.min.time()) + timedelta(
                hours=23, minutes=rng.randrange(60)
            )
        o.extra = {
            "goods": goods,
            "qty": qty,
            "goods_total": goods_total,
            "post": post,
            "total": total,
        }
        return o

    for n, m in sorted(plan, key=lambda t: t[1]):
        status = "交易成功"
        if m == months[-1]:
            status = rng.choice(
                ["交易成功", "卖家已发货，等待买家确认", "买家已付款，等待卖家发货"]
            )
        o = make(n, m, status)
        if status == "交易成功":
            r = rng.random()
            if r < 0.06:  # refunded in full after the sale: still 交易成功, nets 0
                o.refunded = o.amount
            elif r < 0.14:
                o.refunded = o.extra["goods"][1] // 2
        orders.append(o)
    for i, status in enumerate(["交易关闭"] * 8 + ["等待买家付款"] * 4):
        n, m = excluded_buyer(i, plan, months, rng)
        if status == "等待买家付款":
            m = months[-1]  # still awaiting payment at export time
        o = make(n, m, status)
        o.amount = 0  # nothing paid: 买家实际支付金额 0.00
        o.kept, o.exclusion = False, "status"
        orders.append(o)
    orders.sort(key=lambda o: o.when)
    return orders


def taobao_write(orders: list[Order], path: Path) -> int:
    lines = [join(TAOBAO_HEADER)]
    rng = random.Random(4242)
    for o in sorted(orders, key=lambda o: o.when, reverse=True):
        x = o.extra
        paid = o.status in TAOBAO_KEEP
        closed = o.status == "交易关闭"
        oid = str(rng.randrange(10**17, 10**18) * 10 + 6)
        rec = {h: "" for h in TAOBAO_HEADER}
        rec.update({
            "订单编号": f'="{oid}"',  # written for Excel so the 18-digit id is not shown as 1.2E+17
            "买家会员名": o.customer,
            "买家支付宝账号": f"1{rng.randrange(30, 99)}****{rng.randrange(1000, 9999)}",
            "买家应付货款": money(x["goods_total"]), "买家应付邮费": money(x["post"]),
            "买家支付积分": "0", "总金额": money(x["total"]), "返点积分": "0",
            "买家实际支付金额": money(o.amount), "买家实际支付积分": "0", "订单状态": o.status,
            "收货人姓名": o.customer[:2] + "某", "收货地址 ": "浙江省 杭州市 西湖区 文三路 100号(310012)",
            "运送方式": "快递", "联系手机": f"'1{rng.randrange(30, 99)}****{rng.randrange(1000, 9999)}",
            "订单创建时间": o.when.strftime("%Y-%m-%d %H:%M:%S"),
            "订单付款时间 ": (o.when + timedelta(seconds=rng.randrange(20, 600))).strftime("%Y-%m-%d %H:%M:%S") if paid else "",
            "宝贝标题 ": x["goods"][0], "宝贝种类 ": "1",
            "物流单号 ": f"No:{rng.randrange(10**11, 10**12)}" if paid and o.status != "买家已付款，等待卖家发货" else "",
            "物流公司": "中通快递" if paid and o.status != "买家已付款，等待卖家发货" else "",
            "宝贝总数量": str(x["qty"]), "店铺Id": "0", "店铺名称": "留存小铺",
            "订单关闭原因": "买家未付款" if closed else ("订单未关闭" if paid or o.status == "等待买家付款" else ""),
            "卖家服务费": "0", "买家服务费": "0", "是否手机订单": "手机订单",
            "退款金额": money(o.refunded),
            "确认收货时间": (o.when + timedelta(days=8)).strftime("%Y-%m-%d %H:%M:%S") if o.status == "交易成功" else "",
            "打款商家金额": (money(o.amount - o.refunded) if o.status == "交易成功" else "0.00") + "元",
        })  # fmt: skip
        # the ="..." cell is written bare, not as a quoted CSV field
        lines.append(",".join(v if h == "订单编号" else quote_min(v) for h, v in rec.items()))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return len(orders)


# --------------------------------------------------------------------------------------------
# a plain log as Excel saves it ("CSV UTF-8 (Comma delimited)")


def excel_orders(rng: random.Random, months: list[int]) -> list[Order]:
    plan = activity_plan(rng, months, (3, 6), 0.35)
    orders = []
    for n, m in plan:
        for _ in range(2 if rng.random() < 0.1 else 1):
            cents = rng.randrange(500, 25000, 5)
            orders.append(
                Order(
                    customer=f"C{n + 1:04d}",
                    when=rand_time_in_month(rng, m),
                    amount=cents,
                    status="",
                )
            )
    orders.sort(key=lambda o: (o.when, o.customer))
    return orders


def excel_general(cents: int) -> str:
    """A number as Excel's General format writes it: no trailing zeros, no decimal point for
    whole numbers (19.9, 20)."""
    text = money(cents).rstrip("0").rstrip(".")
    return text


def excel_write(orders: list[Order], path: Path) -> dict:
    lines = ["customer_id,order_date,amount"]
    blank = comma_only = 0
    for k, o in enumerate(orders):
        if k and k % 17 == 0:
            lines.append("")  # a blank line
            blank += 1
        if k and k % 29 == 0:
            lines.append(",,")  # an emptied row, as Excel writes it
            comma_only += 1
        d = o.when.date()
        lines.append(f"{o.customer},{d.month}/{d.day}/{d.year},{excel_general(o.amount)}")
    lines.append(",,")
    comma_only += 1
    lines.append(f"Total,,{excel_general(sum(o.amount for o in orders))}")
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return {"blank_lines": blank, "comma_only_rows": comma_only, "summary_rows": 1}


# --------------------------------------------------------------------------------------------


def span(start: str, end: str) -> list[int]:
    a = int(start[:4]) * 12 + int(start[5:]) - 1
    b = int(end[:4]) * 12 + int(end[5:]) - 1
    return list(range(a, b + 1))


def count(orders: list[Order], reason: str) -> int:
    return sum(1 for o in orders if o.exclusion == reason)


def excluded_buyer(i: int, plan, months, rng):
    """Who placed the i-th order that moved no money, and in which month: the first two are
    people whose only orders moved no money; every third is just before the buyer's first kept
    order."""
    if i < 2:
        return len({n for n, _ in plan}) + i, rng.choice(months)
    n, m = rng.choice(plan)
    if i % 3 == 0:
        m = max(months[0], min(mm for nn, mm in plan if nn == n) - 1)
    return n, m


def excluded_statuses(orders) -> dict[str, int]:
    """How many orders each status that moved no money left out."""
    found: dict[str, int] = {}
    for o in orders:
        if not o.kept:
            found[o.status] = found.get(o.status, 0) + 1
    return found


def main() -> None:
    report: list[str] = []

    def section(
        stem: str, orders: list[Order], identity, months: list[int], args: str, lines: list[str]
    ):
        asof = check_window(orders, months)
        write_expected(stem, orders, identity, asof)
        report.append(f"## {stem}.csv\n")
        report.append(f"- as-of: {last_day(asof).isoformat()}")
        report.append(
            f"- counts: `retain cohort tests/exports/{stem}.csv --as-of {last_day(asof).isoformat()}{args} --counts --format csv`"
        )
        report.append(
            f"- revenue: `retain cohort tests/exports/{stem}.csv --as-of {last_day(asof).isoformat()}{args} --metric revenue --format csv`"
        )
        report.extend(f"- {line}" for line in lines)
        kept = [o for o in orders if o.kept]
        report.append(f"- used: {len(kept)} orders, {len({identity(o) for o in kept})} customers\n")

    # Stripe, with converted columns
    months = span("2024-01", "2024-09")
    orders = stripe_orders(random.Random(101), months, converted=True)
    n = stripe_write(orders, HERE / "stripe_payments.csv", converted=True)
    by_status: dict[str, int] = {}
    for o in orders:
        if not o.kept:
            label = o.status + (" with Captured=false" if o.extra["captured"] == "false" else "")
            by_status[label] = by_status.get(label, 0) + 1
    section(
        "stripe_payments", orders, stripe_identity, months, "",
        [f"data rows: {n} (header excluded; one row per payment attempt, newest first)",
         f"excluded by status: {count(orders, 'status')} ("
         + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())) + ")",
         "line-item continuation rows: 0; other currency: 0 (amounts from the Converted columns, usd); "
         "blank rows: 0; summary rows: 0"],
    )  # fmt: skip

    # Stripe without converted columns, two currencies
    orders = stripe_orders(random.Random(202), months, converted=False)
    n = stripe_write(orders, HERE / "stripe_payments_multicurrency.csv", converted=False)
    section(
        "stripe_payments_multicurrency", orders, stripe_identity, months, " --currency usd",
        [f"data rows: {n}",
         f"excluded by status: {count(orders, 'status')}; other currency (eur): {count(orders, 'currency')}",
         "without --currency the tool must refuse to sum (two currencies, no Converted columns)",
         "line-item continuation rows: 0; blank rows: 0; summary rows: 0"],
    )  # fmt: skip

    # Shopify
    months = span("2024-03", "2024-09")
    orders = shopify_orders(random.Random(303), months)
    n_rows, n_cont = shopify_write(orders, HERE / "shopify_orders.csv")
    month_end = sum(
        1 for o in orders
        if o.kept and month_index(o.when - timedelta(hours=int(us_eastern_offset(o.when)[:3]))) != month_index(o.when)
    )  # fmt: skip
    st = excluded_statuses(orders)
    section(
        "shopify_orders", orders, lambda o: o.extra["email"].lower(), months, "",
        [f"data rows: {n_rows} ({len(orders)} orders, one row per line item, newest order first)",
         f"line-item continuation rows: {n_cont} (excluded: Financial Status and Total empty)",
         f"excluded by status: {count(orders, 'status')} orders, their first rows ("
         + ", ".join(f"{k} {v}" for k, v in sorted(st.items())) + "); their continuation rows are "
         "counted above",
         f"kept orders whose UTC date is in the next month (month-end evenings, store time): {month_end}",
         "other currency: 0; blank rows: 0; summary rows: 0"],
    )  # fmt: skip

    # WooCommerce
    months = span("2024-02", "2024-08")
    orders = woo_orders(random.Random(404), months)
    n = woo_write(orders, HERE / "woocommerce_orders.csv")
    st = excluded_statuses(orders)
    section(
        "woocommerce_orders", orders, lambda o: o.extra["email"].lower(), months, "",
        [f"data rows: {n} (one row per order)",
         f"excluded by status: {count(orders, 'status')} (" + ", ".join(f"{k} {v}" for k, v in sorted(st.items())) + ")",
         "line-item continuation rows: 0 (line items are packed in `line_items`); other currency: 0; "
         "blank rows: 0; summary rows: 0"],
    )  # fmt: skip

    # Taobao
    months = span("2024-01", "2024-06")
    orders = taobao_orders(random.Random(505), months)
    n = taobao_write(orders, HERE / "taobao_orders.csv")
    st = excluded_statuses(orders)
    section(
        "taobao_orders", orders, lambda o: o.customer, months, " --encoding gbk",
        [f"data rows: {n} (one row per order; GBK, CRLF)",
         f"excluded by status: {count(orders, 'status')} (" + ", ".join(f"{k} {v}" for k, v in sorted(st.items())) + ")",
         "`--encoding gbk` is needed unless the tool recognises GBK itself (the file is not UTF-8)",
         "line-item continuation rows: 0; other currency: 0; blank rows: 0; summary rows: 0"],
    )  # fmt: skip

    # Excel
    months = span("2023-10", "2024-03")
    orders = excel_orders(random.Random(606), months)
    extra = excel_write(orders, HERE / "excel_orders.csv")
    section(
        "excel_orders", orders, lambda o: o.customer, months, "",
        [f"order rows: {len(orders)}; blank lines: {extra['blank_lines']}; rows of only commas (`,,`): "
         f"{extra['comma_only_rows']}; summary rows (`Total,,<sum>`): {extra['summary_rows']}",
         f"records a CSV reader yields after the header: {len(orders) + extra['blank_lines'] + extra['comma_only_rows'] + 1} "
         "(blank lines included as empty records)",
         "excluded by status: 0; continuation rows: 0; other currency: 0",
         "dates are M/D/YYYY (Excel, US locale): no `--dayfirst`"],
    )  # fmt: skip

    head = (
        "# Expected matrices for tests/exports\n\n"
        "Made by `python tests/exports/make.py` from the logical orders (never from the written files),\n"
        "with the rules of ../LAYOUTS.md and METRICS.md. For each file: `<stem>.counts.csv` (active\n"
        "customers A[c,k]) and `<stem>.revenue.csv` (net revenue, refunds subtracted from their order),\n"
        "month periods, cohort = month of first kept order, as-of = last day of the last month with data\n"
        "(so no cell is partial); cells after the as-of month are empty. Header\n"
        "`cohort,customers,0,1,...`, counts as integers, money with 2 decimals, LF line endings.\n\n"
        "Exclusion counts are in file rows. A row is counted under one reason only; there is no\n"
        "overlap between reasons in these files (other-currency rows all have a kept status).\n\n"
    )
    (EXPECTED / "README.md").write_bytes((head + "\n".join(report) + "\n").encode("utf-8"))


if __name__ == "__main__":
    main()
