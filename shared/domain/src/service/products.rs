//! The product catalogue: upserted by the ERP (one by one or in batches, idempotent), read and
//! listed by whoever sells. The list is served by an index in the query: by code (GSI1), or one
//! department's by group and sub-group (GSI2); `q` reads the catalogue's word index.

use super::search::index_changes;
use super::{FILTER_READ_BUDGET, ListError, PageRequest, Services, Upserted, conditions, list_page};
use crate::access::{Module, Operation, Permission};
use crate::actor::{Actor, Forbidden};
use crate::ids::{ProductCode, TenantId};
use crate::keys;
use crate::ports::{Condition, Index, Item, Key, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::sales::product::{ProductFilter, ProductInput};
use crate::sales::{Product, ProductDetails};
use crate::search::SearchKind;
use crate::validation::{FieldError, ValidationErrors};
use crate::{Page, Versioned};

pub const ENTITY: &str = "Product";
/// Products one batch request may carry.
pub const MAX_BATCH: usize = 100;
/// Tries of an upsert that lost a race with another writer of the same product.
const ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum SaveProductError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// Another writer kept changing it: the caller may send it again.
    #[error("the product kept changing while it was written")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetProductError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such product")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One line of `POST /product-batches`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchProduct {
    pub code: String,
    pub product: ProductInput,
}

/// The outcome of one line of a batch.
#[derive(Debug, Clone)]
pub struct ProductBatchResult {
    pub code: String,
    /// `created`, `updated`, `unchanged`, `invalid` or `failed` (send the line again).
    pub outcome: &'static str,
    pub version: Option<u64>,
    pub errors: Vec<FieldError>,
}

/// The product's item with its listings: by code, and by department, group and sub-group.
pub fn product_item(tenant: &TenantId, product: &Product, version: u64) -> Result<Item, StoreError> {
    let d = &product.details;
    Ok(Item::new(keys::product(tenant, &product.code), ENTITY, version, records::body(product)?)
        .with_index(Index::Gsi1, keys::products_listing(tenant, &product.code))
        .with_index(
            Index::Gsi2,
            keys::products_of_department(
                tenant,
                d.department.as_deref(),
                d.group.as_deref(),
                d.subgroup.as_deref(),
                &product.code,
            ),
        ))
}

impl Services {
    /// `PUT /products/{code}`: creates or updates the product as the ERP knows it. The same data
    /// again writes nothing.
    pub async fn upsert_product(
        &self,
        actor: &Actor,
        code: &ProductCode,
        input: &ProductInput,
    ) -> Result<(Versioned<Product>, Upserted), SaveProductError> {
        actor.permit(Permission::new(Module::Products, Operation::Create))?;
        let details = input.validate()?;
        for _ in 0..ATTEMPTS {
            let current = self.load::<Product>(&keys::product(&actor.tenant, code)).await?;
            match self.try_upsert_product(actor, code, &details, current).await {
                Err(SaveProductError::Busy) => continue,
                other => return other,
            }
        }
        Err(SaveProductError::Busy)
    }

    async fn try_upsert_product(
        &self,
        actor: &Actor,
        code: &ProductCode,
        details: &ProductDetails,
        current: Option<Versioned<Product>>,
    ) -> Result<(Versioned<Product>, Upserted), SaveProductError> {
        let now = self.clock.now();
        let (product, version, condition, outcome) = match &current {
            Some(current) if &current.value.details == details => return Ok((current.clone(), Upserted::Unchanged)),
            Some(current) => {
                let product = Product {
                    details: details.clone(),
                    updated_at: now,
                    updated_by: actor.user.clone(),
                    ..current.value.clone()
                };
                (
                    product,
                    current.version + 1,
                    Condition::version_is(conditions::PRODUCT, current.version),
                    Upserted::Updated,
                )
            }
            None => {
                let product = Product {
                    code: code.clone(),
                    details: details.clone(),
                    created_at: now,
                    updated_at: now,
                    updated_by: actor.user.clone(),
                };
                (product, 1, Condition::not_exists(conditions::PRODUCT), Upserted::Created)
            }
        };
        let mut ops = vec![WriteOp::Put { item: product_item(&actor.tenant, &product, version)?, condition }];
        ops.extend(index_changes(&actor.tenant, current.as_ref().map(|c| &c.value), &product)?);
        match self.store.write(ops).await {
            Ok(()) => Ok((Versioned { value: product, version }, outcome)),
            Err(StoreError::ConditionFailed { .. }) => Err(SaveProductError::Busy),
            Err(e) => Err(e.into()),
        }
    }

    /// `POST /product-batches`: up to [`MAX_BATCH`] upserts, each on its own (one bad line does
    /// not hold back the others), answered line by line.
    pub async fn upsert_products(
        &self,
        actor: &Actor,
        batch: Vec<BatchProduct>,
    ) -> Result<Vec<ProductBatchResult>, SaveProductError> {
        actor.permit(Permission::new(Module::Products, Operation::Create))?;
        let mut results = Vec::with_capacity(batch.len());
        for line in batch {
            let result =
                |outcome, version, errors| ProductBatchResult { code: line.code.clone(), outcome, version, errors };
            let code = match ProductCode::parse(&line.code) {
                Ok(code) => code,
                Err(invalid) => {
                    results.push(result("invalid", None, ValidationErrors::single("code", invalid.into()).0));
                    continue;
                }
            };
            results.push(match self.upsert_product(actor, &code, &line.product).await {
                Ok((saved, outcome)) => result(outcome.as_str(), Some(saved.version), Vec::new()),
                Err(SaveProductError::Invalid(errors)) => result("invalid", None, errors.0),
                Err(SaveProductError::Busy) => result("failed", None, Vec::new()),
                Err(e @ (SaveProductError::Store(_) | SaveProductError::Forbidden(_))) => return Err(e),
            });
        }
        Ok(results)
    }

    pub async fn get_product(&self, actor: &Actor, code: &ProductCode) -> Result<Versioned<Product>, GetProductError> {
        actor.permit(Permission::new(Module::Products, Operation::Read))?;
        self.load::<Product>(&keys::product(&actor.tenant, code)).await?.ok_or(GetProductError::NotFound)
    }

    /// Several products by code, in the order asked (absent ones left out): one batch read per
    /// hundred codes.
    pub(super) async fn products_by_code(
        &self,
        tenant: &TenantId,
        codes: &[ProductCode],
    ) -> Result<Vec<Versioned<Product>>, StoreError> {
        let mut found = Vec::with_capacity(codes.len());
        let mut unique: Vec<&ProductCode> = Vec::with_capacity(codes.len());
        for code in codes {
            if !unique.contains(&code) {
                unique.push(code);
            }
        }
        for chunk in unique.chunks(crate::ports::MAX_READ_KEYS) {
            let keys: Vec<Key> = chunk.iter().map(|code| keys::product(tenant, code)).collect();
            for item in self.store.get_many(&keys).await?.into_iter().flatten() {
                found.push(Versioned { version: item.version, value: records::read(&item)? });
            }
        }
        Ok(found)
    }

    /// `GET /products`: the catalogue by code; with a department, that department's by group
    /// and sub-group (a group narrows it to a key prefix); with `q`, the products found by word.
    pub async fn list_products(
        &self,
        actor: &Actor,
        q: Option<&str>,
        filter: &ProductFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Product>>, ListError> {
        if let Some(q) = q {
            return self.search_products(actor, q, filter, page).await;
        }
        let tenant = &actor.tenant;
        let query = match &filter.department {
            Some(department) => {
                let query = Query::index(Index::Gsi2, keys::products_of_department_partition(tenant, Some(department)));
                match &filter.group {
                    Some(group) => query.range(SortKeyRange::BeginsWith(keys::products_group_prefix(group))),
                    None => query,
                }
            }
            None => Query::index(Index::Gsi1, keys::products_listing_partition(tenant)),
        };
        list_page(self.store.as_ref(), query, page, |p: &Product| filter.admits(p)).await
    }

    /// The products found by `q` that the filter admits, read whole a batch per round, until
    /// the page fills, the hits run out or the read budget is spent.
    async fn search_products(
        &self,
        actor: &Actor,
        q: &str,
        filter: &ProductFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Product>>, ListError> {
        let mut items = Vec::with_capacity(page.limit as usize);
        let mut cursor = page.cursor.clone();
        let mut read = 0usize;
        loop {
            let wanted = PageRequest { limit: page.limit - items.len() as u32, cursor: cursor.clone() };
            let hits = self.search_hits(actor, q, &[SearchKind::Product], &wanted).await?;
            let codes: Vec<ProductCode> =
                hits.items.iter().filter_map(|doc| ProductCode::parse(&doc.id).ok()).collect();
            read += codes.len();
            let found =
                if codes.is_empty() { Vec::new() } else { self.products_by_code(&actor.tenant, &codes).await? };
            items.extend(found.into_iter().filter(|p| filter.admits(&p.value)));
            cursor = hits.next_cursor;
            if cursor.is_none() || items.len() >= page.limit as usize || read >= FILTER_READ_BUDGET {
                items.truncate(page.limit as usize);
                return Ok(Page { items, next_cursor: cursor });
            }
        }
    }
}
