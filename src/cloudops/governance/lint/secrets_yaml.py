"""detect-secrets' scan of a YAML file, the same findings at a fraction of the cost.

detect-secrets reads a YAML file through its ``YAMLTransformer``: PyYAML's pure-Python loader, shimmed to
note each string value's line, turned into one line ``key: "value"  # comment`` per string value of a
mapping. It then runs every plugin and filter over every one of those lines, blank ones included. On a
registry that is ~8 s a megabyte, 90% of it spent on lines where no plugin finds anything.

Here the same lines are built (``transformed_lines``): line by line for a plain block document, a
registry's shape (``_from_lines``, each value resolved by PyYAML's own resolver), else from libyaml's nodes
(``_from_nodes``). detect-secrets' own per-line pipeline then runs only on the lines where some plugin's
own ``analyze_line`` finds something (``scan``): a line where none does yields nothing, because filters
only take findings away. What each plugin finds on a line depends on the line (and the file's name)
alone, so each distinct line is asked once.

The lines are the transformer's exactly, not a likeness: where a document uses a feature whose lines this
module does not reproduce (an anchor used twice, a merge key, a duplicate or non-string key, an explicit
``?`` key, a flow collection over several lines, a binary or unknown tag, a value that does not build
(2024-13-45), a character libyaml and PyYAML may read differently), ``transformed_lines`` answers None
and the caller runs detect-secrets itself. Tests hold both readers to detect-secrets' own output: the
lines, on every YAML file of the examples, a generated registry and generated documents (some with a
broken indentation); the findings, on planted secrets.
"""

from __future__ import annotations

import math
import re
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detect_secrets.core.potential_secret import PotentialSecret

#: The detect-secrets release whose transformer and pipeline this module was checked against; another
#: release is scanned by detect-secrets itself.
CHECKED = "1.5."

# Characters libyaml and PyYAML may count or accept differently (line breaks other than \n, which
# str.splitlines() also splits on; control characters; a byte-order mark inside the text): a text holding
# one is left to detect-secrets.
_ODD = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
# An explicit key (``? key`` then ``: value``): its value's line is the ``:`` line, which nodes do not keep.
_EXPLICIT = re.compile(r"(?m)^[ \t]*(?:-[ \t]+)*\?(?:[ \t]|$)")
# The transformer's own comment pattern, applied as it applies it (to the stripped source line).
_COMMENT = re.compile(r"(\s+#[\S ]*)")
_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
# The tags read here; any other (binary, set, merge, value, a local tag) is left to detect-secrets, which
# may fail to construct it and fall back to raw lines.
_PLAIN_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
# Scalars SafeConstructor may fail to build (2024-13-45, 0b_): each is built, as detect-secrets builds it.
_BUILT = {_TAG + t: "construct_yaml_" + t for t in ("int", "float", "timestamp")}


def transformed_lines(text: str) -> list[str] | None:
    """The lines detect-secrets' YAMLTransformer makes of ``text``, or None where this module does not
    reproduce them (the caller then runs detect-secrets itself)."""
    # "__line__" is the transformer's own marker key: a text holding it confuses the transformer
    if _ODD.search(text) or "__line__" in text or ("?" in text and _EXPLICIT.search(text)):
        return None
    lines = _from_lines(text)
    return lines if lines is not None else _from_nodes(text)


# The line reader's grammar: a key line (``  - key: value``), else an item line (``  - value``). A line with a
# character that may start a construct over several lines or change a value's meaning (a quote, a tab, an
# anchor, alias or tag, a block scalar, a directive, an escape) is left to libyaml's nodes.
_LINE = re.compile(r"( *)(?:(- )?([A-Za-z_][A-Za-z0-9_./-]*):(?: +(.*))?|- (.*))")
_NOT_READ = re.compile(r"[\t\"'`&*!|>%@\\]")
_FLOW_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_QUAD = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
_INDICATOR = frozenset("-?:,[]{}#&*!|>'\"%@`")
# Values resolved, and one-line flows read, kept this many at most (a registry repeats most of them).
_KEPT = 1 << 16


class _Unread(Exception):
    """What the line reader does not read: libyaml's nodes will."""


class _Values:
    """Plain scalars as the transformer's loader reads them: each resolved by PyYAML's own resolver (and
    a number or date built, as detect-secrets builds it), each distinct text once; a flow mapping's entries
    likewise."""

    def __init__(self) -> None:
        import yaml

        self._resolve = yaml.resolver.Resolver().resolve
        self._build = yaml.constructor.SafeConstructor()
        self._node = yaml.ScalarNode
        self._tags: dict[str, str] = {}
        self.strings: dict[str, bool] = {}  # a block value's text: whether it is a string (it is plain)
        self.keys: set[str] = set()  # texts that are plain keys, strings
        self.flows: dict[str, list[tuple[str, str]]] = {}  # a flow's text: its string entries
        self._entries: dict[str, tuple[str, str, bool]] = {}  # a flow mapping's entry: key, value, a string

    def tag(self, value: str) -> str:
        found = self._tags.get(value)
        if found is None:
            if "0" <= value[:1] <= "9" and _QUAD.fullmatch(value):
                return _STR  # an address: with three dots no number or date of YAML 1.1 (a third of a piece)
            found = self._resolve(self._node, value, (True, False))
            if found in _BUILT:
                try:
                    getattr(self._build, _BUILT[found])(self._node(found, value))
                except Exception as exc:  # detect-secrets fails on it: libyaml's nodes say so
                    raise _Unread from exc
            elif found not in _PLAIN_TAGS:
                raise _Unread
            _keep(self._tags, value, found)
        return found

    def is_str(self, value: str, flow: bool) -> bool:
        """A plain scalar (else _Unread) and a string."""
        if not value or value[0] in _INDICATOR or value[-1] == ":" or ": " in value:
            raise _Unread
        if flow and ("," in value or "[" in value or "]" in value or "{" in value or "}" in value):
            raise _Unread
        return self.tag(value) == _STR

    def string(self, value: str) -> bool:
        """A block value (plain, else _Unread) is a string."""
        found = self.strings.get(value)
        if found is None:
            found = self.is_str(value, False)
            _keep(self.strings, value, found)
        return found

    def key(self, name: str) -> None:
        """A plain key that is a string, else _Unread (a key that is no string: yes, on, null, 1)."""
        if name not in self.keys:
            if self.tag(name) != _STR:
                raise _Unread
            if len(self.keys) >= _KEPT:
                self.keys.clear()
            self.keys.add(name)

    def _entry(self, entry: str) -> tuple[str, str, bool]:
        found = self._entries.get(entry)
        if found is None:
            name, colon, value = entry.strip(" ").partition(": ")
            value = value.lstrip(" ")
            if not colon or not _FLOW_KEY.fullmatch(name):
                raise _Unread
            self.key(name)
            found = (name, value, self.is_str(value, True))
            _keep(self._entries, entry, found)
        return found

    def flow(self, body: str) -> list[tuple[str, str]]:
        """A one-line flow mapping's string entries, (key, value); a flow sequence of plain scalars or a
        sequence item's plain scalar has none (not read by the transformer, but built)."""
        entries = self.flows.get(body)
        if entries is not None:
            return entries
        entries = []
        inner = body[1:-1]
        if body[0] == "{":
            if body[-1] != "}":
                raise _Unread
            names: set[str] = set()
            for entry in inner.split(",") if inner.strip(" ") else []:
                name, value, string = self._entry(entry)
                if name in names:
                    raise _Unread  # a repeated key: the loaded mapping keeps the last
                names.add(name)
                if string:
                    entries.append((name, value))
        elif body[0] == "[":
            if body[-1] != "]":
                raise _Unread
            for entry in inner.split(",") if inner.strip(" ") else []:
                self.is_str(entry.strip(" "), True)
        else:
            self.is_str(body, False)
        _keep(self.flows, body, entries)
        return entries


def _keep(kept: dict[str, Any], text: str, value: Any) -> None:
    """Kept by text, a bounded number: full of one-off values (addresses), it starts again."""
    if len(kept) >= _KEPT:
        kept.clear()
    kept[text] = value


def _from_lines(text: str) -> list[str] | None:
    """The transformer's lines of a plain block document (roosevelt's registry, a generated one), read
    line by line: ~5 times faster than libyaml's nodes, which are the fallback (None) for anything else.
    Values are resolved by PyYAML's own resolver, and numbers and dates built as detect-secrets builds
    them; the block structure is checked as PyYAML checks it (a key at its mapping's indentation, an item
    at its sequence's, a child deeper than its parent, or a sequence at its key's own). The hot loop: the
    common steps inline (a value's text holds no quote here, so it needs no escape)."""
    if _NOT_READ.search(text):
        return None
    values = _Values()
    string, flow, key, known = values.string, values.flow, values.key, values.keys
    # the open block collections, innermost last: [indentation, keys] (keys: None for a sequence)
    open_: list[tuple[int, set[str] | None]] = []
    pending = -1  # the indentation of a key whose value is on the lines below, if the last line ended so
    lines: list[str] = []  # the transformer's lines: one per string value, at its line or the next free one
    fullmatch = _LINE.fullmatch
    try:
        for number, raw in enumerate(text.split("\n"), 1):
            match = fullmatch(raw)
            if match is None:
                stripped = raw.strip(" ")
                if not stripped or stripped[0] == "#":
                    continue
                return None
            column_text, dash_text, name, rest, item_text = match.groups()
            column = len(column_text)
            item = name is None
            if item:
                rest = item_text
            dash = item or dash_text is not None
            if pending >= 0:
                if column > pending or (column == pending and dash and open_ and open_[-1][1] is not None):
                    open_.append((column, None if dash else set()))
                pending = -1
            elif not open_:
                if dash or column:
                    return None  # only a mapping at the top
                open_.append((0, set()))
            while open_ and open_[-1][0] > column:
                open_.pop()
            if not dash and open_ and open_[-1][1] is None and open_[-1][0] == column:
                open_.pop()  # a key at a sequence's own indentation ends it (a sequence under a key, unindented)
            if not open_ or open_[-1][0] != column or (open_[-1][1] is None) != dash:
                return None
            # the value's text without its comment (`` #`` on, or a whole comment), trailing blanks dropped
            body = rest or ""
            if "#" in body:
                body = "" if body[0] == "#" else body.split(" #", 1)[0]
            body = body.rstrip(" ")
            comment = _comment(raw) if "#" in raw else ""
            if item:
                if not body:
                    return None  # an empty item, or one whose value is on the lines below
                entries = flow(body)
            else:
                if dash_text is not None:  # an item that is a mapping: its keys two columns in
                    keys: set[str] = set()
                    open_.append((column + 2, keys))
                    column += 2
                else:
                    keys = open_[-1][1]  # type: ignore[assignment]
                if name in keys:
                    raise _Unread  # a repeated key: the loaded mapping keeps the last
                keys.add(name)
                if name not in known:
                    key(name)
                if not body:
                    pending = column
                    continue
                if body[0] != "{" and body[0] != "[":
                    if string(body):
                        lines.extend([""] * (number - 1 - len(lines)))
                        lines.append(f'{name}: "{body}"{comment}')
                    continue
                entries = flow(body)
            for entry_key, value in entries:  # several on one line take the lines after it (the drift)
                lines.extend([""] * (number - 1 - len(lines)))
                lines.append(f'{entry_key}: "{value}"{comment}')
    except _Unread:
        return None
    return lines or None


def _comment(raw: str) -> str:
    """A source line's comment as the transformer keeps it (its own pattern, on the stripped line)."""
    found = _COMMENT.search(raw.strip())
    return found.group(0) if found else ""


def _line(key: str, value: str, comment: str) -> str:
    """The transformer's line for a string value (padding to its place is the caller's)."""
    escaped = value.replace('"', '\\"')
    return f'{key}: "{escaped}"{comment}'


def _from_nodes(text: str) -> list[str] | None:
    """The transformer's lines from libyaml's nodes."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    if root is None:
        return None
    build = yaml.constructor.SafeConstructor()
    source = text.splitlines()
    # (key, value, line, source line) of each string value of a mapping, in the order the transformer
    # walks the loaded document: breadth first, a mapping's values and a sequence's items in order
    items: list[tuple[str, str, int, str]] = []
    seen: set[int] = set()
    todo: deque[Any] = deque([root])
    while todo:
        node = todo.popleft()
        if isinstance(node, tuple):
            items.append(node)
            continue
        if id(node) in seen or node.tag not in _PLAIN_TAGS:
            return None  # an alias (the transformer reads the anchored original otherwise), or a tag
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag in _BUILT:
                try:
                    getattr(build, _BUILT[node.tag])(node)
                except Exception:  # detect-secrets fails on it too: it says how
                    return None
            continue
        if node.flow_style and node.start_mark.line != node.end_mark.line:
            return None
        if isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
            continue
        keys: set[str] = set()
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag != _STR or key.value in keys:
                return None  # a later duplicate replaces the earlier in the loaded mapping
            keys.add(key.value)
            if isinstance(value, yaml.ScalarNode) and value.tag == _STR:
                # the transformer notes the line its reader is on when the value starts: in a block
                # mapping the line of the ``:`` after the key; in a one-line flow mapping, that line
                line = (node.start_mark.line if node.flow_style else key.end_mark.line) + 1
                todo.append((key.value, value.value, line, source[line - 1]))
            else:
                todo.append(value)
    if not items:
        return None  # detect-secrets then scans the raw lines
    items.sort(key=lambda item: item[2])
    lines: list[str] = []
    done: set[tuple[str, str, int, str]] = set()
    for item in items:
        if item in done:
            continue
        done.add(item)
        key, value, line, raw = item
        # several values noted on one line take the lines after it: the transformer's own drift
        lines.extend([""] * (line - 1 - len(lines)))
        lines.append(_line(key, value, _comment(raw) if "#" in raw else ""))
    return lines


def _keyword_words() -> re.Pattern[str]:
    """The keyword plugin's words: every one of its patterns holds one, matched as case-blind as here."""
    from detect_secrets.plugins import keyword

    return re.compile("|".join(keyword.DENYLIST), re.IGNORECASE)


def _patterns_alone(plugins: list[Any]) -> tuple[list[re.Pattern[str]], list[Any]]:
    """The regex plugins' own patterns, and the plugins they do not stand for. A regex plugin finds
    something on a line only where one of its ``denylist`` patterns matches (``analyze_string`` yields
    their matches; the JWT plugin's yields a subset of them): a line no pattern matches needs no plugin
    called."""
    from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
    from detect_secrets.plugins.jwt import JwtTokenDetector

    alone: list[re.Pattern[str]] = []
    rest = []
    own = (RegexBasedDetector.analyze_string, JwtTokenDetector.analyze_string)
    for plugin in plugins:
        kind = type(plugin)
        patterns = list(getattr(plugin, "denylist", ()))
        if (
            kind.analyze_line is BasePlugin.analyze_line
            and kind.analyze_string in own
            and all(isinstance(p, re.Pattern) and isinstance(p.pattern, str) for p in patterns)
        ):
            alone += patterns
        else:
            rest.append(plugin)
    return alone, rest


def _long_enough(plugin: Any) -> re.Pattern[str] | None:
    """For an entropy plugin, a pattern that searches every line it can find something on: a quoted run of
    its characters at least 2 ** limit long. A string's Shannon entropy is at most log2 of its length, so
    no shorter run can pass the plugin's limit (hostnames, addresses and MACs do not even start). None
    where the plugin's own pattern is not the one this reasons about."""
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

    if type(plugin) not in (Base64HighEntropyString, HexHighEntropyString):
        return None  # a plugin of its own may measure entropy otherwise
    charset, limit = getattr(plugin, "charset", None), getattr(plugin, "entropy_limit", None)
    if not isinstance(charset, str) or not isinstance(limit, (int, float)) or limit < 0:
        return None
    quote, run = "([\\'\"])", "[" + re.escape(charset) + "]"
    own = quote + "(" + run + "+)(\\1)"  # the plugin's own, as detect-secrets builds it
    if getattr(getattr(plugin, "regex", None), "pattern", None) != own:
        return None
    # at least 2 ** limit long; one shorter still, lest a rounding of the plugin's sum tip a run of exactly
    # 2 ** limit symbols, each once, over the limit
    shortest = max(1, math.floor(2**limit) - 1)
    return re.compile(quote + "(" + run + "{" + str(shortest) + ",})(\\1)")


def scan(filename: str, lines: list[str]) -> list[PotentialSecret]:
    """What detect-secrets' ``scan_file`` yields for a file whose transformed lines are ``lines``: its
    filename filters, then its per-line pipeline on each line where a plugin finds something, with the
    whole file as the line's context (settings as configured by the caller)."""
    from detect_secrets.core import scan as ds
    from detect_secrets.plugins.keyword import KeywordDetector
    from detect_secrets.settings import get_plugins
    from detect_secrets.util.code_snippet import get_code_snippet

    from cloudops.governance.lint.linesearch import Lines

    if ds._is_filtered_out(required_filter_parameters=["filename"], filename=filename):
        return []
    plugins = get_plugins()
    patterns, rest = _patterns_alone(plugins)
    distinct = Lines(list(dict.fromkeys(whole.rstrip() for whole in lines)))
    found_by_pattern = set().union(*(distinct.search(p) for p in patterns))
    # each other plugin asked per line, where a search that must find something where it can did
    asked: list[tuple[Any, set[str] | None]] = []
    for plugin in rest:
        first = _keyword_words() if type(plugin) is KeywordDetector else _long_enough(plugin)
        asked.append((plugin, None if first is None else distinct.search(first)))
    if not found_by_pattern and all(searched is not None and not searched for _, searched in asked):
        return []  # no line any plugin could find something on (a registry's piece, nearly always)
    finds: dict[str, bool] = {}
    found: list[PotentialSecret] = []
    for number, whole in enumerate(lines, 1):
        line = whole.rstrip()
        hit = finds.get(line)
        if hit is None:
            hit = finds[line] = line in found_by_pattern or any(
                (searched is None or line in searched)
                and plugin.analyze_line(filename=filename, line=line, line_number=number)
                for plugin, searched in asked
            )
        if not hit:
            continue
        # from here on, scan._process_line_based_plugins' own steps for this line
        context = get_code_snippet(lines=lines, line_number=number)
        if ds._is_filtered_out(
            required_filter_parameters=["line"], filename=filename, line=line, context=context
        ):
            continue
        for plugin in plugins:
            for secret in ds._scan_line(
                plugin=plugin, filename=filename, line=line, line_number=number, context=context
            ):
                if not ds._is_filtered_out(
                    required_filter_parameters=["context"],
                    filename=secret.filename,
                    secret=secret.secret_value,
                    plugin=plugin,
                    line=line,
                    context=context,
                ):
                    found.append(secret)
    return found
