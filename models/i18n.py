"""The languages Orderly writes in: gettext message catalogs (Babel), and dates and money as each language writes them.

The messages are gettext catalogs under `models/locale/<language>/LC_MESSAGES/messages.po`, extracted by Babel
(`babel.cfg`: the Python modules and every template) and compiled to `.mo` by `make install`. English is the source
language: its messages are the msgids themselves, so English output is what the templates and the code say.

Who reads which language: the customer reads the order's (`OrderForm.language`, default the company's); staff and
departments read the company's (`ORDERLY_COMPANY_LANGUAGE`).
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Literal

Language = Literal["en", "fil"]
LANGUAGES: tuple[Language, ...] = ("en", "fil")
DEFAULT_LANGUAGE: Language = "en"
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "fil": "Filipino"}  # each in its own words, for the switch
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

# How each language writes a date in a sentence: English as Orderly always has ("Tuesday, 29 December 2026"),
# Filipino as the CLDR writes it ("Martes, Disyembre 29, 2026").
_LONG_DATE = {"en": "EEEE, d MMMM y", "fil": "full"}
_SHORT_DATE = {"en": "yyyy-MM-dd", "fil": "MMM d, y"}
# Money: English keeps Orderly's "1,890.00 USD"; Filipino writes the currency sign first ("₱1,890.00").
_MONEY = {"en": "#,##0.00 ¤¤", "fil": None}


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown (`gettext`)."""
    return message


def language_of(value: str | None, default: str = DEFAULT_LANGUAGE) -> Language:
    """A known language, or `default` (the company's) for none or an unknown one."""
    return value if value in LANGUAGES else (default if default in LANGUAGES else DEFAULT_LANGUAGE)  # type: ignore


@lru_cache(maxsize=8)
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of `language` (English: none, the msgids are English).

    Reads the `.mo` that `make install` compiles; when it is missing or older than its `.po` (a fresh clone run
    without make, a translation just edited), compiles the `.po` in memory instead, so nothing reads stale text."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return _gettext.NullTranslations()
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return _gettext.GNUTranslations(f)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def translate(language: str, message: str, **values: object) -> str:
    """`message` in `language`, with `%(name)s` placeholders filled from `values` (when given)."""
    text = translations(language).gettext(message)
    return text % values if values else text


def translate_plural(language: str, singular: str, plural: str, n: int, **values: object) -> str:
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **values}


def long_date(value: date | str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """A date in a sentence: "Tuesday, 29 December 2026", "Martes, Disyembre 29, 2026"."""
    if value is None:
        return translate(language, "to be confirmed")
    from babel.dates import format_date  # imported when used: the workflow sandbox imports this module's names
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, _LONG_DATE.get(language, _LONG_DATE["en"]), locale=language_of(language))


def short_date(value: date | str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """A date on a page: "2026-12-29" in English (as Orderly always showed it), "Dis 29, 2026" in Filipino."""
    from babel.dates import format_date
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if hasattr(value, "date"):
        value = value.date()
    return format_date(value, _SHORT_DATE.get(language, _SHORT_DATE["en"]), locale=language_of(language))


def money(value: Decimal | float | str, currency: str = "USD", language: str = DEFAULT_LANGUAGE) -> str:
    """An amount in the company's currency: "1,890.00 USD" in English, "₱1,890.00" in Filipino."""
    from babel.numbers import format_currency
    amount = Decimal(str(value))
    return format_currency(amount, currency, format=_money_pattern(language), locale=_locale(language_of(language)),
                           currency_digits=False, format_type="standard")


@lru_cache(maxsize=8)
def _money_pattern(language: str):  # noqa: ANN202 (babel's NumberPattern, or None: the locale's own)
    """Parsed once: babel parses a pattern given as text on every call (four times an order confirmation)."""
    from babel.numbers import parse_pattern
    pattern = _MONEY.get(language, _MONEY["en"])
    return None if pattern is None else parse_pattern(pattern)


@lru_cache(maxsize=8)
def _locale(language: str):  # noqa: ANN202
    from babel import Locale
    return Locale.parse(language)


def yes_no(value: bool, language: str = DEFAULT_LANGUAGE) -> str:
    return translate(language, "yes") if value else translate(language, "no")
