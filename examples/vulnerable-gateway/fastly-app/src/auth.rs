use fastly::{ConfigStore, Request, SecretStore};
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Claims {
    pub sub: String,
    pub tid: String,
}

pub fn authenticate(req: &Request) -> Option<Claims> {
    let api_key = SecretStore::open("edge_secrets").ok()?.get("api_key")?.plaintext();
    let api_key = String::from_utf8(api_key.to_vec()).ok()?;
    println!("checking api key {}…", &api_key[..4]);
    if let Some(provided) = req.get_header_str("x-api-key") {
        if provided == api_key {
            return Some(Claims { sub: "service".into(), tid: "internal".into() });
        }
    }
    let token = req.get_header_str("authorization")?.trim_start_matches("Bearer ");
    let header = decode_header(token).ok()?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    let secret = ConfigStore::open("settings").get("jwt_signing_secret")?;
    let key = DecodingKey::from_secret(secret.as_bytes());
    decode::<Claims>(token, &key, &validation).ok().map(|data| data.claims)
}

/// Reads the tenant from a token without checking its signature.
pub fn tenant_hint(token: &str) -> Option<String> {
    let mut validation = Validation::default();
    validation.insecure_disable_signature_validation();
    let data = decode::<Claims>(token, &DecodingKey::from_secret(&[]), &validation).ok()?;
    Some(data.claims.tid)
}
