use std::io::Write;
use std::time::Instant;

use fastly::http::StatusCode;
use fastly::log::Endpoint;
use fastly::{Request, Response};
use serde_json::json;

thread_local! {
    static STARTED: Instant = Instant::now();
}

/// Rejects the request. The event goes to an endpoint whose name differs from the declared one, carries
/// elapsed time as its timestamp and no trace id.
pub fn deny(req: &Request, reason: &str) -> Response {
    let elapsed = STARTED.with(|s| s.elapsed().as_millis());
    let mut audit = Endpoint::from_name("security-events");
    let event = json!({ "ts": elapsed, "event": "denied", "reason": reason, "path": req.get_path() });
    let _ = writeln!(audit, "{}", event);
    Response::from_status(StatusCode::UNAUTHORIZED)
}

pub fn forbid() -> Response {
    println!("forbidden");
    Response::from_status(StatusCode::FORBIDDEN)
}
