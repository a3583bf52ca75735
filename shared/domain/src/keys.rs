//! Every key string of the single table is built here, and only here.
//!
//! Every tenant-owned key starts with `T#{tenant}#`, so a tenant's data is addressable (and
//! IAM-restrictable with `dynamodb:LeadingKeys`) by prefix. Items read together share a
//! partition: a case's `#META` item, its `EVT#` history and its `CMT#` comments.
//!
//! | item | PK | SK | GSI1 (listing) | GSI2 | GSI3 |
//! |---|---|---|---|---|---|
//! | tenant | `T#{t}#TENANT` | `#META` | | | |
//! | account | `T#{t}#ACCOUNT#{id}` | `#META` | `T#{t}#ACCOUNTS` / `{name}#{id}` | | |
//! | contact | `T#{t}#CONTACT#{id}` | `#META` | `T#{t}#CONTACTS` / `{last first}#{id}` | `T#{t}#ACCOUNT#{acc}#CONTACTS` / `{id}` | |
//! | contact e-mail (unique) | `T#{t}#UNIQUE#CONTACT_EMAIL#{email}` | `#UNIQUE` | | | |
//! | case | `T#{t}#CASE#{id}` | `#META` | `T#{t}#CASES` or `T#{t}#CASES#ARCHIVED` / `{id}` | `T#{t}#OWNER#{user}#CASES` / `{id}` | `T#{t}#ACCOUNT#{acc}#CASES` / `{id}` |
//! | case history event | `T#{t}#CASE#{id}` | `EVT#{eventId}` | | | |
//! | case comment | `T#{t}#CASE#{id}` | `CMT#{commentId}` | | | |
//! | case recency (the case's place in the "last changed" order) | `T#{t}#CASE#{id}` | `#RECENCY` | `T#{t}#CASES#UPDATED` or `T#{t}#CASES#ARCHIVED#UPDATED` / `{updatedAt}#{id}` | | |
//! | case document | `T#{t}#CASE#{id}` | `DOC#{docId}` | | | |
//! | case type (current) | `T#{t}#CASETYPE#{key}` | `#CURRENT` | `T#{t}#CASETYPES` / `{key}` | | |
//! | case type version | `T#{t}#CASETYPE#{key}` | `V#{version:06}` | | | |
//!
//! | case outbox entry | `T#{t}#CASE#{id}` | `OUTBOX#{effectId}` | `OUTBOX#{shard}` / `{at}#{effectId}` | | |
//! | pool counter | `T#{t}#POOL#{poolId}` | `#COUNTER` | | | |
//! | staff user | `T#{t}#USER#{user}` | `#META` | `T#{t}#USERS` / `{user}` | | |
//! | profiles | `T#{t}#ACCESS` | `#CURRENT` | | | |
//! | access log entry (TTL) | `T#{t}#ACCESSLOG#{id}` | `#META` | `T#{t}#ACCESSLOG` / `{at}#{id}` | `T#{t}#ACCESSLOG#U#{user}` / `{at}#{id}` | GSI3 `T#{t}#ACCESSLOG#R#{kind}#{id}` / `{at}#{id}` |
//! | marketing opt-out | `T#{t}#OPTOUT#{email}` | `#META` | | | |
//! | effect claim (idempotency, TTL) | `T#{t}#EFFECT#{effectId}` | `#CLAIM` | | | |
//!
//! | lead | `T#{t}#LEAD#{id}` | `#META` | `T#{t}#LEADS` / `{id}` | `T#{t}#OWNER#{user}#LEADS` / `{id}` | `T#{t}#ACCOUNT#{acc}#LEADS` / `{id}` (once converted) |
//! | lead activity | `T#{t}#LEAD#{id}` | `EVT#{eventId}` | | | |
//! | lead outbox entry | `T#{t}#LEAD#{id}` | `OUTBOX#{effectId}` | `OUTBOX#{shard}` / `{at}#{effectId}` | | |
//! | lead e-mail / phone (unique) | `T#{t}#UNIQUE#LEAD_EMAIL#{email}`, `…#LEAD_PHONE#{e164}` | `#UNIQUE` | | | |
//! | form | `T#{t}#FORM#{form}` | `#CURRENT` | `T#{t}#FORMS` / `{form}` | | |
//! | form counter (honeypot, quarantined, accepted) | `T#{t}#FORM#{form}` | `#COUNTER#{name}` | | | |
//! | form post idempotency record (TTL) | `T#{t}#FORMPOST#{form}#{keyHash}` | `#IDEMPOTENCY` | | | |
//! | rate-limit window (TTL) | `T#{t}#RATE#IP#{ip}#{minute}`, `T#{t}#RATE#FORM#{form}#{minute}` | `#COUNTER` | | | |
//! | quarantined submission | `T#{t}#SUBMISSION#{id}` | `#META` | `T#{t}#SUBMISSIONS#{status}` / `{id}` | | |
//! | opportunity | `T#{t}#OPPORTUNITY#{id}` | `#META` | `T#{t}#OPPS#{pipeline}` / `{stage}#{closeDate or ~}#{id}` | `T#{t}#OWNER#{user}#OPPS` / `{pipeline}#{stage}#{closeDate or ~}#{id}` | `T#{t}#ACCOUNT#{acc}#OPPORTUNITIES` / `{id}` |
//! | opportunity history event | `T#{t}#OPPORTUNITY#{id}` | `EVT#{eventId}` | | | |
//! | pipelines | `T#{t}#PIPELINES` | `#CURRENT` | | | |
//! | forecast movement (a change of an opportunity, per close month it touches) | `T#{t}#FCMOVE#{yyyy-mm}` | `{epochMillis:015}#{opportunity}#{version:010}` | | | |
//! | a month's goals | `T#{t}#GOALS` | `{yyyy-mm}` | | | |
//! | forecast cell (running totals) | `T#{t}#FORECAST#{yyyy-mm or undated}` | `{owner or ~}#{pipeline}#{stage}#{currency}#{line or ~}` | | | |
//!
//! | calendar | `T#{t}#CALENDAR#{key}` | `#CURRENT` | `T#{t}#CALENDARS` / `{key}` | | |
//! | SLA policy | `T#{t}#SLAPOLICY#{caseType}` | `#CURRENT` | | | |
//! | armed SLA clock | `T#{t}#CASE#{id}` | `SLA#{clock}` | `DUE#SLA#{hour}#{shard}` / `{at}#{t}#{id}#{clock}` | `T#{t}#CASES#DEADLINES` / `{dueAt}#{id}#{clock}` (while running) | |
//! | SLA sweep watermark | `SYS#SLA_SWEEP` | `#WATERMARK` | | | |
//!
//! | invoice | `T#{t}#INVOICE#{number}` | `#META` | `T#{t}#INVOICES` / `{dueOn}#{number}` | `T#{t}#ACCOUNT#{acc}#INVOICES` / `{dueOn}#{number}` | `T#{t}#INVOICES#OPEN` / `{dueOn}#{number}` (while open) |
//! | invoice history event | `T#{t}#INVOICE#{number}` | `EVT#{eventId}` | | | |
//! | payment / credit note | `T#{t}#INVOICE#{number}` | `PAY#{paymentId}` / `CN#{noteNumber}` | | | |
//! | invoice outbox entry | `T#{t}#INVOICE#{number}` | `OUTBOX#{effectId}` | `OUTBOX#{shard}` / `{at}#{effectId}` | | |
//! | dunning state (progress; armed while a step is pending) | `T#{t}#INVOICE#{number}` | `#DUNNING` | `DUE#INVOICE#{day}#{shard}` / `{at}#{t}#{number}` | | |
//! | dunning ladder | `T#{t}#DUNNING_LADDER` | `#CURRENT` | | | |
//! | account collections profile | `T#{t}#ACCOUNT#{id}` | `#COLLECTIONS` | | | |
//! | invoice sweep watermark | `SYS#INVOICE_SWEEP` | `#WATERMARK` | | | |
//!
//! | webhook subscription | `T#{t}#WEBHOOKS` | `SUB#{id}` | | | |
//! | events the active webhook subscriptions want | `T#{t}#WEBHOOKS` | `EVENTS` | | | |
//! | webhook delivery (TTL 30 days) | `T#{t}#WEBHOOK#{sub}` | `DLV#{deliveryId}` | | | |
//! | webhook retry outbox entry | `T#{t}#WEBHOOK#{sub}` | `OUTBOX#{effectId}` | `OUTBOX#{shard}` / `{at}#{effectId}` | | |
//!
//! The outbox listing (`OUTBOX#{shard}`) and the due index (`DUE#SLA#{hour}#{shard}`) are the
//! system-wide index partitions: the relay
//! drains every tenant's pending effects, and the sweep every tenant's due clocks, from a fixed
//! number of shards, never by Scan. The
//! items themselves keep their tenant prefix.
//!
//! Ids are ULIDs, so sorting by id sorts by creation time; names in sort keys are folded
//! (lower case, accents removed) so that a prefix query finds "José" when asked for "jose".

use crate::ids::{
    CaseTypeKey, DocumentNumber, EntityId, FormId, PipelineKey, PriceListKey, ProductCode, StageKey, TenantId, UserId,
};
use crate::ports::Key;

pub const META: &str = "#META";
pub const CURRENT: &str = "#CURRENT";
pub const UNIQUE: &str = "#UNIQUE";
pub const CASE_EVENT_PREFIX: &str = "EVT#";
pub const CASE_COMMENT_PREFIX: &str = "CMT#";
pub const CASE_TYPE_VERSION_PREFIX: &str = "V#";

/// Longest folded name kept in a sort key; the id that follows keeps keys unique.
const NAME_KEY_CHARS: usize = 100;

pub fn tenant_prefix(tenant: &TenantId) -> String {
    format!("T#{tenant}#")
}

/// A console session, by the hex SHA-256 of its secret: sessions are looked up before the
/// tenant is known, so they live outside the tenants' partitions.
pub fn session(secret_hash: &str) -> Key {
    Key::new(format!("SESSION#{secret_hash}"), META)
}

/// What a session's next page shows once (beside the session, so the session is not rewritten).
pub fn session_once(secret_hash: &str) -> Key {
    Key::new(format!("SESSION#{secret_hash}"), "ONCE")
}

/// The saved views of one list of a tenant.
pub fn saved_views_partition(tenant: &TenantId, list: &str) -> String {
    format!("T#{tenant}#VIEWS#{list}")
}

/// Where a list's views sort: the company's shared ones under `S#`, a user's own under `U#{user}#`.
pub fn saved_views_prefix(owner: Option<&UserId>) -> String {
    match owner {
        Some(user) => format!("U#{user}#"),
        None => "S#".to_owned(),
    }
}

pub fn saved_view(tenant: &TenantId, list: &str, owner: Option<&UserId>, id: EntityId) -> Key {
    Key::new(saved_views_partition(tenant, list), format!("{}{id}", saved_views_prefix(owner)))
}

pub fn tenant(tenant: &TenantId) -> Key {
    Key::new(format!("T#{tenant}#TENANT"), META)
}

pub fn account(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(format!("T#{tenant}#ACCOUNT#{id}"), META)
}

/// GSI1: accounts sorted by folded name.
pub fn accounts_by_name(tenant: &TenantId, name: &str, id: EntityId) -> Key {
    Key::new(accounts_listing(tenant), format!("{}#{id}", fold_name(name)))
}

pub fn accounts_listing(tenant: &TenantId) -> String {
    format!("T#{tenant}#ACCOUNTS")
}

pub fn contact(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(format!("T#{tenant}#CONTACT#{id}"), META)
}

/// GSI1: contacts sorted by folded "last first" name.
pub fn contacts_by_name(tenant: &TenantId, last_name: &str, first_name: &str, id: EntityId) -> Key {
    Key::new(contacts_listing(tenant), format!("{}#{id}", fold_name(&format!("{last_name} {first_name}"))))
}

pub fn contacts_listing(tenant: &TenantId) -> String {
    format!("T#{tenant}#CONTACTS")
}

/// GSI2: the contacts of one account.
pub fn contacts_of_account(tenant: &TenantId, account: EntityId, id: EntityId) -> Key {
    Key::new(contacts_of_account_partition(tenant, account), id.to_string())
}

pub fn contacts_of_account_partition(tenant: &TenantId, account: EntityId) -> String {
    format!("T#{tenant}#ACCOUNT#{account}#CONTACTS")
}

/// Uniqueness item: at most one contact per normalised e-mail within a tenant.
pub fn contact_email(tenant: &TenantId, email: &str) -> Key {
    Key::new(format!("T#{tenant}#UNIQUE#CONTACT_EMAIL#{email}"), UNIQUE)
}

pub fn case(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(case_partition(tenant, id), META)
}

pub fn case_partition(tenant: &TenantId, id: EntityId) -> String {
    format!("T#{tenant}#CASE#{id}")
}

pub fn case_event(tenant: &TenantId, case: EntityId, event: EntityId) -> Key {
    Key::new(case_partition(tenant, case), format!("{CASE_EVENT_PREFIX}{event}"))
}

pub const CASE_DOCUMENT_PREFIX: &str = "DOC#";

pub fn case_document(tenant: &TenantId, case: EntityId, document: EntityId) -> Key {
    Key::new(case_partition(tenant, case), format!("{CASE_DOCUMENT_PREFIX}{document}"))
}

/// The blob store key of a document's file: tenant, subject, template and its version, and the
/// effect that produced it (or the upload's document id), so a redelivered effect overwrites the
/// same object with the same bytes. Tenant first, so a bucket policy can scope by prefix.
pub fn document_object(tenant: &TenantId, case: EntityId, template: &str, version: &str, effect: &str) -> String {
    format!("{tenant}/cases/{case}/{template}/{version}/{effect}.pdf")
}

/// The blob store key of a file staff uploaded to a case.
pub fn uploaded_object(tenant: &TenantId, case: EntityId, document: EntityId, file_name: &str) -> String {
    format!("{tenant}/cases/{case}/uploads/{document}/{file_name}")
}

pub fn case_comment(tenant: &TenantId, case: EntityId, comment: EntityId) -> Key {
    Key::new(case_partition(tenant, case), format!("{CASE_COMMENT_PREFIX}{comment}"))
}

/// GSI1: the tenant's cases, newest last; archived cases live in their own partition.
pub fn cases_listing(tenant: &TenantId, archived: bool, id: EntityId) -> Key {
    Key::new(cases_listing_partition(tenant, archived), id.to_string())
}

pub fn cases_listing_partition(tenant: &TenantId, archived: bool) -> String {
    if archived { format!("T#{tenant}#CASES#ARCHIVED") } else { format!("T#{tenant}#CASES") }
}

/// A case's entry in the "last changed" order, in the case's partition.
pub fn case_recency(tenant: &TenantId, case: EntityId) -> Key {
    Key::new(case_partition(tenant, case), "#RECENCY")
}

/// GSI1: the tenant's (active or archived) cases by their last change (`updated_at`, a UTC
/// stamp to the microsecond).
pub fn cases_by_update(tenant: &TenantId, archived: bool, updated_at: &str, id: EntityId) -> Key {
    Key::new(cases_by_update_partition(tenant, archived), format!("{updated_at}#{id}"))
}

pub fn cases_by_update_partition(tenant: &TenantId, archived: bool) -> String {
    format!("{}#UPDATED", cases_listing_partition(tenant, archived))
}

/// GSI2: the running SLA clocks of a tenant's cases by deadline (`due_at`, UTC stamp).
pub fn case_deadlines(tenant: &TenantId, due_at: &str, case: EntityId, clock: &str) -> Key {
    Key::new(case_deadlines_partition(tenant), format!("{due_at}#{case}#{clock}"))
}

pub fn case_deadlines_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#CASES#DEADLINES")
}

/// GSI2: the active cases one user owns.
pub fn cases_of_owner(tenant: &TenantId, owner: &UserId, id: EntityId) -> Key {
    Key::new(cases_of_owner_partition(tenant, owner), id.to_string())
}

pub fn cases_of_owner_partition(tenant: &TenantId, owner: &UserId) -> String {
    format!("T#{tenant}#OWNER#{owner}#CASES")
}

/// GSI3: the active cases of one account.
pub fn cases_of_account(tenant: &TenantId, account: EntityId, id: EntityId) -> Key {
    Key::new(cases_of_account_partition(tenant, account), id.to_string())
}

pub fn cases_of_account_partition(tenant: &TenantId, account: EntityId) -> String {
    format!("T#{tenant}#ACCOUNT#{account}#CASES")
}

pub fn case_type(tenant: &TenantId, key: &CaseTypeKey) -> Key {
    Key::new(case_type_partition(tenant, key), CURRENT)
}

pub fn case_type_version(tenant: &TenantId, key: &CaseTypeKey, version: u32) -> Key {
    Key::new(case_type_partition(tenant, key), format!("{CASE_TYPE_VERSION_PREFIX}{version:06}"))
}

fn case_type_partition(tenant: &TenantId, key: &CaseTypeKey) -> String {
    format!("T#{tenant}#CASETYPE#{key}")
}

/// GSI1: the tenant's case types by key.
pub fn case_types_listing(tenant: &TenantId, key: &CaseTypeKey) -> Key {
    Key::new(case_types_listing_partition(tenant), key.to_string())
}

pub fn case_types_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#CASETYPES")
}

pub const CASE_OUTBOX_PREFIX: &str = "OUTBOX#";
/// A case's armed SLA clocks (`SLA#{clock}`), after its history and outbox in the partition.
pub const CASE_SLA_PREFIX: &str = "SLA#";
/// Shards of the outbox listing: enough to spread writes, few enough to drain in a handful of queries.
pub const OUTBOX_SHARDS: u32 = 4;

pub fn case_outbox(tenant: &TenantId, case: EntityId, effect_id: &str) -> Key {
    Key::new(case_partition(tenant, case), format!("{CASE_OUTBOX_PREFIX}{effect_id}"))
}

/// GSI1: pending effects of every tenant, oldest first within a shard.
pub fn outbox_listing(shard: u32, at: &str, effect_id: &str) -> Key {
    Key::new(outbox_listing_partition(shard), format!("{at}#{effect_id}"))
}

pub fn outbox_listing_partition(shard: u32) -> String {
    format!("OUTBOX#{shard}")
}

/// The round-robin counter of one agent pool.
pub fn pool_counter(tenant: &TenantId, pool_id: &str) -> Key {
    Key::new(format!("T#{tenant}#POOL#{pool_id}"), "#COUNTER")
}

/// A staff user of the tenant (name, e-mail, locale).
pub fn user(tenant: &TenantId, user: &UserId) -> Key {
    Key::new(format!("T#{tenant}#USER#{user}"), META)
}

/// GSI1: the tenant's staff directory by user id.
pub fn users_listing(tenant: &TenantId, user: &UserId) -> Key {
    Key::new(users_listing_partition(tenant), user.to_string())
}

pub fn users_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#USERS")
}

pub fn calendar(tenant: &TenantId, key: &str) -> Key {
    Key::new(format!("T#{tenant}#CALENDAR#{key}"), CURRENT)
}

pub fn calendars_listing(tenant: &TenantId, key: &str) -> Key {
    Key::new(format!("T#{tenant}#CALENDARS"), key)
}

pub fn calendars_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#CALENDARS")
}

pub fn sla_policy(tenant: &TenantId, case_type: &CaseTypeKey) -> Key {
    Key::new(format!("T#{tenant}#SLAPOLICY#{case_type}"), CURRENT)
}

/// A case's armed SLA clock (one per clock kind), in the case's partition.
pub fn sla_entry(tenant: &TenantId, case: EntityId, clock: &str) -> Key {
    Key::new(case_partition(tenant, case), format!("{CASE_SLA_PREFIX}{clock}"))
}

/// GSI1: SLA stages due in one hour bucket (`2026-11-22T10`) and shard, by instant.
pub fn sla_due(bucket: &str, shard: u32, at: &str, tenant: &TenantId, case: EntityId, clock: &str) -> Key {
    Key::new(sla_due_partition(bucket, shard), format!("{at}#{tenant}#{case}#{clock}"))
}

pub fn sla_due_partition(bucket: &str, shard: u32) -> String {
    format!("DUE#SLA#{bucket}#{shard}")
}

/// Shards of the SLA due index.
pub const SLA_SHARDS: u32 = 4;

/// The SLA sweep's watermark: the last hour bucket it swept completely. A system item.
pub fn sla_watermark() -> Key {
    Key::new("SYS#SLA_SWEEP", "#WATERMARK")
}

pub fn invoice(tenant: &TenantId, number: &DocumentNumber) -> Key {
    Key::new(invoice_partition(tenant, number), META)
}

pub fn invoice_partition(tenant: &TenantId, number: &DocumentNumber) -> String {
    format!("T#{tenant}#INVOICE#{number}")
}

/// GSI1 (all invoices), GSI2 (an account's) and GSI3 (open ones only): by due date, so a due
/// range is a key range.
pub fn invoices_listing(tenant: &TenantId, due_on: &str, number: &DocumentNumber) -> Key {
    Key::new(invoices_listing_partition(tenant), format!("{due_on}#{number}"))
}

pub fn invoices_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#INVOICES")
}

pub fn invoices_of_account(tenant: &TenantId, account: EntityId, due_on: &str, number: &DocumentNumber) -> Key {
    Key::new(invoices_of_account_partition(tenant, account), format!("{due_on}#{number}"))
}

pub fn invoices_of_account_partition(tenant: &TenantId, account: EntityId) -> String {
    format!("T#{tenant}#ACCOUNT#{account}#INVOICES")
}

pub fn open_invoices(tenant: &TenantId, due_on: &str, number: &DocumentNumber) -> Key {
    Key::new(open_invoices_partition(tenant), format!("{due_on}#{number}"))
}

pub fn open_invoices_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#INVOICES#OPEN")
}

pub fn invoice_event(tenant: &TenantId, number: &DocumentNumber, event: EntityId) -> Key {
    Key::new(invoice_partition(tenant, number), format!("{CASE_EVENT_PREFIX}{event}"))
}

pub const PAYMENT_PREFIX: &str = "PAY#";
pub const CREDIT_NOTE_PREFIX: &str = "CN#";

pub fn payment(tenant: &TenantId, number: &DocumentNumber, payment: &DocumentNumber) -> Key {
    Key::new(invoice_partition(tenant, number), format!("{PAYMENT_PREFIX}{payment}"))
}

pub fn credit_note(tenant: &TenantId, number: &DocumentNumber, note: &DocumentNumber) -> Key {
    Key::new(invoice_partition(tenant, number), format!("{CREDIT_NOTE_PREFIX}{note}"))
}

pub fn invoice_outbox(tenant: &TenantId, number: &DocumentNumber, effect_id: &str) -> Key {
    Key::new(invoice_partition(tenant, number), format!("{CASE_OUTBOX_PREFIX}{effect_id}"))
}

/// An invoice's dunning progress; in the due index while a step is pending.
pub fn dunning_state(tenant: &TenantId, number: &DocumentNumber) -> Key {
    Key::new(invoice_partition(tenant, number), "#DUNNING")
}

/// GSI1: dunning steps due on one UTC day (`2026-11-22`) and shard, by instant.
pub fn dunning_due(day: &str, shard: u32, at: &str, tenant: &TenantId, number: &DocumentNumber) -> Key {
    Key::new(dunning_due_partition(day, shard), format!("{at}#{tenant}#{number}"))
}

pub fn dunning_due_partition(day: &str, shard: u32) -> String {
    format!("DUE#INVOICE#{day}#{shard}")
}

/// Shards of the dunning due index.
pub const DUNNING_SHARDS: u32 = 4;

/// Every webhook subscription of a tenant: one small partition, read whole.
pub fn webhook_subscriptions_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#WEBHOOKS")
}

pub const WEBHOOK_SUBSCRIPTION_PREFIX: &str = "SUB#";

pub fn webhook_subscription(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(webhook_subscriptions_partition(tenant), format!("{WEBHOOK_SUBSCRIPTION_PREFIX}{id}"))
}

/// The events a tenant's active subscriptions want: what the announcing use cases read, by key.
pub fn webhook_events(tenant: &TenantId) -> Key {
    Key::new(webhook_subscriptions_partition(tenant), "EVENTS")
}

/// A subscription's deliveries (newest last: ids are ULIDs) and its retries' outbox entries.
pub fn webhook_partition(tenant: &TenantId, subscription: EntityId) -> String {
    format!("T#{tenant}#WEBHOOK#{subscription}")
}

pub const WEBHOOK_DELIVERY_PREFIX: &str = "DLV#";

pub fn webhook_delivery(tenant: &TenantId, subscription: EntityId, delivery: EntityId) -> Key {
    Key::new(webhook_partition(tenant, subscription), format!("{WEBHOOK_DELIVERY_PREFIX}{delivery}"))
}

pub fn webhook_outbox(tenant: &TenantId, subscription: EntityId, effect_id: &str) -> Key {
    Key::new(webhook_partition(tenant, subscription), format!("{CASE_OUTBOX_PREFIX}{effect_id}"))
}

/// The invoice sweep's watermark: the last day it swept completely. A system item.
pub fn invoice_sweep_watermark() -> Key {
    Key::new("SYS#INVOICE_SWEEP", "#WATERMARK")
}

/// One entry of the access log.
pub fn access_entry(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(format!("T#{tenant}#ACCESSLOG#{id}"), META)
}

/// GSI1: the tenant's access log by time (`sort`: the entry's UTC stamp and id).
pub fn access_log(tenant: &TenantId, sort: &str) -> Key {
    Key::new(access_log_partition(tenant), sort.to_owned())
}

pub fn access_log_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#ACCESSLOG")
}

/// GSI2: one user's entries by time.
pub fn access_log_of_user(tenant: &TenantId, user: &UserId, sort: &str) -> Key {
    Key::new(access_log_of_user_partition(tenant, user), sort.to_owned())
}

pub fn access_log_of_user_partition(tenant: &TenantId, user: &UserId) -> String {
    format!("T#{tenant}#ACCESSLOG#U#{user}")
}

/// GSI3: one record's entries by time (`kind` as `case`, `id` its id or number).
pub fn access_log_of_record(tenant: &TenantId, kind: &str, id: &str, sort: &str) -> Key {
    Key::new(access_log_of_record_partition(tenant, kind, id), sort.to_owned())
}

pub fn access_log_of_record_partition(tenant: &TenantId, kind: &str, id: &str) -> String {
    format!("T#{tenant}#ACCESSLOG#R#{kind}#{id}")
}

/// The tenant's profiles, all in one item (read with the caller's directory entry).
pub fn access_policy(tenant: &TenantId) -> Key {
    Key::new(format!("T#{tenant}#ACCESS"), CURRENT)
}

pub fn organisation(tenant: &TenantId) -> Key {
    Key::new(format!("T#{tenant}#ORG"), CURRENT)
}

pub fn dunning_ladder(tenant: &TenantId) -> Key {
    Key::new(format!("T#{tenant}#DUNNING_LADDER"), CURRENT)
}

pub fn collections_profile(tenant: &TenantId, account: EntityId) -> Key {
    Key::new(format!("T#{tenant}#ACCOUNT#{account}"), "#COLLECTIONS")
}

/// A marketing opt-out of one e-mail address.
pub fn opt_out(tenant: &TenantId, email: &str) -> Key {
    Key::new(format!("T#{tenant}#OPTOUT#{email}"), META)
}

/// The idempotency record of one effect: claimed before acting, completed after.
pub fn effect_claim(tenant: &TenantId, effect_id: &str) -> Key {
    Key::new(format!("T#{tenant}#EFFECT#{effect_id}"), "#CLAIM")
}

pub fn lead(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(lead_partition(tenant, id), META)
}

pub fn lead_partition(tenant: &TenantId, id: EntityId) -> String {
    format!("T#{tenant}#LEAD#{id}")
}

pub fn lead_event(tenant: &TenantId, lead: EntityId, event: EntityId) -> Key {
    Key::new(lead_partition(tenant, lead), format!("{CASE_EVENT_PREFIX}{event}"))
}

pub fn lead_outbox(tenant: &TenantId, lead: EntityId, effect_id: &str) -> Key {
    Key::new(lead_partition(tenant, lead), format!("{CASE_OUTBOX_PREFIX}{effect_id}"))
}

/// GSI1: the tenant's leads, oldest first (ids are ULIDs, so a creation-time range is an id range).
pub fn leads_listing(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(leads_listing_partition(tenant), id.to_string())
}

pub fn leads_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#LEADS")
}

/// GSI2: the leads one user owns.
pub fn leads_of_owner(tenant: &TenantId, owner: &UserId, id: EntityId) -> Key {
    Key::new(leads_of_owner_partition(tenant, owner), id.to_string())
}

pub fn leads_of_owner_partition(tenant: &TenantId, owner: &UserId) -> String {
    format!("T#{tenant}#OWNER#{owner}#LEADS")
}

/// Uniqueness items: at most one lead per normalised e-mail, and per E.164 phone, in a tenant.
pub fn lead_email(tenant: &TenantId, email: &str) -> Key {
    Key::new(format!("T#{tenant}#UNIQUE#LEAD_EMAIL#{email}"), UNIQUE)
}

pub fn lead_phone(tenant: &TenantId, phone: &str) -> Key {
    Key::new(format!("T#{tenant}#UNIQUE#LEAD_PHONE#{phone}"), UNIQUE)
}

pub fn form(tenant: &TenantId, form: &FormId) -> Key {
    Key::new(format!("T#{tenant}#FORM#{form}"), CURRENT)
}

pub fn forms_listing(tenant: &TenantId, form: &FormId) -> Key {
    Key::new(forms_listing_partition(tenant), form.to_string())
}

pub fn forms_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#FORMS")
}

/// A counter of a form's posts: `honeypot`, `quarantined`, `accepted`.
pub fn form_counter(tenant: &TenantId, form: &FormId, name: &str) -> Key {
    Key::new(format!("T#{tenant}#FORM#{form}"), format!("#COUNTER#{name}"))
}

/// The first outcome of a post with this idempotency key (a hash of the client's key).
pub fn form_post(tenant: &TenantId, form: &FormId, key_hash: &str) -> Key {
    Key::new(format!("T#{tenant}#FORMPOST#{form}#{key_hash}"), "#IDEMPOTENCY")
}

/// Posts from one IP address in one minute (`2026-11-22T10:15`), across the tenant's forms.
pub fn rate_ip(tenant: &TenantId, ip: &str, minute: &str) -> Key {
    Key::new(format!("T#{tenant}#RATE#IP#{ip}#{minute}"), "#COUNTER")
}

/// Posts to one form in one minute.
pub fn rate_form(tenant: &TenantId, form: &FormId, minute: &str) -> Key {
    Key::new(format!("T#{tenant}#RATE#FORM#{form}#{minute}"), "#COUNTER")
}

pub fn submission(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(format!("T#{tenant}#SUBMISSION#{id}"), META)
}

/// GSI1: submissions by status (`quarantined`, `released`, `discarded`), oldest first.
pub fn submissions_listing(tenant: &TenantId, status: &str, id: EntityId) -> Key {
    Key::new(submissions_listing_partition(tenant, status), id.to_string())
}

pub fn submissions_listing_partition(tenant: &TenantId, status: &str) -> String {
    format!("T#{tenant}#SUBMISSIONS#{status}")
}

pub fn opportunity(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(format!("T#{tenant}#OPPORTUNITY#{id}"), META)
}

/// An opportunity's place within a stage: by expected close date (undated last), then id.
pub fn opportunity_close_order(close: Option<jiff::civil::Date>, id: EntityId) -> String {
    match close {
        Some(date) => format!("{date}#{id}"),
        None => format!("~#{id}"),
    }
}

/// GSI1: the opportunities of one pipeline, by stage then close date; a kanban column is the
/// stage's prefix ([`opportunities_stage_prefix`]).
pub fn opportunities_of_pipeline(
    tenant: &TenantId,
    pipeline: &PipelineKey,
    stage: &StageKey,
    close: Option<jiff::civil::Date>,
    id: EntityId,
) -> Key {
    Key::new(
        opportunities_of_pipeline_partition(tenant, pipeline),
        format!("{stage}#{}", opportunity_close_order(close, id)),
    )
}

pub fn opportunities_of_pipeline_partition(tenant: &TenantId, pipeline: &PipelineKey) -> String {
    format!("T#{tenant}#OPPS#{pipeline}")
}

pub fn opportunities_stage_prefix(stage: &StageKey) -> String {
    format!("{stage}#")
}

/// GSI2: one owner's opportunities, by pipeline, stage and close date (so a scoped kanban
/// column is a prefix of each owner's partition, merged).
pub fn opportunities_of_owner(
    tenant: &TenantId,
    owner: &UserId,
    (pipeline, stage): (&PipelineKey, &StageKey),
    close: Option<jiff::civil::Date>,
    id: EntityId,
) -> Key {
    Key::new(
        opportunities_of_owner_partition(tenant, owner),
        format!("{pipeline}#{stage}#{}", opportunity_close_order(close, id)),
    )
}

pub fn opportunities_of_owner_partition(tenant: &TenantId, owner: &UserId) -> String {
    format!("T#{tenant}#OWNER#{owner}#OPPS")
}

/// The prefix of an owner's opportunities in a pipeline, or at one stage of it.
pub fn owner_opportunities_prefix(pipeline: &PipelineKey, stage: Option<&StageKey>) -> String {
    match stage {
        Some(stage) => format!("{pipeline}#{stage}#"),
        None => format!("{pipeline}#"),
    }
}

pub fn opportunity_event(tenant: &TenantId, opportunity: EntityId, event: EntityId) -> Key {
    Key::new(format!("T#{tenant}#OPPORTUNITY#{opportunity}"), format!("{CASE_EVENT_PREFIX}{event}"))
}

pub fn opportunity_partition(tenant: &TenantId, opportunity: EntityId) -> String {
    format!("T#{tenant}#OPPORTUNITY#{opportunity}")
}

/// A forecast cell: the partition is the close month (`undated` without one), the sort key the
/// cell's owner, pipeline, stage, currency and business line (percent-encoded: it is free text).
pub fn forecast_cell(tenant: &TenantId, cell: &crate::sales::forecast::Cell) -> Key {
    let month = cell.month.map_or_else(|| "undated".to_owned(), crate::sales::forecast::Month::key);
    let owner = cell.owner.as_ref().map_or("~", UserId::as_str);
    let line = cell.line.as_deref().map(|l| percent_encoding::utf8_percent_encode(l, KEY_TEXT).to_string());
    Key::new(
        forecast_partition(tenant, &month),
        format!("{owner}#{}#{}#{}#{}", cell.pipeline, cell.stage, cell.currency, line.unwrap_or_else(|| "~".into())),
    )
}

pub fn forecast_partition(tenant: &TenantId, month: &str) -> String {
    format!("T#{tenant}#FORECAST#{month}")
}

/// A change of an opportunity as the forecast's history keeps it under one close month: sorted
/// by when it happened, so "since a day" is a key range.
pub fn forecast_movement(tenant: &TenantId, month: &str, at: jiff::Timestamp, id: EntityId, version: u64) -> Key {
    Key::new(forecast_movements_partition(tenant, month), format!("{}#{id}#{version:010}", movement_instant(at)))
}

pub fn forecast_movements_partition(tenant: &TenantId, month: &str) -> String {
    format!("T#{tenant}#FCMOVE#{month}")
}

/// An instant as movement keys sort it: milliseconds since 1970, zero-padded.
pub fn movement_instant(at: jiff::Timestamp) -> String {
    format!("{:015}", at.as_millisecond().max(0))
}

/// The cell a forecast cell's sort key names (`None`: not one).
pub fn forecast_cell_of(
    month: Option<crate::sales::forecast::Month>,
    sk: &str,
) -> Option<crate::sales::forecast::Cell> {
    let mut parts = sk.split('#');
    let owner = match parts.next()? {
        "~" => None,
        owner => Some(UserId::parse(owner).ok()?),
    };
    let pipeline = PipelineKey::parse(parts.next()?).ok()?;
    let stage = StageKey::parse(parts.next()?).ok()?;
    let currency = parts.next()?.to_owned();
    let line = match parts.next()? {
        "~" => None,
        line => Some(percent_encoding::percent_decode_str(line).decode_utf8().ok()?.into_owned()),
    };
    Some(crate::sales::forecast::Cell { month, owner, pipeline, stage, currency, line })
}

/// What free text in a sort key escapes: the separator, the escape itself, and `~` (the mark of
/// an absent value).
const KEY_TEXT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'#').add(b'%').add(b'~');

/// One month's goals (`2026-12`).
pub fn goals(tenant: &TenantId, month: &str) -> Key {
    Key::new(format!("T#{tenant}#GOALS"), month)
}

pub fn pipelines(tenant: &TenantId) -> Key {
    Key::new(format!("T#{tenant}#PIPELINES"), CURRENT)
}

/// GSI3: the leads converted into one account.
pub fn leads_of_account(tenant: &TenantId, account: EntityId, id: EntityId) -> Key {
    Key::new(leads_of_account_partition(tenant, account), id.to_string())
}

pub fn leads_of_account_partition(tenant: &TenantId, account: EntityId) -> String {
    format!("T#{tenant}#ACCOUNT#{account}#LEADS")
}

/// GSI3: the opportunities of one account.
pub fn opportunities_of_account(tenant: &TenantId, account: EntityId, id: EntityId) -> Key {
    Key::new(opportunities_of_account_partition(tenant, account), id.to_string())
}

pub fn opportunities_of_account_partition(tenant: &TenantId, account: EntityId) -> String {
    format!("T#{tenant}#ACCOUNT#{account}#OPPORTUNITIES")
}

/// The partition of the search words starting with `term`'s first two characters: a search
/// for a word start is a `begins_with` query in one partition.
pub fn search_partition(tenant: &TenantId, term: &str) -> String {
    let start: String = term.chars().take(crate::search::MIN_TERM_CHARS).collect();
    format!("T#{tenant}#WORD#{start}")
}

/// The product catalogue's words, apart from the records staff search for, so that tens of
/// thousands of products never crowd out a search for a customer.
pub fn catalogue_search_partition(tenant: &TenantId, term: &str) -> String {
    let start: String = term.chars().take(crate::search::MIN_TERM_CHARS).collect();
    format!("T#{tenant}#PWORD#{start}")
}

/// One word of one record in the search index.
pub fn search_word(tenant: &TenantId, word: &str, kind: crate::search::SearchKind, id: &str) -> Key {
    let partition = match kind {
        crate::search::SearchKind::Product => catalogue_search_partition(tenant, word),
        _ => search_partition(tenant, word),
    };
    Key::new(partition, format!("{word}#{}#{id}", kind.as_str()))
}

pub fn product(tenant: &TenantId, code: &ProductCode) -> Key {
    Key::new(format!("T#{tenant}#PRODUCT#{code}"), META)
}

/// GSI1: the catalogue by code.
pub fn products_listing(tenant: &TenantId, code: &ProductCode) -> Key {
    Key::new(products_listing_partition(tenant), code.as_str())
}

pub fn products_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#PRODUCTS")
}

/// GSI2: one department's products by group, sub-group and code (labels folded), so a
/// department, and a group within it, are a partition and a prefix.
pub fn products_of_department(
    tenant: &TenantId,
    department: Option<&str>,
    group: Option<&str>,
    subgroup: Option<&str>,
    code: &ProductCode,
) -> Key {
    let label = |l: Option<&str>| l.map_or_else(|| "~".to_owned(), label_key);
    Key::new(
        products_of_department_partition(tenant, department),
        format!("{}#{}#{code}", label(group), label(subgroup)),
    )
}

pub fn products_of_department_partition(tenant: &TenantId, department: Option<&str>) -> String {
    format!("T#{tenant}#PRODUCTS#{}", department.map_or_else(|| "~".to_owned(), label_key))
}

/// The sort-key prefix of one group's products within its department.
pub fn products_group_prefix(group: &str) -> String {
    format!("{}#", label_key(group))
}

/// A label as it sorts and compares in keys: folded, with the key separators escaped.
fn label_key(label: &str) -> String {
    percent_encoding::utf8_percent_encode(&fold_name(label), KEY_TEXT).to_string()
}

/// A price list's partition: its settings (`#META`), each product's current row (`P#`), the
/// rows earlier versions had (`H#`) and the log of published versions (`V#`).
pub fn price_list_partition(tenant: &TenantId, list: &PriceListKey) -> String {
    format!("T#{tenant}#PRICELIST#{list}")
}

pub fn price_list(tenant: &TenantId, list: &PriceListKey) -> Key {
    Key::new(price_list_partition(tenant, list), META)
}

/// GSI1: the tenant's price lists by key.
pub fn price_lists_listing(tenant: &TenantId, list: &PriceListKey) -> Key {
    Key::new(price_lists_listing_partition(tenant), list.as_str())
}

pub fn price_lists_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#PRICELISTS")
}

pub const PRICE_ROW_PREFIX: &str = "P#";
pub const PRICE_ROW_HISTORY_PREFIX: &str = "H#";
pub const PRICE_LIST_VERSION_PREFIX: &str = "V#";

/// A product's row in the list as the latest version (published or draft) has it.
pub fn price_row(tenant: &TenantId, list: &PriceListKey, product: &ProductCode) -> Key {
    Key::new(price_list_partition(tenant, list), format!("{PRICE_ROW_PREFIX}{product}"))
}

/// A product's row as versions from `since` on had it, until a later version replaced it.
pub fn price_row_history(tenant: &TenantId, list: &PriceListKey, product: &ProductCode, since: u32) -> Key {
    Key::new(price_list_partition(tenant, list), format!("{}{since:010}", price_row_history_prefix(product)))
}

pub fn price_row_history_prefix(product: &ProductCode) -> String {
    format!("{PRICE_ROW_HISTORY_PREFIX}{product}#")
}

/// The running counts of the draft version being written (see `service::price_lists`).
pub fn price_list_draft(tenant: &TenantId, list: &PriceListKey) -> Key {
    Key::new(price_list_partition(tenant, list), "#DRAFT")
}

pub fn price_list_version(tenant: &TenantId, list: &PriceListKey, version: u32) -> Key {
    Key::new(price_list_partition(tenant, list), format!("{PRICE_LIST_VERSION_PREFIX}{version:010}"))
}

/// Which list is the tenant's default.
pub fn default_price_list(tenant: &TenantId) -> Key {
    Key::new(price_lists_listing_partition(tenant), CURRENT)
}

/// Which list an account is priced from.
pub fn account_price_list(tenant: &TenantId, account: EntityId) -> Key {
    Key::new(format!("T#{tenant}#ACCOUNT#{account}"), "#PRICELIST")
}

pub fn quote(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(quote_partition(tenant, id), META)
}

pub fn quote_partition(tenant: &TenantId, id: EntityId) -> String {
    format!("T#{tenant}#QUOTE#{id}")
}

pub const QUOTE_REVISION_PREFIX: &str = "REV#";

/// A quote as a revision of it was sent, kept when the next revision replaced it.
pub fn quote_revision(tenant: &TenantId, id: EntityId, revision: u32) -> Key {
    Key::new(quote_partition(tenant, id), format!("{QUOTE_REVISION_PREFIX}{revision:06}"))
}

/// The counter of the tenant's quote numbers.
pub fn quote_numbers(tenant: &TenantId) -> Key {
    Key::new(format!("T#{tenant}#COUNTER#QUOTES"), CURRENT)
}

/// GSI1: the tenant's quotes by number.
pub fn quotes_listing(tenant: &TenantId, number: &str) -> Key {
    Key::new(quotes_listing_partition(tenant), number)
}

pub fn quotes_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#QUOTES")
}

/// GSI2: one owner's quotes by number (a scope wider than one owner merges them).
pub fn quotes_of_owner(tenant: &TenantId, owner: &UserId, number: &str) -> Key {
    Key::new(quotes_of_owner_partition(tenant, owner), number)
}

pub fn quotes_of_owner_partition(tenant: &TenantId, owner: &UserId) -> String {
    format!("T#{tenant}#OWNER#{owner}#QUOTES")
}

/// GSI3: one account's quotes by number.
pub fn quotes_of_account(tenant: &TenantId, account: EntityId, number: &str) -> Key {
    Key::new(quotes_of_account_partition(tenant, account), number)
}

pub fn quotes_of_account_partition(tenant: &TenantId, account: EntityId) -> String {
    format!("T#{tenant}#ACCOUNT#{account}#QUOTES")
}

pub fn order(tenant: &TenantId, id: EntityId) -> Key {
    Key::new(format!("T#{tenant}#ORDER#{id}"), META)
}

/// The counter of the tenant's order numbers.
pub fn order_numbers(tenant: &TenantId) -> Key {
    Key::new(format!("T#{tenant}#COUNTER#ORDERS"), CURRENT)
}

/// GSI1: the tenant's orders by number.
pub fn orders_listing(tenant: &TenantId, number: &str) -> Key {
    Key::new(orders_listing_partition(tenant), number)
}

pub fn orders_listing_partition(tenant: &TenantId) -> String {
    format!("T#{tenant}#ORDERS")
}

/// GSI2: one owner's orders by number.
pub fn orders_of_owner(tenant: &TenantId, owner: &UserId, number: &str) -> Key {
    Key::new(orders_of_owner_partition(tenant, owner), number)
}

pub fn orders_of_owner_partition(tenant: &TenantId, owner: &UserId) -> String {
    format!("T#{tenant}#OWNER#{owner}#ORDERS")
}

/// GSI3: one account's orders by number.
pub fn orders_of_account(tenant: &TenantId, account: EntityId, number: &str) -> Key {
    Key::new(orders_of_account_partition(tenant, account), number)
}

pub fn orders_of_account_partition(tenant: &TenantId, account: EntityId) -> String {
    format!("T#{tenant}#ACCOUNT#{account}#ORDERS")
}

/// Lower case, accents and other marks removed, spaces collapsed, bounded length:
/// the form names take in sort keys and prefix searches.
pub fn fold_name(name: &str) -> String {
    let ascii = deunicode::deunicode(name).to_lowercase();
    let words: Vec<&str> = ascii.split_whitespace().collect();
    words.join(" ").chars().take(NAME_KEY_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> TenantId {
        TenantId::parse("acme").unwrap()
    }
    fn id(n: u128) -> EntityId {
        EntityId::from_ulid(ulid::Ulid(n))
    }

    #[test]
    fn tenant_and_account_keys() {
        assert_eq!(tenant_prefix(&t()), "T#acme#");
        assert_eq!(tenant(&t()), Key::new("T#acme#TENANT", "#META"));
        assert_eq!(account(&t(), id(1)), Key::new("T#acme#ACCOUNT#00000000000000000000000001", "#META"));
        assert_eq!(
            accounts_by_name(&t(), "  Café  Ñandú S.A. ", id(2)),
            Key::new("T#acme#ACCOUNTS", "cafe nandu s.a.#00000000000000000000000002")
        );
    }

    #[test]
    fn webhook_keys() {
        assert_eq!(webhook_subscription(&t(), id(1)), Key::new("T#acme#WEBHOOKS", "SUB#00000000000000000000000001"));
        assert_eq!(webhook_events(&t()), Key::new("T#acme#WEBHOOKS", "EVENTS"));
        let partition = "T#acme#WEBHOOK#00000000000000000000000001";
        assert_eq!(webhook_delivery(&t(), id(1), id(2)), Key::new(partition, "DLV#00000000000000000000000002"));
        assert_eq!(webhook_outbox(&t(), id(1), "ab12"), Key::new(partition, "OUTBOX#ab12"));
    }

    #[test]
    fn contact_keys() {
        assert_eq!(contact(&t(), id(3)), Key::new("T#acme#CONTACT#00000000000000000000000003", "#META"));
        assert_eq!(
            contacts_by_name(&t(), "Gómez", "Rubis", id(3)),
            Key::new("T#acme#CONTACTS", "gomez rubis#00000000000000000000000003")
        );
        assert_eq!(
            contacts_of_account(&t(), id(1), id(3)),
            Key::new("T#acme#ACCOUNT#00000000000000000000000001#CONTACTS", "00000000000000000000000003")
        );
        assert_eq!(
            contact_email(&t(), "ana@example.com"),
            Key::new("T#acme#UNIQUE#CONTACT_EMAIL#ana@example.com", "#UNIQUE")
        );
    }

    #[test]
    fn lead_and_form_keys() {
        let lead_pk = "T#acme#LEAD#00000000000000000000000007";
        assert_eq!(lead(&t(), id(7)), Key::new(lead_pk, "#META"));
        assert_eq!(lead_event(&t(), id(7), id(8)), Key::new(lead_pk, "EVT#00000000000000000000000008"));
        assert_eq!(lead_outbox(&t(), id(7), "ab12"), Key::new(lead_pk, "OUTBOX#ab12"));
        assert_eq!(leads_listing(&t(), id(7)), Key::new("T#acme#LEADS", "00000000000000000000000007"));
        let ana = UserId::parse("ana").unwrap();
        assert_eq!(leads_of_owner(&t(), &ana, id(7)), Key::new("T#acme#OWNER#ana#LEADS", "00000000000000000000000007"));
        assert_eq!(lead_email(&t(), "a@b.es"), Key::new("T#acme#UNIQUE#LEAD_EMAIL#a@b.es", "#UNIQUE"));
        assert_eq!(lead_phone(&t(), "+34600123456"), Key::new("T#acme#UNIQUE#LEAD_PHONE#+34600123456", "#UNIQUE"));
        let f = FormId::parse("contacto").unwrap();
        assert_eq!(form(&t(), &f), Key::new("T#acme#FORM#contacto", "#CURRENT"));
        assert_eq!(forms_listing(&t(), &f), Key::new("T#acme#FORMS", "contacto"));
        assert_eq!(form_counter(&t(), &f, "honeypot"), Key::new("T#acme#FORM#contacto", "#COUNTER#honeypot"));
        assert_eq!(form_post(&t(), &f, "ff00"), Key::new("T#acme#FORMPOST#contacto#ff00", "#IDEMPOTENCY"));
        assert_eq!(
            rate_ip(&t(), "2001:db8::1", "2026-11-22T10:15"),
            Key::new("T#acme#RATE#IP#2001:db8::1#2026-11-22T10:15", "#COUNTER")
        );
        assert_eq!(
            rate_form(&t(), &f, "2026-11-22T10:15"),
            Key::new("T#acme#RATE#FORM#contacto#2026-11-22T10:15", "#COUNTER")
        );
        assert_eq!(submission(&t(), id(9)), Key::new("T#acme#SUBMISSION#00000000000000000000000009", "#META"));
        assert_eq!(
            submissions_listing(&t(), "quarantined", id(9)),
            Key::new("T#acme#SUBMISSIONS#quarantined", "00000000000000000000000009")
        );
        assert_eq!(opportunity(&t(), id(10)), Key::new("T#acme#OPPORTUNITY#0000000000000000000000000A", "#META"));
        assert_eq!(
            opportunities_of_account(&t(), id(1), id(10)),
            Key::new("T#acme#ACCOUNT#00000000000000000000000001#OPPORTUNITIES", "0000000000000000000000000A")
        );
    }

    #[test]
    fn case_keys() {
        let case_pk = "T#acme#CASE#00000000000000000000000004";
        assert_eq!(case(&t(), id(4)), Key::new(case_pk, "#META"));
        assert_eq!(case_event(&t(), id(4), id(5)), Key::new(case_pk, "EVT#00000000000000000000000005"));
        assert_eq!(case_comment(&t(), id(4), id(6)), Key::new(case_pk, "CMT#00000000000000000000000006"));
        assert_eq!(cases_listing(&t(), false, id(4)), Key::new("T#acme#CASES", "00000000000000000000000004"));
        assert_eq!(cases_listing(&t(), true, id(4)), Key::new("T#acme#CASES#ARCHIVED", "00000000000000000000000004"));
        let ana = UserId::parse("ana").unwrap();
        assert_eq!(cases_of_owner(&t(), &ana, id(4)), Key::new("T#acme#OWNER#ana#CASES", "00000000000000000000000004"));
        assert_eq!(
            cases_of_account(&t(), id(1), id(4)),
            Key::new("T#acme#ACCOUNT#00000000000000000000000001#CASES", "00000000000000000000000004")
        );
    }

    #[test]
    fn case_type_keys() {
        let key = CaseTypeKey::parse("solicitud_credito").unwrap();
        assert_eq!(case_type(&t(), &key), Key::new("T#acme#CASETYPE#solicitud_credito", "#CURRENT"));
        assert_eq!(case_type_version(&t(), &key, 7), Key::new("T#acme#CASETYPE#solicitud_credito", "V#000007"));
        assert_eq!(case_types_listing(&t(), &key), Key::new("T#acme#CASETYPES", "solicitud_credito"));
    }

    #[test]
    fn outbox_and_pool_keys() {
        assert_eq!(case_outbox(&t(), id(4), "ab12"), Key::new("T#acme#CASE#00000000000000000000000004", "OUTBOX#ab12"));
        assert_eq!(
            outbox_listing(3, "2026-11-22T10:00:00Z", "ab12"),
            Key::new("OUTBOX#3", "2026-11-22T10:00:00Z#ab12")
        );
        assert_eq!(pool_counter(&t(), "queja#registrada"), Key::new("T#acme#POOL#queja#registrada", "#COUNTER"));
    }

    #[test]
    fn user_opt_out_and_claim_keys() {
        let ana = UserId::parse("ana").unwrap();
        assert_eq!(user(&t(), &ana), Key::new("T#acme#USER#ana", "#META"));
        assert_eq!(users_listing(&t(), &ana), Key::new("T#acme#USERS", "ana"));
        let qc = CaseTypeKey::parse("queja").unwrap();
        assert_eq!(calendar(&t(), "oficina"), Key::new("T#acme#CALENDAR#oficina", "#CURRENT"));
        assert_eq!(sla_policy(&t(), &qc), Key::new("T#acme#SLAPOLICY#queja", "#CURRENT"));
        assert_eq!(
            sla_entry(&t(), id(4), "resolution"),
            Key::new("T#acme#CASE#00000000000000000000000004", "SLA#resolution")
        );
        assert_eq!(
            sla_due("2026-11-22T10", 2, "2026-11-22T10:15:00Z", &t(), id(4), "resolution"),
            Key::new("DUE#SLA#2026-11-22T10#2", "2026-11-22T10:15:00Z#acme#00000000000000000000000004#resolution")
        );
        assert_eq!(opt_out(&t(), "a@b.co"), Key::new("T#acme#OPTOUT#a@b.co", "#META"));
        assert_eq!(effect_claim(&t(), "9f2c"), Key::new("T#acme#EFFECT#9f2c", "#CLAIM"));
    }

    #[test]
    fn invoice_keys() {
        let t = TenantId::parse("demo").unwrap();
        let n = DocumentNumber::parse("F-2026.0042").unwrap();
        let acc = EntityId::parse("01JD8X3Q9V7M2K4T6W8Y0Z1A2B").unwrap();
        assert_eq!(invoice(&t, &n), Key::new("T#demo#INVOICE#F-2026.0042", "#META"));
        assert_eq!(invoices_listing(&t, "2026-12-01", &n), Key::new("T#demo#INVOICES", "2026-12-01#F-2026.0042"));
        assert_eq!(
            invoices_of_account(&t, acc, "2026-12-01", &n),
            Key::new("T#demo#ACCOUNT#01JD8X3Q9V7M2K4T6W8Y0Z1A2B#INVOICES", "2026-12-01#F-2026.0042")
        );
        assert_eq!(open_invoices(&t, "2026-12-01", &n).pk, "T#demo#INVOICES#OPEN");
        let p = DocumentNumber::parse("TRX-77").unwrap();
        assert_eq!(payment(&t, &n, &p), Key::new("T#demo#INVOICE#F-2026.0042", "PAY#TRX-77"));
        assert_eq!(credit_note(&t, &n, &p).sk, "CN#TRX-77");
        assert_eq!(dunning_state(&t, &n), Key::new("T#demo#INVOICE#F-2026.0042", "#DUNNING"));
        assert_eq!(
            dunning_due("2026-11-27", 3, "2026-11-27T14:00:00Z", &t, &n),
            Key::new("DUE#INVOICE#2026-11-27#3", "2026-11-27T14:00:00Z#demo#F-2026.0042")
        );
        assert_eq!(dunning_ladder(&t), Key::new("T#demo#DUNNING_LADDER", "#CURRENT"));
        assert_eq!(collections_profile(&t, acc).sk, "#COLLECTIONS");
        assert_eq!(invoice_sweep_watermark().pk, "SYS#INVOICE_SWEEP");
    }

    #[test]
    fn every_tenant_key_has_the_tenant_prefix() {
        let prefix = tenant_prefix(&t());
        let ana = UserId::parse("ana").unwrap();
        let key = CaseTypeKey::parse("k").unwrap();
        let number = DocumentNumber::parse("F-1").unwrap();
        let keys = [
            tenant(&t()),
            account(&t(), id(1)),
            accounts_by_name(&t(), "x", id(1)),
            contact(&t(), id(1)),
            contacts_by_name(&t(), "x", "y", id(1)),
            contacts_of_account(&t(), id(1), id(2)),
            contact_email(&t(), "a@b.co"),
            case(&t(), id(1)),
            case_event(&t(), id(1), id(2)),
            case_comment(&t(), id(1), id(2)),
            cases_listing(&t(), true, id(1)),
            cases_of_owner(&t(), &ana, id(1)),
            cases_of_account(&t(), id(1), id(2)),
            case_type(&t(), &key),
            case_type_version(&t(), &key, 1),
            case_types_listing(&t(), &key),
            case_outbox(&t(), id(1), "e"),
            pool_counter(&t(), "p"),
            user(&t(), &ana),
            opt_out(&t(), "a@b.co"),
            effect_claim(&t(), "e"),
            invoice(&t(), &number),
            invoices_listing(&t(), "2026-01-01", &number),
            invoices_of_account(&t(), id(1), "2026-01-01", &number),
            open_invoices(&t(), "2026-01-01", &number),
            invoice_event(&t(), &number, id(1)),
            payment(&t(), &number, &number),
            credit_note(&t(), &number, &number),
            invoice_outbox(&t(), &number, "e"),
            dunning_state(&t(), &number),
            dunning_ladder(&t()),
            collections_profile(&t(), id(1)),
        ];
        for key in keys {
            assert!(key.pk.starts_with(&prefix), "{key:?}");
        }
    }

    #[test]
    fn names_fold_for_prefix_search() {
        assert_eq!(fold_name("José  Pérez"), "jose perez");
        assert_eq!(fold_name(&"Ü".repeat(300)).len(), 100);
    }
}
