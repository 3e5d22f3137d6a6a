"""Configuration documents that keep positions: TOML, JSON/JSONC and YAML.

Each loader returns a `ConfigDoc`: the plain Python value (dicts, lists, scalars) and a map from key path
(a tuple of keys and list indices) to the 1-based (line, column) where that key or element starts.
`doc.line(path)` falls back to the nearest ancestor that has a position, so a rule about a missing
setting points at the table it belongs in.

Values come from the standard parsers (tomllib for TOML); positions come from a small scanner that
walks the same text. A document that does not parse raises `DocError` with the line and the reason.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from edgeward.findings import redact

Path_ = tuple[Any, ...]


class DocError(ValueError):
    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.line = line
        self.column = column
        where = f"line {line}" + (f", column {column}" if column else "") + ": " if line else ""
        super().__init__(f"{where}{message}")


@dataclass
class ConfigDoc:
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    kind: str = "toml"

    def pos(self, path: Path_) -> tuple[int, int] | None:
        return self.positions.get(tuple(path))

    def line(self, path: Path_, default: int = 1) -> int:
        """Line of `path`, else of its nearest ancestor that has one, else `default`."""
        p = tuple(path)
        while p:
            hit = self.positions.get(p)
            if hit:
                return hit[0]
            p = p[:-1]
        return default

    def get(self, path: Path_, default: Any = None) -> Any:
        cur = self.data
        for key in path:
            if isinstance(cur, dict) and key in cur:
                cur = cur[key]
            elif isinstance(cur, list) and isinstance(key, int) and 0 <= key < len(cur):
                cur = cur[key]
            else:
                return default
        return cur


_QUOTED = re.compile(r"""(["'])([^"'\n]{16,})\1""")
_DUPLICATE_VALUES = re.compile(r' with value ".*')


def scrub(message: str) -> str:
    """A parser's (or a rule's) error message without the document text it quotes: the value of a
    duplicate key and quoted runs of 16 or more characters, which may be secrets, are redacted."""
    message = _DUPLICATE_VALUES.sub("", message)
    return _QUOTED.sub(lambda m: m[1] + redact(m[2]) + m[1], message)


# --------------------------------------------------------------------------------------------- TOML


def load_toml(text: str) -> ConfigDoc:
    text = text.removeprefix("\ufeff")  # tomllib refuses a byte order mark
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise DocError("invalid TOML: nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        line = col = None
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            msg = msg[: m.start()].strip()
        raise DocError(f"invalid TOML: {msg}", line, col) from None
    scanner = _TomlScanner(text)
    try:
        positions = scanner.scan()
    except _Enough:
        positions = scanner.pos  # the rest falls back to the nearest ancestor with a line
    except (RecursionError, IndexError):
        positions = {}  # values are right; lines fall back to 1
    return ConfigDoc(data, positions, "toml")


MAX_POSITIONS = 200_000  # per document: positions cost memory (a 9 MB array would take gigabytes)


class _Enough(Exception):
    pass


class _TomlScanner:
    """Finds where keys, tables and array elements start. Runs only on text tomllib accepted."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.line = 1
        self.col0 = 0  # index of the first char of the current line
        self.pos: dict[Path_, tuple[int, int]] = {}
        self.aot_count: dict[Path_, int] = {}

    def here(self) -> tuple[int, int]:
        return (self.line, self.i - self.col0 + 1)

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def adv(self, n: int = 1) -> None:
        j = min(self.i + n, len(self.s))
        newlines = self.s.count("\n", self.i, j)
        if newlines:
            self.line += newlines
            self.col0 = self.s.rfind("\n", self.i, j) + 1
        self.i = j

    def to_eol(self) -> None:
        j = self.s.find("\n", self.i)
        self.adv((len(self.s) if j == -1 else j) - self.i)

    def skip_ws(self, newlines: bool) -> None:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.adv()
            elif c == "#":
                self.to_eol()
            else:
                break

    def scan(self) -> dict[Path_, tuple[int, int]]:
        current: Path_ = ()
        while True:
            self.skip_ws(newlines=True)
            if self.i >= len(self.s):
                break
            if len(self.pos) >= MAX_POSITIONS:
                raise _Enough
            start = self.here()
            if self.peek() == "[":
                aot = self.peek(1) == "["
                self.adv(2 if aot else 1)
                self.skip_ws(False)
                keys = self.read_key()
                self.skip_ws(False)
                self.adv(2 if aot else 1)
                path = self.resolve(tuple(keys))
                for n in range(1, len(path)):  # tables a header defines implicitly
                    if not isinstance(path[n - 1], int):
                        self.pos.setdefault(path[:n], start)
                if aot:
                    n = self.aot_count.get(path, 0)
                    self.aot_count[path] = n + 1
                    self.pos.setdefault(path, start)
                    current = path + (n,)
                    self.pos.setdefault(current, start)
                else:  # an explicit [table] wins over the implicit definition by an earlier [a.b] header
                    current = path
                    self.pos[current] = start
            else:
                self.keyval(current, start)
            self.skip_to_eol()
        return self.pos

    def resolve(self, keys: Path_) -> Path_:
        """Insert the latest index after every prefix that is an array of tables."""
        out: list[Any] = []
        for j, k in enumerate(keys):
            out.append(k)
            n = self.aot_count.get(tuple(out))
            if n and j < len(keys) - 1:  # the header's own path gets its index from the caller
                out.append(n - 1)
        return tuple(out)

    def skip_to_eol(self) -> None:
        self.skip_ws(False)
        self.to_eol()

    def read_key(self) -> list[str]:
        keys: list[str] = []
        while True:
            self.skip_ws(False)
            c = self.peek()
            if c == '"' or c == "'":
                keys.append(self.read_string())
            else:
                m = _BARE_KEY.match(self.s, self.i)
                keys.append(m.group())
                self.i = m.end()  # a bare key holds no newline
            self.skip_ws(False)
            if self.peek() == ".":
                self.adv()
                continue
            return keys

    def keyval(self, base: Path_, start: tuple[int, int]) -> None:
        keys = self.read_key()
        self.skip_ws(False)
        if self.peek() == "=":
            self.adv()
        path = base + tuple(keys)
        for n in range(len(keys) - 1):  # dotted keys define their intermediate tables here
            self.pos.setdefault(base + tuple(keys[: n + 1]), start)
        self.pos.setdefault(path, start)
        self.skip_ws(False)
        self.value(path)

    def value(self, path: Path_) -> None:
        c = self.peek()
        if c in "\"'":
            self.read_string()
        elif c == "[":
            self.adv()
            idx = 0
            while True:
                self.skip_ws(True)
                if self.peek() == "]" or not self.peek():
                    self.adv()
                    return
                if len(self.pos) >= MAX_POSITIONS:
                    raise _Enough
                before = self.i
                self.pos.setdefault(path + (idx,), self.here())
                self.value(path + (idx,))
                idx += 1
                self.skip_ws(True)
                if self.peek() == ",":
                    self.adv()
                elif self.i == before:  # never loop on text this scanner does not understand
                    self.adv()
        elif c == "{":
            self.adv()
            while True:
                self.skip_ws(True)  # newlines: TOML 1.1 allows them in inline tables
                if self.peek() == "}" or not self.peek():
                    self.adv()
                    return
                before = self.i
                self.keyval(path, self.here())
                self.skip_ws(True)
                if self.peek() == ",":
                    self.adv()
                elif self.i == before:
                    self.adv()
        else:
            m = _PLAIN_VALUE.match(self.s, self.i)
            self.adv(m.end() - self.i)

    def read_string(self) -> str:
        q = self.peek()
        if self.s.startswith(q * 3, self.i):
            self.adv(3)
            end = self.s.find(q * 3, self.i)
            while end != -1 and q == '"' and _escaped(self.s, end):
                end = self.s.find(q * 3, end + 1)
            end = len(self.s) if end == -1 else end
            # a closing run may hold up to two extra quotes that belong to the string
            while self.s.startswith(q, end + 3):
                end += 1
            text = self.s[self.i : end]
            self.adv(end + 3 - self.i)
            return text
        m = (_BASIC_BODY if q == '"' else _LITERAL_BODY).match(self.s, self.i + 1)
        raw = m.group()
        self.adv(m.end() + 1 - self.i)  # the body and the closing quote (one line: no newline inside)
        if q == '"' and "\\" in raw:
            try:
                return tomllib.loads(f'k = "{raw}"')["k"]
            except tomllib.TOMLDecodeError:
                return raw
        return raw


_PLAIN_VALUE = re.compile(r"[^,\]}\n#]*")  # a number, boolean or date: up to the next delimiter
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]*")
_BASIC_BODY = re.compile(r'(?:[^"\\\n]|\\[^\n])*')  # inside "...": up to the closing quote
_LITERAL_BODY = re.compile(r"[^'\n]*")


def _escaped(s: str, i: int) -> bool:
    n = 0
    while i - 1 - n >= 0 and s[i - 1 - n] == "\\":
        n += 1
    return n % 2 == 1


# --------------------------------------------------------------------------------------- JSON / JSONC


_JSON_WS = re.compile(r"[ \t\r\n\ufeff]+")
_JSON_WS_START = frozenset(" \t\r\n\ufeff/")
_JSON_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
_JSON_STRING_BODY = re.compile(r'(?:[^"\\\n]|\\[^\n])*')


def load_jsonc(text: str, *, allow_comments: bool = True) -> ConfigDoc:
    """JSON with // and /* */ comments and trailing commas (wrangler.jsonc, tsconfig-style files)."""
    p = _JsonParser(text, allow_comments)
    p.ws()
    value = p.value(())
    p.ws()
    if p.i < len(text):
        p.fail("unexpected text after the document")
    return ConfigDoc(value, p.pos, "jsonc" if allow_comments else "json")


class _JsonParser:
    def __init__(self, text: str, comments: bool):
        self.s = text
        self.i = 0
        self.line = 1
        self.col0 = 0
        self.comments = comments
        self.pos: dict[Path_, tuple[int, int]] = {}
        self.depth = 0

    def fail(self, msg: str) -> None:
        raise DocError(f"invalid JSON: {msg}", self.line, self.i - self.col0 + 1)

    def here(self) -> tuple[int, int]:
        return (self.line, self.i - self.col0 + 1)

    def adv(self, n: int = 1) -> None:
        j = min(self.i + n, len(self.s))
        newlines = self.s.count("\n", self.i, j)
        if newlines:
            self.line += newlines
            self.col0 = self.s.rfind("\n", self.i, j) + 1
        self.i = j

    def ws(self) -> None:
        s = self.s
        if self.i < len(s) and s[self.i] not in _JSON_WS_START:
            return
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r\n\ufeff":
                self.adv(_JSON_WS.match(s, self.i).end() - self.i)
            elif self.comments and s.startswith("//", self.i):
                end = s.find("\n", self.i)
                self.adv((len(s) if end == -1 else end) - self.i)
            elif self.comments and s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                if end == -1:
                    self.fail("unterminated /* comment")
                self.adv(end + 2 - self.i)
            else:
                break

    def value(self, path: Path_) -> Any:
        if self.i >= len(self.s):
            self.fail("unexpected end of document")
        c = self.s[self.i]
        if c == "{":
            return self.obj(path)
        if c == "[":
            return self.arr(path)
        if c == '"':
            return self.string()
        if c in "-0123456789":
            return self.number()
        for lit, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(lit, self.i):
                self.adv(len(lit))
                return val
        return self.number()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > 200:
            self.fail("nesting deeper than 200 levels")

    def obj(self, path: Path_) -> dict[str, Any]:
        self.enter()
        self.adv()
        out: dict[str, Any] = {}
        self.ws()
        while True:
            if self.i >= len(self.s):
                self.fail("unterminated object")
            if self.s[self.i] == "}":
                self.adv()
                self.depth -= 1
                return out
            if self.s[self.i] != '"':
                self.fail(f"expected a key in double quotes, found {self.s[self.i]!r}")
            start = self.here()
            key = self.string()
            if len(self.pos) < MAX_POSITIONS:
                self.pos[path + (key,)] = start  # a repeated key: the last one wins, in value and here
            self.ws()
            if self.i >= len(self.s) or self.s[self.i] != ":":
                self.fail("expected ':' after key")
            self.adv()
            self.ws()
            out[key] = self.value(path + (key,))
            self.ws()
            if self.i < len(self.s) and self.s[self.i] == ",":
                self.adv()
                self.ws()
            elif self.i < len(self.s) and self.s[self.i] != "}":
                self.fail(f"expected ',' or '}}', found {self.s[self.i]!r}")

    def arr(self, path: Path_) -> list[Any]:
        self.enter()
        self.adv()
        out: list[Any] = []
        self.ws()
        while True:
            if self.i >= len(self.s):
                self.fail("unterminated array")
            if self.s[self.i] == "]":
                self.adv()
                self.depth -= 1
                return out
            if len(self.pos) < MAX_POSITIONS:
                self.pos.setdefault(path + (len(out),), self.here())
            out.append(self.value(path + (len(out),)))
            self.ws()
            if self.i < len(self.s) and self.s[self.i] == ",":
                self.adv()
                self.ws()
            elif self.i < len(self.s) and self.s[self.i] != "]":
                self.fail(f"expected ',' or ']', found {self.s[self.i]!r}")

    def string(self) -> str:
        import json

        start = self.i
        s = self.s
        end = _JSON_STRING_BODY.match(s, start + 1).end()  # up to a quote, a newline or the end
        if end < len(s) and s[end] == '"':
            self.i = end + 1  # no newline inside: the line does not change
            try:
                return json.loads(s[start : self.i])
            except ValueError:
                self.fail("bad escape in string")
        if end < len(s) and (s[end] == "\n" or s.startswith("\\\n", end)):
            self.i = end + (s[end] == "\\")
            self.fail("newline inside a string")
        self.i = start  # point at the opening quote (a JSON string holds no newline)
        self.fail("unterminated string")
        return ""

    def number(self) -> int | float:
        m = _JSON_NUMBER.match(self.s, self.i)
        if not m or not m.group(0):
            self.fail(f"unexpected character {self.s[self.i]!r}")
        assert m
        text = m.group(0)
        self.i += len(text)  # no newline in a number
        return float(text) if m.group(2) or m.group(3) else int(text)


# --------------------------------------------------------------------------------------------- YAML


def load_yaml(text: str, *, max_bytes: int | None = None) -> ConfigDoc:
    """YAML with positions (ruamel.yaml round-trip loader; anchors and merge keys resolved).

    The pure-Python parser is slow (about 0.1-1 MB/s, much less on deeply nested flow collections), so
    texts over `max_bytes` (default YAML_MAX_BYTES) and flow nesting deeper than 100 are refused with a
    DocError instead of stalling the scan; pass `functools.partial(load_yaml, max_bytes=...)` to raise it."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    limit = max_bytes or YAML_MAX_BYTES
    if len(text) > limit:
        raise DocError(f"YAML text over {limit:,} characters is not parsed (slow parser)")
    depth = 0
    for m in _FLOW_BRACKET.finditer(text):  # brackets inside strings count too: a rough, cheap bound
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        if depth > 100:
            line = text.count("\n", 0, m.start()) + 1
            raise DocError("invalid YAML: flow collections nested deeper than 100 levels", line)
    y = YAML(typ="rt", pure=True)
    try:
        node = y.load(text)
    except RecursionError:
        raise DocError("invalid YAML: nested too deeply") from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise DocError(f"invalid YAML: {scrub(str(exc.problem or exc))}", line, col) from None
    except YAMLError as exc:
        raise DocError(f"invalid YAML: {scrub(str(exc))}") from None
    except Exception as exc:  # the constructors of `!!int x`, `!!float x`... fail in their own ways
        raise DocError(f"invalid YAML: {type(exc).__name__}: {scrub(str(exc))}") from None
    positions: dict[Path_, tuple[int, int]] = {}
    data, size = _yaml_plain(node, (), positions, 0, {}, [0])
    return ConfigDoc(data, positions, "yaml")


YAML_MAX_NODES = 200_000  # aliases can expand a small file exponentially ("billion laughs")
YAML_MAX_BYTES = 1024 * 1024
_FLOW_BRACKET = re.compile(r"[\[\]{}]")


def _yaml_plain(
    node: Any,
    path: Path_,
    pos: dict[Path_, tuple[int, int]],
    depth: int,
    memo: dict[int, Any],
    total: list[int],
) -> tuple[Any, int]:
    """(plain value, expanded node count). An aliased node is converted once and shared; its positions are
    repeated under every path that refers to it, so a rule sees the line where the text really is."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

    if depth > 100:
        raise DocError("invalid YAML: nesting deeper than 100 levels")
    if isinstance(node, TaggedScalar):  # `!Ref name`, `!!binary ...` with a custom tag: the plain value
        node = node.value
    if not isinstance(node, CommentedMap | CommentedSeq):
        return (str(node) if isinstance(node, str) else node), 1
    if id(node) in memo:
        value, size, first_path, rel = memo[id(node)]
        total[0] += size
        if total[0] > YAML_MAX_NODES:
            raise DocError(f"YAML expands to more than {YAML_MAX_NODES:,} nodes (alias bomb?)")
        if rel is None:
            n = len(first_path)
            rel = [(k[n:], v) for k, v in pos.items() if k[:n] == first_path and len(k) > n]
            memo[id(node)] = (value, size, first_path, rel)
        for sub, where in rel:
            pos.setdefault(path + sub, where)
        return value, size
    size = 1
    if isinstance(node, CommentedMap):
        out: Any = {}
        for key in node:
            k = key if isinstance(key, str | int | bool) or key is None else str(key)
            try:
                ln, col = node.lc.key(key)
                pos.setdefault(path + (k,), (ln + 1, col + 1))
            except (KeyError, TypeError, AttributeError):
                pass
            out[k], n = _yaml_plain(node[key], path + (k,), pos, depth + 1, memo, total)
            size += n
    else:
        out = []
        for i, item in enumerate(node):
            try:
                ln, col = node.lc.item(i)
                pos.setdefault(path + (i,), (ln + 1, col + 1))
            except (KeyError, TypeError, AttributeError):
                pass
            value, n = _yaml_plain(item, path + (i,), pos, depth + 1, memo, total)
            out.append(value)
            size += n
    total[0] += 1
    if size > YAML_MAX_NODES or total[0] > YAML_MAX_NODES:
        raise DocError(f"YAML expands to more than {YAML_MAX_NODES:,} nodes (alias bomb?)")
    memo[id(node)] = (out, size, path, None)
    return out, size
