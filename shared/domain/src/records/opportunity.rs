//! The stored record of an opportunity.
//!
//! Schema 1 (before pipelines) had one contact, a fixed stage and no probability or editor;
//! schema 2 names its pipeline and contacts and keeps the probability and who changed it last.

use std::borrow::Cow;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Record, Stored};
use crate::ids::{EntityId, PipelineKey, StageKey, UserId};
use crate::money::Money;
use crate::sales::Opportunity;
use crate::sales::opportunity::weighted;
use crate::sales::pipeline::{DEFAULT_PIPELINE, Pipelines};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityRecord {
    pub id: EntityId,
    pub name: String,
    pub pipeline: PipelineKey,
    pub stage: StageKey,
    pub probability: u8,
    pub probability_by_hand: bool,
    pub amount: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_close_date: Option<Date>,
    pub account_id: EntityId,
    pub contact_ids: Vec<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_line: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub competitors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

impl Record for OpportunityRecord {
    const SCHEMA: u32 = 2;

    fn upgrade(from: u32, body: &mut Map<String, Value>) -> Result<(), String> {
        if from != 1 {
            return Err(format!("no upgrade from record schema {from}"));
        }
        let contact = body.remove("contactId").ok_or("schema 1 has a contactId")?;
        body.insert("contactIds".into(), Value::Array(vec![contact]));
        body.insert("pipeline".into(), Value::from(DEFAULT_PIPELINE));
        // Schema 1's stages are the seeded pipeline's keys; their probability was implied.
        let stage = body.get("stage").and_then(Value::as_str).ok_or("schema 1 has a stage")?;
        let seeded = Pipelines::default();
        let probability =
            seeded.pipelines[0].stages.iter().find(|s| s.key.as_str() == stage).map_or(0, |s| s.probability);
        body.insert("probability".into(), Value::from(probability));
        body.insert("probabilityByHand".into(), Value::Bool(false));
        for (to, from) in [("updatedAt", "createdAt"), ("updatedBy", "createdBy")] {
            let value = body.get(from).cloned().ok_or_else(|| format!("schema 1 has a {from}"))?;
            body.insert(to.into(), value);
        }
        Ok(())
    }
}

impl Stored for Opportunity {
    type Record = OpportunityRecord;

    fn to_record(&self) -> Cow<'_, OpportunityRecord> {
        let o = self.clone();
        Cow::Owned(OpportunityRecord {
            id: o.id,
            name: o.name,
            pipeline: o.pipeline,
            stage: o.stage,
            probability: o.probability,
            probability_by_hand: o.probability_by_hand,
            amount: o.amount,
            expected_close_date: o.expected_close_date,
            account_id: o.account_id,
            contact_ids: o.contact_ids,
            product_line: o.product_line,
            competitors: o.competitors,
            owner: o.owner,
            source: o.source,
            campaign: o.campaign,
            lead_id: o.lead_id,
            lost_reason: o.lost_reason,
            closed_at: o.closed_at,
            created_at: o.created_at,
            created_by: o.created_by,
            updated_at: o.updated_at,
            updated_by: o.updated_by,
        })
    }

    fn from_record(r: OpportunityRecord) -> Self {
        Opportunity {
            weighted_amount: weighted(&r.amount, r.probability),
            id: r.id,
            name: r.name,
            pipeline: r.pipeline,
            stage: r.stage,
            probability: r.probability,
            probability_by_hand: r.probability_by_hand,
            amount: r.amount,
            expected_close_date: r.expected_close_date,
            account_id: r.account_id,
            contact_ids: r.contact_ids,
            product_line: r.product_line,
            competitors: r.competitors,
            owner: r.owner,
            source: r.source,
            campaign: r.campaign,
            lead_id: r.lead_id,
            lost_reason: r.lost_reason,
            closed_at: r.closed_at,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}
