//! The stored record of a case.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Record, Stored};
use crate::case::{Case, Channel, LastStep, Priority, StateClass};
use crate::ids::{CaseTypeKey, EntityId, UserId};
use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRecord {
    pub id: EntityId,
    #[serde(rename = "type")]
    pub case_type: CaseTypeKey,
    pub type_version: u32,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub state: String,
    pub state_class: StateClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    pub channel: Channel,
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    pub archived: bool,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_step: Option<LastStepRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastStepRecord {
    pub action: String,
    pub result: String,
    pub at: Timestamp,
}

impl Record for CaseRecord {}

impl Stored for Case {
    type Record = CaseRecord;

    fn to_record(&self) -> Cow<'_, CaseRecord> {
        let c = self.clone();
        Cow::Owned(CaseRecord {
            id: c.id,
            case_type: c.case_type,
            type_version: c.type_version,
            subject: c.subject,
            description: c.description,
            state: c.state,
            state_class: c.state_class,
            account_id: c.account_id,
            contact_id: c.contact_id,
            owner: c.owner,
            branch: c.branch,
            channel: c.channel,
            priority: c.priority,
            amount: c.amount,
            custom_fields: c.custom_fields,
            archived: c.archived,
            created_at: c.created_at,
            created_by: c.created_by,
            updated_at: c.updated_at,
            updated_by: c.updated_by,
            closed_at: c.closed_at,
            last_step: c.last_step.map(|s| LastStepRecord { action: s.action, result: s.result, at: s.at }),
        })
    }

    fn from_record(r: CaseRecord) -> Self {
        Case {
            id: r.id,
            case_type: r.case_type,
            type_version: r.type_version,
            subject: r.subject,
            description: r.description,
            state: r.state,
            state_class: r.state_class,
            account_id: r.account_id,
            contact_id: r.contact_id,
            owner: r.owner,
            branch: r.branch,
            channel: r.channel,
            priority: r.priority,
            amount: r.amount,
            custom_fields: r.custom_fields,
            archived: r.archived,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            closed_at: r.closed_at,
            last_step: r.last_step.map(|s| LastStep { action: s.action, result: s.result, at: s.at }),
        }
    }
}
