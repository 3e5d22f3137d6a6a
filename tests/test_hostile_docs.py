"""The hand-written position scanners on input the standard parsers accept, and on hostile input.

Every TOML case here is valid for tomllib; the scanner must put each key, table and array element on the
line it is written on. A generated-document check covers the combinations the examples miss.
"""

from __future__ import annotations

import random
import tomllib

import pytest

from edgeward.workspace.docs import DocError, load_jsonc, load_toml, load_yaml


def lines(doc) -> dict[str, int]:
    return {"/".join(map(str, p)): pos[0] for p, pos in doc.positions.items()}


# --------------------------------------------------------------------------------------------- TOML


def test_escaped_quotes_and_hashes_inside_strings():
    doc = load_toml('a = "x\\"y # not a comment ]"\n"k\\"q" = \'lit # ] "\'\nb = "\\\\"\nc = 1\n')
    assert doc.data == {"a": 'x"y # not a comment ]', 'k"q': 'lit # ] "', "b": "\\", "c": 1}
    assert lines(doc) == {"a": 1, 'k"q': 2, "b": 3, "c": 4}


def test_multi_line_strings_holding_quotes_and_fake_headers():
    text = (
        'a = """\nhe said "hi" ""\n\\""" still\n[not.a.table]\n"""\n'  # lines 1-5
        "b = '''\n'' [[fake]]\nq = 1\n'''\n"  # lines 6-9
        'c = """x"""""\n'  # 10: the closing run holds two quotes of the string
        "d = ''''x''''\n"  # 11
        'e = """a\\\n  b"""\n'  # 12-13: line continuation
        "[real]\nk = 1\n"  # 14-15
    )
    doc = load_toml(text)
    assert doc.data["c"] == 'x""' and doc.data["d"] == "'x'" and doc.data["e"] == "ab"
    assert lines(doc) == {"a": 1, "b": 6, "c": 10, "d": 11, "e": 12, "real": 14, "real/k": 15}


def test_dotted_keys_with_spaces_and_quotes():
    doc = load_toml('a.b.c = 1\n"x.y".z = 2\n a . "q" . r = 3\n[t]\nu.v = 4\n')
    assert lines(doc) == {
        "a": 1,
        "a/b": 1,
        "a/b/c": 1,
        "x.y": 2,
        "x.y/z": 2,
        "a/q": 3,
        "a/q/r": 3,
        "t": 4,
        "t/u": 5,
        "t/u/v": 5,
    }


def test_inline_tables_in_multi_line_arrays_with_comments():
    text = (
        "routes = [ # ] comment\n"
        '  { pattern = "a.com/*", zone_name = "a.com" },\n'
        "  # { fake = 1 },\n"
        '  { pattern = "b.com/*", custom_domain = true, x = [\n'
        "    1, { y = 2 } ] },\n"
        "]\n"
        "after = 1\n"
    )
    doc = load_toml(text)
    assert lines(doc) == {
        "routes": 1,
        "routes/0": 2,
        "routes/0/pattern": 2,
        "routes/0/zone_name": 2,
        "routes/1": 4,
        "routes/1/pattern": 4,
        "routes/1/custom_domain": 4,
        "routes/1/x": 4,
        "routes/1/x/0": 5,
        "routes/1/x/1": 5,
        "routes/1/x/1/y": 5,
        "after": 7,
    }
    assert doc.pos(("routes", 1, "custom_domain")) == (4, 26)


def test_arrays_of_tables_nested_in_tables_and_in_arrays_of_tables():
    text = (
        "[[a]]\nn = 0\n"  # 1-2
        "[[a.b]]\nx = 1\n"  # 3-4
        "[[a.b]]\nx = 2\n"  # 5-6
        "[a.b.c]\ny = 3\n"  # 7-8: a table inside the second a.b element
        "[[a]]\nn = 1\n"  # 9-10
        "[[ a . b ]]\nx = 3\n"  # 11-12
        "[t]\n[[t.items]]\nk = 1\n[t.items.sub]\nz = 2\n"  # 13-17
    )
    doc = load_toml(text)
    assert doc.data["a"][0]["b"][1] == {"x": 2, "c": {"y": 3}}
    got = lines(doc)
    assert {k: got[k] for k in ("a/0", "a/0/b/0/x", "a/0/b/1", "a/0/b/1/x", "a/0/b/1/c", "a/0/b/1/c/y")} == {
        "a/0": 1,
        "a/0/b/0/x": 4,
        "a/0/b/1": 5,
        "a/0/b/1/x": 6,
        "a/0/b/1/c": 7,
        "a/0/b/1/c/y": 8,
    }
    assert {k: got[k] for k in ("a/1", "a/1/n", "a/1/b/0", "a/1/b/0/x")} == {
        "a/1": 9,
        "a/1/n": 10,
        "a/1/b/0": 11,
        "a/1/b/0/x": 12,
    }
    assert {k: got[k] for k in ("t", "t/items/0", "t/items/0/k", "t/items/0/sub", "t/items/0/sub/z")} == {
        "t": 13,
        "t/items/0": 14,
        "t/items/0/k": 15,
        "t/items/0/sub": 16,
        "t/items/0/sub/z": 17,
    }
    assert "a/0/b/0/0" not in got


def test_explicit_table_after_its_subtable_points_at_its_own_header():
    doc = load_toml("[env.staging.vars]\nK = 1\n[env.staging]\nname = 'x'\n")
    assert lines(doc) == {
        "env": 1,
        "env/staging": 3,
        "env/staging/vars": 1,
        "env/staging/vars/K": 2,
        "env/staging/name": 4,
    }


def test_crlf_line_endings_and_bom():
    text = 'a = 1\r\n[t]\r\nb = """x\r\ny"""\r\nc = [\r\n  1,\r\n  2 ]\r\n'
    doc = load_toml(text)
    assert doc.data["t"]["b"] == "x\ny"
    assert lines(doc) == {"a": 1, "t": 2, "t/b": 3, "t/c": 5, "t/c/0": 6, "t/c/1": 7}
    assert doc.pos(("t", "c", 1)) == (7, 3)
    bom = load_toml("\ufeffa = 1\nb = 2\n")
    assert bom.data == {"a": 1, "b": 2} and lines(bom) == {"a": 1, "b": 2}


def test_toml_nesting_and_big_numbers_are_doc_errors():
    with pytest.raises(DocError, match="nested too deeply"):
        load_toml("a = " + "[" * 50_000 + "]" * 50_000)
    with pytest.raises(ValueError, match="4300 digits"):
        load_toml("a = " + "9" * 5000)


STRINGS = [
    '"plain"',
    '"esc \\" quote # not comment ]"',
    "'lit # ] \"'",
    '"""\nml "q" ""\n [fake]\n"""',
    "'''\nml 'q' ''\n[[fake]]\n'''",
    '"""x\\""""',
    '"\\\\"',
    '"""a\\\n  b"""',
    '"uni é ✓"',
]


class _Gen:
    """A random valid TOML document and the line each key, header and array element is written on."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.lines: list[str] = []
        self.expected: dict[tuple, int] = {}
        self.n = 0

    def key(self) -> tuple[str, str]:
        self.n += 1
        text = self.r.choice([f"k{self.n}", f'"q.{self.n}"', f"'l{self.n}'", f'"e\\"{self.n}"'])
        return text, next(iter(tomllib.loads(f"{text} = 1")))

    def value(self, path: tuple, depth: int) -> tuple[str, list[tuple[tuple, int]]]:
        c = self.r.random()
        if depth > 1 or c < 0.55:
            return self.r.choice([*STRINGS, "1", "true", "1979-05-27T07:32:00Z", "-inf"]), []
        if c < 0.8:
            multiline = self.r.random() < 0.5
            text, rel, off = "[", [], 0
            for i in range(self.r.randint(0, 3)):
                v, sub = self.value(path + (i,), depth + 1)
                if multiline:
                    text += "\n  # c ] }\n  "
                    off += 2
                rel += [(path + (i,), off)] + [(p, off + o) for p, o in sub]
                text += v + ","
                off += v.count("\n")
            return text + ("\n]" if multiline else "]"), rel
        parts, rel = [], []
        for _ in range(self.r.randint(0, 3)):
            k, name = self.key()
            parts.append(f"{k} = {self.r.choice(['1', chr(34) + 'a,}' + chr(34), '[1, {z = 2}]'])}")
            rel.append((path + (name,), 0))
        return "{ " + ", ".join(parts) + " }", rel

    def keyvals(self, base: tuple, count: int) -> None:
        for _ in range(count):
            if self.r.random() < 0.2:
                (k1, n1), (k2, n2) = self.key(), self.key()
                text, path = f"{k1} . {k2}", base + (n1, n2)
            else:
                text, name = self.key()
                path = base + (name,)
            line = len(self.lines) + 1
            v, rel = self.value(path, 0)
            self.expected[path] = line
            self.expected.update({p: line + off for p, off in rel})
            self.lines += (f"{text} = {v}" + self.r.choice(["", "  # tail ] [x]"])).split("\n")

    def header(self, path: tuple, text: str) -> None:
        self.expected[path] = len(self.lines) + 1
        self.lines.append(text)

    def document(self, newline: str) -> str:
        self.keyvals((), self.r.randint(0, 3))
        for _ in range(self.r.randint(1, 4)):
            t, tn = self.key()
            if self.r.random() < 0.5:
                self.header((tn,), f"[ {t} ]")
                self.keyvals((tn,), self.r.randint(0, 3))
                s, sn = self.key()
                for i in range(self.r.randint(0, 2)):
                    self.header((tn, sn, i), f"[[{t}.{s}]]")
                    self.keyvals((tn, sn, i), self.r.randint(0, 2))
                continue
            for i in range(self.r.randint(1, 2)):
                self.header((tn, i), f"[[{t}]]")
                self.keyvals((tn, i), self.r.randint(0, 2))
                s, sn = self.key()
                for j in range(self.r.randint(0, 2)):
                    self.header((tn, i, sn, j), f"[[ {t} . {s} ]]")
                    self.keyvals((tn, i, sn, j), self.r.randint(0, 2))
                    if self.r.random() < 0.5:
                        u, un = self.key()
                        self.header((tn, i, sn, j, un), f"[{t}.{s}.{u}]")
                        self.keyvals((tn, i, sn, j, un), 1)
        return newline.join(self.lines) + newline


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_generated_documents_put_every_key_on_its_line(newline):
    for seed in range(150):
        gen = _Gen(seed)
        text = gen.document(newline)
        doc = load_toml(text)  # also proves the generated text is valid TOML
        got = {p: doc.positions.get(p, (None,))[0] for p in gen.expected}
        assert got == gen.expected, text


# --------------------------------------------------------------------------------------- JSON / JSONC


def test_jsonc_comments_holding_quotes_and_braces_crlf():
    text = '{\r\n  // "x": { not a key\r\n  "a": 1, /* "b": [\r\n  */ "c": "//not a comment",\r\n  "d": [\r\n    true,\r\n  ],\r\n}\r\n'
    doc = load_jsonc(text)
    assert doc.data == {"a": 1, "c": "//not a comment", "d": [True]}
    assert lines(doc) == {"a": 3, "c": 4, "d": 5, "d/0": 6}
    assert doc.pos(("c",)) == (4, 6)


def test_jsonc_escaped_quotes_in_keys_and_values():
    doc = load_jsonc('{"a\\"b": "x\\"}\\\\",\n "\\u0041": 2}')
    assert doc.data == {'a"b': 'x"}\\', "A": 2}
    assert lines(doc) == {'a"b': 1, "A": 2}


def test_jsonc_repeated_key_points_at_the_one_that_wins():
    doc = load_jsonc('{"vars": {"API_TOKEN": "placeholder",\n  "API_TOKEN": "real"}}')
    assert doc.data == {"vars": {"API_TOKEN": "real"}}
    assert doc.line(("vars", "API_TOKEN")) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": "x\\', "line 1, column 10: invalid JSON: unterminated string"),
        ('{"name": "x', "line 1, column 10: invalid JSON: unterminated string"),
        ('{"a": "\\', "line 1, column 7: invalid JSON: unterminated string"),
        ("/* never closed", "line 1, column 1: invalid JSON: unterminated /* comment"),
        ('{"a": 1}\n}', "line 2, column 1: invalid JSON: unexpected text after the document"),
        ("[" * 300, "line 1, column 201: invalid JSON: nesting deeper than 200 levels"),
        ("", "line 1, column 1: invalid JSON: unexpected end of document"),
        ('{"a": -}', "line 1, column 7: invalid JSON: unexpected character '-'"),
    ],
)
def test_jsonc_malformed_input_is_a_doc_error_with_position(text, message):
    with pytest.raises(DocError) as exc:
        load_jsonc(text)
    assert str(exc.value) == message


# --------------------------------------------------------------------------------------------- YAML


def test_yaml_deep_flow_nesting_is_refused_quickly():
    with pytest.raises(DocError, match="flow collections nested deeper than 100 levels"):
        load_yaml("a: b\nc: " + "[" * 100_000 + "]" * 100_000)
    assert load_yaml("a: " + "[x, " * 90 + "]" * 90).data["a"][0] == "x"


def test_yaml_size_limit_can_be_raised():
    with pytest.raises(DocError, match="over 1,048,576 characters"):
        load_yaml("#" * (1024 * 1024 + 1))
    text = "a: 1\n" + "# pad\n" * 500
    with pytest.raises(DocError, match="over 1,000 characters"):
        load_yaml(text, max_bytes=1000)
    assert load_yaml(text, max_bytes=5000).data == {"a": 1}


def test_yaml_deep_block_nesting_and_alias_bomb_are_doc_errors():
    with pytest.raises(DocError, match="nested too deeply|nesting deeper"):
        load_yaml("\n".join(" " * i + "a:" for i in range(1000)))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "\n".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)
    )
    with pytest.raises(DocError, match="alias bomb"):
        load_yaml(bomb)


def test_yaml_tags_give_plain_values_and_construct_nothing():
    doc = load_yaml("a: !Ref name\nb: !!python/object/apply:os.system ['true']\nc: !GetAtt x.y\n")
    assert doc.data == {"a": "name", "b": ["true"], "c": "x.y"}
    assert lines(doc) == {"a": 1, "b": 2, "c": 3}


SECRET = "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"API_TOKEN: {SECRET}x\nAPI_TOKEN: {SECRET}\n",
            'line 2, column 1: invalid YAML: found duplicate key "API_TOKEN"',
        ),
        (
            f"a: !!int {SECRET}\n",
            "invalid YAML: ValueError: invalid literal for int() with base 10: 'q8Xv…aE (32 chars)'",
        ),
        (f"a: !!float {SECRET}\n", "invalid YAML: IndexError: string index out of range"),
    ],
)
def test_yaml_errors_never_quote_a_secret(text, message):
    with pytest.raises(DocError) as exc:
        load_yaml(text)
    assert str(exc.value) == message and SECRET not in str(exc.value)
