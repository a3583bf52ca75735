//! Stored records: the layout of an item's body, kept apart from the domain and API types, so
//! renaming a field of a response cannot rename a table attribute, and items written by older
//! code keep reading.
//!
//! - A [`Record`] is a type serialised into an item body. It has a schema number; schema 1
//!   carries no marker (every item written before records existed is schema 1), later schemas
//!   carry `recordSchema: n`. Reading a body of an older schema upgrades it in code, one schema
//!   at a time ([`Record::upgrade`]), before it is deserialised.
//! - A [`Stored`] type is a domain type and the record it is stored as. The core aggregates
//!   (accounts, contacts, cases, leads, opportunities) have record types of their own in this
//!   module; the other stored types are their own record ([`stored_as_is!`]) until their layout
//!   first needs to differ, which the stored fixtures (`shared/domain/tests/fixtures/stored/`)
//!   make impossible to miss: a change to a layout fails the fixture test.
//! - Value types inside records (ids, money, instants, the domain's enums) are shared: their
//!   serialised forms are part of the stored format, and the fixtures pin them too.

mod case;
mod lead;
mod opportunity;
mod parties;

use std::borrow::Cow;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use case::{CaseRecord, LastStepRecord};
pub use lead::{AttributionRecord, ConversionRecord, LeadRecord};
pub use opportunity::OpportunityRecord;
pub use parties::{AccountRecord, ContactRecord};

use crate::ports::{Item, StoreError};

/// The body attribute that names a record's schema when it is above 1.
pub const SCHEMA_ATTRIBUTE: &str = "recordSchema";

/// The serialised form of an item's body.
pub trait Record: Serialize + DeserializeOwned + Clone {
    /// The schema this code writes.
    const SCHEMA: u32 = 1;

    /// Rewrites a body of schema `from` into schema `from + 1`. Called for every schema between
    /// the stored one and [`Record::SCHEMA`].
    fn upgrade(from: u32, body: &mut Map<String, Value>) -> Result<(), String> {
        let _ = body;
        Err(format!("no upgrade from record schema {from}"))
    }
}

/// A domain type and the record it is stored as.
pub trait Stored: Sized {
    type Record: Record;
    fn to_record(&self) -> Cow<'_, Self::Record>;
    fn from_record(record: Self::Record) -> Self;
}

/// Declares types that are stored as they are: each is its own record, at schema 1.
macro_rules! stored_as_is {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::records::Record for $ty {}
        impl $crate::records::Stored for $ty {
            type Record = $ty;
            fn to_record(&self) -> ::std::borrow::Cow<'_, $ty> {
                ::std::borrow::Cow::Borrowed(self)
            }
            fn from_record(record: $ty) -> Self {
                record
            }
        }
    )*};
}
pub(crate) use stored_as_is;

/// The item body of `value`: its record, marked with the schema when above 1.
pub fn body<T: Stored>(value: &T) -> Result<Map<String, Value>, StoreError> {
    let mut body = Item::body_of(value.to_record().as_ref())?;
    if T::Record::SCHEMA > 1 {
        body.insert(SCHEMA_ATTRIBUTE.into(), Value::from(T::Record::SCHEMA));
    }
    Ok(body)
}

/// Reads an item's body as `T`, upgrading a record written under an older schema.
pub fn read<T: Stored>(item: &Item) -> Result<T, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt { pk: item.key.pk.clone(), sk: item.key.sk.clone(), reason };
    let mut body = item.body.clone();
    let schema = match body.remove(SCHEMA_ATTRIBUTE) {
        None => 1,
        Some(value) => value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| corrupt(format!("{SCHEMA_ATTRIBUTE} is not a schema number: {value}")))?,
    };
    let current = T::Record::SCHEMA;
    if schema > current {
        return Err(corrupt(format!("record schema {schema} is newer than this code's {current}")));
    }
    for from in schema..current {
        T::Record::upgrade(from, &mut body).map_err(&corrupt)?;
    }
    let record: T::Record = serde_json::from_value(Value::Object(body)).map_err(|e| corrupt(e.to_string()))?;
    Ok(T::from_record(record))
}

// Stored as they are, for now (see the module docs); the use cases' own stored types are
// declared in `service::stored`.
stored_as_is!(
    crate::history::Comment,
    crate::history::HistoryEvent,
    crate::case_type::CaseType,
    crate::calendar::CalendarDef,
    crate::sla::SlaPolicy,
    crate::effects::EffectMessage,
    crate::form::StoredForm,
    crate::receivables::Invoice,
    crate::receivables::Payment,
    crate::receivables::CreditNote,
    crate::receivables::DunningLadder,
    crate::receivables::CollectionsProfile,
    crate::user::User,
    crate::document::Document,
);

/// A counter item's body (written by the store's atomic increment, read by use cases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counter {
    pub count: i64,
}
stored_as_is!(Counter);

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::ports::Key;

    /// A record whose second schema renamed `name` to `title` and added `tags`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Sample {
        title: String,
        tags: Vec<String>,
    }
    impl Record for Sample {
        const SCHEMA: u32 = 2;
        fn upgrade(from: u32, body: &mut Map<String, Value>) -> Result<(), String> {
            match from {
                1 => {
                    let name = body.remove("name").ok_or("schema 1 has a name")?;
                    body.insert("title".into(), name);
                    body.insert("tags".into(), Value::Array(Vec::new()));
                    Ok(())
                }
                other => Err(format!("no upgrade from {other}")),
            }
        }
    }
    impl Stored for Sample {
        type Record = Sample;
        fn to_record(&self) -> Cow<'_, Sample> {
            Cow::Borrowed(self)
        }
        fn from_record(record: Sample) -> Self {
            record
        }
    }

    fn item(body: Value) -> Item {
        Item::new(Key::new("T#a#X#1", "#META"), "Sample", 1, body.as_object().cloned().unwrap())
    }

    #[test]
    fn older_records_are_upgraded_on_read_and_written_at_the_current_schema() {
        let old = item(serde_json::json!({"name": "Primero"}));
        let read: Sample = read(&old).unwrap();
        assert_eq!(read, Sample { title: "Primero".into(), tags: vec![] });
        let written = body(&read).unwrap();
        assert_eq!(written[SCHEMA_ATTRIBUTE], 2);
        let current: Sample = super::read(&item(Value::Object(written))).unwrap();
        assert_eq!(current, read, "a current record reads without an upgrade");
    }

    #[test]
    fn records_from_newer_code_or_with_a_bad_marker_are_refused_as_corrupt() {
        let newer = item(serde_json::json!({"title": "x", "tags": [], "recordSchema": 3}));
        assert!(matches!(read::<Sample>(&newer), Err(StoreError::Corrupt { reason, .. }) if reason.contains("newer")));
        let bad = item(serde_json::json!({"title": "x", "tags": [], "recordSchema": "two"}));
        assert!(matches!(read::<Sample>(&bad), Err(StoreError::Corrupt { .. })));
    }
}
