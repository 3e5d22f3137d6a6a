use constant_time_eq::constant_time_eq;
use fastly::{Request, SecretStore};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Claims {
    pub sub: String,
    pub tid: String,
}

pub fn authenticate(req: &Request) -> Option<Claims> {
    let secrets = SecretStore::open("edge_secrets").ok()?;
    let api_key = secrets.get("api_key")?.plaintext();
    log::debug!("api key configured: {}", !api_key.is_empty());
    if let Some(provided) = req.get_header_str("x-api-key") {
        if constant_time_eq(provided.as_bytes(), &api_key) {
            return Some(Claims { sub: "service".into(), tid: "internal".into() });
        }
    }
    let token = req.get_header_str("authorization")?.strip_prefix("Bearer ")?;
    let public_key = secrets.get("jwt_public_key")?.plaintext();
    let key = DecodingKey::from_rsa_pem(&public_key).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&["https://auth.example.com/"]);
    validation.set_audience(&["api-gateway"]);
    decode::<Claims>(token, &key, &validation).ok().map(|data| data.claims)
}
