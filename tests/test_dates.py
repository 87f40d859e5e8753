"""Dates as exports write them (METRICS.md, Input: Timezone): shapes, day-first slashes, offsets
kept as written, zones, placeholders, hints, and a decision that no row order or split changes."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from retain.normalize.dates import (
    DateEvidence,
    DateFormatError,
    DateOptions,
    check_timezone,
    date_evidence,
    date_hint,
    decide_dates,
    parse_dates,
)


def read(values, options=DateOptions()):
    """(timestamps as text, placeholder mask as a list, the reading's note)."""
    values = values if isinstance(values, pd.Series) else pd.Series(values, dtype="str")
    reading = decide_dates(date_evidence(values), options)
    parsed, placeholder = parse_dates(values, reading)
    assert parsed.dtype == "datetime64[us]"
    assert parsed.index.equals(values.index)
    return [None if pd.isna(t) else str(t) for t in parsed], placeholder.tolist(), reading.note


@pytest.mark.parametrize(
    "values, expected, note",
    [
        (["2024-03-05", "2024-3-6", "2024-03-07T10:00", "2024-03-08 10:00:30.25"],
         ["2024-03-05 00:00:00", "2024-03-06 00:00:00", "2024-03-07 10:00:00", "2024-03-08 10:00:30.250000"],
         "ISO 8601"),
        (["2024/03/05", "2024/3/6 10:00"], ["2024-03-05 00:00:00", "2024-03-06 10:00:00"], "YYYY/MM/DD"),
        (["03/25/2024", "3/26/2024 3:04 PM", "3/27/2024 12:00 AM", "3/28/2024 12:30 pm", "3/29/2024 15:04:05"],
         ["2024-03-25 00:00:00", "2024-03-26 15:04:00", "2024-03-27 00:00:00", "2024-03-28 12:30:00", "2024-03-29 15:04:05"],
         "MM/DD/YYYY (some values only fit month-first)"),
        (["3/25/24", "1/1/68", "1/1/69"], ["2024-03-25 00:00:00", "2068-01-01 00:00:00", "1969-01-01 00:00:00"],
         "MM/DD/YY (some values only fit month-first)"),
        (["05.03.2024", "5.3.2024 14:30"], ["2024-03-05 00:00:00", "2024-03-05 14:30:00"], "DD.MM.YYYY"),
        (["20240305", "20241231"], ["2024-03-05 00:00:00", "2024-12-31 00:00:00"], "YYYYMMDD"),
        (["", "  2024-03-05  "], [None, "2024-03-05 00:00:00"], "ISO 8601"),
        (["", " "], [None, None], "no dates"),
    ],
)  # fmt: skip
def test_each_shape(values, expected, note):
    assert read(values) == (expected, [False] * len(values), note)


def test_integer_dates_are_yyyymmdd_never_epochs():
    assert read(pd.Series([20240305, 20240306]))[0] == [
        "2024-03-05 00:00:00",
        "2024-03-06 00:00:00",
    ]
    assert read(pd.Series([20240305.0, None]))[0] == ["2024-03-05 00:00:00", None]
    with pytest.raises(DateFormatError):
        read(pd.Series([1709596800, 1709683200]))  # epoch seconds


def test_impossible_values_of_the_shape_are_bad_dates():
    values = [
        "2024-02-30",
        "2024-02-29",
        "2023-02-29",
        "2024-13-01",
        "2024-01-01 24:00",
        "2024-01-01 10:60",
    ]
    assert read(values)[0] == [None, "2024-02-29 00:00:00", None, None, None, None]
    values = ["1/5/2024 13:00 PM", "1/5/2024 0:30 AM", "4/31/2024", "12/31/2024"]
    assert read(values)[0] == [None, None, None, "2024-12-31 00:00:00"]


@pytest.mark.parametrize(
    "values",
    [
        ["2024-06-30", "2024-06-30 23:28", "2024-06-30T23:28:25.123456", "0001-01-01"],
        ["2024-06-30 23:28:25 -0400", "2024-06-30T23:28:25+02:00", "2024-06-30 23:28:25 UTC"],
        ["2024-06-30T23:28:25Z", "2024-06-30T23:28:25+0530", "9999-12-31T23:59:59-04:00"],
    ],
)
def test_iso_reads_the_same_alone_and_beside_values_that_need_pandas(values):
    """Arrow reads a batch of zero-padded ISO text at once, pandas any other batch."""
    alone = read(values, DateOptions(tz="Asia/Kolkata"))
    beside = read(
        values + ["2024-6-30 5:04:05.123456789", "2024-02-30"], DateOptions(tz="Asia/Kolkata")
    )
    assert beside[0][: len(values)] == alone[0] and beside[1][: len(values)] == alone[1]
    assert beside[0][len(values) :] == ["2024-06-30 05:04:05.123456", None]


def test_values_of_other_shapes_are_bad_dates():
    values = ["2024-01-05", "2024-01-20", "2024-02-10", "02/11/2024", "Feb 13 2024", "20240214"]
    expected = [
        "2024-01-05 00:00:00",
        "2024-01-20 00:00:00",
        "2024-02-10 00:00:00",
        None,
        None,
        None,
    ]
    assert read(values) == (expected, [False] * 6, "ISO 8601")


def test_the_shape_is_decided_by_every_value_not_the_first_ones():
    values = ["02/11/2024"] * 1500 + ["2024-01-05"] * 1501
    parsed, _, note = read(values)
    assert note == "ISO 8601"
    assert parsed[0] is None and parsed[-1] == "2024-01-05 00:00:00"


def test_no_shape_for_most_values_raises_without_flag_names():
    with pytest.raises(DateFormatError) as error:
        read(["Mar 5 2024", "Mar 6 2024", "2024-01-01"])
    message = str(error.value)
    assert message == (
        "no one date shape fits most of the 3 values (ISO 8601 1; 2 of no known shape, such as "
        "'Mar 5 2024'); give a strftime format, for example %d.%m.%Y"
    )
    assert "--" not in message


# Day-first slashes


def test_slashes_that_read_both_ways_are_month_first_and_say_how_to_switch():
    assert read(["03/04/2024", "05/06/2024"]) == (
        ["2024-03-04 00:00:00", "2024-05-06 00:00:00"],
        [False, False],
        "MM/DD/YYYY (every value also reads day-first: pass --dayfirst to read them so)",
    )


def test_one_value_that_only_fits_day_first_makes_the_column_day_first():
    values = ["03/04/2024"] * 50 + ["25/03/2024"]
    parsed, _, note = read(values)
    assert note == "DD/MM/YYYY (some values only fit day-first)"
    assert parsed[0] == "2024-04-03 00:00:00" and parsed[-1] == "2024-03-25 00:00:00"


@pytest.mark.parametrize(
    "values, expected, note",
    [
        (["25/03/2024", "26/03/2024", "03/27/2024", "01/02/2024"],
         ["2024-03-25 00:00:00", "2024-03-26 00:00:00", None, "2024-02-01 00:00:00"],
         "DD/MM/YYYY (most values only fit day-first; 1 value only month-first)"),
        (["03/25/2024", "03/26/2024", "27/03/2024", "01/02/2024"],
         ["2024-03-25 00:00:00", "2024-03-26 00:00:00", None, "2024-01-02 00:00:00"],
         "MM/DD/YYYY (most values only fit month-first; 1 value only day-first)"),
        (["25/03/2024", "03/26/2024"], [None, "2024-03-26 00:00:00"],  # a tie reads month-first
         "MM/DD/YYYY (most values only fit month-first; 1 value only day-first)"),
    ],
)  # fmt: skip
def test_values_that_only_fit_either_way_are_decided_by_majority(values, expected, note):
    assert read(values) == (expected, [False] * len(values), note)


def test_dayfirst_forces_the_reading():
    values = ["03/04/2024", "03/25/2024"]
    assert read(values, DateOptions(dayfirst=True)) == (
        ["2024-04-03 00:00:00", None],
        [False, False],
        "DD/MM/YYYY",
    )
    values = ["03/04/2024", "25/03/2024"]
    assert read(values, DateOptions(dayfirst=False)) == (
        ["2024-03-04 00:00:00", None],
        [False, False],
        "MM/DD/YYYY",
    )


# Offsets and zones


def test_offsets_are_dropped_and_times_kept_as_written():
    values = [
        "2024-06-30 23:28:25 -0400",  # Shopify
        "2024-06-30T23:28:25-04:00",
        "2024-06-30T23:28:25+0200",
        "2024-06-30 23:28:25+02",  # PostgreSQL
        "2024-06-30T23:28:25Z",
        "2024-06-30 23:28:25.5 UTC",  # BigQuery
        "2024-06-30 23:28:25",
        "2024-06-30",
    ]
    parsed, placeholder, note = read(values)
    assert parsed == ["2024-06-30 23:28:25"] * 4 + [
        "2024-06-30 23:28:25",
        "2024-06-30 23:28:25.500000",
    ] + [
        "2024-06-30 23:28:25",
        "2024-06-30 00:00:00",
    ]
    assert note == "ISO 8601, offsets dropped: times as written"


def test_tz_converts_aware_times_and_leaves_naive_ones():
    values = [
        "2024-06-30 23:28:25 -0400",
        "2024-06-30T23:28:25Z",
        "2024-06-30 23:28:25",
        "2024-06-30",
    ]
    assert read(values, DateOptions(tz="Europe/Berlin")) == (
        [
            "2024-07-01 05:28:25",
            "2024-07-01 01:28:25",
            "2024-06-30 23:28:25",
            "2024-06-30 00:00:00",
        ],
        [False] * 4,
        "ISO 8601, converted to Europe/Berlin",
    )


def test_input_tz_localises_naive_times_and_tz_converts_them():
    values = ["2024-06-30 23:28:25", "2024-06-30T20:00:00Z", "2024-06-30"]
    options = DateOptions(tz="Europe/Berlin", input_tz="America/New_York")
    assert read(values, options) == (
        ["2024-07-01 05:28:25", "2024-06-30 22:00:00", "2024-06-30 00:00:00"],  # a day stays a day
        [False] * 3,
        "ISO 8601, written in America/New_York, converted to Europe/Berlin",
    )
    assert read(["06/30/2024 11:28 PM"], options)[0] == ["2024-07-01 05:28:00"]


def test_input_tz_without_tz_changes_nothing():
    values = ["2024-06-30 23:28:25", "2024-06-30T23:28:25-04:00"]
    parsed, _, note = read(values, DateOptions(input_tz="America/New_York"))
    assert parsed == ["2024-06-30 23:28:25", "2024-06-30 23:28:25"]
    assert note == "ISO 8601, offsets dropped: times as written"


def test_dst_ambiguous_local_times_are_the_earlier_and_missing_ones_move_forward():
    values = ["2024-11-03 01:30", "2024-03-10 02:30", "2024-03-10 01:59"]
    options = DateOptions(tz="UTC", input_tz="America/New_York")
    assert read(values, options)[0] == [
        "2024-11-03 05:30:00",  # 01:30 EDT, not 01:30 EST
        "2024-03-10 07:00:00",  # 02:30 does not exist: 03:00 EDT
        "2024-03-10 06:59:00",
    ]


def test_native_timestamps_follow_the_same_rules():
    naive = pd.Series(pd.to_datetime(["2024-06-30 23:28:25", "1970-01-01 00:00:00"]))
    assert read(naive) == (["2024-06-30 23:28:25", None], [False, True], "timestamps")
    options = DateOptions(tz="Europe/Berlin", input_tz="America/New_York")
    assert read(naive, options)[0] == ["2024-07-01 05:28:25", None]
    aware = naive.dt.tz_localize("America/New_York")  # as Parquet keeps a zone
    assert read(aware) == (
        ["2024-06-30 23:28:25", None],
        [False, True],
        "timestamps, offsets dropped: times as written",
    )
    assert read(aware, DateOptions(tz="UTC"))[0] == ["2024-07-01 03:28:25", None]
    arrow = aware.astype("timestamp[us, tz=America/New_York][pyarrow]")
    assert read(arrow)[0] == ["2024-06-30 23:28:25", None]


def test_an_explicit_format_reads_every_value_and_keeps_offsets_as_written():
    assert read(["5 March 2024", "2024-03-05", ""], DateOptions(format="%d %B %Y")) == (
        ["2024-03-05 00:00:00", None, None],
        [False] * 3,
        "format %d %B %Y",
    )
    values = ["30/06/2024 23:28 -0400", "30/06/2024 23:28 +0200"]
    options = DateOptions(format="%d/%m/%Y %H:%M %z")
    assert read(values, options)[0] == ["2024-06-30 23:28:00", "2024-06-30 23:28:00"]
    options = DateOptions(format="%d/%m/%Y %H:%M %z", tz="UTC")
    assert read(values, options)[0] == ["2024-07-01 03:28:00", "2024-06-30 21:28:00"]


def test_check_timezone():
    assert check_timezone("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        check_timezone("Mars/Base")


# Placeholders


@pytest.mark.parametrize(
    "values",
    [
        ["1900-01-01", "1899-12-30 00:00:00", "1970-01-01T12:00:00Z", "0001-01-01", "9999-12-31 23:59:59"],
        ["1/1/1900", "12/30/1899", "1/1/1970 3:00 PM", "1/1/0001", "12/31/9999"],
        ["19000101", "18991230", "19700101", "00010101", "99991231"],
        ["01.01.1900", "30.12.1899", "01.01.1970", "01.01.0001", "31.12.9999"],
    ],
)  # fmt: skip
def test_placeholder_dates_are_flagged_and_nat(values):
    parsed, placeholder, _ = read(values + ["2024-03-05" if "-" in values[0] else values[0]])
    assert parsed[:5] == [None] * 5 and placeholder[:5] == [True] * 5


def test_placeholders_are_found_through_offsets_zones_and_native_columns():
    values = ["9999-12-31T23:59:59-04:00", "1969-12-31 20:00:00 -0400", "2024-03-05"]
    parsed, placeholder, _ = read(values, DateOptions(tz="Asia/Tokyo"))
    assert parsed == [None, None, "2024-03-05 00:00:00"] and placeholder == [True, True, False]
    native = pd.Series(
        np.array(["0001-01-01", "9999-12-31T23:00", "2024-03-05"], dtype="datetime64[us]")
    )
    options = DateOptions(tz="UTC", input_tz="Pacific/Kiritimati")
    assert read(native, options)[1] == [True, True, False]
    assert read(["0001-01-01", "2024-03-05"], DateOptions(format="%Y-%m-%d"))[1] == [True, False]


# Hints


def hint(column, bad, options):
    reading = decide_dates(date_evidence(pd.Series(column, dtype="str")), options)
    return date_hint(pd.Series(bad, dtype="str"), reading, options)


def test_hints():
    assert hint(["03/25/2024"], ["03/25/2024"], DateOptions(dayfirst=True)) == (
        "they read as MM/DD/YYYY: drop --dayfirst"
    )
    iso = ["2024-03-25", "2024-03-26 10:00"]
    assert (
        hint(iso, iso, DateOptions(format="%d.%m.%Y"))
        == "they read as ISO 8601: drop --date-format"
    )
    assert hint(["25/03/2024"], ["25/03/2024"], DateOptions(dayfirst=False)) == (
        "they read as DD/MM/YYYY: pass --dayfirst"
    )
    # outvoted by the rest of the column: no flag reads both
    column = ["03/25/2024", "03/26/2024", "27/03/2024"]
    assert hint(column, ["27/03/2024"], DateOptions()) == (
        "they read as DD/MM/YYYY, most dates in the column as MM/DD/YYYY"
    )


def test_no_hint_when_nothing_would_read_them():
    assert hint(["03/25/2024"], ["13/25/2024"], DateOptions(dayfirst=True)) is None
    assert hint(["2024-03-05"], ["Feb 13 2024"], DateOptions()) is None
    assert hint(["2024-03-05"], ["03/05/2024"], DateOptions()) is None  # shape outvoted: no flag
    assert hint(["03/25/2024"], ["", " "], DateOptions(dayfirst=True)) is None
    assert hint(["x"], ["Feb 13 2024"], DateOptions(format="%d.%m.%Y")) is None


# Order and split


def test_evidence_merges():
    a = pd.Series(["03/04/2024", "25/03/2024", "", "junk"], dtype="str")
    b = pd.Series(["2024-06-30T23:28:25-04:00", "03/26/2024 3:04 PM", "aaa"], dtype="str")
    merged = date_evidence(a)
    merged += date_evidence(b)
    assert merged == date_evidence(pd.concat([b, a]))
    assert merged == DateEvidence(
        values=6,
        shapes={"ISO 8601": 1, "YYYY/MM/DD": 0, "slashes": 3, "DD.MM.YYYY": 0, "YYYYMMDD": 0},
        day_first_only=1,
        month_first_only=1,
        offsets=1,
        clock=1,
        unread=("aaa", "junk"),
    )


_RENDER = {
    "iso": lambda t, o: t.strftime("%Y-%m-%d"),
    "iso time": lambda t, o: t.strftime("%Y-%m-%dT%H:%M:%S"),
    "iso offset": lambda t, o: t.strftime("%Y-%m-%d %H:%M:%S ") + o,
    "ymd": lambda t, o: t.strftime("%Y/%m/%d %H:%M"),
    "mdy": lambda t, o: f"{t.month}/{t.day}/{t.year}",
    "mdy ampm": lambda t, o: f"{t.month}/{t.day}/{t:%y} {t:%I:%M %p}",
    "dmy": lambda t, o: t.strftime("%d/%m/%Y %H:%M"),
    "dotted": lambda t, o: t.strftime("%d.%m.%Y"),
    "compact": lambda t, o: t.strftime("%Y%m%d"),
}
_ODD = ["", "n/a", "Feb 13 2024", "1900-01-01", "2024-02-30", "13/13/2024", "01/01/1970"]


@st.composite
def columns(draw):
    """Text dates of a main shape mixed with others and with junk."""
    main = draw(st.sampled_from(sorted(_RENDER)))
    value = st.tuples(
        st.sampled_from([main] * 4 + sorted(_RENDER)),
        st.datetimes(dt.datetime(1960, 1, 1), dt.datetime(2060, 12, 31)),
        st.sampled_from(["Z", "+02:00", "-0400", "+0530", "UTC"]),
    ).map(lambda v: _RENDER[v[0]](v[1], v[2]))
    return draw(
        st.lists(st.one_of(value, value, value, st.sampled_from(_ODD)), min_size=1, max_size=40)
    )


@settings(max_examples=150, deadline=None)
@given(
    values=columns(),
    options=st.sampled_from(
        [
            DateOptions(),
            DateOptions(dayfirst=True),
            DateOptions(tz="Asia/Kolkata"),
            DateOptions(tz="Europe/Berlin", input_tz="America/New_York"),
        ]
    ),
    data=st.data(),
)
def test_no_row_order_or_split_changes_the_decision_or_the_values(values, options, data):
    whole = pd.Series(values, dtype="str")
    order = data.draw(st.permutations(range(len(whole))))
    shuffled = whole.iloc[list(order)]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(whole)), max_size=4)))
    batches = [shuffled.iloc[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True)]
    merged = DateEvidence()
    for batch in batches:
        merged += date_evidence(batch)
    assert merged == date_evidence(whole)
    try:
        reading = decide_dates(date_evidence(whole), options)
    except DateFormatError as error:
        with pytest.raises(DateFormatError) as again:
            decide_dates(merged, options)
        assert str(again.value) == str(error)
        event("no shape")
        return
    event(reading.label)
    assert decide_dates(merged, options) == reading
    expected, expected_placeholder = parse_dates(whole, reading)
    parts = [parse_dates(batch, reading) for batch in batches]
    parsed = pd.concat([p for p, _ in parts]).sort_index()
    pd.testing.assert_series_equal(parsed, expected)
    placeholder = pd.Series(
        np.concatenate([m for _, m in parts]), index=shuffled.index
    ).sort_index()
    assert placeholder.tolist() == expected_placeholder.tolist()
