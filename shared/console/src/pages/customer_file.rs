//! The customer file's documents and recent activity: those of the account's cases changed
//! last (`Services::customer_activity`), merged newest first, each line naming its case.

use std::collections::BTreeMap;

use gestiona_domain::case_type::CaseType;
use gestiona_domain::ports::StoreError;
use gestiona_domain::service::customer_file::CaseActivity;
use gestiona_domain::{Actor, CaseTypeKey};

use super::Chrome;
use super::case::DocumentView;
use super::case::timeline::{self, Entry};
use crate::Console;

/// How many activity lines the file shows.
const ACTIVITY_SHOWN: usize = 20;

/// A document of one of the account's cases.
pub struct CustomerDocument {
    pub case_path: String,
    pub case_subject: String,
    pub doc: DocumentView,
}

/// The file's two sections.
pub struct CustomerActivity {
    pub documents: Vec<CustomerDocument>,
    pub activity: Vec<Entry>,
}

impl CustomerActivity {
    /// Documents newest first; activity newest first, at most [`ACTIVITY_SHOWN`] lines, in the
    /// words of each case's own type (its states and clocks).
    pub async fn of(
        console: &Console,
        actor: &Actor,
        cases: &[CaseActivity],
        chrome: &Chrome,
    ) -> Result<Self, StoreError> {
        let definitions = definitions(console, actor, cases).await?;
        let mut documents = Vec::new();
        let mut lines = Vec::new();
        for activity in cases {
            let case = &activity.case;
            let case_path = format!("/app/cases/{}", case.id);
            for document in &activity.documents {
                let at = document.ready_at.unwrap_or(document.requested_at);
                let doc = DocumentView::of(document, chrome);
                documents.push((
                    at,
                    CustomerDocument { case_path: case_path.clone(), case_subject: case.subject.clone(), doc },
                ));
            }
            let Some(definition) = definitions.get(&(case.case_type.clone(), case.type_version)) else { continue };
            let entries = timeline::entries(&activity.events, &activity.comments, definition, chrome);
            for (event, mut entry) in activity.events.iter().zip(entries) {
                entry.case = Some((case_path.clone(), case.subject.clone()));
                lines.push((event.at, event.id, entry));
            }
        }
        documents.sort_by_key(|d| std::cmp::Reverse(d.0));
        lines.sort_by_key(|l| std::cmp::Reverse((l.0, l.1)));
        lines.truncate(ACTIVITY_SHOWN);
        Ok(Self {
            documents: documents.into_iter().map(|(_, d)| d).collect(),
            activity: lines.into_iter().map(|(_, _, e)| e).collect(),
        })
    }
}

/// The definition of each (type, version) among `cases`, read once each, all at once.
async fn definitions(
    console: &Console,
    actor: &Actor,
    cases: &[CaseActivity],
) -> Result<BTreeMap<(CaseTypeKey, u32), CaseType>, StoreError> {
    let wanted: std::collections::BTreeSet<(CaseTypeKey, u32)> =
        cases.iter().map(|a| (a.case.case_type.clone(), a.case.type_version)).collect();
    let reads = wanted.into_iter().map(|(key, version)| async move {
        let definition = console.services.definition_of(&actor.tenant, &key, version).await?;
        Ok::<_, StoreError>(((key, version), definition))
    });
    Ok(futures::future::try_join_all(reads).await?.into_iter().collect())
}
