from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordhub.reading.values import (
    ValueParseError,
    month_period,
    normalise_text,
    parse_amount,
    parse_boolean,
    parse_currency,
    parse_date,
    parse_integer,
    parse_month,
    parse_need_status,
    parse_number,
    parse_organisation_type,
    parse_priority,
    parse_project_status,
    parse_text,
    parse_year,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("2026-03-01T10:30:00", date(2026, 3, 1)),
        ("2026/3/1", date(2026, 3, 1)),
        ("01/03/2026", date(2026, 3, 1)),
        ("1.3.26", date(2026, 3, 1)),
        ("01-03-2026", date(2026, 3, 1)),
        ("13/03/2026", date(2026, 3, 13)),
        ("03/13/2026", date(2026, 3, 13)),  # the 13 cannot be a month, so it is the day
        ("20260301", date(2026, 3, 1)),
        ("1 Mar 2026", date(2026, 3, 1)),
        ("01-Mar-2026", date(2026, 3, 1)),
        ("March 1st, 2026", date(2026, 3, 1)),
        ("1er mars 2026", date(2026, 3, 1)),
        ("15 août 2025", date(2025, 8, 15)),
        ("1 Mar 2026 10:30", date(2026, 3, 1)),
        ("45352", date(2024, 3, 1)),
        (45352, date(2024, 3, 1)),
        (45352.75, date(2024, 3, 1)),
        (datetime(2026, 3, 1, 12, 0), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 1)),
        ("March 2026", date(2026, 3, 1)),
        ("févr. 2026", date(2026, 2, 1)),
        ("2026-02", date(2026, 2, 1)),
        ("02/2026", date(2026, 2, 1)),
    ],
)
def test_dates_in_common_formats(text, expected):
    assert parse_date(text) == expected


def test_month_only_dates_end_on_the_last_day_for_end_dates():
    assert parse_date("February 2024", month_end=True) == date(2024, 2, 29)
    assert parse_date("2026-02", month_end=True) == date(2026, 2, 28)
    assert parse_date("1 Feb 2026", month_end=True) == date(2026, 2, 1)


def test_month_first_flag():
    assert parse_date("01/03/2026", day_first=False) == date(2026, 1, 3)
    assert parse_date("13/03/2026", day_first=False) == date(2026, 3, 13)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("31/02/2026", "not a valid date"),
        ("2026", "is a year"),
        (2023, "is a year"),
        ("soon", "not a date"),
        ("March", "no year"),
        ("2026-13-01", "month 13"),
        ("01/01/3026", "out of range"),
        (12, "not a date"),
        (True, "not a date"),
    ],
)
def test_bad_dates_say_why(text, reason):
    with pytest.raises(ValueParseError, match=reason):
        parse_date(text)


def test_blank_is_none_everywhere():
    for parser in (
        parse_date,
        parse_number,
        parse_integer,
        parse_project_status,
        parse_priority,
        parse_month,
        parse_text,
        parse_currency,
    ):
        assert parser(None) is None
        assert parser("   ") is None


def test_months_and_years_as_in_the_nigeria_file():
    assert parse_month("October ") == 10
    assert parse_month("oct") == 10
    assert parse_month("Décembre") == 12
    assert parse_month(11) == 11
    assert parse_year(2023) == 2023
    assert parse_year("2023") == 2023
    assert month_period(2023, 10) == (date(2023, 10, 1), date(2023, 10, 31))
    with pytest.raises(ValueParseError, match="not a month"):
        parse_month("Octember")
    with pytest.raises(ValueParseError):
        parse_year("20.5")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,234", 1234),
        ("1,234,567", 1234567),
        ("1 234 567", 1234567),
        ("1\u00a0234", 1234),
        ("1\u202f234,5", 1234.5),
        ("1.234.567", 1234567),
        ("1.234,56", 1234.56),
        ("1,234.56", 1234.56),
        ("12,5", 12.5),
        ("0,125", 0.125),
        ("1'234", 1234),
        ("$1,200", 1200),
        ("USD 1,200.50", 1200.5),
        ("1 200 €", 1200),
        ("(1,200)", -1200),
        ("-3", -3),
        ("1e3", 1000),
        (3.0, 3),
        (2.5, 2.5),
        (7, 7),
    ],
)
def test_numbers_with_separators(text, expected):
    assert parse_number(text) == expected


def test_decimal_comma_flag_decides_the_ambiguous_cases():
    assert parse_number("1,234", decimal_comma=True) == 1.234
    assert parse_number("1.234", decimal_comma=True) == 1234
    assert parse_number("1.234") == 1.234


@pytest.mark.parametrize("text", ["abc", "1,2,3", "12..5", "1.2.3,4,5", "--1", "", "NaN"])
def test_bad_numbers(text):
    if text == "":
        assert parse_number(text) is None
        return
    with pytest.raises(ValueParseError):
        parse_number(text)


def test_integers_and_amounts():
    assert parse_integer("1,200") == 1200
    with pytest.raises(ValueParseError, match="whole number"):
        parse_integer("12.5")
    with pytest.raises(ValueParseError, match="below 0"):
        parse_integer("-4")
    assert parse_amount("12,5") == 12.5
    with pytest.raises(ValueParseError, match="negative"):
        parse_amount("-4")


@given(st.integers(min_value=0, max_value=10**12))
def test_thousand_separated_integers_read_back(number):
    for separator in (",", " ", "\u00a0", "."):
        text = f"{number:,}".replace(",", separator)
        # A single dot group ('1.000') is a decimal point unless the file uses decimal commas.
        assert parse_number(text, decimal_comma=separator == ".") == number


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2099, 12, 31)))
def test_dates_written_in_any_common_format_read_back(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(day.strftime("%m/%d/%Y"), day_first=False) == day
    assert parse_date(day.strftime("%d %b %Y")) == day
    assert parse_date(day.strftime("%B %d, %Y")) == day


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ongoing", "ongoing"),
        ("On-going", "ongoing"),
        ("ONGOING ", "ongoing"),
        ("en cours", "ongoing"),
        ("Completed", "completed"),
        ("Closed", "completed"),
        ("Closed ", "completed"),
        ("Clôturé", "completed"),
        ("Terminé", "completed"),
        ("Planned", "planned"),
        ("Prévu", "planned"),
        ("pipeline", "planned"),
        ("Temporarily Suspended", "suspended"),
        ("on hold", "suspended"),
        ("Suspendu", "suspended"),
    ],
)
def test_project_statuses(text, expected):
    assert parse_project_status(text) == expected


def test_unknown_status_lists_the_choices():
    with pytest.raises(ValueParseError, match="planned, ongoing, completed, suspended"):
        parse_project_status("maybe")
    assert parse_need_status("Partially met") == "partially_met"
    assert parse_need_status("couvert") == "met"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1", 1),
        (5, 5),
        (3.0, 3),
        ("P2", 2),
        ("priority 4", 4),
        ("High", 4),
        ("critique", 5),
        ("Low", 2),
        ("moyenne", 3),
    ],
)
def test_priorities(text, expected):
    assert parse_priority(text) == expected


@pytest.mark.parametrize("text", ["0", "6", "2.5", "urgentissime"])
def test_bad_priorities(text):
    with pytest.raises(ValueParseError, match="1 to 5"):
        parse_priority(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("INGO", "international_ngo"),
        ("International NGO", "international_ngo"),
        ("NNGO", "national_ngo"),
        ("National NGO", "national_ngo"),
        ("UN Agency", "un_agency"),
        ("United Nations", "un_agency"),
        ("Govt", "government_ministry"),
        ("ONG nationale", "national_ngo"),
        ("Croix-Rouge", "red_cross"),
    ],
)
def test_organisation_types_from_real_files(text, expected):
    assert parse_organisation_type(text) == expected


def test_text_currency_boolean():
    assert parse_text("  Relief\u00a0 ") == "Relief"
    assert parse_text(1234.0) == "1234"
    assert parse_text(datetime(2026, 3, 1)) == "2026-03-01"
    assert parse_currency(" usd") == "USD"
    assert parse_currency("€") == "EUR"
    with pytest.raises(ValueParseError, match="three-letter"):
        parse_currency("dollars")
    assert parse_boolean("Oui") is True and parse_boolean("no") is False
    assert normalise_text("  Clôturé-Fermé ") == "cloture ferme"
