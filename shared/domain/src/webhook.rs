//! Webhooks: a tenant's HTTPS endpoints subscribed to what happens in Gestiona, and the signed
//! deliveries of each event to them.
//!
//! Deliveries follow the Standard Webhooks convention, so a receiver can verify them with any of
//! its libraries: the headers `webhook-id` (the delivery), `webhook-timestamp` (Unix seconds) and
//! `webhook-signature` (`v1,{base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"}`, one per valid
//! secret, separated by spaces), and secrets written `whsec_{base64 key}`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::ids::{EntityId, UserId};
use crate::messages as msg;
use crate::validation::ValidationErrors;

/// Subscriptions a tenant may hold.
pub const MAX_SUBSCRIPTIONS: usize = 20;
/// How long a delivery keeps being retried after its first attempt (at least).
pub const RETRY_WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// How long a subscription may fail every attempt before it is disabled.
pub const DISABLE_AFTER: SignedDuration = SignedDuration::from_hours(24);
/// How long the secret a rotation replaced stays valid beside the new one.
pub const ROTATION_OVERLAP: SignedDuration = SignedDuration::from_hours(24);
/// How long one attempt waits for the endpoint's answer.
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The part of an endpoint's answer a delivery keeps, in characters.
pub const RESPONSE_EXCERPT: usize = 500;
/// How long the delivery log keeps a delivery.
pub const DELIVERY_RETENTION: SignedDuration = SignedDuration::from_hours(24 * 30);
const SECRET_PREFIX: &str = "whsec_";
const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(60);
const LONGEST_RETRY: SignedDuration = SignedDuration::from_hours(6);

/// What a subscription can be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WebhookEventType {
    #[serde(rename = "case.created")]
    CaseCreated,
    #[serde(rename = "case.updated")]
    CaseUpdated,
    #[serde(rename = "case.transitioned")]
    CaseTransitioned,
    #[serde(rename = "case.closed")]
    CaseClosed,
    #[serde(rename = "lead.captured")]
    LeadCaptured,
    #[serde(rename = "lead.converted")]
    LeadConverted,
    #[serde(rename = "invoice.created")]
    InvoiceCreated,
    #[serde(rename = "invoice.paid")]
    InvoicePaid,
    #[serde(rename = "invoice.overdue")]
    InvoiceOverdue,
    #[serde(rename = "document.ready")]
    DocumentReady,
}

impl WebhookEventType {
    pub const ALL: [WebhookEventType; 10] = [
        Self::CaseCreated,
        Self::CaseUpdated,
        Self::CaseTransitioned,
        Self::CaseClosed,
        Self::LeadCaptured,
        Self::LeadConverted,
        Self::InvoiceCreated,
        Self::InvoicePaid,
        Self::InvoiceOverdue,
        Self::DocumentReady,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaseCreated => "case.created",
            Self::CaseUpdated => "case.updated",
            Self::CaseTransitioned => "case.transitioned",
            Self::CaseClosed => "case.closed",
            Self::LeadCaptured => "lead.captured",
            Self::LeadConverted => "lead.converted",
            Self::InvoiceCreated => "invoice.created",
            Self::InvoicePaid => "invoice.paid",
            Self::InvoiceOverdue => "invoice.overdue",
            Self::DocumentReady => "document.ready",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// Whether a subscription receives events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SubscriptionStatus {
    Active,
    /// By an admin, or by Gestiona after a day in which every attempt failed.
    Disabled,
}

/// One signing secret and until when it signs (the one a rotation replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningSecret {
    pub secret: String,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

impl SigningSecret {
    /// A secret from 32 random bytes (the edges draw them from the operating system).
    pub fn from_random(bytes: [u8; 32], now: Timestamp) -> Self {
        Self { secret: format!("{SECRET_PREFIX}{}", BASE64.encode(bytes)), created_at: now, expires_at: None }
    }

    /// The last characters, to tell secrets apart on a screen without showing them.
    pub fn hint(&self) -> String {
        let tail: String = self.secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("{SECRET_PREFIX}…{tail}")
    }

    fn live_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|expires| now < expires)
    }
}

/// Why a subscription was disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DisabledBy {
    /// An admin switched it off.
    Admin,
    /// Every attempt failed for [`DISABLE_AFTER`].
    Failures,
}

/// A tenant's endpoint and the events it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: EntityId,
    pub url: String,
    pub events: Vec<WebhookEventType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub status: SubscriptionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_by: Option<DisabledBy>,
    /// The first failed attempt since the last success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<Timestamp>,
    /// Newest first: the current secret, then the one a rotation replaced while it is valid.
    pub secrets: Vec<SigningSecret>,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
}

impl Subscription {
    pub fn wants(&self, event: WebhookEventType) -> bool {
        self.status == SubscriptionStatus::Active && self.events.contains(&event)
    }

    /// The secrets that sign a delivery made at `now`.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&SigningSecret> {
        self.secrets.iter().filter(|s| s.live_at(now)).collect()
    }

    /// Makes `secret` the current one; the previous stays valid for [`ROTATION_OVERLAP`], any
    /// older one ends now.
    pub fn rotate(&mut self, secret: SigningSecret, now: Timestamp) {
        let mut previous: Vec<SigningSecret> = self.secrets.drain(..).filter(|s| s.live_at(now)).take(1).collect();
        for old in &mut previous {
            old.expires_at = Some(now + ROTATION_OVERLAP);
        }
        self.secrets = std::iter::once(secret).chain(previous).collect();
    }

    /// Records an attempt's outcome on the subscription's health; says whether it changed, and
    /// disables it when every attempt has failed for [`DISABLE_AFTER`].
    pub fn record_outcome(&mut self, succeeded: bool, now: Timestamp) -> HealthChange {
        if self.status == SubscriptionStatus::Disabled {
            return HealthChange::None;
        }
        match (succeeded, self.failing_since) {
            (true, None) => HealthChange::None,
            (true, Some(_)) => {
                self.failing_since = None;
                HealthChange::Recovered
            }
            (false, None) => {
                self.failing_since = Some(now);
                HealthChange::Failing
            }
            (false, Some(since)) if now.duration_since(since) >= DISABLE_AFTER => {
                self.status = SubscriptionStatus::Disabled;
                self.disabled_by = Some(DisabledBy::Failures);
                self.updated_at = now;
                HealthChange::Disabled
            }
            _ => HealthChange::None,
        }
    }
}

/// What an attempt changed on its subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthChange {
    None,
    Failing,
    Recovered,
    /// Disabled now: the admins are told.
    Disabled,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Retried for [`RETRY_WINDOW`] without success, or its subscription was disabled or deleted.
    Failed,
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptOutcome {
    pub at: Timestamp,
    /// The endpoint's status code, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Why it failed when there was no answer (a timeout, a refused connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The start of the answer's body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    pub duration_ms: u64,
}

impl AttemptOutcome {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|code| (200..300).contains(&code))
    }
}

/// One event on its way to one subscription: the exact body it signs, and every attempt's fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// `webhook-id`: unique per delivery; the same on each of its retries.
    pub id: EntityId,
    pub subscription_id: EntityId,
    pub event_id: EntityId,
    pub event_type: WebhookEventType,
    /// The JSON body, byte for byte as it is signed and sent.
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_attempt_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
    /// An attempt under way until then: a worker that died mid-attempt is taken over after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight_until: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<AttemptOutcome>,
    /// The delivery this one replays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_of: Option<EntityId>,
}

impl Delivery {
    /// Records one attempt's outcome and decides what follows: delivered, retried at a later
    /// time (exponential backoff from one minute to six hours), or failed once the retry window
    /// has passed since the first attempt.
    pub fn record(&mut self, outcome: AttemptOutcome) {
        let now = outcome.at;
        let first = *self.first_attempt_at.get_or_insert(now);
        self.in_flight_until = None;
        self.status = if outcome.succeeded() {
            self.next_attempt_at = None;
            DeliveryStatus::Delivered
        } else if now.duration_since(first) >= RETRY_WINDOW {
            self.next_attempt_at = None;
            DeliveryStatus::Failed
        } else {
            self.next_attempt_at = Some(now + retry_delay(self.attempts));
            DeliveryStatus::Pending
        };
        self.last_attempt = Some(outcome);
    }
}

/// The wait after the `attempts`-th failed attempt: 1 min, 2, 4 … up to 6 h.
pub fn retry_delay(attempts: u32) -> SignedDuration {
    let doublings = attempts.saturating_sub(1).min(20);
    FIRST_RETRY.checked_mul(1 << doublings).map_or(LONGEST_RETRY, |delay| delay.min(LONGEST_RETRY))
}

/// The `webhook-signature` header of a delivery: one `v1,{signature}` per secret.
pub fn signature_header(secrets: &[&SigningSecret], delivery: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|secret| {
            format!("v1,{}", BASE64.encode(mac(&secret.secret, delivery, timestamp, body).finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The HMAC of `{delivery}.{timestamp}.{body}` under `secret`'s key: the base64 after `whsec_`
/// decoded (a secret not in that form is its own key).
fn mac(secret: &str, delivery: &str, timestamp: i64, body: &[u8]) -> hmac::Hmac<Sha256> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = BASE64.decode(encoded).unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{delivery}.{timestamp}.").as_bytes());
    mac.update(body);
    mac
}

/// What a receiver does: true when one of the header's signatures is `secret`'s over the
/// delivery id, timestamp and body (compared in constant time).
pub fn verify(secret: &str, delivery: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    header
        .split(' ')
        .filter_map(|part| part.strip_prefix("v1,"))
        .filter_map(|s| BASE64.decode(s).ok())
        .any(|signature| mac(secret, delivery, timestamp, body).verify_slice(&signature).is_ok())
}

/// Where deliveries may go. On AWS only public HTTPS endpoints; the local runner also allows
/// plain HTTP on the loopback interface, for receivers on the developer's machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EndpointPolicy {
    pub allow_loopback_http: bool,
}

/// Checks a subscription's endpoint: an absolute `https` URL to a public host (no user
/// credentials, no literal private, loopback or link-local address, no `localhost`).
pub fn check_endpoint(url: &str, policy: EndpointPolicy, errors: &mut ValidationErrors) {
    let field = "url";
    if url.chars().count() > 2_000 {
        errors.add(field, msg::at_most_chars(2_000));
        return;
    }
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host_of(authority);
    let loopback = is_loopback(host);
    let scheme_ok =
        scheme.eq_ignore_ascii_case("https") || (policy.allow_loopback_http && loopback && scheme == "http");
    if !scheme_ok || host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.add(field, msg::webhook_url_not_https());
    } else if authority.contains('@') {
        errors.add(field, msg::webhook_url_credentials());
    } else if (loopback && !policy.allow_loopback_http) || is_private(host) {
        errors.add(field, msg::webhook_url_private());
    }
}

/// The host of `host[:port]` or `[v6]:port`, without brackets.
fn host_of(authority: &str) -> &str {
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_private(host: &str) -> bool {
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            ip.is_private() || ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast() || ip.octets()[0] == 0
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00 || (ip.segments()[0] & 0xffc0) == 0xfe80
        }
        Err(_) => host.eq_ignore_ascii_case("metadata.google.internal") || host.ends_with(".internal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + seconds).unwrap()
    }

    fn subscription() -> Subscription {
        Subscription {
            id: EntityId::parse("01KAW3Z8Q4V6B3M9X2R5T7Y1PN").unwrap(),
            url: "https://erp.example.com/hooks".into(),
            events: vec![WebhookEventType::CaseCreated],
            description: None,
            status: SubscriptionStatus::Active,
            disabled_by: None,
            failing_since: None,
            secrets: vec![SigningSecret::from_random([7; 32], at(0))],
            created_at: at(0),
            created_by: UserId::parse("ana").unwrap(),
            updated_at: at(0),
        }
    }

    #[test]
    fn event_types_are_named_as_on_the_wire() {
        for kind in WebhookEventType::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(WebhookEventType::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn a_signature_verifies_with_its_secret_only_over_the_same_bytes() {
        let secret = SigningSecret::from_random([1; 32], at(0));
        let header = signature_header(&[&secret], "msg_1", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("v1,") && !header.contains(' '));
        assert!(verify(&secret.secret, "msg_1", 1_700_000_000, b"{\"a\":1}", &header));
        assert!(!verify(&secret.secret, "msg_1", 1_700_000_001, b"{\"a\":1}", &header), "timestamp is signed");
        assert!(!verify(&secret.secret, "msg_2", 1_700_000_000, b"{\"a\":1}", &header), "id is signed");
        assert!(!verify(&secret.secret, "msg_1", 1_700_000_000, b"{\"a\":2}", &header), "body is signed");
        let other = SigningSecret::from_random([2; 32], at(0));
        assert!(!verify(&other.secret, "msg_1", 1_700_000_000, b"{\"a\":1}", &header));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_id_timestamp_and_body_with_the_decoded_key() {
        // Computed independently of `sign`: base64(HMAC-SHA256(key, "id.ts.body")).
        let secret = SigningSecret::from_random([9; 32], at(0));
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&[9; 32]).unwrap();
        mac.update(b"d1.42.body");
        let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
        assert_eq!(signature_header(&[&secret], "d1", 42, b"body"), expected);
    }

    #[test]
    fn a_rotation_keeps_the_previous_secret_for_a_day_and_signs_with_both() {
        let mut s = subscription();
        let first = s.secrets[0].clone();
        s.rotate(SigningSecret::from_random([8; 32], at(10)), at(10));
        assert_eq!(s.secrets.len(), 2);
        let header = signature_header(&s.signing_secrets(at(20)), "d", 1, b"x");
        assert_eq!(header.split(' ').count(), 2);
        assert!(verify(&first.secret, "d", 1, b"x", &header) && verify(&s.secrets[0].secret, "d", 1, b"x", &header));
        let later = at(10) + ROTATION_OVERLAP;
        assert_eq!(s.signing_secrets(later).len(), 1, "the old secret ends after the overlap");
        // A second rotation inside the overlap ends the oldest secret at once.
        s.rotate(SigningSecret::from_random([6; 32], at(30)), at(30));
        assert_eq!(s.secrets.len(), 2);
        assert!(s.secrets.iter().all(|k| k.secret != first.secret));
    }

    #[test]
    fn retries_back_off_exponentially_for_at_least_a_day_then_fail() {
        assert_eq!(retry_delay(1), SignedDuration::from_secs(60));
        assert_eq!(retry_delay(2), SignedDuration::from_secs(120));
        assert_eq!(retry_delay(30), LONGEST_RETRY);
        let mut delivery = Delivery {
            id: EntityId::parse("01KAW3Z8Q4V6B3M9X2R5T7Y1PN").unwrap(),
            subscription_id: EntityId::parse("01KAW3Z8Q4V6B3M9X2R5T7Y1PN").unwrap(),
            event_id: EntityId::parse("01KAW3Z8Q4V6B3M9X2R5T7Y1PN").unwrap(),
            event_type: WebhookEventType::CaseCreated,
            payload: "{}".into(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            created_at: at(0),
            first_attempt_at: None,
            next_attempt_at: None,
            in_flight_until: None,
            last_attempt: None,
            replay_of: None,
        };
        let mut now = at(0);
        while delivery.status == DeliveryStatus::Pending {
            delivery.attempts += 1;
            delivery.record(AttemptOutcome {
                at: now,
                status_code: Some(503),
                error: None,
                response: None,
                duration_ms: 3,
            });
            if let Some(next) = delivery.next_attempt_at {
                now = next;
            }
        }
        assert_eq!(delivery.status, DeliveryStatus::Failed);
        assert!(now.duration_since(at(0)) >= RETRY_WINDOW, "retried for at least a day");
        assert!((10..=16).contains(&delivery.attempts), "{} attempts", delivery.attempts);
    }

    #[test]
    fn a_subscription_failing_for_a_day_is_disabled_and_a_success_heals_it() {
        let mut s = subscription();
        assert_eq!(s.record_outcome(true, at(0)), HealthChange::None);
        assert_eq!(s.record_outcome(false, at(0)), HealthChange::Failing);
        assert_eq!(s.record_outcome(false, at(3_600)), HealthChange::None);
        assert_eq!(s.record_outcome(true, at(3_700)), HealthChange::Recovered);
        assert_eq!(s.failing_since, None);
        assert_eq!(s.record_outcome(false, at(4_000)), HealthChange::Failing);
        let a_day_later = at(4_000) + DISABLE_AFTER;
        assert_eq!(s.record_outcome(false, a_day_later), HealthChange::Disabled);
        assert_eq!((s.status, s.disabled_by.clone()), (SubscriptionStatus::Disabled, Some(DisabledBy::Failures)));
        assert!(!s.wants(WebhookEventType::CaseCreated));
        assert_eq!(s.record_outcome(false, a_day_later), HealthChange::None, "told once");
    }

    #[test]
    fn endpoints_are_public_https_unless_the_runner_allows_loopback() {
        let check = |url: &str, allow_loopback_http| {
            let mut errors = ValidationErrors::default();
            check_endpoint(url, EndpointPolicy { allow_loopback_http }, &mut errors);
            errors.0.into_iter().map(|e| e.reason.code()).collect::<Vec<_>>()
        };
        assert!(check("https://erp.example.com/hooks?x=1", false).is_empty());
        assert!(check("https://[2001:db8::1]:8443/h", false).is_empty());
        for refused in ["http://erp.example.com/h", "ftp://x", "erp.example.com", "https://", "https://a b"] {
            assert_eq!(check(refused, false), ["webhook_url_not_https"], "{refused}");
        }
        assert_eq!(check("https://user:pw@erp.example.com/", false), ["webhook_url_credentials"]);
        for private in [
            "https://10.0.0.1/",
            "https://192.168.1.2:8443/",
            "https://169.254.169.254/latest",
            "https://127.0.0.1/",
            "https://localhost/",
            "https://[::1]/",
            "https://[fd00::1]/",
        ] {
            assert_eq!(check(private, false), ["webhook_url_private"], "{private}");
        }
        assert!(check("http://127.0.0.1:8080/hook", true).is_empty());
        assert!(check("http://localhost:8080/hook", true).is_empty());
        assert_eq!(check("http://10.0.0.1/hook", true), ["webhook_url_not_https"]);
    }
}
