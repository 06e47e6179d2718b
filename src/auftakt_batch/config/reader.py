"""Typed reads from the positioned YAML tree, each bad value becoming a located problem.

Every reader takes the node and its key path and returns the value or None; a None with
a problem recorded means "wrong", a None without one means "not given".
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from ..problems import Problem, Source, error
from .yamltree import Map, Node, Scalar, Seq, is_empty

TRUE = {"true", "yes", "on"}
FALSE = {"false", "no", "off"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")



EXAMPLES = {  # what a required key looks like, for the message that says it is missing
    "per": "per: month",
    "amount": "amount: 2000.00",
    "hours": "hours: 12",
    "fee": "fee: 1500.00",
    "price": "price: 12000.00",
    "name": "name: …",
    "country": "country: DE",
    "currency": "currency: EUR",
    "timezone": "timezone: Europe/Berlin",
    "vat_rate": "vat_rate: 19",
    "from": "from: 2026-01-01",
    "milestones": "milestones: [{name: …, share: 100%}]",
    "max_hours": "max_hours: 6",
    "after_days": "after_days: [7, 21, 35]",
    "clients": "clients: {…}",
    "team": "team: [{name: …}]",
    "agency": "agency: {name: …, country: DE, …}",
}

@dataclass
class Reader:
    file: str = "rates.yaml"
    problems: list[Problem] = field(default_factory=list)

    def fail(self, line: int | None, path: str, message: str) -> None:
        self.problems.append(error(Source(self.file, line, key=path or None), "config", message))

    def mapping(self, node: Node | None, path: str, allowed: set[str],
                required: frozenset[str] | set[str] = frozenset()) -> Map | None:
        """A mapping with only `allowed` keys and all `required` ones; unknown keys are errors."""
        if node is None:  # absent: whether that is allowed is the caller's business
            return None
        if is_empty(node):
            if required:
                self.fail(node.line, path, f"empty; needs {', '.join(sorted(required))}")
            return None
        if not isinstance(node, Map):
            self.fail(node.line, path, f"expected a mapping of keys ({', '.join(sorted(allowed))})")
            return None
        for key, line in node.duplicates:
            self.fail(line, _join(path, key), "given twice; the second would silently win — keep one")
        for key in node.items:
            if key not in allowed:
                self.fail(node.key_lines[key], _join(path, key), f"unknown key — {_did_you_mean(key, allowed)}")
        for key in sorted(required - node.items.keys()):
            self.fail(node.line, _join(path, key), f"missing (required) — add `{EXAMPLES.get(key, key + ': …')}`")
        for key in sorted(required & node.items.keys()):
            if is_empty(node.items[key]):
                self.fail(node.key_lines[key], _join(path, key), "empty — it is required: give it a value")
        return node

    def scalar(self, node: Node | None, path: str) -> Scalar | None:
        if is_empty(node):
            return None
        if not isinstance(node, Scalar):
            self.fail(node.line, path, "expected a single value, not a list or mapping")
            return None
        return node

    def text(self, node: Node | None, path: str) -> str | None:
        s = self.scalar(node, path)
        return s.text if s else None

    def decimal(self, node: Node | None, path: str, *, low: Decimal | None = Decimal(0),
                high: Decimal | None = None, places: int | None = None) -> Decimal | None:
        s = self.scalar(node, path)
        if s is None:
            return None
        text = s.text.strip().replace("_", "")
        if not _NUMBER.fullmatch(text):
            self.fail(s.line, path, f"not a number: {s.text!r} — write it like \"120.00\"")
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
            self.fail(s.line, path, f"not a number: {s.text!r}")
            return None
        if not self._within(s, path, value, low, high):
            return None
        if places is not None and value != (whole := value.quantize(Decimal(1).scaleb(-places))):
            self.fail(s.line, path, f"{s.text} has more than {places} decimal places — invoices are in cents, "
                                    f"write it like \"{whole}\"")
            return None
        return value

    def percent(self, node: Node | None, path: str, *, low: Decimal | None = Decimal(0),
                high: Decimal | None = None) -> Decimal | None:
        """A percent as its number: "10%", "7.5 %", "10" and 10 all read as the number before the sign."""
        s = self.scalar(node, path)
        if s is None:
            return None
        text = s.text.strip().removesuffix("%").strip().replace("_", "")
        if not _NUMBER.fullmatch(text):
            self.fail(s.line, path, f"not a percent: {s.text!r} — write it like \"10%\"")
            return None
        value = Decimal(text)
        return value if self._within(s, path, value, low, high) else None

    def _within(self, s: Scalar, path: str, value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
        if low is not None and value < low:
            self.fail(s.line, path, f"must be at least {low}, got {s.text}")
            return False
        if high is not None and value > high:
            self.fail(s.line, path, f"must be at most {high}, got {s.text}")
            return False
        return True

    def integer(self, node: Node | None, path: str, *, low: int = 0, high: int | None = None) -> int | None:
        value = self.decimal(node, path, low=Decimal(low), high=None if high is None else Decimal(high))
        if value is None:
            return None
        if value != value.to_integral_value():
            self.fail(node.line, path, f"must be a whole number, got {value}")
            return None
        return int(value)

    def boolean(self, node: Node | None, path: str) -> bool | None:
        s = self.scalar(node, path)
        if s is None:
            return None
        word = s.text.strip().lower()
        if word in TRUE or word in FALSE:
            return word in TRUE
        self.fail(s.line, path, f"expected true or false, got {s.text!r}")
        return None

    def day(self, node: Node | None, path: str) -> date | None:
        s = self.scalar(node, path)
        if s is None:
            return None
        try:
            return date.fromisoformat(s.text.strip())
        except ValueError:
            self.fail(s.line, path, f"not a date: {s.text!r} — write it as YYYY-MM-DD")
            return None

    def choice(self, node: Node | None, path: str, options: tuple[str, ...]) -> str | None:
        s = self.scalar(node, path)
        if s is None:
            return None
        if s.text not in options:
            self.fail(s.line, path, f"must be one of {' | '.join(options)}, got {s.text!r}")
            return None
        return s.text

    def pattern(self, node: Node | None, path: str, regex: str, hint: str) -> str | None:
        s = self.scalar(node, path)
        if s is None:
            return None
        if not re.fullmatch(regex, s.text):
            self.fail(s.line, path, f"{s.text!r} is not {hint}")
            return None
        return s.text

    def text_list(self, node: Node | None, path: str) -> tuple[str, ...]:
        items = self.sequence(node, path, example=', e.g. ["ACME", "Acme Corp."]')
        texts = (self.text(item, f"{path}[{i}]") for i, item in enumerate(items))
        return tuple(text for text in texts if text)

    def sequence(self, node: Node | None, path: str, example: str = "") -> tuple[Node, ...]:
        if is_empty(node):
            return ()
        if not isinstance(node, Seq):
            self.fail(node.line, path, f"expected a list{example}")
            return ()
        return node.items


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _did_you_mean(key: str, allowed: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.7)
    if close:
        return f"did you mean '{close[0]}'?"
    return "allowed here: " + ", ".join(sorted(allowed))
