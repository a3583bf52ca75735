//! The stored records of accounts and contacts.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Record, Stored};
use crate::account::Account;
use crate::contact::Contact;
use crate::ids::{EntityId, UserId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    pub id: EntityId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    pub archived: bool,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

impl Record for AccountRecord {}

impl Stored for Account {
    type Record = AccountRecord;

    fn to_record(&self) -> Cow<'_, AccountRecord> {
        let a = self.clone();
        Cow::Owned(AccountRecord {
            id: a.id,
            name: a.name,
            tax_id: a.tax_id,
            email: a.email,
            phone: a.phone,
            website: a.website,
            industry: a.industry,
            branch: a.branch,
            owner: a.owner,
            archived: a.archived,
            created_at: a.created_at,
            created_by: a.created_by,
            updated_at: a.updated_at,
            updated_by: a.updated_by,
        })
    }

    fn from_record(r: AccountRecord) -> Self {
        Account {
            id: r.id,
            name: r.name,
            tax_id: r.tax_id,
            email: r.email,
            phone: r.phone,
            website: r.website,
            industry: r.industry,
            branch: r.branch,
            owner: r.owner,
            archived: r.archived,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactRecord {
    pub id: EntityId,
    pub first_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Lower-cased; the contact e-mail claim holds the same value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub archived: bool,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

impl Record for ContactRecord {}

impl Stored for Contact {
    type Record = ContactRecord;

    fn to_record(&self) -> Cow<'_, ContactRecord> {
        let c = self.clone();
        Cow::Owned(ContactRecord {
            id: c.id,
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone: c.phone,
            title: c.title,
            account_id: c.account_id,
            locale: c.locale,
            archived: c.archived,
            created_at: c.created_at,
            created_by: c.created_by,
            updated_at: c.updated_at,
            updated_by: c.updated_by,
        })
    }

    fn from_record(r: ContactRecord) -> Self {
        Contact {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            phone: r.phone,
            title: r.title,
            account_id: r.account_id,
            locale: r.locale,
            archived: r.archived,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}
