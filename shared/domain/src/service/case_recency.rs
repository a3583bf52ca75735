//! A case's place in the "last changed" order of the case list.

use crate::case::Case;
use crate::ids::{EntityId, TenantId};
use crate::keys;
use crate::ports::{Index, Item, StoreError};
use crate::records;

pub const RECENCY_ENTITY: &str = "CaseRecency";

/// A case's place in the "last changed" order, written with the case (see
/// `cases::case_writes`), so the order is an index query rather than a sort of every case.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaseRecency {
    pub(crate) case_id: EntityId,
}

pub(crate) fn recency_item(tenant: &TenantId, case: &Case, version: u64) -> Result<Item, StoreError> {
    let body = records::body(&CaseRecency { case_id: case.id })?;
    let place = keys::cases_by_update(tenant, case.archived, &microsecond_stamp(case.updated_at), case.id);
    Ok(Item::new(keys::case_recency(tenant, case.id), RECENCY_ENTITY, version, body).with_index(Index::Gsi1, place))
}

/// A UTC instant to the microsecond, fixed width so that text order is time order: two
/// changes within one second still list in the order they were made.
fn microsecond_stamp(at: jiff::Timestamp) -> String {
    format!("{}.{:06}Z", at.strftime("%Y-%m-%dT%H:%M:%S"), at.subsec_microsecond())
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamps_sort_as_the_instants_do() {
        let stamps: Vec<String> = ["2026-11-30T14:00:00Z", "2026-11-30T14:00:00.000250Z", "2026-11-30T14:00:00.2Z"]
            .iter()
            .map(|at| super::microsecond_stamp(at.parse().unwrap()))
            .collect();
        assert_eq!(stamps[0], "2026-11-30T14:00:00.000000Z");
        assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
    }
}
