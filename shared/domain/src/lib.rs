//! Gestiona's domain.
//!
//! Plain Rust with no AWS types and no I/O: the entities, their validation, the single-table
//! key layout ([`keys`]), the ports the adapters implement ([`ports`]) and the use cases
//! ([`service`]) that the HTTP functions and the local runner call.
//!
//! Every use case takes the caller's [`Actor`] (tenant and roles come from the verified token,
//! never from the request body) and returns one error enum per operation, which the edge maps
//! exhaustively to HTTP problems.

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
pub mod form;
pub mod format;
pub mod history;
pub mod ids;
pub mod keys;
pub mod lead;
pub mod messages;
pub mod money;
pub mod ports;
pub mod receivables;
pub mod records;
pub mod search;
pub mod service;
pub mod sla;
pub mod templates;
pub mod testing;
pub mod user;
pub mod validation;
pub mod workflow;

pub use actor::{Actor, ClaimNames, ClaimsError, Role};
pub use ids::{CaseTypeKey, DocumentNumber, EntityId, FormId, TenantId, UserId};
pub use messages::{Locale, Message};
pub use validation::{FieldError, FieldProblem, ValidationErrors};

/// A stored entity with the version used for optimistic locking (`ETag` / `If-Match`).
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// One page of a cursor-paginated list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
