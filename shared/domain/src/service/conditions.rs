//! The names of the write conditions. A use case that turns a failed condition into its own
//! error ("stale version", "e-mail taken") matches on these names, never on a write's position
//! in its batch, so reordering a batch cannot change which error the user gets.

/// An account's version (update, archive).
pub const ACCOUNT: &str = "account";
/// A contact's version, or its absence when it is created.
pub const CONTACT: &str = "contact";
/// The claim that makes a contact's e-mail unique within the tenant.
pub const CONTACT_EMAIL: &str = "contact e-mail";
/// A case's version, or its absence when it is created.
pub const CASE: &str = "case";
/// A case's place in the "last changed" order, absent when a backfill writes it.
pub const CASE_RECENCY: &str = "case recency";
/// The case a transition opens as its follow-up.
pub const FOLLOW_UP_CASE: &str = "follow-up case";
/// A case type's head version and its immutable snapshots.
pub const CASE_TYPE: &str = "case type";
pub const CASE_TYPE_SNAPSHOT: &str = "case type snapshot";
/// A history event: new ids never collide, so it only fails on a corrupt id source.
pub const HISTORY_EVENT: &str = "history event";
/// An effect's outbox entry, written with the change that caused it.
pub const OUTBOX_ENTRY: &str = "outbox entry";
/// A lead's version, or its absence when it is created.
pub const LEAD: &str = "lead";
/// The claims that make a lead's e-mail and phone unique within the tenant.
pub const LEAD_EMAIL: &str = "lead e-mail";
pub const LEAD_PHONE: &str = "lead phone";
/// The e-mail or phone claim a form post attaches to: it must still exist when the post lands.
pub const CLAIM_HELD: &str = "claim held";
/// An opportunity's absence when created (by hand or by lead conversion), or its version.
pub const OPPORTUNITY: &str = "opportunity";
/// The tenant's pipelines' version.
pub const PIPELINES: &str = "pipelines";
/// A month's goals' version.
pub const GOALS: &str = "goals";
/// A product's version, or its absence when the ERP first sends it.
pub const PRODUCT: &str = "product";
/// An order's absence when created, or its version.
pub const ORDER: &str = "order";
/// A quote's absence when created, or its version.
pub const QUOTE: &str = "quote";
/// A price list's version: its settings, and the draft a sync writes into.
pub const PRICE_LIST: &str = "price list";
/// The tenant's default price list, changed by another admin meanwhile.
pub const DEFAULT_PRICE_LIST: &str = "default price list";
/// A webhook subscription's version, or its absence when it is created.
pub const WEBHOOK_SUBSCRIPTION: &str = "webhook subscription";
/// The index of the events a tenant's subscriptions want, changed by another admin meanwhile.
pub const WEBHOOK_EVENTS: &str = "webhook events";
/// A webhook delivery's version (each attempt's claim and outcome), or its absence when created.
pub const WEBHOOK_DELIVERY: &str = "webhook delivery";
/// A form definition's version.
pub const FORM: &str = "form";
/// A form post's idempotency record.
pub const FORM_POST: &str = "form post";
/// A quarantined or reviewed submission.
pub const SUBMISSION: &str = "submission";
/// A record's version while a backfill writes its word-index items.
pub const SEARCH_BACKFILL: &str = "search backfill";
/// A document record and its version.
pub const DOCUMENT: &str = "document";
/// An SLA policy or calendar version, and a case's SLA clock.
pub const SLA_POLICY: &str = "SLA policy";
pub const SLA_CALENDAR: &str = "SLA calendar";
pub const SLA_CLOCK: &str = "SLA clock";
/// An invoice's version, or its absence when it is created.
pub const INVOICE: &str = "invoice";
/// A payment or credit note applied to an invoice; its key is the client's idempotency key.
pub const MOVEMENT: &str = "movement";
/// A tenant's dunning ladder and an account's collections profile.
pub const DUNNING_LADDER: &str = "dunning ladder";
pub const COLLECTIONS_PROFILE: &str = "collections profile";
/// An invoice's collections state (the step it is on and its due step).
pub const COLLECTIONS_STATE: &str = "collections state";
/// The claim that lets one worker act on an effect delivered twice.
pub const EFFECT_CLAIM: &str = "effect claim";
/// A staff member's directory entry at its version.
pub const USER: &str = "user";
/// The tenant's profiles.
pub const ACCESS_POLICY: &str = "access policy";
/// The organisation's version, or its absence before its first save.
pub const ORGANISATION: &str = "organisation";
/// A tenant record.
pub const TENANT: &str = "tenant";
/// A new session's secret is unused.
pub const SESSION: &str = "session";
/// What a page shows once is still the one read (another request did not take it).
pub const SHOWN_ONCE: &str = "shown once";
/// A new saved view's id is unused.
pub const SAVED_VIEW: &str = "saved view";
/// A comment on a case.
pub const COMMENT: &str = "comment";
