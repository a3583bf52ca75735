//! The word index behind search: one item per word of each searchable record, written in the
//! same batch as the record (see [`crate::search`]).

use super::{FILTER_READ_BUDGET, ListError, PageRequest, Services, conditions, list_page};
use crate::access::Module;
use crate::account::Account;
use crate::actor::Actor;
use crate::case::Case;
use crate::contact::Contact;
use crate::field_access::FieldAccess;
use crate::ids::{EntityId, TenantId};
use crate::keys;
use crate::lead::Lead;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Key, MAX_READ_KEYS, Query, SortKeyRange, StoreError, WriteOp};
use crate::receivables::Invoice;
use crate::records::{self, Stored};
use crate::search::{SearchDoc, SearchKind, Searchable, query_terms};
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

pub const WORD_ENTITY: &str = "SearchWord";

/// The index writes that take a record's words from `before` (none for a new record) to
/// `after`: removed words are deleted; new words are added, and every word is rewritten when
/// the title or detail changed, since each word's item shows them.
pub(super) fn index_changes(
    tenant: &TenantId,
    before: Option<&impl Searchable>,
    after: &impl Searchable,
) -> Result<Vec<WriteOp>, StoreError> {
    let after = after.search_doc();
    let before = before.map(Searchable::search_doc);
    if before.as_ref() == Some(&after) {
        return Ok(Vec::new());
    }
    let mut ops = Vec::new();
    let relabelled = before.as_ref().is_none_or(|b| b.title != after.title || b.detail != after.detail);
    if let Some(before) = &before {
        for gone in before.words.difference(&after.words) {
            ops.push(WriteOp::Delete {
                key: keys::search_word(tenant, gone, after.kind, &after.id),
                condition: Condition::ALWAYS,
            });
        }
    }
    for word in &after.words {
        if relabelled || before.as_ref().is_some_and(|b| !b.words.contains(word)) {
            let key = keys::search_word(tenant, word, after.kind, &after.id);
            let item = Item::new(key, WORD_ENTITY, 1, records::body(&after)?);
            ops.push(WriteOp::Put { item, condition: Condition::ALWAYS });
        }
    }
    Ok(ops)
}

impl Services {
    /// Puts the records of `tenant` stored before search existed into the word index: every
    /// account, contact, case, lead and invoice whose first word has no index item gets all
    /// of them, in one write that holds only while the record is as read (a change meanwhile
    /// indexed it itself). Idempotent (the local runner calls it at every start); returns how
    /// many records it indexed.
    pub async fn index_search_words(&self, tenant: &TenantId) -> Result<usize, StoreError> {
        let mut indexed = 0;
        indexed += self.index_words_of::<Account>(tenant, keys::accounts_listing(tenant)).await?;
        indexed += self.index_words_of::<Contact>(tenant, keys::contacts_listing(tenant)).await?;
        for archived in [false, true] {
            indexed += self.index_words_of::<Case>(tenant, keys::cases_listing_partition(tenant, archived)).await?;
        }
        indexed += self.index_words_of::<Lead>(tenant, keys::leads_listing_partition(tenant)).await?;
        indexed += self.index_words_of::<Invoice>(tenant, keys::invoices_listing_partition(tenant)).await?;
        Ok(indexed)
    }

    /// [`Services::index_search_words`] for the records of one kind listed at `listing` (GSI1).
    async fn index_words_of<T: Stored + Searchable>(
        &self,
        tenant: &TenantId,
        listing: String,
    ) -> Result<usize, StoreError> {
        let mut query = Query::index(Index::Gsi1, listing).limit(MAX_READ_KEYS as u32);
        let mut indexed = 0;
        loop {
            let page = self.store.query(&query).await?;
            // The records with words, and the index item of each one's first word.
            let (mut candidates, mut firsts) = (Vec::new(), Vec::new());
            for item in &page.items {
                let record: T = records::read(item)?;
                let doc = record.search_doc();
                if let Some(first) = doc.words.first() {
                    firsts.push(keys::search_word(tenant, first, doc.kind, &doc.id));
                    candidates.push((item, record));
                }
            }
            let found = if firsts.is_empty() { Vec::new() } else { self.store.get_many(&firsts).await? };
            for ((item, record), _) in candidates.iter().zip(&found).filter(|(_, found)| found.is_none()) {
                let mut ops = index_changes(tenant, None::<&T>, record)?;
                ops.push(WriteOp::Check {
                    key: item.key.clone(),
                    condition: Condition::version_is(conditions::SEARCH_BACKFILL, item.version),
                });
                indexed += usize::from(self.backfill_all(ops).await?);
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(indexed),
            }
        }
    }

    /// The records of `kinds` with a word starting with every term of `query`, accents and case
    /// aside, leaving out the cases and leads outside the caller's scope (read to be checked,
    /// one batch per kind: the index does not know owners). Each round asks the index for as
    /// many hits as the page still lacks, so a page is short only when the hits run out or the
    /// read budget is spent.
    pub async fn search(
        &self,
        actor: &Actor,
        query: &str,
        kinds: &[SearchKind],
        page: &PageRequest,
    ) -> Result<Page<SearchDoc>, ListError> {
        let mut items = Vec::with_capacity(page.limit as usize);
        let mut cursor = page.cursor.clone();
        let mut read = 0usize;
        loop {
            let wanted = PageRequest { limit: page.limit - items.len() as u32, cursor: cursor.clone() };
            let hits = self.search_hits(actor, query, kinds, &wanted).await?;
            read += hits.items.len();
            let hidden = self.out_of_scope(actor, &hits.items).await?;
            items.extend(hits.items.into_iter().filter(|doc| !hidden.contains(&(doc.kind, doc.id.clone()))));
            cursor = hits.next_cursor;
            if cursor.is_none() || items.len() == page.limit as usize || read >= FILTER_READ_BUDGET {
                // The second line was written into the index whole: a reader who may not see
                // one of the fields it can show gets none of it.
                for doc in &mut items {
                    let (module, fields) = doc.kind.detail_fields();
                    if fields.iter().any(|f| actor.field_access(module, f) == FieldAccess::Hidden) {
                        doc.detail.clear();
                    }
                }
                return Ok(Page { items, next_cursor: cursor });
            }
        }
    }

    /// Which of the hits are cases or leads the caller's scope does not reach.
    async fn out_of_scope(
        &self,
        actor: &Actor,
        hits: &[SearchDoc],
    ) -> Result<std::collections::HashSet<(SearchKind, String)>, StoreError> {
        let mut hidden = std::collections::HashSet::new();
        for (kind, module) in [(SearchKind::Case, Module::Cases), (SearchKind::Lead, Module::Leads)] {
            // Cases of a type the profile may not read are out of reach whatever their owner.
            let types_narrowed = kind == SearchKind::Case
                && actor.profile().case_types.values().any(|ops| !ops.contains(&crate::access::Operation::Read));
            if actor.owners_seen(module).is_none() && !types_narrowed {
                continue;
            }
            let ids: Vec<EntityId> =
                hits.iter().filter(|d| d.kind == kind).filter_map(|d| EntityId::parse(&d.id).ok()).collect();
            for chunk in ids.chunks(MAX_READ_KEYS) {
                let keys: Vec<Key> = chunk
                    .iter()
                    .map(|id| {
                        if kind == SearchKind::Case {
                            keys::case(&actor.tenant, *id)
                        } else {
                            keys::lead(&actor.tenant, *id)
                        }
                    })
                    .collect();
                for (id, item) in chunk.iter().zip(self.store.get_many(&keys).await?) {
                    let seen = match (&item, kind) {
                        (Some(item), SearchKind::Case) => actor.sees_case(&records::read::<Case>(item)?),
                        (Some(item), _) => actor.sees(module, records::read::<Lead>(item)?.owner.as_ref()),
                        (None, _) => actor.sees(module, None),
                    };
                    if !seen {
                        hidden.insert((kind, id.to_string()));
                    }
                }
            }
        }
        Ok(hidden)
    }

    /// The hits of `search`, whatever the caller's scope. The index is read at the longest
    /// term's partition; the other terms filter.
    pub(super) async fn search_hits(
        &self,
        actor: &Actor,
        query: &str,
        kinds: &[SearchKind],
        page: &PageRequest,
    ) -> Result<Page<SearchDoc>, ListError> {
        let terms = query_terms(query);
        let Some(first) = terms.first() else {
            return Err(ValidationErrors::single("q", msg::search_too_short()).into());
        };
        let partition = if kinds == [SearchKind::Product] {
            keys::catalogue_search_partition(&actor.tenant, first)
        } else {
            keys::search_partition(&actor.tenant, first)
        };
        let index = Query::partition(partition).range(SortKeyRange::BeginsWith(first.clone()));
        let found: Page<Versioned<SearchDoc>> = list_page(self.store.as_ref(), index, page, |doc: &SearchDoc| {
            kinds.contains(&doc.kind) && doc.matches(&terms)
        })
        .await?;
        // A record with two words starting with the term is one hit.
        let mut seen = std::collections::HashSet::new();
        let items =
            found.items.into_iter().map(|v| v.value).filter(|doc| seen.insert((doc.kind, doc.id.clone()))).collect();
        Ok(Page { items, next_cursor: found.next_cursor })
    }

    /// A list route's `q`: the records of one kind found by `query`, read whole (one batch
    /// read per round), that `keep` accepts (the route's other filters and the caller's
    /// scope). Each round asks the index for as many hits as the page still lacks, so the page
    /// fills unless the hits run out or the read budget is spent.
    pub(super) async fn search_records<T: Stored>(
        &self,
        actor: &Actor,
        query: &str,
        kind: SearchKind,
        key_of: impl Fn(&TenantId, EntityId) -> Key,
        keep: impl Fn(&T) -> bool,
        page: &PageRequest,
    ) -> Result<Page<Versioned<T>>, ListError> {
        let mut items = Vec::with_capacity(page.limit as usize);
        let mut cursor = page.cursor.clone();
        let mut read = 0usize;
        loop {
            let wanted = PageRequest { limit: page.limit - items.len() as u32, cursor: cursor.clone() };
            let hits = self.search_hits(actor, query, &[kind], &wanted).await?;
            // Records of these kinds are named by ULIDs; anything else is not one of them.
            let keys: Vec<Key> = hits
                .items
                .iter()
                .filter_map(|doc| EntityId::parse(&doc.id).ok())
                .map(|id| key_of(&actor.tenant, id))
                .collect();
            read += keys.len();
            // A batch read takes at least one key: a round that found nothing reads nothing.
            let found = if keys.is_empty() { Vec::new() } else { self.store.get_many(&keys).await? };
            for item in found.into_iter().flatten() {
                let value: T = records::read(&item)?;
                if keep(&value) {
                    items.push(Versioned { version: item.version, value });
                }
            }
            cursor = hits.next_cursor;
            if cursor.is_none() || items.len() == page.limit as usize || read >= FILTER_READ_BUDGET {
                return Ok(Page { items, next_cursor: cursor });
            }
        }
    }
}
