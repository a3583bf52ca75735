//! One list read from several partitions of an index at once, merged in sort-key order: how a
//! record scope wider than one owner (a team, a branch) is served by the owners' indexes in
//! the query itself, so a page is never short because rows outside the scope were dropped.

use std::collections::VecDeque;

use base64::Engine;

use super::{FILTER_READ_BUDGET, ListError, PageRequest};
use crate::ports::{CursorPosition, Item, Key, Query, Store, StoreError};
use crate::records::{self, Stored};
use crate::{Page, Versioned};

/// One partition's stream: what it returned and not yet merged, and where it resumes.
struct Stream {
    query: Query,
    buffered: VecDeque<Item>,
    exhausted: bool,
}

impl Stream {
    fn front_key(&self, query: &Query) -> Option<&str> {
        let item = self.buffered.front()?;
        Some(query.index.and_then(|i| item.index(i)).map_or(item.key.sk.as_str(), |k| k.sk.as_str()))
    }
}

/// Reads one page of the union of `queries` (one index, one direction, a partition each, and
/// sort keys that never repeat across them), keeping what `keep` accepts. Each partition is
/// read `page.limit` items at a time, only when its buffer is empty, so a page costs one read
/// per partition it draws from. The cursor is the last item's position; it resumes every
/// partition after that sort key.
pub(super) async fn list_merged<T, F>(
    store: &dyn Store,
    queries: Vec<Query>,
    page: &PageRequest,
    keep: F,
) -> Result<Page<Versioned<T>>, ListError>
where
    T: Stored,
    F: Fn(&T) -> bool,
{
    let Some(first) = queries.first().cloned() else { return Ok(Page { items: Vec::new(), next_cursor: None }) };
    let start = match page.cursor.as_deref() {
        Some(cursor) => Some(resume_at(cursor, &queries)?),
        None => None,
    };
    let mut streams: Vec<Stream> = queries
        .into_iter()
        .map(|query| {
            let cursor = start.as_ref().map(|(table_key, sort_key)| {
                CursorPosition { key: table_key.clone(), index_key: Some(Key::new(query.pk.clone(), sort_key.clone())) }
                    .encode()
            });
            Stream { query: query.limit(page.limit).after(cursor), buffered: VecDeque::new(), exhausted: false }
        })
        .collect();
    let mut items = Vec::new();
    let mut read = 0usize;
    loop {
        // Every partition that may hold the next item has one buffered before a pick.
        let empty: Vec<usize> =
            (0..streams.len()).filter(|&i| streams[i].buffered.is_empty() && !streams[i].exhausted).collect();
        let results = futures::future::join_all(empty.iter().map(|&i| store.query(&streams[i].query))).await;
        for (i, result) in empty.into_iter().zip(results) {
            let result = result?;
            let stream = &mut streams[i];
            stream.buffered.extend(result.items);
            stream.exhausted = result.next_cursor.is_none();
            stream.query.cursor = result.next_cursor;
        }
        let next = streams
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.front_key(&first).map(|k| (i, k)))
            .reduce(|a, b| if (b.1 < a.1) == first.forward { b } else { a })
            .map(|(i, _)| i);
        let Some(next) = next else { return Ok(Page { items, next_cursor: None }) };
        let item = streams[next].buffered.pop_front().expect("a stream with a front item");
        read += 1;
        let value: T = records::read(&item)?;
        if keep(&value) {
            items.push(Versioned { version: item.version, value });
        }
        let more = streams.iter().any(|s| !s.buffered.is_empty() || !s.exhausted);
        if !more {
            return Ok(Page { items, next_cursor: None });
        }
        if items.len() == page.limit as usize || read >= FILTER_READ_BUDGET {
            return Ok(Page { items, next_cursor: Some(CursorPosition::of(&item, first.index).encode()) });
        }
    }
}

/// The table key and sort key a merged list's cursor stands at, checked to lie in one of the
/// partitions listed (never in another tenant's or owner's).
fn resume_at(cursor: &str, queries: &[Query]) -> Result<(Key, String), StoreError> {
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| StoreError::InvalidCursor)?;
    let position: CursorPosition = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    let index_key = position.index_key.as_ref().ok_or(StoreError::InvalidCursor)?;
    if !queries.iter().any(|q| q.pk == index_key.pk) {
        return Err(StoreError::InvalidCursor);
    }
    Ok((position.key.clone(), index_key.sk.clone()))
}
