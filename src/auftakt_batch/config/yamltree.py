"""YAML as a tree of positioned values, for error messages that name a line.

PyYAML's composer gives nodes with their marks; we turn them into plain `Map`, `Seq` and
`Scalar` values that keep the line number and the scalar's *text*. Scalars are never
converted by YAML's own rules: `120.00` stays the text `120.00` (read later as an exact
Decimal, never a float) and `2026-07-01` stays text (read later as a date). Duplicate keys,
which PyYAML would silently let win, are reported.

Nesting deeper than MAX_DEPTH is refused before anything is composed: PyYAML's composer and
the conversion below recurse once per level, and a file of 500 `[` would end in a
RecursionError. The check walks the parser's events, which come from a state machine, so it
cannot recurse itself; the conversion counts the levels an alias adds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml


@dataclass(frozen=True)
class Scalar:
    text: str
    line: int
    quoted: bool = False

    @property
    def is_null(self) -> bool:
        return not self.quoted and self.text in ("", "~", "null", "Null", "NULL")


@dataclass(frozen=True)
class Seq:
    items: tuple
    line: int


@dataclass(frozen=True)
class Map:
    items: dict  # key text -> value node, in file order
    key_lines: dict  # key text -> line of the key
    line: int
    duplicates: tuple = field(default=())  # (key, line) of keys given twice


Node = Scalar | Seq | Map


def is_empty(node: Node | None) -> bool:
    """Absent, or written as nothing (`key:`, `key: ~`, `key: null`)."""
    return node is None or (isinstance(node, Scalar) and node.is_null)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int | None, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.key = key  # the key path where it happens, when known


MAX_DEPTH = 64  # lists and mappings inside one another; rates.yaml needs about 6
TOO_DEEP = (f"nested too deep (more than {MAX_DEPTH} levels of lists and mappings{{}}) — look for brackets "
            "that are never closed, or lines indented further and further")
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster


def parse(text: str) -> Node | None:
    """Parse one YAML document into positioned nodes; None for an empty document."""
    try:
        refuse_deep_nesting(text, LOADER)
        root = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        text_line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        hint = " — indent with spaces, not tabs" if "\t" in text_line else ""
        raise YamlSyntaxError(line, f"not valid YAML: {exc.problem or exc}{hint}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, f"not valid YAML: {exc}") from None
    return None if root is None else _convert(root, anchors=set(), budget=[MAX_NODES], depth=0)


def refuse_deep_nesting(text: str, loader: type = yaml.SafeLoader) -> None:
    """Raise YamlSyntaxError at the first list or mapping more than MAX_DEPTH levels deep, naming
    the key path to it. Other syntax errors surface as PyYAML's own (MarkedYAMLError)."""
    open_: list[list] = []  # per open collection: [is a mapping, children finished, its last key]
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionEndEvent):
                open_.pop()
            elif not isinstance(event, yaml.NodeEvent):  # stream and document events
                continue
            elif isinstance(event, yaml.CollectionStartEvent):
                if len(open_) == MAX_DEPTH:
                    raise YamlSyntaxError(event.start_mark.line + 1, TOO_DEEP.format(""), _key_path(open_))
                open_.append([isinstance(event, yaml.MappingStartEvent), 0, None])
                continue  # finished at its end event
            elif open_ and open_[-1][0] and open_[-1][1] % 2 == 0:  # a mapping's key
                open_[-1][2] = getattr(event, "value", None)
            if open_:
                open_[-1][1] += 1
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" not in str(exc.problem):
            raise
        # libyaml's own limit (1000 levels), met while it reads ahead through `[[[[…`
        raise YamlSyntaxError(exc.problem_mark.line + 1, TOO_DEEP.format("")) from None


def _key_path(open_: list[list], shown: int = 4) -> str:
    """'clients.acme.jobs[0]', the way to the innermost open collection; the first `shown` steps."""
    path = "".join(f".{'?' if key is None else key}" if mapping else f"[{done}]"
                   for mapping, done, key in open_[:shown])
    return path.removeprefix(".") + ("…" if len(open_) > shown else "")


MAX_NODES = 200_000  # aliases are expanded; this stops an alias bomb from eating memory


def _convert(node: yaml.Node, anchors: set, budget: list, depth: int) -> Node:
    line = node.start_mark.line + 1
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlSyntaxError(line, f"more than {MAX_NODES} values (an alias bomb?)")
    if isinstance(node, yaml.ScalarNode):
        return Scalar(str(node.value), line, quoted=node.style in ("'", '"', "|", ">"))
    if depth == MAX_DEPTH:  # an alias inside an alias nests deeper than the text shows
        raise YamlSyntaxError(line, TOO_DEEP.format(", counting what aliases bring in"))
    if id(node) in anchors:  # a YAML alias that refers to itself: a billion-laughs guard
        raise YamlSyntaxError(line, "recursive YAML alias")
    inner = anchors | {id(node)}
    if isinstance(node, yaml.SequenceNode):
        return Seq(tuple(_convert(item, inner, budget, depth + 1) for item in node.value), line)
    items: dict = {}
    key_lines: dict = {}
    duplicates = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise YamlSyntaxError(key_node.start_mark.line + 1, "a key must be plain text")
        key = str(key_node.value)
        if key in items:
            duplicates.append((key, key_node.start_mark.line + 1))
            continue
        items[key] = _convert(value_node, inner, budget, depth + 1)
        key_lines[key] = key_node.start_mark.line + 1
    return Map(items, key_lines, line, tuple(duplicates))
