# probe-lab: two gateways for `edgeward probe`, run by Cloudflare's workerd on loopback only.
# Started by lab.py (and the tests), which set the PROBE_LAB_* environment variables and may move the
# sockets with `-s vulnerable=127.0.0.1:PORT -s hardened=127.0.0.1:PORT`.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "vulnerable", worker = .vulnerable),
    (name = "hardened", worker = .hardened),
    # Outbound fetches may reach loopback origins only (the lab's echo origins).
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "vulnerable", address = "127.0.0.1:8701", http = (), service = "vulnerable"),
    (name = "hardened", address = "127.0.0.1:8702", http = (), service = "hardened"),
  ],
);

const vulnerable :Workerd.Worker = (
  modules = [(name = "vulnerable.js", esModule = embed "vulnerable.js")],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "ORIGIN_URL", fromEnvironment = "PROBE_LAB_OPEN_ORIGIN"),
    (name = "PUBLIC_KEY_PEM", fromEnvironment = "PROBE_LAB_PUBLIC_PEM"),
    (name = "RATE_LIMIT", text = "40"),
    (name = "LIMITER", durableObjectNamespace = "Limiter"),
  ],
  durableObjectNamespaces = [(className = "Limiter", uniqueKey = "probe-lab-vulnerable-limiter")],
  durableObjectStorage = (inMemory = void),
  globalOutbound = "loopback",
);

const hardened :Workerd.Worker = (
  modules = [(name = "hardened.js", esModule = embed "hardened.js")],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "ORIGIN_URL", fromEnvironment = "PROBE_LAB_PROTECTED_ORIGIN"),
    (name = "ORIGIN_SECRET", fromEnvironment = "PROBE_LAB_ORIGIN_SECRET"),
    (name = "PUBLIC_JWK", fromEnvironment = "PROBE_LAB_PUBLIC_JWK"),
    (name = "ISSUER", text = "https://issuer.probe-lab.test/"),
    (name = "AUDIENCE", text = "probe-lab-api"),
    (name = "RATE_LIMIT", text = "40"),
    (name = "LIMITER", durableObjectNamespace = "Limiter"),
  ],
  durableObjectNamespaces = [(className = "Limiter", uniqueKey = "probe-lab-hardened-limiter")],
  durableObjectStorage = (inMemory = void),
  globalOutbound = "loopback",
);
