"""Parse cell values as people type them (dates, numbers, statuses, priorities) with reasons when they fail."""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from coordhub.reading.tables import CellValue, is_blank


class ValueParseError(ValueError):
    """A cell value cannot be read; `str(error)` is the reason, written for people."""


def normalise_text(value: str) -> str:
    """Case-, accent- and punctuation-insensitive key: 'Clôturé ' → 'cloture', 'On-going' → 'on going'."""
    decomposed = unicodedata.normalize("NFKD", value)
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", without_accents.casefold()).split())


def parse_text(value: CellValue) -> str | None:
    """Trimmed text (internal runs of whitespace, non-breaking spaces included, become one space).

    Numbers read from .xlsx come back without a spurious '.0' (a code 1234 stays '1234').
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


# ---------------------------------------------------------------------------------------------
# Dates

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("january", "jan", "janvier", "janv"),
        ("february", "feb", "fevrier", "fev", "fevr"),
        ("march", "mar", "mars"),
        ("april", "apr", "avril", "avr"),
        ("may", "mai"),
        ("june", "jun", "juin"),
        ("july", "jul", "juillet", "juil"),
        ("august", "aug", "aout"),
        ("september", "sep", "sept", "septembre"),
        ("october", "oct", "octobre"),
        ("november", "nov", "novembre"),
        ("december", "dec", "decembre"),
    ],
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number

# Excel's day 0 is 1899-12-30 once its 1900 leap-year bug is accounted for.
EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers accepted as dates: 1927-05-18 .. 2173-10-14. A bare 2023 is a year, not a date.
EXCEL_SERIAL_RANGE = (10_000, 100_000)
YEAR_RANGE = (1900, 2100)

_ISO_RE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?$"
)
_NUMERIC_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_MONTH_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR_RE = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_TIME_SUFFIX = re.compile(r"\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?$", re.IGNORECASE)


def excel_serial_to_date(serial: float) -> date:
    return EXCEL_EPOCH + timedelta(days=int(serial))


def _check_year(year: int, original: object) -> int:
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise ValueParseError(f"{original!r}: the year {year} is out of range")
    return year


def _make_date(year: int, month: int, day: int | None, original: object, month_end: bool) -> date:
    _check_year(year, original)
    if not 1 <= month <= 12:
        raise ValueParseError(f"{original!r} is not a valid date (month {month})")
    if day is None:
        day = calendar.monthrange(year, month)[1] if month_end else 1
    try:
        return date(year, month, day)
    except ValueError as error:
        raise ValueParseError(f"{original!r} is not a valid date ({error})") from None


def _two_digit_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def parse_date(value: CellValue, *, day_first: bool = True, month_end: bool = False) -> date | None:
    """Read a date from a cell; None for a blank cell; ValueParseError with the reason otherwise.

    Accepted: date/datetime cells; Excel serial numbers (10000–100000, as number or digits);
    ISO `2026-03-01` (with or without a time); `01/03/2026`, `1.3.26`, `01-03-2026` (day first
    unless `day_first=False`, or when the first part cannot be a month); `20260301`;
    `1 Mar 2026`, `March 1, 2026`, `1er mars 2026`; month precision `March 2026`, `2026-03`,
    `03/2026`, which give the first day of the month, or the last when `month_end=True`.
    English and French month names, with or without accents.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueParseError(f"{value!r} is not a date")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)):
        return _serial_date(value, value)

    text = str(value).strip()
    lowered = text.lower()
    if lowered.isdigit():
        if len(lowered) == 8:
            match = _COMPACT_RE.match(lowered)  # eight digits: it matches
            assert match is not None
            return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), value, month_end)
        if len(lowered) == 4:
            raise ValueParseError(f"{text!r} is a year, not a date")
        return _serial_date(int(lowered), value)

    match = _ISO_RE.match(lowered)
    if match:
        return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), value, month_end)
    match = _NUMERIC_RE.match(lowered)
    if match:
        first, second, year = int(match.group(1)), int(match.group(2)), _two_digit_year(match.group(3))
        if first > 12 and second <= 12:
            day, month = first, second
        elif second > 12 and first <= 12:
            day, month = second, first
        elif day_first:
            day, month = first, second
        else:
            day, month = second, first
        return _make_date(year, month, day, value, month_end)
    match = _YEAR_MONTH_RE.match(lowered)
    if match:
        return _make_date(int(match.group(1)), int(match.group(2)), None, value, month_end)
    match = _MONTH_YEAR_RE.match(lowered)
    if match:
        return _make_date(int(match.group(2)), int(match.group(1)), None, value, month_end)
    return _textual_date(text, value, month_end)


def _serial_date(number: float, original: object) -> date:
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        raise ValueParseError(f"{original!r} is not a date")
    if not EXCEL_SERIAL_RANGE[0] <= number < EXCEL_SERIAL_RANGE[1]:
        if YEAR_RANGE[0] <= number <= YEAR_RANGE[1] and float(number).is_integer():
            raise ValueParseError(f"{original!r} is a year, not a date")
        raise ValueParseError(f"{original!r} is not a date")
    return excel_serial_to_date(number)


def _textual_date(text: str, original: object, month_end: bool) -> date:
    # A time after the date ("1 Mar 2026 10:30") is dropped.
    key = normalise_text(_TIME_SUFFIX.sub("", text))
    # '1st', '2nd', '23rd', '4th', French '1er'
    key = re.sub(r"\b(\d{1,2})(?:st|nd|rd|th|er)\b", r"\1", key)
    tokens = [token for token in key.split() if token not in ("the", "of", "le", "de", "du")]
    month = day = year = None
    for token in tokens:
        if token.isdigit():
            if len(token) == 4 and year is None:
                year = int(token)
            elif len(token) <= 2 and day is None:
                day = int(token)
            elif len(token) <= 2 and year is None:
                year = _two_digit_year(token)
            else:
                raise ValueParseError(f"{text!r} is not a date I can read")
        elif token in MONTHS and month is None:
            month = MONTHS[token]
        elif token.rstrip("s") in MONTHS and month is None:
            month = MONTHS[token.rstrip("s")]
        else:
            raise ValueParseError(f"{text!r} is not a date I can read")
    if month is None or year is None:
        if month is not None and year is None:
            raise ValueParseError(f"{text!r} has a month but no year")
        raise ValueParseError(f"{text!r} is not a date I can read")
    return _make_date(year, month, day, original, month_end)


def parse_month(value: CellValue) -> int | None:
    """A month number 1–12 from a name (English or French, full or short, any case, spaces
    around: 'October ' → 10), a number, or a date cell."""
    if is_blank(value):
        return None
    if isinstance(value, (datetime, date)):
        return value.month
    if isinstance(value, bool):
        raise ValueParseError(f"{value!r} is not a month")
    if isinstance(value, (int, float)):
        if float(value).is_integer() and 1 <= value <= 12:
            return int(value)
        raise ValueParseError(f"{value!r} is not a month")
    key = normalise_text(str(value))
    if key.isdigit() and 1 <= int(key) <= 12:
        return int(key)
    if key in MONTHS:
        return MONTHS[key]
    raise ValueParseError(f"{str(value).strip()!r} is not a month name")


def parse_year(value: CellValue) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, (datetime, date)):
        return value.year
    try:
        number = parse_number(value)
    except ValueParseError:
        raise ValueParseError(f"{str(value).strip()!r} is not a year") from None
    if number is None or not float(number).is_integer():
        raise ValueParseError(f"{value!r} is not a year")
    return _check_year(int(number), value)


def month_period(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month: (2023, 10) → (2023-10-01, 2023-10-31)."""
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


# ---------------------------------------------------------------------------------------------
# Numbers

_CURRENCY_MARKS = re.compile(
    r"^(?:[$€£]|usd|eur|gbp|chf|xof|xaf|afn|ngn)\s*|\s*(?:[$€£]|usd|eur|gbp|chf|xof|xaf|afn|ngn)$", re.IGNORECASE
)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_PLAIN_NUMBER = re.compile(r"^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$", re.IGNORECASE)


def parse_number(value: CellValue, *, decimal_comma: bool | None = None) -> float | int | None:
    """A number from a cell: numeric cells as they are; text with thousand separators
    (`1,234,567`, `1 234 567`, `1.234.567`, `1'234`), decimal commas (`12,5`, `1 234,56`,
    `1.234,56`), a leading currency mark (`$`, `USD`), accounting negatives `(1,200)`.

    A lone comma followed by exactly three digits (`1,234`) is read as a thousands separator
    unless `decimal_comma=True`; with `decimal_comma=True` a lone dot followed by three digits
    (`1.234`) is read as thousands too. Integers come back as int.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueParseError(f"{value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueParseError(f"{value!r} is not a number")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, (date, datetime)):
        raise ValueParseError(f"{parse_text(value)!r} is a date, not a number")

    original = str(value).strip()
    if original.isascii() and original.isdigit():
        return int(original)
    text = original
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    text = _CURRENCY_MARKS.sub("", text)
    text = _SPACES.sub("", text)
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    elif text.startswith("+"):
        text = text[1:]

    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        if text.rfind(",") > text.rfind("."):  # 1.234,56
            text = text.replace(".", "").replace(",", ".")
        else:  # 1,234.56
            text = text.replace(",", "")
    elif commas:
        if commas > 1:
            text = _thousands(text, ",", original)
        elif re.fullmatch(r"[1-9]\d{0,2},\d{3}", text) and not decimal_comma:
            text = text.replace(",", "")
        else:
            text = text.replace(",", ".")
    elif dots > 1:
        text = _thousands(text, ".", original)
    elif dots == 1 and decimal_comma and re.fullmatch(r"[1-9]\d{0,2}\.\d{3}", text):
        text = text.replace(".", "")

    if not _PLAIN_NUMBER.match(text):
        raise ValueParseError(f"{original!r} is not a number")
    number = float(text)
    if math.isinf(number):
        raise ValueParseError(f"{original!r} is too large")
    if negative:
        number = -number
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _thousands(text: str, separator: str, original: str) -> str:
    groups = text.split(separator)
    if not (1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])):
        raise ValueParseError(f"{original!r} is not a number (misplaced {separator!r})")
    return "".join(groups)


def parse_integer(value: CellValue, *, minimum: int | None = 0) -> int | None:
    """A whole number (beneficiaries, quantities of people); ValueParseError for fractions or
    values below `minimum` (0 by default: counts are never negative)."""
    number = parse_number(value)
    if number is None:
        return None
    if isinstance(number, float):
        raise ValueParseError(f"{parse_text(value)!r} is not a whole number")
    if minimum is not None and number < minimum:
        raise ValueParseError(f"{number} is below {minimum}")
    return number


def parse_amount(value: CellValue, *, decimal_comma: bool | None = None) -> float | None:
    """A money amount or quantity ≥ 0, as float."""
    number = parse_number(value, decimal_comma=decimal_comma)
    if number is None:
        return None
    if number < 0:
        raise ValueParseError(f"{parse_text(value)!r} is negative")
    return float(number)


def parse_currency(value: CellValue) -> str | None:
    """An ISO 4217 code: 'usd ' → 'USD'; '$' → 'USD', '€' → 'EUR', '£' → 'GBP'."""
    text = parse_text(value)
    if text is None:
        return None
    symbols = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "FCFA": "XOF", "CFA": "XOF"}
    code = symbols.get(text.upper(), text.upper())
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueParseError(f"{text!r} is not a three-letter currency code such as USD")
    return code


# ---------------------------------------------------------------------------------------------
# Vocabularies: statuses, priorities, organisation types

PROJECT_STATUS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "planned": (
        "planned",
        "planning",
        "plan",
        "pipeline",
        "proposed",
        "not started",
        "not yet started",
        "to start",
        "pending",
        "identification",
        "prevu",
        "prevue",
        "planifie",
        "planifiee",
        "en preparation",
        "en attente",
        "a venir",
        "non demarre",
    ),
    "ongoing": (
        "ongoing",
        "on going",
        "active",
        "in progress",
        "in implementation",
        "implementation",
        "implementing",
        "started",
        "running",
        "current",
        "en cours",
        "en cours d execution",
        "actif",
        "active",
        "demarre",
        "mise en oeuvre",
        "en execution",
    ),
    "completed": (
        "completed",
        "complete",
        "closed",
        "finished",
        "done",
        "ended",
        "finalised",
        "finalized",
        "post completion",
        "termine",
        "terminee",
        "acheve",
        "achevee",
        "cloture",
        "cloturee",
        "ferme",
        "fermee",
        "fini",
        "finie",
        "realise",
        "realisee",
    ),
    "suspended": (
        "suspended",
        "temporarily suspended",
        "on hold",
        "paused",
        "halted",
        "interrupted",
        "cancelled",
        "canceled",
        "suspendu",
        "suspendue",
        "temporairement suspendu",
        "interrompu",
        "interrompue",
        "en pause",
        "annule",
        "annulee",
    ),
}

NEED_STATUS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "open": (
        "open",
        "unmet",
        "not met",
        "new",
        "active",
        "pending",
        "ouvert",
        "ouverte",
        "non couvert",
        "non couverte",
        "en attente",
    ),
    "partially_met": (
        "partially met",
        "partial",
        "partly met",
        "partially covered",
        "in progress",
        "partiellement couvert",
        "partiellement couverte",
        "en cours",
    ),
    "met": ("met", "covered", "fully met", "fulfilled", "done", "couvert", "couverte", "satisfait", "satisfaite"),
    "closed": (
        "closed",
        "cancelled",
        "canceled",
        "obsolete",
        "ferme",
        "fermee",
        "cloture",
        "cloturee",
        "annule",
        "annulee",
    ),
}

PRIORITY_WORDS: dict[str, int] = {
    # 5 is the most urgent (the allocation engine weights priority 5 highest).
    "critical": 5,
    "very high": 5,
    "urgent": 5,
    "highest": 5,
    "critique": 5,
    "tres elevee": 5,
    "tres haute": 5,
    "prioritaire": 5,
    "high": 4,
    "elevee": 4,
    "eleve": 4,
    "haute": 4,
    "haut": 4,
    "medium": 3,
    "moderate": 3,
    "normal": 3,
    "moyenne": 3,
    "moyen": 3,
    "moderee": 3,
    "low": 2,
    "basse": 2,
    "bas": 2,
    "faible": 2,
    "very low": 1,
    "lowest": 1,
    "tres basse": 1,
    "tres faible": 1,
}

# coordhub OrganisationType values and the words 3W files use for them, in English and French. Offices
# abbreviate them in many ways ('ONG Int', 'Agence UN', 'Mouv. CR', "Int'l NGO"): parse_organisation_type
# also accepts any label whose words abbreviate, in order, the words of one of these (see _abbreviates).
ORGANISATION_TYPE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "un_mission": (
        "un mission",
        "peacekeeping mission",
        "mission des nations unies",
        "mission onu",
        "mission de maintien de la paix",
        "mission integree",
    ),
    "un_agency": (
        "un agency",
        "un",
        "united nations",
        "un agencies",
        "un agency fund programme",
        "uno",
        "agence des nations unies",
        "agence onu",
        "agence un",
        "nations unies",
        "onu",
        "snu",
        "agence snu",
        "systeme des nations unies",
        "agence du systeme des nations unies",
        "un fund",
        "un programme",
        "multilateral",
        "multilateral organisation",
        "multilateral organization",
        "organisation multilaterale",
    ),
    "international_ngo": (
        "ingo",
        "international ngo",
        "international non governmental organisation",
        "international non governmental organization",
        "international organisation",
        "international organization",
        "ong internationale",
        "ongi",
        "ong i",
        "oi",
        "intl ngo",
        "organisation internationale",
        "organisation non gouvernementale internationale",
    ),
    "national_ngo": (
        "nngo",
        "national ngo",
        "lngo",
        "local ngo",
        "ngo",
        "national non governmental organisation",
        "national non governmental organization",
        "cso",
        "civil society",
        "civil society organisation",
        "civil society organization",
        "cbo",
        "community based organisation",
        "community based organization",
        "ong",
        "ong nationale",
        "ong locale",
        "ongn",
        "osc",
        "association",
        "national organisation",
        "national organization",
        "local organisation",
        "local organization",
        "women led organisation",
        "women led organization",
        "wlo",
        "faith based organisation",
        "faith based organization",
        "organisation non gouvernementale nationale",
        "organisation de la societe civile",
        "societe civile",
        "organisation communautaire",
        "organisation communautaire de base",
        "ocb",
        "organisation confessionnelle",
    ),
    "local_authority": (
        "local authority",
        "local government",
        "municipality",
        "autorite locale",
        "collectivite locale",
        "collectivite territoriale",
        "mairie",
        "commune",
        "prefecture",
        "district authority",
    ),
    "government_ministry": (
        "government",
        "govt",
        "gov",
        "government ministry",
        "ministry",
        "national government",
        "gouvernement",
        "ministere",
        "etat",
        "public sector",
        "secteur public",
        "service technique de l etat",
        "structure etatique",
        "gvt",
    ),
    "donor": (
        "donor",
        "bailleur",
        "bailleur de fonds",
        "donateur",
        "foundation",
        "fondation",
        "bilateral donor",
        "bailleur bilateral",
    ),
    "red_cross": (
        "red cross",
        "red crescent",
        "red cross red crescent",
        "rcrc",
        "icrc",
        "ifrc",
        "rc movement",
        "red cross red crescent movement",
        "croix rouge",
        "croissant rouge",
        "mouvement croix rouge",
        "mouvement de la croix rouge",
        "mouvement croix rouge croissant rouge",
        "cicr",
        "ficr",
        "societe nationale de la croix rouge",
        "national red cross society",
    ),
    "private_sector": (
        "private sector",
        "private",
        "company",
        "business",
        "secteur prive",
        "prive",
        "entreprise",
        "societe privee",
    ),
}
# Words that carry no meaning in a type label ('Agence du SNU', 'Organisation of the UN').
_TYPE_FILLER_WORDS = frozenset({"de", "des", "du", "la", "le", "les", "l", "d", "of", "the", "and", "et"})


def _type_words(text: str) -> list[str]:
    """The label's meaningful words, singular ('Autorités locales' → ['autorite', 'locale'])."""
    words = [word for word in normalise_text(text.replace("'", "")).split() if word not in _TYPE_FILLER_WORDS]
    return [word[:-1] if len(word) > 3 and word.endswith("s") else word for word in words]


def _abbreviates(short: list[str], full: list[str]) -> bool:
    """True when the words of `short` abbreviate the words of `full` in order, each short word being either
    the start of the next full word ('int' → 'internationale', at least 2 letters) or the initials of the next
    few full words ('cr' → 'croix rouge'); every full word must be used."""
    if not short:
        return not full
    if not full:
        return False
    word = short[0]
    if len(word) >= 2 and full[0].startswith(word) and _abbreviates(short[1:], full[1:]):
        return True
    if len(word) >= 3 and _is_contraction(word, full[0]) and _abbreviates(short[1:], full[1:]):
        return True  # 'intl' → 'international', 'govt' → 'government'
    if word == full[0]:
        return _abbreviates(short[1:], full[1:])
    for count in range(2, min(len(word), len(full)) + 1):
        if "".join(f[0] for f in full[:count]) == word and len(word) == count and _abbreviates(short[1:], full[count:]):
            return True
    return False


def _is_contraction(short: str, full: str) -> bool:
    """True when `short` keeps the first letter of `full` and some of its other letters, in order."""
    if short[0] != full[0] or len(short) >= len(full):
        return False
    rest = iter(full[1:])
    return all(letter in rest for letter in short[1:])


def _abbreviated_organisation_type(text: str) -> str | None:
    """The one organisation type whose synonyms the label abbreviates; None when none or several do."""
    short = _type_words(text)
    if not short:
        return None
    found = {
        canonical
        for canonical, words in ORGANISATION_TYPE_SYNONYMS.items()
        for phrase in (canonical.replace("_", " "), *words)
        if _abbreviates(short, _type_words(phrase))
    }
    return found.pop() if len(found) == 1 else None


def _vocabulary_index(synonyms: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical, words in synonyms.items():
        index[normalise_text(canonical)] = canonical
        for word in words:
            index[normalise_text(word)] = canonical
    return index


_PROJECT_STATUS_INDEX = _vocabulary_index(PROJECT_STATUS_SYNONYMS)
_NEED_STATUS_INDEX = _vocabulary_index(NEED_STATUS_SYNONYMS)
_ORGANISATION_TYPE_INDEX = _vocabulary_index(ORGANISATION_TYPE_SYNONYMS)


def parse_project_status(value: CellValue) -> str | None:
    """'Ongoing', 'Closed ', 'Temporarily Suspended', 'en cours' → planned / ongoing / completed / suspended."""
    return _lookup(value, _PROJECT_STATUS_INDEX, PROJECT_STATUS_SYNONYMS, "project status")


def parse_need_status(value: CellValue) -> str | None:
    """→ open / partially_met / met / closed."""
    return _lookup(value, _NEED_STATUS_INDEX, NEED_STATUS_SYNONYMS, "need status")


def parse_organisation_type(value: CellValue) -> str | None:
    """'INGO', 'National NGO', 'UN Agency', 'Govt', 'ONG nationale', and their abbreviations ('ONG Int',
    'ONG Nat', 'Agence UN', 'Mouv. CR', "Int'l NGO") → coordhub organisation type values."""
    text = parse_text(value)
    if text is not None and normalise_text(text) not in _ORGANISATION_TYPE_INDEX:
        abbreviated = _abbreviated_organisation_type(text)
        if abbreviated is not None:
            return abbreviated
    return _lookup(value, _ORGANISATION_TYPE_INDEX, ORGANISATION_TYPE_SYNONYMS, "organisation type")


def _lookup(value: CellValue, index: dict[str, str], synonyms: Mapping[str, tuple[str, ...]], what: str) -> str | None:
    text = parse_text(value)
    if text is None:
        return None
    canonical = index.get(normalise_text(text))
    if canonical is None:
        raise ValueParseError(f"{text!r} is not a known {what} (use one of: {', '.join(synonyms)})")
    return canonical


def parse_priority(value: CellValue) -> int | None:
    """Priority 1–5 (5 most urgent): a number ('3', 3.0, 'P2'), or a word ('high', 'critique')."""
    text = parse_text(value)
    if text is None:
        return None
    key = normalise_text(text)
    if key in PRIORITY_WORDS:
        return PRIORITY_WORDS[key]
    key = re.sub(r"^(?:priority|priorite|p)\s*", "", key)
    try:
        number = parse_number(key if key else text)
    except ValueParseError:
        raise ValueParseError(f"{text!r} is not a priority from 1 to 5") from None
    if number is None or not float(number).is_integer() or not 1 <= number <= 5:
        raise ValueParseError(f"{text!r} is not a priority from 1 to 5")
    return int(number)


_BOOLEAN_WORDS = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "x": True,
    "oui": True,
    "vrai": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "non": False,
    "faux": False,
}


def parse_boolean(value: CellValue) -> bool | None:
    """yes/no, true/false, 1/0, oui/non, x."""
    if isinstance(value, bool):
        return value
    text = parse_text(value)
    if text is None:
        return None
    key = normalise_text(text)
    if key not in _BOOLEAN_WORDS:
        raise ValueParseError(f"{text!r} is not yes or no")
    return _BOOLEAN_WORDS[key]
