//! Development tokens: HS256 JWTs signed with a secret kept in the data directory, carrying
//! the same claims a Cognito ID token would (`sub`, `email`, `custom:tenant`, `cognito:groups`).
//! Only the local runner accepts them.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use gestiona_api::ClaimNames;
use gestiona_domain::{Role, TenantId, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

pub const ISSUER: &str = "gestiona-local";
pub const AUDIENCE: &str = "gestiona";
const SECRET_FILE: &str = "jwt-secret";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read or create the signing secret: {0}")]
    Secret(#[from] std::io::Error),
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

pub struct DevTokens {
    secret: Vec<u8>,
    claims: ClaimNames,
}

impl DevTokens {
    /// Loads the data directory's secret, creating a random one (readable by the owner only)
    /// on first use.
    pub fn load(data_dir: &Path, claims: ClaimNames) -> Result<Self, TokenError> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(SECRET_FILE);
        let encoded = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(&path) {
                    Ok(mut file) => {
                        file.write_all(encoded.as_bytes())?;
                        file.sync_all()?;
                        encoded
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        std::fs::read_to_string(&path)?.trim().to_owned()
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        let secret = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        Ok(Self { secret, claims })
    }

    pub fn mint(&self, tenant: &TenantId, user: &UserId, role: Role, ttl_hours: u64) -> Result<String, TokenError> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
        let claims = json!({
            "sub": user.as_str(),
            "email": format!("{user}@{tenant}.gestiona.local"),
            self.claims.tenant.as_str(): tenant.as_str(),
            self.claims.roles.as_str(): [role.as_str()],
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + ttl_hours * 3600,
            "token_use": "id",
        });
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&self.secret))?)
    }

    /// Verifies signature, issuer, audience, expiry and not-before (as API Gateway's JWT
    /// authorizer does), and returns the claims flattened to
    /// strings the way API Gateway's JWT authorizer passes them (arrays as `[a b]`).
    pub fn verify(&self, token: &str) -> Result<HashMap<String, String>, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = 30;
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<HashMap<String, Value>>(
            token,
            &DecodingKey::from_secret(&self.secret),
            &validation,
        )?;
        Ok(data.claims.into_iter().map(|(name, value)| (name, flatten_claim(value))).collect())
    }
}

fn flatten_claim(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Array(items) => {
            let parts: Vec<String> = items.into_iter().map(flatten_claim).collect();
            format!("[{}]", parts.join(" "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_tampering_fails() {
        let dir = std::env::temp_dir().join(format!("gestiona-token-{}", std::process::id()));
        let tokens = DevTokens::load(&dir, ClaimNames::default()).unwrap();
        let token = tokens
            .mint(&TenantId::parse("demo").unwrap(), &UserId::parse("ana").unwrap(), Role::Supervisor, 1)
            .unwrap();
        let claims = tokens.verify(&token).unwrap();
        assert_eq!(claims["sub"], "ana");
        assert_eq!(claims["custom:tenant"], "demo");
        assert_eq!(claims["cognito:groups"], "[supervisor]");
        let again = DevTokens::load(&dir, ClaimNames::default()).unwrap();
        assert!(again.verify(&token).is_ok(), "the secret persists in the data directory");
        let mut tampered = token.clone();
        tampered.replace_range(tampered.len() - 4.., "AAAA");
        assert!(tokens.verify(&tampered).is_err());
        let other = DevTokens::load(&dir.join("other"), ClaimNames::default()).unwrap();
        assert!(other.verify(&token).is_err(), "another data directory's secret rejects it");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_token_is_refused_before_its_not_before_time() {
        let dir = std::env::temp_dir().join(format!("gestiona-token-nbf-{}", std::process::id()));
        let tokens = DevTokens::load(&dir, ClaimNames::default()).unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let signed = |not_before: u64| {
            let claims = json!({"sub": "ana", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 7200, "nbf": not_before});
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&tokens.secret))
                .unwrap()
        };
        assert!(tokens.verify(&signed(now + 3600)).is_err(), "not valid for another hour");
        assert!(tokens.verify(&signed(now - 60)).is_ok(), "valid since a minute ago");
        std::fs::remove_dir_all(dir).ok();
    }
}
