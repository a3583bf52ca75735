//! The DynamoDB single-table store.
//!
//! Items map to attributes as the single-table rules say (docs/architecture.md): `PK`, `SK`,
//! `entity`, `version`, `ttl`, `GSI1PK`…`GSI3SK`, and the body's fields as top-level attributes (via `serde_dynamo`), so
//! the table reads naturally in the console. A single write is a conditional `PutItem` or
//! `DeleteItem`; a batch is one `TransactWriteItems`. Table queries are strongly consistent.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, KeysAndAttributes, Projection, ProjectionType, Put, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem, Update,
};
use gestiona_domain::ports::{
    COUNTER_ATTRIBUTE, COUNTER_ENTITY, Condition, CursorPosition, INDEX_COUNT, Index, Item, Key, Query, QueryPage,
    RESERVED_ATTRIBUTES, Requirement, SortKeyRange, Store, StoreError, WriteOp, check_batch, check_keys, check_query,
};
use serde_json::{Map, Value};

type Attributes = HashMap<String, AttributeValue>;

/// How often a batch that lost a transaction conflict is tried again before giving up.
const CONFLICT_RETRIES: u32 = 4;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn unavailable<E: std::fmt::Debug>(operation: &str, e: E) -> StoreError {
    StoreError::Unavailable(format!("{operation}: {e:?}"))
}

fn key_attributes(key: &Key) -> Attributes {
    HashMap::from([("PK".to_owned(), s(&key.pk)), ("SK".to_owned(), s(&key.sk))])
}

fn to_attributes(item: &Item) -> Result<Attributes, StoreError> {
    let mut attributes: Attributes = serde_dynamo::to_item(&item.body)
        .map_err(|e| StoreError::InvalidRequest(format!("body does not map to DynamoDB: {e}")))?;
    attributes.extend(key_attributes(&item.key));
    attributes.insert("entity".into(), s(&item.entity));
    attributes.insert("version".into(), AttributeValue::N(item.version.to_string()));
    if let Some(ttl) = item.ttl {
        attributes.insert("ttl".into(), AttributeValue::N(ttl.to_string()));
    }
    for index in Index::ALL {
        if let Some(k) = item.index(index) {
            attributes.insert(index.pk_attribute().into(), s(&k.pk));
            attributes.insert(index.sk_attribute().into(), s(&k.sk));
        }
    }
    Ok(attributes)
}

fn take_string(attributes: &mut Attributes, name: &str) -> Option<String> {
    match attributes.remove(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

fn take_number<T: std::str::FromStr>(attributes: &mut Attributes, name: &str) -> Option<T> {
    match attributes.remove(name) {
        Some(AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

fn from_attributes(mut attributes: Attributes) -> Result<Item, StoreError> {
    let pk = take_string(&mut attributes, "PK").unwrap_or_default();
    let sk = take_string(&mut attributes, "SK").unwrap_or_default();
    let corrupt = |reason: String| StoreError::Corrupt { pk: pk.clone(), sk: sk.clone(), reason };
    let entity = take_string(&mut attributes, "entity").ok_or_else(|| corrupt("no entity attribute".into()))?;
    let version = take_number(&mut attributes, "version").ok_or_else(|| corrupt("no version attribute".into()))?;
    let ttl = take_number(&mut attributes, "ttl");
    let mut indexes: [Option<Key>; INDEX_COUNT] = Default::default();
    for index in Index::ALL {
        let ipk = take_string(&mut attributes, index.pk_attribute());
        let isk = take_string(&mut attributes, index.sk_attribute());
        if let (Some(ipk), Some(isk)) = (ipk, isk) {
            indexes[index.position()] = Some(Key::new(ipk, isk));
        }
    }
    debug_assert!(RESERVED_ATTRIBUTES.iter().all(|name| !attributes.contains_key(*name)));
    let body: Map<String, Value> = serde_dynamo::from_item(attributes).map_err(|e| corrupt(e.to_string()))?;
    Ok(Item { key: Key::new(pk.clone(), sk.clone()), entity, version, indexes, ttl, body })
}

/// The condition expression of a write, with its placeholders.
struct ConditionExpression {
    expression: String,
    names: HashMap<String, String>,
    values: Attributes,
}

fn condition_expression(condition: Condition) -> Option<ConditionExpression> {
    let (expression, names, values) = match condition.requirement {
        Requirement::Always => return None,
        Requirement::NotExists => ("attribute_not_exists(#pk)", vec![("#pk", "PK")], vec![]),
        Requirement::Exists => ("attribute_exists(#pk)", vec![("#pk", "PK")], vec![]),
        Requirement::VersionIs(v) => ("#version = :version", vec![("#version", "version")], vec![(":version", v)]),
    };
    Some(ConditionExpression {
        expression: expression.into(),
        names: names.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
        values: values.into_iter().map(|(k, v)| (k.to_owned(), AttributeValue::N(v.to_string()))).collect(),
    })
}

fn non_empty<T>(map: HashMap<String, T>) -> Option<HashMap<String, T>> {
    if map.is_empty() { None } else { Some(map) }
}

/// `SET entity (when new) ADD each amount, version + 1`: [`WriteOp::Add`] as one update.
fn add_expression(entity: &str, amounts: &[(&'static str, i64)]) -> (String, HashMap<String, String>, Attributes) {
    let mut names =
        HashMap::from([("#entity".to_owned(), "entity".to_owned()), ("#version".to_owned(), "version".to_owned())]);
    let mut values: Attributes =
        HashMap::from([(":entity".to_owned(), s(entity)), (":one".to_owned(), AttributeValue::N("1".into()))]);
    let mut adds = Vec::with_capacity(amounts.len() + 1);
    for (i, (name, amount)) in amounts.iter().enumerate() {
        names.insert(format!("#a{i}"), (*name).to_owned());
        values.insert(format!(":a{i}"), AttributeValue::N(amount.to_string()));
        adds.push(format!("#a{i} :a{i}"));
    }
    adds.push("#version :one".into());
    (format!("SET #entity = if_not_exists(#entity, :entity) ADD {}", adds.join(", ")), names, values)
}

impl DynamoStore {
    fn transact_item(&self, op: &WriteOp) -> Result<TransactWriteItem, StoreError> {
        let condition = condition_expression(op.condition());
        let expression = condition.as_ref().map(|c| c.expression.clone());
        let names = condition.as_ref().and_then(|c| non_empty(c.names.clone()));
        let values = condition.and_then(|c| non_empty(c.values));
        let build_error = |e| StoreError::InvalidRequest(format!("transact item: {e}"));
        let item = match op {
            WriteOp::Put { item, .. } => TransactWriteItem::builder().put(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(to_attributes(item)?))
                    .set_condition_expression(expression)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?,
            ),
            WriteOp::Delete { key, .. } => TransactWriteItem::builder().delete(
                Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)))
                    .set_condition_expression(expression)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?,
            ),
            WriteOp::Check { key, .. } => TransactWriteItem::builder().condition_check(
                ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)))
                    // A check always has a condition; `Always` checks that nothing is required.
                    .condition_expression(
                        expression.unwrap_or_else(|| "attribute_exists(#pk) OR attribute_not_exists(#pk)".into()),
                    )
                    .set_expression_attribute_names(
                        names.or_else(|| Some(HashMap::from([("#pk".into(), "PK".into())]))),
                    )
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_error)?,
            ),
            WriteOp::Add { key, entity, amounts } => {
                let (expression, names, values) = add_expression(entity, amounts);
                TransactWriteItem::builder().update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attributes(key)))
                        .update_expression(expression)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(Some(values))
                        .build()
                        .map_err(build_error)?,
                )
            }
        };
        Ok(item.build())
    }

    async fn write_one(&self, op: WriteOp) -> Result<(), StoreError> {
        let condition = condition_expression(op.condition());
        let expression = condition.as_ref().map(|c| c.expression.clone());
        let names = condition.as_ref().and_then(|c| non_empty(c.names.clone()));
        let values = condition.and_then(|c| non_empty(c.values));
        match &op {
            WriteOp::Put { item, .. } => self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_attributes(item)?))
                .set_condition_expression(expression)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| match e.into_service_error() {
                    e if e.is_conditional_check_failed_exception() => op.condition().failed(),
                    e => unavailable("PutItem", e),
                }),
            WriteOp::Delete { key, .. } => self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key_attributes(key)))
                .set_condition_expression(expression)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| match e.into_service_error() {
                    e if e.is_conditional_check_failed_exception() => op.condition().failed(),
                    e => unavailable("DeleteItem", e),
                }),
            // A lone check has no single-item form: it goes through a transaction.
            WriteOp::Check { .. } => self.transact(vec![op]).await,
            WriteOp::Add { key, entity, amounts } => {
                let (expression, names, values) = add_expression(entity, amounts);
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)))
                    .update_expression(expression)
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| unavailable("UpdateItem", e))
            }
        }
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let items = ops.iter().map(|op| self.transact_item(op)).collect::<Result<Vec<_>, _>>()?;
        let mut attempt = 0;
        loop {
            let result = self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            let error = match result {
                Ok(_) => return Ok(()),
                Err(SdkError::ServiceError(e)) => e.into_err(),
                Err(other) => return Err(unavailable("TransactWriteItems", other)),
            };
            let reasons: Vec<Option<String>> = match &error {
                aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
                    canceled,
                ) => canceled.cancellation_reasons().iter().map(|r| r.code().map(str::to_owned)).collect(),
                _ => return Err(unavailable("TransactWriteItems", error.code().unwrap_or("unknown"))),
            };
            if let Some(index) = reasons.iter().position(|code| code.as_deref() == Some("ConditionalCheckFailed")) {
                return Err(ops[index].condition().failed());
            }
            let conflict = reasons.iter().any(|code| code.as_deref() == Some("TransactionConflict"));
            if conflict && attempt < CONFLICT_RETRIES {
                // Another transaction held one of the items; the conditions are re-evaluated on retry.
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(10 << attempt)).await;
                continue;
            }
            return Err(unavailable("TransactWriteItems", reasons));
        }
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        output.item.map(from_attributes).transpose()
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        check_keys(keys)?;
        let mut found: HashMap<Key, Item> = HashMap::new();
        let mut pending: Vec<Attributes> = keys.iter().map(key_attributes).collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::InvalidRequest(format!("batch get: {e}")))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(|e| unavailable("BatchGetItem", e))?;
            for attributes in output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                let item = from_attributes(attributes)?;
                found.insert(item.key.clone(), item);
            }
            // Keys DynamoDB did not get to (throughput): ask again, backing off.
            pending =
                output.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
            if !pending.is_empty() {
                attempt += 1;
                if attempt > CONFLICT_RETRIES {
                    return Err(StoreError::Unavailable("BatchGetItem kept leaving keys unprocessed".into()));
                }
                tokio::time::sleep(Duration::from_millis(10 << attempt)).await;
            }
        }
        Ok(keys.iter().map(|key| found.remove(key)).collect())
    }

    async fn write(&self, mut ops: Vec<WriteOp>) -> Result<(), StoreError> {
        check_batch(&ops)?;
        if ops.len() == 1 {
            return self.write_one(ops.remove(0)).await;
        }
        self.transact(ops).await
    }

    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        check_query(query)?;
        let (pk_name, sk_name) = match query.index {
            Some(index) => (index.pk_attribute(), index.sk_attribute()),
            None => ("PK", "SK"),
        };
        let mut names = HashMap::from([("#pk".to_owned(), pk_name.to_owned())]);
        let mut values = HashMap::from([(":pk".to_owned(), s(&query.pk))]);
        let mut expression = "#pk = :pk".to_owned();
        match &query.range {
            SortKeyRange::All => {}
            SortKeyRange::BeginsWith(prefix) => {
                expression.push_str(" AND begins_with(#sk, :prefix)");
                names.insert("#sk".into(), sk_name.into());
                values.insert(":prefix".into(), s(prefix));
            }
            SortKeyRange::Between(low, high) => {
                expression.push_str(" AND #sk BETWEEN :low AND :high");
                names.insert("#sk".into(), sk_name.into());
                values.insert(":low".into(), s(low));
                values.insert(":high".into(), s(high));
            }
        }
        let start = match &query.cursor {
            Some(cursor) => {
                let position = CursorPosition::decode_for(cursor, query)?;
                if !query.range.contains(position.sort_key()) {
                    return Err(StoreError::InvalidCursor);
                }
                let mut start = key_attributes(&position.key);
                if let (Some(index), Some(index_key)) = (query.index, &position.index_key) {
                    start.insert(index.pk_attribute().into(), s(&index_key.pk));
                    start.insert(index.sk_attribute().into(), s(&index_key.sk));
                }
                Some(start)
            }
            None => None,
        };
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.map(|i| i.name().to_owned()))
            .key_condition_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .limit(query.limit as i32)
            .scan_index_forward(query.forward)
            .set_consistent_read(query.index.is_none().then_some(true))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| unavailable("Query", e))?;
        let items = output.items.unwrap_or_default().into_iter().map(from_attributes).collect::<Result<Vec<_>, _>>()?;
        let next_cursor = match output.last_evaluated_key {
            Some(_) => items.last().map(|item| CursorPosition::of(item, query.index).encode()),
            None => None,
        };
        Ok(QueryPage { items, next_cursor })
    }

    async fn increment(&self, key: &Key, by: i64, ttl: Option<i64>) -> Result<i64, StoreError> {
        self.add(key, by, ttl).await
    }
}

impl DynamoStore {
    /// `UpdateItem … ADD`: atomic on the server, no read, no retry.
    async fn add(&self, key: &Key, by: i64, ttl: Option<i64>) -> Result<i64, StoreError> {
        let mut request = self.client.update_item();
        request = match ttl {
            Some(ttl) => request
                .update_expression(
                    "SET #entity = if_not_exists(#entity, :entity), #ttl = :ttl ADD #count :by, #version :one",
                )
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":ttl", AttributeValue::N(ttl.to_string())),
            None => {
                request.update_expression("SET #entity = if_not_exists(#entity, :entity) ADD #count :by, #version :one")
            }
        };
        let output = request
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .expression_attribute_names("#entity", "entity")
            .expression_attribute_names("#count", COUNTER_ATTRIBUTE)
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":entity", s(COUNTER_ENTITY))
            .expression_attribute_values(":by", AttributeValue::N(by.to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        match output.attributes.as_ref().and_then(|a| a.get(COUNTER_ATTRIBUTE)) {
            Some(AttributeValue::N(n)) => n.parse().map_err(|_| unavailable("UpdateItem", "non-integer counter")),
            _ => Err(unavailable("UpdateItem", "no counter value returned")),
        }
    }
}

/// Creates the table as `infra/template.yaml` declares it (keys, indexes, on-demand billing,
/// TTL). Used by tests against the AWS emulator and by local set-ups without CloudFormation.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let string_attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("name and type are set")
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("name and type are set")
    };
    let mut attributes = vec![string_attribute("PK"), string_attribute("SK")];
    let mut indexes = Vec::new();
    for index in Index::ALL {
        attributes.push(string_attribute(index.pk_attribute()));
        attributes.push(string_attribute(index.sk_attribute()));
        indexes.push(
            GlobalSecondaryIndex::builder()
                .index_name(index.name())
                .key_schema(key(index.pk_attribute(), KeyType::Hash))
                .key_schema(key(index.sk_attribute(), KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(|e| StoreError::InvalidRequest(e.to_string()))?,
        );
    }
    client
        .create_table()
        .table_name(table)
        .set_attribute_definitions(Some(attributes))
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .set_global_secondary_indexes(Some(indexes))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| unavailable("CreateTable", e))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("ttl")
                .enabled(true)
                .build()
                .map_err(|e| StoreError::InvalidRequest(e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| unavailable("UpdateTimeToLive", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_through_attributes() {
        let mut body = Map::new();
        body.insert("name".into(), Value::from("Café Ñandú"));
        body.insert("amount".into(), serde_json::json!({"amountMinor": 125000, "currency": "CRC"}));
        body.insert("tags".into(), serde_json::json!(["a", "b"]));
        body.insert("archived".into(), Value::from(false));
        body.insert("note".into(), Value::Null);
        let mut item = Item::new(Key::new("T#a#ACCOUNT#1", "#META"), "Account", 3, body)
            .with_index(Index::Gsi1, Key::new("T#a#ACCOUNTS", "cafe#1"));
        item.ttl = Some(1_900_000_000);
        let attributes = to_attributes(&item).unwrap();
        assert_eq!(attributes["PK"], s("T#a#ACCOUNT#1"));
        assert_eq!(attributes["version"], AttributeValue::N("3".into()));
        assert_eq!(attributes["GSI1SK"], s("cafe#1"));
        assert!(!attributes.contains_key("GSI2PK"), "sparse index attributes stay absent");
        assert_eq!(from_attributes(attributes).unwrap(), item);
    }

    #[test]
    fn conditions_become_expressions() {
        assert!(condition_expression(Condition::ALWAYS).is_none());
        let versioned = condition_expression(Condition::version_is("thing", 7)).unwrap();
        assert_eq!(versioned.expression, "#version = :version");
        assert_eq!(versioned.values[":version"], AttributeValue::N("7".into()));
        assert_eq!(
            condition_expression(Condition::not_exists("thing")).unwrap().expression,
            "attribute_not_exists(#pk)"
        );
    }
}
