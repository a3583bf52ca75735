//! Pricing quote lines from the account's price list, then the tenant's default.

use std::collections::HashMap;

use jiff::civil::Date;

use super::Services;
use super::price_lists::{ListPointer, PriceListError};
use crate::access::{Module, Operation, Permission};
use crate::actor::Actor;
use crate::ids::{PriceListKey, ProductCode, TenantId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Item, StoreError};
use crate::records;
use crate::sales::pricing::{PricedLine, PricingRequest, price_line};
use crate::sales::{PriceList, PriceRow, Product};
use crate::validation::ValidationErrors;

/// `POST /pricing`'s answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PricingAnswer {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    /// The lists tried, in order: the account's (or the one named), then the default.
    pub price_lists: Vec<PriceListKey>,
    pub lines: Vec<PricedLine>,
}

impl Services {
    /// Prices lines from the account's list, falling back line by line to the tenant's default
    /// list when it is in the same currency (a quote has one currency), or from the list named.
    /// Reads the lists' rows and the products in one batch each, side by side.
    pub async fn price_lines(&self, actor: &Actor, request: &PricingRequest) -> Result<PricingAnswer, PriceListError> {
        actor.permit(Permission::new(Module::Products, Operation::Read))?;
        request.validate()?;
        let tenant = &actor.tenant;
        let day = match request.date {
            Some(day) => day,
            None => self.tenant_today(tenant).await?,
        };
        let lists = self.pricing_lists(tenant, request).await?;
        let codes: Vec<ProductCode> = request.lines.iter().map(|l| l.product.clone()).collect();
        let primary = lists.first();
        let (products, primary_rows) = futures::try_join!(self.products_by_code(tenant, &codes), async {
            match primary {
                Some(list) => self.published_rows(tenant, list, &codes).await,
                None => Ok(HashMap::new()),
            }
        })?;
        let products: HashMap<ProductCode, Product> =
            products.into_iter().map(|p| (p.value.code.clone(), p.value)).collect();
        let missing: Vec<ProductCode> = codes.iter().filter(|c| !primary_rows.contains_key(*c)).cloned().collect();
        let fallback_rows = match lists.get(1) {
            Some(list) if !missing.is_empty() => self.published_rows(tenant, list, &missing).await?,
            _ => HashMap::new(),
        };
        let rows = [&primary_rows, &fallback_rows];
        let lines = request
            .lines
            .iter()
            .map(|line| {
                let tried: Vec<(&PriceList, Option<&PriceRow>)> =
                    lists.iter().zip(rows).map(|(list, rows)| (list, rows.get(&line.product))).collect();
                price_line(line, products.get(&line.product), &tried, day)
            })
            .collect();
        Ok(PricingAnswer { date: day, price_lists: lists.into_iter().map(|l| l.key).collect(), lines })
    }

    /// The lists a request is priced from, in order (at most two).
    async fn pricing_lists(
        &self,
        tenant: &TenantId,
        request: &PricingRequest,
    ) -> Result<Vec<PriceList>, PriceListError> {
        if let Some(key) = &request.price_list {
            return match self.stored_price_list(tenant, key).await? {
                Some(list) if list.active => Ok(vec![list]),
                _ => Err(ValidationErrors::single("priceList", msg::no_such_price_list(key.as_str())).into()),
            };
        }
        let mut pointers = vec![keys::default_price_list(tenant)];
        if let Some(account) = request.account_id {
            pointers.push(keys::account(tenant, account));
            pointers.push(keys::account_price_list(tenant, account));
        }
        let found = self.store.get_many(&pointers).await?;
        if request.account_id.is_some() && found[1].is_none() {
            return Err(ValidationErrors::single("accountId", msg::no_such_account()).into());
        }
        let pointer = |item: &Option<Item>| -> Result<Option<PriceListKey>, StoreError> {
            item.as_ref().map(|i| records::read::<ListPointer>(i).map(|p| p.price_list)).transpose()
        };
        let default = pointer(&found[0])?;
        let account = match found.get(2) {
            Some(item) => pointer(item)?,
            None => None,
        };
        let mut lists: Vec<PriceList> = Vec::with_capacity(2);
        for key in [account, default].into_iter().flatten() {
            if lists.iter().any(|l| l.key == key) {
                continue;
            }
            if let Some(list) = self.stored_price_list(tenant, &key).await?
                && list.active
                && lists.first().is_none_or(|first| first.currency == list.currency)
            {
                lists.push(list);
            }
        }
        Ok(lists)
    }
}
