"""The credential detector catalog and the keyword-gated scanner that runs it.

The catalog is data: `edgeward/data/detectors.toml`. Each detector names a credential kind, a regex for the
token, the keywords that gate the regex, an optional entropy floor, documented example values (reported as
examples, never as live secrets) and positive/negative sample strings that the tests check.

Scanning is two-stage, like gitleaks: one Aho-Corasick automaton over every keyword of every detector finds
candidate positions in a single pass; each detector's regex then runs only in a small window around its own
keyword hits. Text without any keyword costs one automaton pass.

`known_format(value)` judges one bare value (used by the classifier behind SEC001/SEC002/SEC003/SEC007).
`Scanner.scan(text)` finds every credential in a text; `scan_stream(chunks)` does the same over a stream
of text chunks with flat memory, giving line and column numbers.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import ahocorasick

try:  # Hyperscan, when the platform has it, is the fast prefilter; Aho-Corasick is the portable one
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

SEP = r"""["'`]?\s*(?::=|=>|:|=|,)\s*["'`]?"""

# Values that are obviously not live: a placeholder, template, or a run of one character.
PLACEHOLDER_BODY = re.compile(
    r"(?i)(x{6,}|\*{4,}|\.{3}|<[^>]*>|\$\{|\{\{|your[_-]|example|placeholder|changeme|replace[_-]?me|dummy|"
    r"redacted|insert[_-]|0{12,})"
)


@dataclass(frozen=True)
class Detector:
    id: str
    kind: str
    regex: str
    keywords: tuple[str, ...]
    entropy: float | None = None
    examples: tuple[str, ...] = field(default_factory=tuple, repr=False)  # documentation values: not live
    secret_group: int = 0
    check: str | None = None  # "assignment", "url-password", "value"
    generic: bool = False  # needs context; not used by known_format()
    before: int = 64
    after: int = 512
    anchored: bool = True  # the match starts at the keyword: tried only at keyword hits
    prefilter: str | None = None  # Hyperscan regex replacing the keywords when Hyperscan is used
    positive: tuple[str, ...] = field(default_factory=tuple, repr=False)
    negative: tuple[str, ...] = field(default_factory=tuple, repr=False)

    @property
    def compiled(self) -> re.Pattern[str]:
        return _compile(self.regex)


@cache
def _compile(rx: str) -> re.Pattern[str]:
    return re.compile(rx)


def _load() -> tuple[Detector, ...]:
    text = resources.files("edgeward").joinpath("data/detectors.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    out = []
    for d in data["detector"]:
        out.append(
            Detector(
                id=d["id"],
                kind=d["kind"],
                regex=d["regex"].replace("{sep}", SEP),
                keywords=tuple(k.lower() for k in d["keywords"]),
                entropy=d.get("entropy"),
                examples=tuple(d.get("examples", ())),
                secret_group=int(d.get("secret_group", 0)),
                check=d.get("check"),
                generic=bool(d.get("generic", False)),
                before=int(d.get("before", 64)),
                after=int(d.get("after", 512)),
                anchored=bool(d.get("anchored", True)),
                prefilter=d.get("prefilter"),
                positive=tuple(d.get("positive", ())),
                negative=tuple(d.get("negative", ())),
            )
        )
    return tuple(out)


DETECTORS: tuple[Detector, ...] = _load()
BY_ID: dict[str, Detector] = {d.id: d for d in DETECTORS}

# A pseudo-detector for values known from the project itself (.dev.vars, define): exact literal matches.
KNOWN_VALUE = Detector("known-value", "known secret value", "", ())


def shannon_entropy(s: str) -> float:
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


@dataclass(frozen=True)
class Match:
    """A credential found in a text. `secret` is the raw value: never print it, pass it to `redact()`."""

    detector: Detector
    secret: str = field(repr=False)
    start: int = 0  # offset of the secret in the scanned text (or stream)
    end: int = 0
    example: bool = False
    name: str | None = None  # the assigned name, for assignment-style detectors
    origin: str | None = None  # for known values: where the value was defined
    line: int = 0  # 1-based, filled by scan_stream / with_lines
    column: int = 0

    @property
    def kind(self) -> str:
        return self.detector.kind


def _is_example(det: Detector, token: str) -> bool:
    if any(ex == token or (len(ex) >= 16 and ex in token) for ex in det.examples):
        return True
    return "EXAMPLE" in token


def _body_placeholder(det: Detector, token: str) -> bool:
    """A token of the right shape that is visibly a placeholder (`ghp_xxxx…`, `sk_live_<key>`)."""
    if PLACEHOLDER_BODY.search(token) and not _is_example(det, token):
        return True
    body = token.split("_", 1)[-1] if "_" in token[:12] else token
    return len(body) >= 8 and len(set(body)) <= 3


class Scanner:
    """Keyword-gated multi-detector scanner. Build once (per catalog + known values), reuse everywhere."""

    def __init__(
        self,
        detectors: Iterable[Detector] = DETECTORS,
        known_values: dict[str, str] | None = None,
    ) -> None:
        self.detectors = tuple(detectors)
        self.order = {d.id: i for i, d in enumerate(self.detectors)}
        self._rx = [d.compiled for d in self.detectors]
        self.known = dict(known_values or {})
        table: dict[str, list[tuple[int, int]]] = {}  # keyword -> [(kind 0=detector/1=known, index)]
        for i, det in enumerate(self.detectors):
            for kw in det.keywords:
                table.setdefault(kw, []).append((0, i))
        self._known_list = list(self.known)
        for i, value in enumerate(self._known_list):
            table.setdefault(value.lower(), []).append((1, i))
        self._keywords = list(table)
        self._targets = [(len(kw), tuple(table[kw])) for kw in self._keywords]
        self._empty = not table
        self.engine = "none"
        self._hs = None
        self.auto = None
        if table and hyperscan is not None and os.environ.get("EDGEWARD_PREFILTER") != "aho-corasick":
            self._hs = self._compile_hyperscan(table)
            if self._hs is not None:
                self.engine = "hyperscan"
        if table and self._hs is None:
            auto = ahocorasick.Automaton()
            for k, kw in enumerate(self._keywords):
                auto.add_word(kw, k)
            auto.make_automaton()
            self.auto = auto
            self.engine = "aho-corasick"
        self.max_window = max([d.before + d.after for d in self.detectors] + [256]) + max(
            [len(v) for v in self._known_list] + [0]
        )

    def _compile_hyperscan(self, table: dict[str, list[tuple[int, int]]]):
        """Literal keywords (caseless), except for detectors with a `prefilter` regex, which replaces them."""
        exprs: list[bytes] = []
        flags: list[int] = []
        self._hs_targets: list[tuple[int, tuple[tuple[int, int], ...]]] = []
        with_prefilter = {i for i, d in enumerate(self.detectors) if d.prefilter}
        for kw in self._keywords:
            targets = tuple(t for t in table[kw] if not (t[0] == 0 and t[1] in with_prefilter))
            if not targets:
                continue
            exprs.append(re.escape(kw.encode("latin-1", "replace").decode("latin-1")).encode("latin-1"))
            flags.append(hyperscan.HS_FLAG_CASELESS)
            self._hs_targets.append((len(kw), targets))
        for i in sorted(with_prefilter):
            exprs.append(self.detectors[i].prefilter.encode("latin-1", "replace"))
            flags.append(hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SOM_LEFTMOST)
            self._hs_targets.append((-1, ((0, i),)))
        try:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            db.compile(expressions=exprs, ids=list(range(len(exprs))), elements=len(exprs), flags=flags)
        except Exception as exc:  # noqa: BLE001  (any compile problem: use the portable prefilter)
            self.hyperscan_error = str(exc)
            return None
        return db

    def _hits(self, text: str) -> list[tuple[int, int]]:
        """(start, keyword index) of every keyword occurrence, case-insensitive, in order of start."""
        if self._hs is not None:
            out: list[tuple[int, int]] = []
            lens = self._hs_targets

            def on_match(kid: int, start: int, to: int, _flags: int, _ctx: object) -> None:
                n = lens[kid][0]
                out.append((start if n < 0 else to - n, kid))

            # one byte per character, so offsets match the text (characters above U+00FF become '?')
            self._hs.scan(text.encode("latin-1", "replace"), match_event_handler=on_match)
            return sorted(set(out))
        low = text.lower()
        if len(low) != len(text):  # a few non-ASCII characters change length when lowered
            low = text.translate(_ASCII_LOWER)
        return [(end - self._targets[k][0] + 1, k) for end, k in self.auto.iter(low)]

    # ------------------------------------------------------------------------------------------ core
    def scan(self, text: str) -> list[Match]:
        """Every match in `text`, in order of position, overlaps resolved by catalog order."""
        if self._empty or not text:
            return []
        windows: dict[int, list[list[int]]] = {}
        knowns: list[tuple[int, int]] = []
        targets_of = self._targets
        found: list[Match] = []
        seen: set[tuple[int, int]] = set()
        detectors = self.detectors
        rxs = self._rx
        if self._hs is not None:
            targets_of = self._hs_targets
        for pos, k in self._hits(text):
            for typ, idx in targets_of[k][1]:
                if typ == 1:
                    knowns.append((pos, idx))
                    continue
                det = detectors[idx]
                if det.anchored:
                    m = rxs[idx].match(text, pos)
                    if m is not None:
                        self._take(det, idx, m, seen, found)
                    continue
                lo, hi = max(0, pos - det.before), pos + det.after
                spans = windows.setdefault(idx, [])
                if spans and lo <= spans[-1][1]:
                    spans[-1][1] = max(spans[-1][1], hi)
                else:
                    spans.append([lo, hi])
        for idx, spans in windows.items():
            det = detectors[idx]
            rx = det.compiled
            for lo, hi in spans:
                for m in rx.finditer(text, lo, min(hi, len(text))):
                    self._take(det, idx, m, seen, found)
        for pos, idx in knowns:
            value = self._known_list[idx]
            if text.startswith(value, pos):
                found.append(Match(KNOWN_VALUE, value, pos, pos + len(value), origin=self.known[value]))
        return self._resolve(found)

    def _take(self, det: Detector, idx: int, m: re.Match[str], seen: set, found: list[Match]) -> None:
        token = m.group(det.secret_group)
        if token is None:
            return
        key = (idx, m.start(det.secret_group))
        if key in seen:
            return
        seen.add(key)
        match = self._accept(det, m, token)
        if match is not None:
            found.append(match)

    def _accept(self, det: Detector, m: re.Match[str], token: str) -> Match | None:
        g = det.secret_group
        name = None
        if det.entropy is not None and shannon_entropy(token) < det.entropy and not _is_example(det, token):
            return None
        if det.check == "assignment":
            from edgeward.secrets.classifier import is_placeholder, is_secret_name, looks_random

            a = m.start(1)
            text = m.string
            while a > 0 and a > m.start(1) - 80 and (text[a - 1].isalnum() or text[a - 1] in "_$.-"):
                a -= 1
            name = (text[a : m.start(1)] + m.group(1)).rsplit(".", 1)[-1].strip("$-")
            if not is_secret_name(name) or is_placeholder(token) or "://" in token:
                return None
            if not looks_random(token):
                return None
        elif det.check == "url-password":
            from edgeward.secrets.classifier import is_placeholder

            if is_placeholder(token) or is_placeholder(m.group(1)) or len(set(token)) < 4:
                return None
            if token.lower() in {"pass", "password", "passwd", "secret", "pwd", "user", "admin"}:
                return None
        elif det.check == "value":
            from edgeward.secrets.classifier import is_placeholder

            if is_placeholder(token):
                return None
        example = _is_example(det, token)
        if not example and _body_placeholder(det, token):
            return None
        return Match(det, token, m.start(g), m.end(g), example=example, name=name)

    def _resolve(self, found: list[Match]) -> list[Match]:
        """Drop matches that overlap a better one (earlier in the catalog; known values first)."""
        if len(found) <= 1:
            return found

        def rank(m: Match) -> int:
            return -1 if m.detector is KNOWN_VALUE else self.order.get(m.detector.id, 10_000)

        found.sort(key=lambda m: m.start)
        kept: list[Match] = []
        cluster: list[Match] = []
        cluster_end = -1
        for m in [*found, None]:
            if m is not None and m.start < cluster_end:
                cluster.append(m)
                cluster_end = max(cluster_end, m.end)
                continue
            if len(cluster) == 1:
                kept.append(cluster[0])
            elif cluster:
                chosen: list[Match] = []
                for c in sorted(cluster, key=lambda c: (rank(c), c.start)):
                    if not any(c.start < k.end and k.start < c.end for k in chosen):
                        chosen.append(c)
                kept.extend(sorted(chosen, key=lambda c: c.start))
            if m is not None:
                cluster, cluster_end = [m], m.end
        return kept

    # ------------------------------------------------------------------------------------------ streaming
    def scan_stream(self, chunks: Iterable[str]) -> Iterator[Match]:
        """Scan a stream of text chunks with bounded memory. Matches carry 1-based line and column.

        Each window is the tail of the previous window plus the next chunk; a match too close to the end of
        a window is left for the next window (where it is whole), and matches already given are skipped.
        Offsets (`start`, `end`) are absolute in the stream.
        """
        overlap = max(8192, 2 * self.max_window)
        tail = ""
        tail_abs = 0  # absolute offset of tail[0]
        line_at_tail = 1  # line of tail[0]
        col_at_tail = 0  # 0-based column of tail[0]
        given: set[tuple[str, int]] = set()
        it = iter(chunks)
        nxt = next(it, None)
        while nxt is not None:
            chunk, nxt = nxt, next(it, None)
            final = nxt is None
            text = tail + chunk
            limit = len(text) if final else len(text) - overlap // 2
            cut = len(text) if final else max(0, len(text) - overlap)
            newlines: list[int] | None = None
            for m in self.scan(text):
                if m.end > limit:
                    continue
                key = (m.detector.id, tail_abs + m.start)
                if key in given:
                    continue
                given.add(key)
                if newlines is None:
                    newlines = [nl.start() for nl in _NL.finditer(text)]
                k = bisect.bisect_left(newlines, m.start)
                col = m.start - newlines[k - 1] if k else col_at_tail + m.start + 1
                yield _with_pos(m, tail_abs + m.start, tail_abs + m.end, line_at_tail + k, col)
            if final:
                break
            nl = text.count("\n", 0, cut)
            col_at_tail = cut - text.rfind("\n", 0, cut) - 1 if nl else col_at_tail + cut
            line_at_tail += nl
            tail_abs += cut
            tail = text[cut:]
            given = {g for g in given if g[1] >= tail_abs}


_NL = re.compile("\n")
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _with_pos(m: Match, start: int, end: int, line: int, col: int) -> Match:
    return Match(m.detector, m.secret, start, end, m.example, m.name, m.origin, line, col)


def with_lines(text: str, matches: list[Match]) -> list[Match]:
    """Fill line and column of matches found by `Scanner.scan(text)`."""
    if not matches:
        return matches
    newlines = [nl.start() for nl in _NL.finditer(text)]
    out = []
    for m in matches:
        k = bisect.bisect_left(newlines, m.start)
        col = m.start - newlines[k - 1] if k else m.start + 1
        out.append(_with_pos(m, m.start, m.end, k + 1, col))
    return out


@cache
def default_scanner() -> Scanner:
    return Scanner()


@cache
def _value_scanner() -> Scanner:
    return Scanner([d for d in DETECTORS if not d.generic])


def known_format(value: str) -> tuple[str, bool] | None:
    """(kind, is_documented_example) when the whole value, or a token inside it, has a known format."""
    if not value or len(value) > 100_000:
        return None
    matches = _value_scanner().scan(value)
    if not matches:
        return None
    best = min(matches, key=lambda m: _value_scanner().order.get(m.detector.id, 10_000))
    return best.kind, best.example
