"""Source front ends and the data-flow engine.

- `ir`: the shared intermediate representation (read its docstring first).
- `js`: JavaScript / TypeScript / TSX front end (tree-sitter); `python`: Python Workers front end (`ast`).
- `sources`: the per-project fact of parsed modules (`project.fact(modules)`), with size/output-dir bounds.
- `knowledge`: platform knowledge as data (sources, secrets, sanitizers, SDK calls), keyed by language.
- `taint`: one engine over the IR that labels values (request data, secrets, verified claims...) and
  records the events the rules match on.
"""
