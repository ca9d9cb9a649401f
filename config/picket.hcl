# picket.hcl — every option, with its default.
# Check a file with `picket config check picket.hcl`; a running picket reloads
# it on SIGHUP and whenever the file changes (a bad new file keeps the last
# good one running and logs why).

# Address to serve on. Aperture must reach it; keep it on loopback or the tailnet.
listen = "127.0.0.1:8080"

# Default mode of every tenant: "off" (detectors do not run), "monitor"
# (evaluate, record what would be blocked, always answer allow) or "enforce".
mode = "monitor"

# Deadline for a pre_request verdict. Detectors still running at the budget
# count as timed out and their detector's `fail` policy applies. Keep it well
# under the Aperture hook's `timeout` (Tailscale recommends 500ms–2s).
budget = "250ms"

# Keys, the spool key and the SQLite database live here.
# Default: $PICKET_DATA_DIR, else $XDG_DATA_HOME/picket, else ~/.local/share/picket.
# data_dir = "/var/lib/picket"

store {
  driver = "sqlite"        # "sqlite" (embedded, default) or "postgres" (shared by replicas)
  dsn    = "picket.db"     # sqlite: a file (relative to data_dir); postgres: "postgres://user@host:5432/db"
  # What item text the trail keeps: "none" (digests only), "redacted" (every
  # finding masked; default) or "full" (as sent: secrets included).
  payload = "redacted"
  # Retention, enforced in the background. 0 / unset: keep everything.
  # max_age    = "720h"
  # max_events = 1000000
}

# Forward findings at or above a severity to a SIEM (any number of sinks; README
# "Alerts to a SIEM"). Each spools its alerts under data_dir/sinks/<name> before
# sending them, in order, and retries until the receiver takes them; a full spool
# drops its oldest (counted in picket_sink_dropped_total). Changes need a restart.
# sink "siem" {
#   type              = "webhook"              # "webhook" or "syslog"
#   url               = "https://siem.internal/picket"
#   min_severity      = "high"
#   bearer_token_env  = "PICKET_SIEM_TOKEN"    # env var holding a bearer token (optional)
#   hmac_key_env      = "PICKET_SIEM_HMAC"     # env var holding an HMAC key: X-Picket-Signature (optional)
#   timeout           = "10s"                  # per attempt
#   backoff           = "500ms"                # first retry wait, doubled up to max_backoff, with jitter
#   max_backoff       = "1m"                   # 429/503 wait for Retry-After instead (at most 15m)
#   spool_max_size    = "64MiB"
#   spool_max_records = 100000
# }
# sink "syslog" {
#   type        = "syslog"
#   address     = "logs.internal:6514"
#   network     = "tls"                        # "udp" (default), "tcp" or "tls" (RFC 5425)
#   ca_file     = "/etc/picket/syslog-ca.pem"  # tls: CA of the receiver's certificate (default: system roots)
#   cert_file   = "/etc/picket/client.pem"     # tls: client certificate and key for mutual TLS (optional)
#   key_file    = "/etc/picket/client.key"
#   server_name = "logs.internal"              # tls: name to verify (default: the address's host)
# }

# Envoy ext_proc (Envoy AI Gateway, plain Envoy): a gRPC ExternalProcessor on its own
# port. Streams authenticate with a key in their gRPC metadata (Envoy's grpc_service
# initial_metadata: x-api-key or authorization: Bearer); streams without one get this
# tenant's policy (leave tenant out to refuse them).
# extproc {
#   listen = "127.0.0.1:9002"
#   tenant = "default"
# }

# OpenTelemetry (README "Telemetry"): a span per hook call with a child span per
# detector, and a log record per decision, exported over OTLP. Off without this block.
# Spans and records carry ids, names, modes, outcomes, counts and durations: never item
# text, a match, a payload or a header value. Headers may instead come from
# OTEL_EXPORTER_OTLP_HEADERS (keeps a token out of the file); the block's replace them.
# telemetry {
#   endpoint      = "127.0.0.1:4318"     # host:port, or "https://host:4318/base" (http: signals at /base/v1/traces, /base/v1/logs)
#   protocol      = "http"               # "http" (OTLP/HTTP protobuf, port 4318) or "grpc" (port 4317)
#   insecure      = true                 # plain text; default TLS with the system roots (an http:// or https:// endpoint says it)
#   # ca_file     = "/etc/picket/collector-ca.pem"   # TLS: trust this CA instead
#   # cert_file   = "/etc/picket/client.pem"         # TLS: a client certificate (with key_file)
#   # key_file    = "/etc/picket/client-key.pem"
#   headers       = { "x-scope-orgid" = "picket" }
#   sample_ratio  = 1.0                  # share of traces started here that are kept; a gateway's traceparent decides for its own
#   service_name  = "picket"
#   timeout       = "10s"                # one export request
#   decision_logs = true                 # false: spans only (a collector without a logs pipeline, such as Jaeger)
#   # enabled     = false                # keep the block, export nothing
# }

# Session memory (README "Sessions"): items judged once per session, credentials
# and injected leads tracked across steps, quarantine after an asynchronous
# block-level finding.
session {
  enabled        = true
  retention      = "24h"       # forget sessions idle this long (quarantined ones are kept)
  max_items      = 20000       # per session; the oldest are dropped past these bounds
  max_marks      = 5000
  max_findings   = 2000
  quarantine     = "critical"  # "critical", "high" or "off"; tenant and detector blocks may override
  quarantine_for = "0s"        # 0: until an operator lifts it (POST /v1/sessions/{id}/quarantine/lift)
  # mode         = "monitor"   # hold the session's own findings back from what the tenant enforces
}

# Operational limits. serve's --max-connections and --body-timeout flags and
# PICKET_QUEUE_LEASE override the first three; listen-side limits, the lease and
# wasm_memory take effect at the next start, the others on reload.
limits {
  max_connections = 4096      # open client connections at once; more wait in the listen backlog
  body_timeout    = "10s"     # time a client has to send a request body; then 408 and the connection is closed
  queue_lease     = "30s"     # a replica's claim on queued async events, renewed while it works (README "Running more than one")
  max_pending_age = "5m"      # /readyz answers 503 when the oldest pending async event waited longer and
                              # this process evaluated none meanwhile (stuck); "0s": never
  wasm_memory     = "512MiB"  # linear memory of all WASM instances together (each reserves its 128 MiB cap)
  plugin_memory   = "512MiB"  # resident memory of each process plugin; over it, the plugin is killed and
                              # restarted (its data segment is capped at this plus 256 MiB); "0": no bound
  plugin_cpu      = 1.0       # CPUs each process plugin may use, averaged over 5 s; over it, killed and restarted; 0: no bound
}

# A tenant is found by the SHA-256 of the hook's API key (Authorization:
# Bearer or Splunk, cf-aig-authorization: Bearer, X-Api-Key, X-Highflame-Apikey or
# X-Goog-Api-Key). Keys are never
# stored in clear: `picket keys new` prints a key and its hash.
tenant "default" {
  api_key_sha256 = ["0000000000000000000000000000000000000000000000000000000000000000"]
  mode           = "monitor"  # overrides the global mode for this tenant
}

# Policy defaults for every detector block below.
defaults {
  min_severity = "high"   # findings below this are recorded but do not count
  action       = "block"  # "block", "redact" (mask the secret in the new user turn) or "alert"
  fail         = "open"   # what an error or timeout means: "open" (allow) or "closed" (block)
  # timeout    = "100ms"  # per-detector deadline; default: the budget
}

# Detectors. When no detector block is given, every built-in detector runs
# with the defaults above. Once any block is given, only the listed ones run.
detector "secrets" {
  source       = "builtin"  # "builtin", "process" (go-plugin binary) or "wasm" (WebAssembly module)
  enabled      = true
  action       = "block"
  min_severity = "high"
  # kinds      = ["system", "prompt", "tool_call", "tool_result", "response"]  # narrow what it sees
  # mode       = "monitor"  # hold this detector back from what the tenant enforces
  # allow_regex        = ["^AKIA[0-9A-Z]{12}TEST$"]  # matches whose text matches are ignored
  # allow_fingerprints = ["3f2a…"]                   # from a finding's fingerprint in the trail
  # config = { allow_paths = ["testdata/"] }          # detector-specific settings
}

detector "injection" {
  source = "builtin"
  fail   = "open"
  # config = { thresholds = { prompt = 0.9, tool_result = 0.7 }, scan_system = false }
}

detector "commands" {
  source  = "builtin"
  timeout = "50ms"
  # config = { protected_branches = ["main", "release/*"], allowed_hosts = ["github.com"] }
}

# A third-party detector as a WebAssembly module or a go-plugin binary:
# `make plugins` builds the examples and prints their sha256.
# detector "acme-denylist" {
#   source  = "wasm"
#   path    = "plugins/bin/denylist.wasm"
#   sha256  = "<hex>"
#   timeout = "20ms"
#   config  = { words = ["project-zebra"] }
#   # process plugins only: bounds of this plugin instead of limits.plugin_memory / plugin_cpu
#   # max_memory = "128MiB"
#   # max_cpu    = 0.5
# }
