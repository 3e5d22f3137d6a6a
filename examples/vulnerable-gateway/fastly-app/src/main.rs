mod auth;
mod logging;
mod tenant;

use fastly::{Error, Request, Response};

#[fastly::main]
fn main(req: Request) -> Result<Response, Error> {
    let claims = match auth::authenticate(&req) {
        Some(claims) => claims,
        None => return Ok(logging::deny(&req, "unauthorized")),
    };
    tenant::forward(req, &claims)
}
