"""Units every stage shares: seconds as hours, money to the cent, durations as a clock reads.

Durations are whole seconds everywhere; money is Decimal. These are the only conversions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

HOUR = Decimal(3600)  # seconds in an hour
CENT = Decimal("0.01")


def hours(seconds: float) -> Decimal:
    """Seconds as hours to two places, half up, as reports show them: 5400 → Decimal('1.50')."""
    return (Decimal(int(seconds)) / HOUR).quantize(CENT, rounding=ROUND_HALF_UP)


def hours_text(seconds: float) -> str:
    """Seconds as hours to two places, as summaries and notes print them: 5400 → '1.50'."""
    return f"{Decimal(int(seconds)) / HOUR:.2f}"


def hm(seconds: float) -> str:
    """Seconds as hours:minutes for messages: 5400 → '1:30', -5400 → '-1:30'."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(int(seconds))
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}"
