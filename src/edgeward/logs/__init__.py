"""`edgeward logs`: exported edge logs (Cloudflare Logpush `workers_trace_events`, Fastly real-time logging)
read with DuckDB, checked for delivery gaps, late batches, auth-failure, volume and exception anomalies and
the quality of security events (LOG001-LOG008).

    source.py    which files, their time ranges and delivery times, which export wrote them
    analysis.py  DuckDB: records, windows, robust baselines, anomalies -> LogFacts
    result.py    LogFacts -> findings (by the rules in edgeward.rules.logs), notes, checklist 14-16
    command.py   the command line
    plot.py      --plot: HTML/SVG timeline
    sigma.py     --emit-sigma: Sigma rules with the learned thresholds
    generate.py  seeded datasets with planted anomalies (tests, benchmarks/logs.py)
"""
