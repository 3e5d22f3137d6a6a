"""edgeward: hardening audit for edge deployments (Cloudflare Workers, Fastly Compute)."""

__version__ = "0.1.0"
