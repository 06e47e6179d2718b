"""Units every stage shares: seconds as hours, money to the cent, durations as a clock reads.

Durations are whole seconds everywhere; money is Decimal. These are the only conversions.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

HOUR = Decimal(3600)  # seconds in an hour
CENT = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.0001")  # hours on an invoice line: within 0.18 s of the billed time
LOCALES = {"en": "en_GB", "de": "de_DE"}  # invoice language -> the locale its numbers and dates follow
_LETTER_DIGIT = re.compile(r"([A-Za-z])(\d)")


def hours(seconds: float) -> Decimal:
    """Seconds as hours to two places, half up, as reports show them: 5400 → Decimal('1.50')."""
    return (Decimal(int(seconds)) / HOUR).quantize(CENT, rounding=ROUND_HALF_UP)


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole as a fraction to 4 places, half up (a percentage cell shows 2), None when whole is 0."""
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if whole else None


@lru_cache(maxsize=8192)  # a month's entries have few distinct durations; a Decimal is immutable
def hour_quantity(seconds: int) -> Decimal:
    """Billed seconds as the hours printed on an invoice line: 5400 → Decimal('1.5'), to 4 places."""
    return (Decimal(int(seconds)) / HOUR).quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP).normalize()


def hours_text(seconds: float) -> str:
    """Seconds as hours to two places, as summaries and notes print them: 5400 → '1.50'."""
    return f"{Decimal(int(seconds)) / HOUR:.2f}"


def hm(seconds: float) -> str:
    """Seconds as hours:minutes for messages: 5400 → '1:30', -5400 → '-1:30'."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(int(seconds))
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}"


def format_number(value: Decimal, language: str, places: int | None = None) -> str:
    """A number as the client's locale writes it (babel); `places` fixes the decimals."""
    from babel.numbers import format_decimal

    pattern = None if places is None else "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=LOCALES[language])


def format_money(value: Decimal, currency: str, language: str) -> str:
    """'€1,234.50' / '1.234,50 €', as the client's locale writes its currency (babel)."""
    from babel.numbers import format_currency

    text = format_currency(value, currency, locale=LOCALES[language])
    return _LETTER_DIGIT.sub("\\1\u00a0\\2", text, count=1)  # CLDR currency spacing: 'CHF 99.00', not 'CHF99.00'
