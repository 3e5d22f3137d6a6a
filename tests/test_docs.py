"""Config documents keep the line of every key, table and array element."""

import pytest

from edgeward.workspace.docs import DocError, load_jsonc, load_toml, load_yaml

TOML = """\
name = "gw"
routes = [
  { pattern = "a.example.com/*", zone_name = "example.com" },
  "b.example.com/*",
]
observability.head_sampling_rate = 0.5
s = '''multi
[not-a-table]
line'''

[vars]
"QUOTED.KEY" = "v"
PLAIN = "x" # comment

[[kv_namespaces]]
binding = "A"
id = "1"

[[kv_namespaces]]
binding = "B"
id = "2"

[env.staging.vars]
K = "v"
"""


def test_toml_positions():
    doc = load_toml(TOML)
    assert doc.data["vars"]["QUOTED.KEY"] == "v"
    assert doc.pos(("name",)) == (1, 1)
    assert doc.line(("routes", 0)) == 3
    assert doc.line(("routes", 0, "zone_name")) == 3
    assert doc.line(("routes", 1)) == 4
    assert doc.line(("observability", "head_sampling_rate")) == 6
    assert doc.line(("vars", "QUOTED.KEY")) == 12
    assert doc.line(("vars", "PLAIN")) == 13
    assert doc.line(("kv_namespaces", 0, "id")) == 17
    assert doc.line(("kv_namespaces", 1, "id")) == 21
    assert doc.line(("env", "staging", "vars", "K")) == 24
    # a multi-line string does not create a table
    assert doc.pos(("not-a-table",)) is None


def test_toml_missing_key_falls_back_to_ancestor():
    doc = load_toml(TOML)
    assert doc.line(("env", "staging", "vars", "MISSING")) == 23
    assert doc.line(("nothing", "here")) == 1


def test_toml_error_has_line():
    with pytest.raises(DocError) as exc:
        load_toml('a = "x"\nb = \n')
    assert exc.value.line == 2
    assert "line 2" in str(exc.value)


def test_jsonc_comments_trailing_commas_positions():
    doc = load_jsonc(
        '{\n  // comment\n  "vars": {\n    "A": "x", /* inline */\n  },\n  "routes": ["r1",\n  "r2",],\n}\n'
    )
    assert doc.data == {"vars": {"A": "x"}, "routes": ["r1", "r2"]}
    assert doc.line(("vars", "A")) == 4
    assert doc.line(("routes", 1)) == 7


@pytest.mark.parametrize(
    "text,line", [('{"a": }', 1), ('{\n"a": 1\n"b": 2}', 3), ('{"a": "x', 1), ("[1, 2", 1)]
)
def test_jsonc_errors(text, line):
    with pytest.raises(DocError) as exc:
        load_jsonc(text)
    assert exc.value.line == line


def test_jsonc_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(DocError):
        load_jsonc("[" * 5000 + "]" * 5000)


def test_yaml_positions_and_anchors():
    doc = load_yaml("base: &b\n  x: 1\njobs:\n  deploy:\n    <<: *b\n    steps:\n      - run: npm ci\n")
    assert doc.data["jobs"]["deploy"]["x"] == 1
    assert doc.line(("jobs", "deploy", "steps", 0, "run")) == 7
    assert doc.line(("jobs", "deploy")) == 4


def test_yaml_error_has_line():
    with pytest.raises(DocError) as exc:
        load_yaml("a: [1, 2\nb: 3\n")
    assert exc.value.line is not None


def test_yaml_alias_bomb_is_refused():
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    with pytest.raises(DocError, match="alias bomb"):
        load_yaml("\n".join(lines) + "\n")
