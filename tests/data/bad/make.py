"""Write the bad-input corpus beside this file (same bytes every run).

    python tests/data/bad/make.py

Each file is small and shows one way real exports go wrong; tests/test_bad_inputs.py holds the
outcome each must give.
"""

import codecs
import io
import pathlib
import random
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq

HERE = pathlib.Path(__file__).parent
GOOD = "customer,date,amount\na,2024-01-05,10\nb,2024-01-20,5\na,2024-02-10,20\n"


def text(name: str, content: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(content.encode(encoding))


def raw(name: str, content: bytes) -> None:
    (HERE / name).write_bytes(content)


def main() -> None:
    rng = random.Random(7)
    raw("empty.csv", b"")
    text("header_only.csv", "customer,date,amount\n")
    text("blank_lines_only.csv", "\n\n\n")
    raw("nul_bytes.csv", b"customer,date\x00,amount\na,2024-01-05\x00,10\n")
    raw("random_binary.csv", bytes(rng.randrange(256) for _ in range(600)) + b"\x00")
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    raw("excel_named.csv", workbook.getvalue())
    raw("old_excel_named.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"customer": ["a", "b", "a"], "date": ["2024-01-05", "2024-01-20", "2024-02-10"], "amount": [10.0, 5.0, 20.0]}), sink)  # fmt: skip
    raw("parquet_named.csv", sink.getvalue().to_pybytes())
    text("mixed_delimiter.csv", "customer,date,amount\na;2024-01-05;10\nb;2024-01-20;5\n")
    text("ragged_rows.csv", GOOD + "c,2024-02-11,7,extra\nd,2024-02-12\n")
    text("duplicate_columns.csv", "customer,date,date,amount\na,2024-01-05,2024-01-06,10\n")
    text("duplicate_unused_columns.csv", "customer,note,note,date,amount\na,x,y,2024-01-05,10\nb,,,2024-01-20,5\na,,,2024-02-10,20\n")  # fmt: skip
    text("no_customer_column.csv", "who,date,amount\na,2024-01-05,10\n")
    text("no_date_column.csv", "customer,when,amount\na,2024-01-05,10\n")
    text("single_column.csv", "customer\na\nb\n")
    text("all_dates_bad.csv", "customer,date\na,soon\nb,later\nc,never\n")
    text("mixed_date_formats.csv", GOOD + "c,02/11/2024,7\nd,2024-02-12,1\ne,Feb 13 2024,2\n")
    text("dates_1900_9999.csv", GOOD + "old,1900-01-01,1\nfar,9999-12-31,1\n")
    text("mixed_tz_offsets.csv", "customer,created_at\na,2024-03-01T23:30:00-05:00\nb,2024-03-02T01:00:00+02:00\nc,2024-03-01T12:00:00Z\n")  # fmt: skip
    text("nan_inf_empty_amounts.csv", GOOD + "c,2024-02-11,NaN\nd,2024-02-12,inf\ne,2024-02-13,\n")
    text("huge_amounts.csv", GOOD + "c,2024-02-11,1e300\nd,2024-02-12,123456789012.34\n")
    text(
        "leading_zero_ids.csv",
        "customer_id,date\n00012,2024-01-05\n12,2024-01-06\n0012,2024-02-01\n",
    )
    text("single_row.csv", "customer,date,amount\na,2024-01-05,10\n")
    text(
        "single_customer.csv",
        "customer,date,amount\na,2024-01-05,10\na,2024-03-05,10\na,2024-03-06,1\n",
    )
    text(
        "one_cohort.csv", "customer,date\na,2024-01-05\nb,2024-01-06\nc,2024-01-31\na,2024-02-01\n"
    )
    wide = [f"col{i}" for i in range(600)]
    wide[100], wide[300], wide[500] = "customer", "date", "amount"
    rows = [",".join(wide)]
    for customer, day, amount in [("a", "2024-01-05", "10"), ("b", "2024-01-20", "5"), ("a", "2024-02-10", "20")]:  # fmt: skip
        cells = [str(i) for i in range(600)]
        cells[100], cells[300], cells[500] = customer, day, amount
        rows.append(",".join(cells))
    text("very_wide.csv", "\n".join(rows) + "\n")
    raw("utf16_bom.csv", codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"))
    raw("utf8_bom.csv", codecs.BOM_UTF8 + GOOD.encode())
    text("gbk.csv", "客户编号,下单日期,金额\n张三,2024-01-05,10\n李四,2024-01-20,5\n张三,2024-02-10,20\n", "gbk")  # fmt: skip
    text("cp1252.csv", "customer,date,amount\nRenée,2024-01-05,10\n", "cp1252")
    raw("crlf.csv", GOOD.replace("\n", "\r\n").encode())
    raw("mixed_line_endings.csv", b"customer,date,amount\r\na,2024-01-05,10\nb,2024-01-20,5\r\na,2024-02-10,20\n")  # fmt: skip
    text("quoted_newlines.csv", 'customer,note,date,amount\na,"line one\nline two",2024-01-05,10\nb,"say ""hi""",2024-01-20,5\na,"",2024-02-10,20\n')  # fmt: skip
    text("currency_amounts.csv", 'customer,date,amount\na,2024-01-05,"$1,234.56"\nb,2024-01-20,12 EUR\nc,2024-01-21,¥12\na,2024-02-10,(12.00)\nb,2024-02-11,-$3.50\n')  # fmt: skip
    text("decimal_comma.csv", "customer;date;amount\na;2024-01-05;1.234,56\nb;2024-01-20;5,50\na;2024-02-10;20,00\n")  # fmt: skip
    text("only_refunds.csv", "customer,date,amount\na,2024-01-05,-10\nb,2024-01-20,-5\n")
    text("empty_customer_ids.csv", GOOD + ",2024-02-11,7\n  ,2024-02-12,1\n")
    text("trailing_blank_lines.csv", GOOD + "\n\n\n")
    text("whitespace_ids.csv", "customer,date\n a ,2024-01-05\na,2024-02-10\n")
    text("future_dates.csv", GOOD + "c,2099-01-01,7\n")
    text("dayfirst_needed.csv", "customer,date\na,25/03/2024\nb,26/03/2024\n")
    text("exact_duplicates.csv", "order,customer,date,amount\n1,a,2024-01-05,10\n1,a,2024-01-05,10\n2,a,2024-01-05,10\n3,b,2024-02-01,5\n")  # fmt: skip
    text("header_variants.csv", "Customer ID,Order Date,Total\na,2024-01-05,10\nb,2024-01-20,5\na,2024-02-10,20\n")  # fmt: skip
    text("us_dates_with_time.csv", "customer,date\na,1/5/2024 3:04 PM\nb,1/20/2024 11:00 AM\na,2/10/2024 9:15 AM\n")  # fmt: skip


if __name__ == "__main__":
    main()
