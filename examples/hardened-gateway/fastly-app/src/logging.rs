use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use fastly::http::StatusCode;
use fastly::log::Endpoint;
use fastly::{Request, Response};
use serde_json::json;

/// The log endpoint declared in fastly.toml `[setup.log_endpoints.security_events]`.
pub const ENDPOINT: &str = "security_events";

/// One JSON object per security event: wall-clock time, the event, and the request's trace id.
pub fn event(name: &str, reason: &str, path: &str) {
    let ts = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let trace_id = std::env::var("FASTLY_TRACE_ID").unwrap_or_default();
    let mut endpoint = Endpoint::from_name(ENDPOINT);
    let line = json!({ "ts": ts, "event": name, "reason": reason, "path": path, "trace_id": trace_id });
    let _ = writeln!(endpoint, "{}", line);
}

pub fn deny(req: &Request, reason: &str) -> Response {
    event("request_denied", reason, req.get_path());
    Response::from_status(StatusCode::UNAUTHORIZED)
}

pub fn forbid(req: &Request) -> Response {
    event("request_forbidden", "admin_only", req.get_path());
    Response::from_status(StatusCode::FORBIDDEN)
}
