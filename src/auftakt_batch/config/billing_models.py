"""rates.yaml's billing models: a job's `retainer:`, `fixed:` (a price and its milestones) or
`cap:`, and a client's `expenses: {markup}`.

Each is read with its job (clients.py calls `read_models`); what needs the client as well — is
it billable, has it an hourly rate for a retainer's overage — is checked once the client is read
(`check_models`). A milestone's share is resolved to cents here, the last milestone taking the
remainder, so the amounts always add up to the price exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .model import Cap, Client, Fixed, Milestone, Retainer
from .reader import Reader
from .yamltree import Map, Node, Scalar, Seq, is_empty

MODELS = {"retainer": "retainer", "fixed": "fixed price", "cap": "cap"}  # rates.yaml key -> what it is called
RETAINER_KEYS = {"fee", "hours", "per", "overage", "overage_rate", "rollover", "from", "until"}
MILESTONE_EXAMPLE = '{name: Launch, share: "70%"}'
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def read_models(r: Reader, m: Map | None, path: str) -> tuple[Retainer | None, Fixed | None, Cap | None]:
    """A job's billing model, if it has one: at most one of retainer, fixed and cap."""
    if m is None:
        return None, None, None
    given = [key for key in m.items if key in MODELS and not is_empty(m.items[key])]  # in the file's order
    for other in given[1:]:
        r.fail(m.key_lines[other], f"{path}.{other}", f"a job bills by one model: {given[0]} or {other}, "
                                                      "not both — keep one")
    f = m.items.get
    return (_retainer(r, f("retainer"), f"{path}.retainer"), _fixed(r, f("fixed"), f"{path}.fixed"),
            _cap(r, f("cap"), f"{path}.cap"))


def check_models(r: Reader, client: Client, jobs: Node | None, path: str) -> None:
    """What a job's billing model needs of its job and client: both billable; for a retainer that
    bills overage without its own overage_rate, an hourly rate on the job or the client."""
    if not isinstance(jobs, Map):
        return
    client_rated = bool(client.rate or client.role_rates or client.person_rates)
    for key, job in client.jobs.items():
        node, job_path = jobs.items[key], f"{path}.jobs.{key}"
        if not isinstance(node, Map):  # a job with nothing under it has no model
            continue
        for model in (model for model in MODELS if not is_empty(node.items.get(model))):
            if not job.billable or not client.billable:
                whose = ("the job is not billable (billable: false)" if not job.billable else
                         f"its client is not billable (clients.{client.key}.billable: false)")
                r.fail(node.key_lines[model], f"{job_path}.{model}", f"a {MODELS[model]} bills the job, but "
                                                                     f"{whose} — remove one of the two")
        retainer = job.retainer
        if (retainer and retainer.overage == "bill" and retainer.overage_rate is None and not client_rated
                and not (job.rate or job.person_rates)):
            r.fail(node.key_lines["retainer"], f"{job_path}.retainer", (
                "overage: bill needs overage_rate or an hourly rate on the job or client — add overage_rate "
                '(e.g. "110.00") or a rate, or write overage: absorb'))


def read_expense_markup(r: Reader, node: Node | None, path: str) -> Decimal:
    """`expenses: {markup: "10%"}`: the percent added to pass-through costs; 0 when not given."""
    m = r.mapping(node, path, {"markup"})
    markup = r.percent(m.items.get("markup"), f"{path}.markup") if m else None
    return Decimal(0) if markup is None else markup


def _retainer(r: Reader, node: Node | None, path: str) -> Retainer | None:
    before = len(r.problems)
    m = r.mapping(node, path, RETAINER_KEYS, {"fee", "hours", "per", "from"})
    if m is None:
        return None
    f = m.items.get
    per = r.choice(f("per"), f"{path}.per", ("month", "quarter"))
    retainer = Retainer(
        fee=_money(r, f("fee"), f"{path}.fee", "1500.00"),
        hours=r.decimal(f("hours"), f"{path}.hours"),
        per=per,
        overage=r.choice(f("overage"), f"{path}.overage", ("bill", "absorb")) or "bill",
        overage_rate=_money(r, f("overage_rate"), f"{path}.overage_rate", "110.00"),
        rollover_max_hours=_rollover(r, f("rollover"), f"{path}.rollover"),
        start=r.day(f("from"), f"{path}.from"),
        until=r.day(f("until"), f"{path}.until"),
    )
    if per and retainer.start:
        _check_bounds(r, m, path, retainer)
    return retainer if len(r.problems) == before else None


def _rollover(r: Reader, node: Node | None, path: str) -> Decimal | None:
    """`rollover: {max_hours: 6}`; `{max_hours: 0}` is no rollover, as is leaving it out."""
    m = r.mapping(node, path, {"max_hours"}, {"max_hours"})
    return (r.decimal(m.items.get("max_hours"), f"{path}.max_hours") or None) if m else None


def _check_bounds(r: Reader, m: Map, path: str, retainer: Retainer) -> None:
    """`from` is the first day of a period, `until` the last day of one, not before `from`."""
    per, start, until = retainer.per, retainer.start, retainer.until
    first = _period_start(per, start)
    if start != first:
        r.fail(m.items["from"].line, f"{path}.from", f"{start} is not the first day of a {_period_words(per)} — "
               f"write {first}, or {_next_period(per, first)} to begin with the next {per}")
    if until is None:
        return
    last = _next_period(per, _period_start(per, until)) - timedelta(days=1)
    if until != last:
        before = _period_start(per, until) - timedelta(days=1)
        r.fail(m.items["until"].line, f"{path}.until", f"{until} is not the last day of a {_period_words(per, 'end')} "
               f"— write {last}, or {before} to end with the {per} before")
    elif until < start:
        r.fail(m.items["until"].line, f"{path}.until", f"{until} is before from ({start}) — write the last day "
               f"of the last {per} billed, {_next_period(per, first) - timedelta(days=1)} or later")


def _period_start(per: str, day: date) -> date:
    return date(day.year, day.month if per == "month" else (day.month - 1) // 3 * 3 + 1, 1)


def _next_period(per: str, first: date) -> date:
    month = first.month - 1 + (1 if per == "month" else 3)
    return date(first.year + month // 12, month % 12 + 1, 1)


def _period_words(per: str, edge: str = "begin") -> str:
    if per == "month":
        return "month"
    days = "1 January, April, July or October" if edge == "begin" else "31 March, 30 June, 30 September or 31 December"
    return f"quarter ({days})"


def _cap(r: Reader, node: Node | None, path: str) -> Cap | None:
    before = len(r.problems)
    m = r.mapping(node, path, {"amount", "per"}, {"amount", "per"})
    if m is None:
        return None
    cap = Cap(amount=_money(r, m.items.get("amount"), f"{path}.amount", "2000.00"),
              per=r.choice(m.items.get("per"), f"{path}.per", ("month", "total")))
    return cap if len(r.problems) == before else None


@dataclass(frozen=True)
class _Part:
    """A milestone as written: its share (percent) or amount, before the shares are resolved."""

    node: Map
    path: str
    kind: str  # share | amount
    value: Decimal
    name: str
    done: date | None


def _fixed(r: Reader, node: Node | None, path: str) -> Fixed | None:
    before = len(r.problems)
    m = r.mapping(node, path, {"price", "milestones"}, {"price", "milestones"})
    if m is None:
        return None
    price = _money(r, m.items.get("price"), f"{path}.price", "12000.00")
    listed = m.items.get("milestones")
    items = r.sequence(listed, f"{path}.milestones", example=f", e.g. [{MILESTONE_EXAMPLE}]")
    if isinstance(listed, Seq) and not items:
        r.fail(m.key_lines["milestones"], f"{path}.milestones", "no milestones — give at least one, e.g. "
                                                                '[{name: Launch, share: "100%"}]')
    parts = [_milestone(r, item, f"{path}.milestones[{i}]") for i, item in enumerate(items)]
    read = [part for part in parts if part is not None]
    if read and len(read) == len(parts):
        _check_parts(r, read)
    if price is None or len(r.problems) > before:
        return None
    _check_total(r, m, path, price, read)
    milestones = _resolve(r, price, read) if len(r.problems) == before else ()
    return Fixed(price=price, milestones=milestones) if len(r.problems) == before else None


def _milestone(r: Reader, node: Node, path: str) -> _Part | None:
    m = r.mapping(node, path, {"name", "share", "amount", "done"}, {"name"})
    if m is None:
        return None
    given = [key for key in ("share", "amount") if not is_empty(m.items.get(key))]
    if len(given) != 1:
        r.fail(m.line, path, f"give exactly one of share or amount, e.g. {MILESTONE_EXAMPLE}")
        return None
    kind = given[0]
    if kind == "share":
        value = r.percent(m.items["share"], f"{path}.share", low=None, high=HUNDRED)
        if value is not None and value <= 0:
            r.fail(m.items["share"].line, f"{path}.share", f"must be more than 0 %, got {m.items['share'].text} — "
                                                           "give it a share like \"30%\", or leave the milestone out")
            value = None
    else:
        value = _money(r, m.items["amount"], f"{path}.amount", "3600.00")
    name = r.text(m.items.get("name"), f"{path}.name")
    done = r.day(m.items.get("done"), f"{path}.done")
    if value is None or name is None:
        return None
    return _Part(m, path, kind, value, name, done)


def _check_parts(r: Reader, parts: list[_Part]) -> None:
    """Each milestone named once; all of them by share or all by amount."""
    seen: dict[str, str] = {}
    for part in parts:
        first = seen.setdefault(part.name, part.path)
        if first != part.path:
            r.fail(part.node.items["name"].line, f"{part.path}.name",
                   f"{part.name!r} is already {first.rsplit('.', 1)[1]} — each milestone needs its own name")
    odd = next((part for part in parts if part.kind != parts[0].kind), None)
    if odd is not None:
        r.fail(odd.node.key_lines[odd.kind], f"{odd.path}.{odd.kind}", (
            f"the milestones before give {'a share' if parts[0].kind == 'share' else 'an amount'} — give every "
            "milestone a share, or every one an amount"))


def _check_total(r: Reader, m: Map, path: str, price: Decimal, parts: list[_Part]) -> None:
    """Shares add to 100 %; amounts add to the price."""
    total = sum((part.value for part in parts), Decimal(0))
    line, where = m.key_lines["milestones"], f"{path}.milestones"
    if parts[0].kind == "share" and total != HUNDRED:
        r.fail(line, where, f"shares add to {_plain(total)} %, not 100 % — change them so they add to 100 %")
    elif parts[0].kind == "amount" and total != price:
        r.fail(line, where, f"amounts add to {total}, not the price {price} — change them (or the price) so "
                            "they add to the price")


def _resolve(r: Reader, price: Decimal, parts: list[_Part]) -> tuple[Milestone, ...]:
    """Each milestone's amount: a share of the price to the cent (a half cent up); the last one
    takes what the others leave, so the amounts add to the price exactly."""
    if parts[0].kind == "amount":
        return tuple(Milestone(name=p.name, amount=p.value, done=p.done) for p in parts)
    amounts = [(price * p.value / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP) for p in parts[:-1]]
    amounts.append(price - sum(amounts, Decimal(0)))
    last = parts[-1]
    if amounts[-1] <= 0:
        r.fail(last.node.items["share"].line, f"{last.path}.share", (
            f"the others' shares of {price}, each rounded to the cent, leave {amounts[-1]} for this one — give the "
            "milestones amounts instead of shares"))
    return tuple(Milestone(name=p.name, amount=a, done=p.done) for p, a in zip(parts, amounts))


def _plain(number: Decimal) -> str:
    """90, 99.99: a sum of percents as a person writes it, without trailing zeros."""
    return format(number.normalize(), "f")


def _money(r: Reader, node: Node | None, path: str, example: str) -> Decimal | None:
    """An amount of money above 0, in cents at most."""
    value = r.decimal(node, path, low=None, places=2)
    if value is not None and value <= 0:
        assert isinstance(node, Scalar)  # a value was read from it
        r.fail(node.line, path, f"must be more than 0, got {node.text} — write it like \"{example}\"")
        return None
    return value
