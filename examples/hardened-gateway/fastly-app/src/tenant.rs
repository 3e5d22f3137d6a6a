use fastly::{Error, KVStore, Request, Response};

use crate::auth::Claims;
use crate::logging;

const TRUSTED_HEADERS: [&str; 3] = ["x-user-id", "x-tenant-id", "x-api-key"];

pub fn forward(mut req: Request, claims: &Claims) -> Result<Response, Error> {
    let store = KVStore::open("tenant_config")?.expect("store");
    let _settings = store.lookup(&format!("{}/settings", claims.tid))?;
    if req.get_path().starts_with("/admin") && claims.sub != "admin" {
        return Ok(logging::forbid(&req));
    }
    for name in TRUSTED_HEADERS {
        req.remove_header(name);
    }
    req.remove_header("x-user-id");
    req.remove_header("x-tenant-id");
    req.set_header("x-user-id", claims.sub.clone());
    req.set_header("x-tenant-id", claims.tid.clone());
    Ok(req.send("origin")?)
}
