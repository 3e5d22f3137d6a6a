use fastly::backend::Backend;
use fastly::{Error, KVStore, Request, Response};

use crate::auth::Claims;
use crate::logging;

const ORIGIN_TOKEN: &str = env!("ORIGIN_API_TOKEN");

pub fn forward(mut req: Request, claims: &Claims) -> Result<Response, Error> {
    let store = KVStore::open("tenant_config")?.expect("store");
    let tenant = req.get_header_str("x-tenant").unwrap_or_default().to_string();
    let _settings = store.lookup(&tenant)?;
    if req.get_path().starts_with("/admin") && claims.sub != "admin" {
        return Ok(logging::forbid());
    }
    req.append_header("x-user-id", claims.sub.clone());
    req.set_header("authorization", format!("Bearer {}", ORIGIN_TOKEN));
    if let Some(region) = req.get_header_str("x-region") {
        let regional = Backend::builder("regional", format!("{}.origin.example.com", region)).finish()?;
        return Ok(req.send(regional)?);
    }
    Ok(req.send("origin")?)
}
