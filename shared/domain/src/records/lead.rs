//! The stored records of leads.

use std::borrow::Cow;
use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Record, Stored};
use crate::ids::{EntityId, FormId, UserId};
use crate::lead::{Attribution, Conversion, Lead, LeadFields, LeadStatus};

/// A lead: the person's fields sit at the top level of the body, beside the lead's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadRecord {
    pub id: EntityId,
    pub status: LeadStatus,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, String>,
    pub source: AttributionRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disqualified_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted: Option<ConversionRecord>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributionRecord {
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_id: Option<FormId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub utm: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversionRecord {
    pub account_id: EntityId,
    pub contact_id: EntityId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<EntityId>,
    pub at: Timestamp,
    pub by: UserId,
}

impl Record for LeadRecord {}

impl Stored for Lead {
    type Record = LeadRecord;

    fn to_record(&self) -> Cow<'_, LeadRecord> {
        let l = self.clone();
        let s = l.source;
        Cow::Owned(LeadRecord {
            id: l.id,
            status: l.status,
            name: l.fields.name,
            email: l.fields.email,
            phone: l.fields.phone,
            company: l.fields.company,
            message: l.fields.message,
            custom_fields: l.fields.custom_fields,
            source: AttributionRecord {
                channel: s.channel,
                form_id: s.form_id,
                campaign: s.campaign,
                utm: s.utm,
                referrer: s.referrer,
                landing_page: s.landing_page,
            },
            owner: l.owner,
            disqualified_reason: l.disqualified_reason,
            converted: l.converted.map(|c| ConversionRecord {
                account_id: c.account_id,
                contact_id: c.contact_id,
                opportunity_id: c.opportunity_id,
                at: c.at,
                by: c.by,
            }),
            created_at: l.created_at,
            updated_at: l.updated_at,
            updated_by: l.updated_by,
        })
    }

    fn from_record(r: LeadRecord) -> Self {
        let s = r.source;
        Lead {
            id: r.id,
            status: r.status,
            fields: LeadFields {
                name: r.name,
                email: r.email,
                phone: r.phone,
                company: r.company,
                message: r.message,
                custom_fields: r.custom_fields,
            },
            source: Attribution {
                channel: s.channel,
                form_id: s.form_id,
                campaign: s.campaign,
                utm: s.utm,
                referrer: s.referrer,
                landing_page: s.landing_page,
            },
            owner: r.owner,
            disqualified_reason: r.disqualified_reason,
            converted: r.converted.map(|c| Conversion {
                account_id: c.account_id,
                contact_id: c.contact_id,
                opportunity_id: c.opportunity_id,
                at: c.at,
                by: c.by,
            }),
            created_at: r.created_at,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}
