//! Validated identifiers. Key strings are built from these, so none of them may contain the
//! key separator `#`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::messages::{Message, Text, texts};

/// Why an identifier was refused: the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.en)]
pub struct InvalidId(pub &'static Text);

impl From<InvalidId> for Message {
    fn from(invalid: InvalidId) -> Self {
        Message::new(invalid.0, Vec::new())
    }
}

fn is_slug(s: &str, max: usize, extra: &[char]) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || extra.contains(&c))
}

/// `$pattern` is the check as the OpenAPI document states it (ECMA-262), for clients and
/// generated tests; the schemathesis run (`tests/schemathesis/`) sends ids made from it.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $check:expr, $rule:ident, $pattern:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                let check: fn(&str) -> bool = $check;
                if check(s) { Ok(Self(s.to_owned())) } else { Err(InvalidId(&texts::$rule)) }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(texts::$rule.en))
                    .pattern(Some($pattern))
                    .into()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

string_id!(
    /// A tenant (one customer company of Gestiona): lowercase letters, digits and `-`.
    TenantId,
    |s| is_slug(s, 40, &[]),
    tenant_id_rule,
    r"^[a-z0-9][a-z0-9-]{0,39}$"
);

string_id!(
    /// The key of a case type, unique per tenant and stable across its versions.
    CaseTypeKey,
    |s| is_slug(s, 64, &['_']),
    case_type_key_rule,
    r"^[a-z0-9][a-z0-9_-]{0,63}$"
);

string_id!(
    /// The id of a public lead-capture form, unique per tenant; it appears in the form's URL.
    FormId,
    |s| is_slug(s, 40, &['_']),
    form_id_rule,
    r"^[a-z0-9][a-z0-9_-]{0,39}$"
);

string_id!(
    /// A profile of the tenant's (`agent`, `collections`, …): what its users may do.
    ProfileId,
    |s| is_slug(s, 40, &['_']),
    profile_id_rule,
    r"^[a-z0-9][a-z0-9_-]{0,39}$"
);

string_id!(
    /// A team or a branch of the tenant's organisation (`soporte`, `san-jose`).
    UnitId,
    |s| is_slug(s, 40, &['_']),
    unit_id_rule,
    r"^[a-z0-9][a-z0-9_-]{0,39}$"
);

string_id!(
    /// A sales pipeline of the tenant's (`ventas`, `proyectos`): its key never changes.
    PipelineKey,
    |s| is_slug(s, 40, &['_']),
    pipeline_key_rule,
    r"^[a-z0-9][a-z0-9_-]{0,39}$"
);

string_id!(
    /// A stage of a pipeline (`propuesta`, `ganada`): its key never changes.
    StageKey,
    |s| is_slug(s, 40, &['_']),
    stage_key_rule,
    r"^[a-z0-9][a-z0-9_-]{0,39}$"
);

string_id!(
    /// A number another system assigned: an invoice, a payment reference, a credit note.
    /// It appears in URLs and keys, so no '/', '#' or spaces.
    DocumentNumber,
    |s| !s.is_empty()
        && s.len() <= 40
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
    document_number_rule,
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
);

string_id!(
    /// A product's code in the catalogue, as the ERP names it (`TOR-0412`): it appears in URLs
    /// and keys, so no '/', '#' or spaces.
    ProductCode,
    |s| !s.is_empty()
        && s.len() <= 40
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
    product_code_rule,
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
);

string_id!(
    /// A price list of the tenant's (`mayorista`, `distribuidores`): its key never changes.
    PriceListKey,
    |s| is_slug(s, 40, &['_']),
    price_list_key_rule,
    r"^[a-z0-9][a-z0-9_-]{0,39}$"
);

string_id!(
    /// A staff user, as the identity provider names it (the token's `sub`).
    UserId,
    |s| !s.is_empty() && s.len() <= 128 && !s.contains('#') && !s.chars().any(char::is_control),
    user_id_rule,
    r"^[^#\x00-\x1F\x7F]{1,128}$"
);

/// The id of an account, contact, case, event or comment: a ULID, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(ulid::Ulid);

impl EntityId {
    pub fn from_ulid(id: ulid::Ulid) -> Self {
        Self(id)
    }
    pub fn as_ulid(&self) -> ulid::Ulid {
        self.0
    }
    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        // Only the canonical upper-case form is accepted, so one id has one key string.
        if s.len() != 26 || s.chars().any(|c| c.is_ascii_lowercase()) {
            return Err(InvalidId(&texts::ulid_rule));
        }
        ulid::Ulid::from_string(s).map(Self).map_err(|_| InvalidId(&texts::ulid_rule))
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for EntityId {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, InvalidId> {
        Self::parse(s)
    }
}

impl Serialize for EntityId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EntityId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for EntityId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("ULID"))
            .pattern(Some("^[0-7][0-9A-HJKMNP-TV-Z]{25}$"))
            .examples([serde_json::json!("01JD8X3Q9V7M2K4T6W8Y0Z1A2B")])
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for EntityId {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_slugs() {
        assert!(TenantId::parse("acme-cr").is_ok());
        assert!(TenantId::parse("9lives").is_ok());
        for bad in ["", "-acme", "Acme", "ac#me", "a b", &"x".repeat(41)] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn user_ids_refuse_the_key_separator() {
        assert!(UserId::parse("3f1c-uuid").is_ok());
        assert!(UserId::parse("ana@acme").is_ok());
        assert!(UserId::parse("a#b").is_err());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("a\nb").is_err());
    }

    #[test]
    fn entity_ids_are_canonical_ulids() {
        let id = EntityId::parse("01JD8X3Q9V7M2K4T6W8Y0Z1A2B").unwrap();
        let text = id.to_string();
        assert_eq!(EntityId::parse(&text), Ok(id));
        assert!(EntityId::parse(&text.to_lowercase()).is_err());
        assert!(EntityId::parse("not-an-id").is_err());
        assert!(EntityId::parse("").is_err());
    }

    #[test]
    fn case_type_keys_allow_underscores() {
        assert!(CaseTypeKey::parse("solicitud_credito").is_ok());
        assert!(CaseTypeKey::parse("Solicitud").is_err());
    }
}
