//! The customer file's documents and activity: what happened lately in an account's cases,
//! read from each case's own partition. The caller has the account's cases already (the file
//! lists them); only the few changed most recently are read further, all at once, so the file
//! costs a bounded number of queries however many cases the customer has. Reading through the
//! cases, not an index of the account, means a case moved to another account takes its
//! documents and history with it.

use super::{ListError, Services};
use crate::actor::Actor;
use crate::case::Case;
use crate::document::Document;
use crate::history::{Comment, HistoryEvent};
use crate::{EntityId, Versioned};

/// How many of the account's cases the file reads further: the ones changed last.
pub const RECENT_CASES: usize = 8;
/// How many events and comments of each of them.
pub const EVENTS_PER_CASE: u32 = 10;

/// One recently changed case of the account, with its latest activity and all its documents.
pub struct CaseActivity {
    pub case: Case,
    /// Newest first.
    pub events: Vec<HistoryEvent>,
    pub comments: Vec<Comment>,
    /// Oldest first, as the case lists them.
    pub documents: Vec<Document>,
}

impl Services {
    /// The documents and latest activity of the most recently changed of `cases` (at most
    /// [`RECENT_CASES`]), the case changed last first. Cases of another account or tenant than
    /// `account` are left out, so a caller cannot widen what the file shows.
    pub async fn customer_activity(
        &self,
        actor: &Actor,
        account: EntityId,
        cases: &[Versioned<Case>],
    ) -> Result<Vec<CaseActivity>, ListError> {
        let mut recent: Vec<&Case> =
            cases.iter().map(|c| &c.value).filter(|c| c.account_id == Some(account) && actor.sees_case(c)).collect();
        recent.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
        recent.truncate(RECENT_CASES);
        let tenant = &actor.tenant;
        let reads = recent.into_iter().map(|case| async move {
            let (activity, documents) = futures::join!(
                self.latest_activity(actor, case.id, EVENTS_PER_CASE),
                self.case_documents(tenant, case.id)
            );
            let (events, comments) = activity?;
            let mut case = case.clone();
            actor.redact(&mut case);
            Ok::<_, ListError>(CaseActivity { case, events, comments, documents: documents? })
        });
        futures::future::try_join_all(reads).await
    }
}
