//! Sign-in through Cognito's managed login: the OAuth 2.0 authorization-code flow with PKCE
//! (RFC 7636). The console sends the browser to the user pool's login page with a fresh
//! `state`, `nonce` and code challenge, keeps their secrets in a short-lived HttpOnly cookie,
//! redeems the code it gets back at the token endpoint, and verifies the ID token against the
//! user pool's published keys before it starts a session.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gestiona_domain::{Actor, ClaimNames, ClaimsError, Locale};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest, Sha256};

/// The cookie that carries one sign-in attempt from the login page back to the callback.
pub const FLOW_COOKIE: &str = "gestiona_sign_in";
/// Where the provider sends the browser back with the code.
pub const CALLBACK_PATH: &str = "/app/auth/callback";
/// How long a user may take on the login page.
const FLOW_SECONDS: u32 = 600;
/// Clock skew allowed on the token's times.
const LEEWAY_SECONDS: u64 = 60;

/// The managed login's base URL (`https://{prefix}.auth.{region}.amazoncognito.com`).
pub const SIGN_IN_URL_VARIABLE: &str = "GESTIONA_SIGN_IN_URL";
/// The user pool's issuer (`https://cognito-idp.{region}.amazonaws.com/{pool}`).
pub const SIGN_IN_ISSUER_VARIABLE: &str = "GESTIONA_SIGN_IN_ISSUER";
/// The console's app client.
pub const SIGN_IN_CLIENT_VARIABLE: &str = "GESTIONA_SIGN_IN_CLIENT_ID";
/// The callback and sign-out addresses registered on the app client.
pub const CALLBACK_URL_VARIABLE: &str = "GESTIONA_CONSOLE_CALLBACK_URL";
pub const SIGN_OUT_URL_VARIABLE: &str = "GESTIONA_CONSOLE_SIGN_OUT_URL";

/// Where the user pool is and how this console is registered with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoConfig {
    /// The managed login's base URL: `https://{prefix}.auth.{region}.amazoncognito.com`.
    pub login_url: String,
    /// The user pool's issuer: `https://cognito-idp.{region}.amazonaws.com/{pool id}`.
    pub issuer: String,
    /// The console's app client (public: PKCE instead of a secret).
    pub client_id: String,
    /// This console's callback, as registered on the app client.
    pub callback_url: String,
    /// Where the managed login sends the browser after signing out, as registered.
    pub sign_out_url: String,
    pub claims: ClaimNames,
}

/// Why a sign-in did not end in a session.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The callback does not belong to an attempt this browser started (a forged or replayed
    /// link, or one that took longer than the flow's cookie lives).
    #[error("the callback's state does not match this browser's sign-in")]
    UnknownAttempt,
    /// The provider refused the code, or answered something that is not a token.
    #[error("the provider refused the code: {0}")]
    Refused(String),
    /// The provider could not be reached.
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    /// The ID token is not one this console may trust.
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
    /// A valid token for a user without a tenant or a role.
    #[error("the user has no access: {0}")]
    NoAccess(ClaimsError),
}

/// One attempt: what the callback must see again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub state: String,
    pub verifier: String,
    pub nonce: String,
    /// The console page to return to.
    pub next: String,
}

impl Attempt {
    fn new(next: String) -> Self {
        Self { state: random_token(), verifier: random_token(), nonce: random_token(), next }
    }

    fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }

    /// The cookie's value: four base64url parts (the alphabet has no `.`).
    fn cookie_value(&self) -> String {
        [&self.state, &self.verifier, &self.nonce, &URL_SAFE_NO_PAD.encode(self.next.as_bytes())]
            .map(|s| s.as_str())
            .join(".")
    }

    pub fn from_cookie(value: &str) -> Option<Self> {
        let mut parts = value.split('.');
        let (state, verifier, nonce, next) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let next = String::from_utf8(URL_SAFE_NO_PAD.decode(next).ok()?).ok()?;
        parts.next().is_none().then(|| Self {
            state: state.into(),
            verifier: verifier.into(),
            nonce: nonce.into(),
            next,
        })
    }
}

/// 32 random bytes, base64url: a state, a nonce or a PKCE verifier (43 characters, as RFC 7636
/// recommends).
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The console's client of one user pool. Its signing keys are fetched once per cold start
/// and again only when a token names a key not seen yet (the pool rotated its keys).
pub struct Cognito {
    config: CognitoConfig,
    /// Built at the first sign-in, not at cold start: most invocations never call the pool.
    http: OnceLock<reqwest::Client>,
    keys: Mutex<Option<Arc<JwkSet>>>,
}

impl std::fmt::Debug for Cognito {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cognito").field("config", &self.config).finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    id_token: String,
}

impl CognitoConfig {
    /// The configuration in the environment (`lookup`), when every address is set: a stack
    /// deployed without the console's URLs has none, and nobody can sign in.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>, claims: ClaimNames) -> Option<Self> {
        let value = |name: &str| lookup(name).filter(|v| !v.is_empty());
        Some(Self {
            login_url: value(SIGN_IN_URL_VARIABLE)?.trim_end_matches('/').to_owned(),
            issuer: value(SIGN_IN_ISSUER_VARIABLE)?.trim_end_matches('/').to_owned(),
            client_id: value(SIGN_IN_CLIENT_VARIABLE)?,
            callback_url: value(CALLBACK_URL_VARIABLE)?,
            sign_out_url: value(SIGN_OUT_URL_VARIABLE)?,
            claims,
        })
    }
}

impl Cognito {
    pub fn new(config: CognitoConfig) -> Self {
        Self { config, http: OnceLock::new(), keys: Mutex::new(None) }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("an HTTP client with the platform's certificates")
        })
    }

    /// The managed login's origin (scheme and host), which the console's forms may end at.
    pub fn origin(&self) -> &str {
        let url = &self.config.login_url;
        let host_start = url.find("://").map_or(0, |i| i + 3);
        url[host_start..].find(['/', '?']).map_or(url.as_str(), |i| &url[..host_start + i])
    }

    /// Starts an attempt: the managed login's address to send the browser to, and the
    /// `Set-Cookie` that remembers the attempt.
    pub fn begin(&self, next: String, locale: Locale, secure: bool) -> (String, String) {
        let attempt = Attempt::new(next);
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.callback_url)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &attempt.state)
            .append_pair("nonce", &attempt.nonce)
            .append_pair("code_challenge", &attempt.challenge())
            .append_pair("code_challenge_method", "S256")
            .append_pair("lang", locale.tag())
            .finish();
        let location = format!("{}/oauth2/authorize?{query}", self.config.login_url);
        (location, flow_cookie(Some(&attempt.cookie_value()), secure))
    }

    /// Where signing out ends: the managed login forgets the user too, then sends the
    /// browser to the registered sign-out address.
    pub fn sign_out_location(&self) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.config.client_id)
            .append_pair("logout_uri", &self.config.sign_out_url)
            .finish();
        format!("{}/logout?{query}", self.config.login_url)
    }

    /// Completes an attempt: the callback's `state` must be the one this browser's cookie
    /// holds, the code is redeemed with the attempt's verifier, and the ID token must be the
    /// pool's, for this client, current, and carry the attempt's nonce.
    pub async fn finish(&self, attempt: Option<&Attempt>, state: &str, code: &str) -> Result<Actor, SignInError> {
        use subtle::ConstantTimeEq;
        let attempt = attempt
            .filter(|a| bool::from(a.state.as_bytes().ct_eq(state.as_bytes())))
            .ok_or(SignInError::UnknownAttempt)?;
        let id_token = self.redeem(code, &attempt.verifier).await?;
        self.verify(&id_token, &attempt.nonce).await
    }

    async fn redeem(&self, code: &str, verifier: &str) -> Result<String, SignInError> {
        let answer = self
            .http()
            .post(format!("{}/oauth2/token", self.config.login_url))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", &self.config.client_id),
                ("code", code),
                ("redirect_uri", &self.config.callback_url),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .map_err(|e| SignInError::Unreachable(e.to_string()))?;
        let status = answer.status();
        if status.is_server_error() {
            return Err(SignInError::Unreachable(format!("the token endpoint answered {status}")));
        }
        if !status.is_success() {
            let body = answer.text().await.unwrap_or_default();
            return Err(SignInError::Refused(format!("{status}: {}", body.chars().take(200).collect::<String>())));
        }
        let token: TokenAnswer = answer.json().await.map_err(|e| SignInError::Refused(e.to_string()))?;
        Ok(token.id_token)
    }

    async fn verify(&self, id_token: &str, nonce: &str) -> Result<Actor, SignInError> {
        let invalid = |reason: String| SignInError::InvalidToken(reason);
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| invalid(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid(format!("algorithm {:?}", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| invalid("no key id".into()))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        let claims = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(id_token, &key, &validation)
            .map_err(|e| invalid(e.to_string()))?
            .claims;
        if claims.get("token_use").is_some_and(|used| used != "id") {
            return Err(invalid("not an ID token".into()));
        }
        if claims.get("nonce").and_then(|n| n.as_str()) != Some(nonce) {
            return Err(invalid("the nonce is not this attempt's".into()));
        }
        let claim = |name: &str| match claims.get(name)? {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Null => None,
            // Groups arrive as a JSON array, which the claims reader accepts as written.
            other => Some(other.to_string()),
        };
        Actor::from_claims(claim, &self.config.claims).map_err(SignInError::NoAccess)
    }

    /// The pool's key `kid`, fetching the key set when it is not cached or lacks that key.
    async fn key(&self, kid: &str) -> Result<DecodingKey, SignInError> {
        let cached = self.keys.lock().expect("the key cache").clone();
        let from = |keys: &JwkSet| keys.find(kid).map(DecodingKey::from_jwk);
        if let Some(found) = cached.as_deref().and_then(from) {
            return found.map_err(|e| SignInError::InvalidToken(e.to_string()));
        }
        let url = format!("{}/.well-known/jwks.json", self.config.issuer);
        let fetched: JwkSet = async {
            let answer = self.http().get(&url).send().await?.error_for_status()?;
            answer.json().await
        }
        .await
        .map_err(|e: reqwest::Error| SignInError::Unreachable(e.to_string()))?;
        let fetched = Arc::new(fetched);
        *self.keys.lock().expect("the key cache") = Some(Arc::clone(&fetched));
        from(&fetched)
            .ok_or_else(|| SignInError::InvalidToken(format!("unknown key {kid}")))?
            .map_err(|e| SignInError::InvalidToken(e.to_string()))
    }
}

/// The `Set-Cookie` of an attempt, or of its removal once the callback used it.
pub fn flow_cookie(value: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let (value, age) = value.map_or(("", 0), |v| (v, FLOW_SECONDS));
    format!("{FLOW_COOKIE}={value}; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age={age}{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_survives_its_cookie_and_nothing_else_does() {
        let attempt = Attempt::new("/app/cases?state=abierto".into());
        assert_eq!(Attempt::from_cookie(&attempt.cookie_value()), Some(attempt.clone()));
        assert_eq!(attempt.verifier.len(), 43, "RFC 7636: 43 to 128 characters");
        assert_ne!(attempt.state, attempt.nonce);
        assert_eq!(Attempt::from_cookie("a.b.c"), None);
        assert_eq!(Attempt::from_cookie(&format!("{}.extra", attempt.cookie_value())), None);
    }

    #[test]
    fn sign_in_needs_every_address() {
        let all = |name: &str| Some(format!("https://{name}.example/"));
        let config = CognitoConfig::from_lookup(all, ClaimNames::default()).unwrap();
        assert_eq!(config.login_url, "https://GESTIONA_SIGN_IN_URL.example", "no trailing slash");
        let origin = Cognito::new(config).origin().to_owned();
        assert_eq!(origin, "https://GESTIONA_SIGN_IN_URL.example");
        let without_callback = |name: &str| (name != CALLBACK_URL_VARIABLE).then(|| format!("https://{name}.example"));
        assert_eq!(CognitoConfig::from_lookup(without_callback, ClaimNames::default()), None);
        assert_eq!(CognitoConfig::from_lookup(|_| Some(String::new()), ClaimNames::default()), None);
    }

    #[test]
    fn the_challenge_is_the_verifiers_sha256() {
        // RFC 7636, appendix B.
        let attempt = Attempt {
            state: String::new(),
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
            nonce: String::new(),
            next: String::new(),
        };
        assert_eq!(attempt.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
