//! Gestiona's domain.
//!
//! Plain Rust with no AWS types and no I/O: the entities, their validation, the single-table
//! key layout ([`keys`]), the ports the adapters implement ([`ports`]) and the use cases
//! ([`service`]) that the HTTP functions and the local runner call.
//!
//! Every use case takes the caller's [`Actor`] (tenant and roles come from the verified token,
//! never from the request body) and returns one error enum per operation, which the edge maps
//! exhaustively to HTTP problems.

pub mod access;
pub mod access_log;
pub mod account;
pub mod actor;
pub mod calendar;
pub mod case;
pub mod case_type;
pub mod contact;
pub mod document;
pub mod document_sources;
pub mod effects;
pub mod export;
pub mod field_access;
pub mod form;
pub mod format;
pub mod history;
pub mod ids;
pub mod keys;
pub mod lead;
pub mod messages;
pub mod money;
pub mod organisation;
pub mod ports;
pub mod receivables;
pub mod records;
pub mod sales;
pub mod search;
pub mod service;
pub mod sla;
pub mod templates;
pub mod tenant;
pub mod testing;
pub mod user;
pub mod validation;
pub mod webhook;
pub mod workflow;

pub use access::{Module, Operation, Permission, Profile};
pub use actor::{Actor, ClaimNames, ClaimsError, Role};
pub use ids::{CaseTypeKey, DocumentNumber, EntityId, FormId, ProfileId, TenantId, UnitId, UserId};
pub use messages::{Locale, Message};
pub use validation::{FieldError, FieldProblem, ValidationErrors};

/// A stored entity with the version used for optimistic locking (`ETag` / `If-Match`).
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// The versions a writer accepts to replace (HTTP's `If-Match`): the one it read, any of those
/// it lists, or whatever is current (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedVersion {
    Exactly(u64),
    AnyOf(Vec<u64>),
    Any,
}

impl From<u64> for ExpectedVersion {
    fn from(version: u64) -> Self {
        Self::Exactly(version)
    }
}

impl ExpectedVersion {
    /// `current`, when the writer accepts it: the version the write is then conditioned on, so
    /// a change made after the read still fails the write.
    pub fn admit(&self, current: u64) -> Option<u64> {
        let admitted = match self {
            Self::Exactly(version) => *version == current,
            Self::AnyOf(versions) => versions.contains(&current),
            Self::Any => true,
        };
        admitted.then_some(current)
    }

    /// The version a refusal names: the one the writer read, or the first it listed.
    pub fn named(&self) -> u64 {
        match self {
            Self::Exactly(version) => *version,
            Self::AnyOf(versions) => versions.first().copied().unwrap_or_default(),
            Self::Any => 0,
        }
    }

    /// The version to condition a write on without reading first, when there is exactly one.
    pub fn exact(&self) -> Option<u64> {
        match self {
            Self::Exactly(version) => Some(*version),
            _ => None,
        }
    }

    /// The version a write is conditioned on, given the stored one (`None`: nothing stored): the
    /// stored version when admitted, otherwise one the writer named, which the write's
    /// condition then refuses.
    pub fn pin(&self, stored: Option<u64>) -> u64 {
        stored.and_then(|version| self.admit(version)).unwrap_or_else(|| self.named())
    }
}

/// One page of a cursor-paginated list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::ExpectedVersion;

    #[test]
    fn an_expected_version_admits_what_the_writer_accepts() {
        assert_eq!(ExpectedVersion::Exactly(3).admit(3), Some(3));
        assert_eq!(ExpectedVersion::Exactly(3).admit(4), None);
        assert_eq!(ExpectedVersion::AnyOf(vec![2, 4]).admit(4), Some(4));
        assert_eq!(ExpectedVersion::AnyOf(vec![2, 4]).admit(3), None);
        assert_eq!(ExpectedVersion::Any.admit(9), Some(9));
    }

    #[test]
    fn a_pinned_version_fails_the_write_when_nothing_admitted_is_stored() {
        assert_eq!(ExpectedVersion::AnyOf(vec![2, 4]).pin(Some(4)), 4);
        assert_eq!(ExpectedVersion::AnyOf(vec![2, 4]).pin(Some(3)), 2, "named, so the condition refuses it");
        assert_eq!(ExpectedVersion::Any.pin(Some(7)), 7);
        assert_eq!(ExpectedVersion::Any.pin(None), 0, "nothing stored: no version 0 exists either");
    }
}
