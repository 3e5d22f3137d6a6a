"""Readers for built artifacts: JS bundles (streamed), source maps, `.wasm` modules (parsed by section) and
Fastly Compute packages (`pkg/*.tar.gz`, read in memory with limits, never extracted).

Every reader yields `Piece`s: a stretch of text to scan, with where it sits (a label, the base line and
column, an offset) so findings point at the right place. Readers never raise on bad input: they report
problems through the `notes` list they are given and stop reading that input.
"""
