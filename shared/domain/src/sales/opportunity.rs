//! Opportunities [oportunidades]: a possible sale to an account, moving through the stages of
//! a pipeline. Probability follows the stage unless someone set it by hand; the weighted
//! amount is amount × probability.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::pipeline::{ForecastCategory, Pipeline, Pipelines, RequiredField, Stage};
use crate::ids::{EntityId, PipelineKey, StageKey, UserId};
use crate::messages as msg;
use crate::money::Money;
use crate::validation::{ValidationErrors, nullable};

pub const NAME_MAX: usize = crate::account::NAME_MAX;
pub const LABEL_MAX: usize = 80;
pub const LOST_REASON_MAX: usize = 500;
pub const MAX_COMPETITORS: usize = 20;
pub const MAX_CONTACTS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Opportunity {
    pub id: EntityId,
    pub name: String,
    pub pipeline: PipelineKey,
    pub stage: StageKey,
    /// Percent; the stage's unless `probabilityByHand`.
    pub probability: u8,
    /// Someone set the probability: stage moves keep it (until the opportunity closes).
    pub probability_by_hand: bool,
    pub amount: Money,
    /// `amount × probability`, rounded half up to the currency's minor unit.
    pub weighted_amount: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expected_close_date: Option<Date>,
    pub account_id: EntityId,
    /// The people of the account the opportunity is worked with.
    pub contact_ids: Vec<EntityId>,
    /// The business line it counts in for the forecast [línea de negocio].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_line: Option<String>,
    pub competitors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// The lead it was converted from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_reason: Option<String>,
    /// When it entered a won or lost stage (absent while open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// `POST /opportunities`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOpportunity {
    pub name: String,
    pub account_id: EntityId,
    #[serde(default)]
    pub contact_ids: Vec<EntityId>,
    /// Default: the first pipeline not retired.
    pub pipeline: Option<PipelineKey>,
    /// Default: the pipeline's first open stage.
    pub stage: Option<StageKey>,
    pub amount: Money,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expected_close_date: Option<Date>,
    /// Sets the probability by hand; absent, it follows the stage.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub probability: Option<u8>,
    pub product_line: Option<String>,
    #[serde(default)]
    pub competitors: Vec<String>,
    /// Default: whoever creates it.
    pub owner: Option<UserId>,
    pub source: Option<String>,
    pub campaign: Option<String>,
}

/// `PATCH /opportunities/{id}` (JSON merge patch: `null` clears a field).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpportunityPatch {
    pub name: Option<String>,
    /// Moving to another pipeline also needs a `stage` of it (default: its first open stage).
    pub pipeline: Option<PipelineKey>,
    pub stage: Option<StageKey>,
    /// A number sets it by hand; `null` makes it follow the stage again.
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u8>, minimum = 0, maximum = 100))]
    pub probability: Option<Option<u8>>,
    pub amount: Option<Money>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expected_close_date: Option<Option<Date>>,
    pub contact_ids: Option<Vec<EntityId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub product_line: Option<Option<String>>,
    pub competitors: Option<Vec<String>>,
    pub owner: Option<UserId>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub source: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub campaign: Option<Option<String>>,
    /// Required on entering a lost stage.
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub lost_reason: Option<Option<String>>,
}

/// `amount × percent`, rounded half up in the amount's minor unit.
pub fn weighted(amount: &Money, percent: u8) -> Money {
    let product = i128::from(amount.amount_minor) * i128::from(percent);
    let rounded = (product + 50).div_euclid(100);
    Money { amount_minor: i64::try_from(rounded).unwrap_or(i64::MAX), currency: amount.currency.clone() }
}

impl Opportunity {
    /// A new opportunity with nothing but what every one has; [`Opportunity::settle`] then sets
    /// its probability and weighted amount.
    pub fn open(
        id: EntityId,
        name: String,
        (pipeline, stage): (PipelineKey, StageKey),
        amount: Money,
        account_id: EntityId,
        (by, now): (&UserId, Timestamp),
    ) -> Opportunity {
        Opportunity {
            id,
            name,
            pipeline,
            stage,
            probability: 0,
            probability_by_hand: false,
            weighted_amount: weighted(&amount, 0),
            amount,
            expected_close_date: None,
            account_id,
            contact_ids: Vec::new(),
            product_line: None,
            competitors: Vec::new(),
            owner: Some(by.clone()),
            source: None,
            campaign: None,
            lead_id: None,
            lost_reason: None,
            closed_at: None,
            created_at: now,
            created_by: by.clone(),
            updated_at: now,
            updated_by: by.clone(),
        }
    }

    /// The stage it is at, in its pipeline (absent only if the pipelines lost it).
    pub fn stage_in<'p>(&self, pipelines: &'p Pipelines) -> Option<(&'p Pipeline, &'p Stage)> {
        let pipeline = pipelines.pipeline(&self.pipeline)?;
        Some((pipeline, pipeline.stage(&self.stage)?))
    }

    pub fn is_open(&self, pipelines: &Pipelines) -> bool {
        self.stage_in(pipelines).is_none_or(|(_, stage)| !stage.category.is_closed())
    }

    /// Checks the text fields as entered and trims them (errors by field into `e`).
    pub fn clean_texts(&mut self, e: &mut ValidationErrors) {
        self.name = e.text("name", &self.name, NAME_MAX, false).unwrap_or_default();
        self.product_line = e.optional_text("productLine", self.product_line.as_deref(), LABEL_MAX, false);
        self.source = e.optional_text("source", self.source.as_deref(), LABEL_MAX, false);
        self.campaign = e.optional_text("campaign", self.campaign.as_deref(), LABEL_MAX, false);
        self.lost_reason = e.optional_text("lostReason", self.lost_reason.as_deref(), LOST_REASON_MAX, true);
        if self.competitors.len() > MAX_COMPETITORS {
            e.add("competitors", msg::at_most_items(MAX_COMPETITORS));
        }
        let competitors = std::mem::take(&mut self.competitors);
        for (i, competitor) in competitors.iter().enumerate() {
            if let Some(name) = e.text(&format!("competitors[{i}]"), competitor, LABEL_MAX, false)
                && !self.competitors.contains(&name)
            {
                self.competitors.push(name);
            }
        }
        if self.contact_ids.len() > MAX_CONTACTS {
            e.add("contactIds", msg::at_most_items(MAX_CONTACTS));
        }
        let mut seen = std::collections::HashSet::new();
        self.contact_ids.retain(|id| seen.insert(*id));
        self.amount.validate("amount", e);
    }

    /// Puts the opportunity where it now stands in its pipeline, after a creation or a change
    /// from `before`: the stage must exist (and, when entered now, not be retired) and its
    /// required fields be present; the probability follows the stage unless set by hand, and
    /// is the stage's on closing; the closing time and the lost reason follow the category.
    pub fn settle(
        &mut self,
        before: Option<&Opportunity>,
        pipelines: &Pipelines,
        now: Timestamp,
        e: &mut ValidationErrors,
    ) {
        let Some(pipeline) = pipelines.pipeline(&self.pipeline) else {
            e.add("pipeline", msg::no_such_pipeline(self.pipeline.as_str()));
            return;
        };
        let moved_pipeline = before.is_none_or(|b| b.pipeline != self.pipeline);
        if moved_pipeline && pipeline.retired {
            e.add("pipeline", msg::retired(self.pipeline.as_str()));
        }
        let Some(stage) = pipeline.stage(&self.stage) else {
            e.add("stage", msg::no_such_stage(self.stage.as_str()));
            return;
        };
        let entered = moved_pipeline || before.is_some_and(|b| b.stage != self.stage);
        if entered && stage.retired {
            e.add("stage", msg::retired(self.stage.as_str()));
        }
        for required in &stage.required {
            let missing = self.lacks(*required);
            // A requirement binds on entering the stage, and on emptying the field while in it.
            if missing && (entered || before.is_some_and(|b| !b.lacks(*required))) {
                e.add(required.field(), msg::required_at_stage(&stage.name));
            }
        }
        let closed = stage.category.is_closed();
        if closed {
            self.probability = stage.probability;
            self.probability_by_hand = false;
        } else if !self.probability_by_hand {
            self.probability = stage.probability;
        }
        if self.probability > 100 {
            e.add("probability", msg::between(0, 100));
        }
        if stage.category == ForecastCategory::ClosedLost {
            if self.lost_reason.is_none() {
                e.add("lostReason", msg::required_at_stage(&stage.name));
            }
        } else {
            self.lost_reason = None;
        }
        let was_closed = before.is_some_and(|b| b.closed_at.is_some());
        self.closed_at = match (closed, was_closed) {
            (true, true) if !entered => before.and_then(|b| b.closed_at),
            (true, _) => Some(now),
            (false, _) => None,
        };
        self.weighted_amount = weighted(&self.amount, self.probability);
    }

    fn lacks(&self, field: RequiredField) -> bool {
        match field {
            RequiredField::Amount => self.amount.amount_minor == 0,
            RequiredField::ExpectedCloseDate => self.expected_close_date.is_none(),
            RequiredField::ContactIds => self.contact_ids.is_empty(),
            RequiredField::ProductLine => self.product_line.is_none(),
            RequiredField::Competitors => self.competitors.is_empty(),
            RequiredField::Source => self.source.is_none(),
            RequiredField::Campaign => self.campaign.is_none(),
        }
    }

    /// The opportunity with `patch` applied (unchecked: [`Opportunity::clean_texts`] and
    /// [`Opportunity::settle`] follow). A move to another pipeline without a stage lands in
    /// its first open stage.
    pub fn patched(&self, patch: &OpportunityPatch, pipelines: &Pipelines) -> Opportunity {
        let mut next = self.clone();
        let set = |value: &Option<Option<String>>, old: &Option<String>| match value {
            Some(v) => v.clone(),
            None => old.clone(),
        };
        if let Some(name) = &patch.name {
            next.name.clone_from(name);
        }
        if let Some(pipeline) = &patch.pipeline {
            next.pipeline = pipeline.clone();
            if patch.stage.is_none()
                && pipeline != &self.pipeline
                && let Some(first) = pipelines.pipeline(pipeline).and_then(Pipeline::first_stage)
            {
                next.stage = first.key.clone();
            }
        }
        if let Some(stage) = &patch.stage {
            next.stage = stage.clone();
        }
        match patch.probability {
            Some(Some(p)) => {
                next.probability = p;
                next.probability_by_hand = true;
            }
            Some(None) => next.probability_by_hand = false,
            None => {}
        }
        if let Some(amount) = &patch.amount {
            next.amount = amount.clone();
        }
        if let Some(date) = patch.expected_close_date {
            next.expected_close_date = date;
        }
        if let Some(contacts) = &patch.contact_ids {
            next.contact_ids.clone_from(contacts);
        }
        next.product_line = set(&patch.product_line, &self.product_line);
        if let Some(competitors) = &patch.competitors {
            next.competitors.clone_from(competitors);
        }
        if let Some(owner) = &patch.owner {
            next.owner = Some(owner.clone());
        }
        next.source = set(&patch.source, &self.source);
        next.campaign = set(&patch.campaign, &self.campaign);
        next.lost_reason = set(&patch.lost_reason, &self.lost_reason);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount_minor: i64) -> Money {
        Money { amount_minor, currency: "CRC".into() }
    }

    fn opportunity(stage: &str) -> Opportunity {
        let at: Timestamp = "2026-11-02T15:00:00Z".parse().unwrap();
        let user = UserId::parse("ana").unwrap();
        Opportunity {
            id: EntityId::from_ulid(ulid::Ulid(1)),
            name: "Flota 2027".into(),
            pipeline: PipelineKey::parse("sales").unwrap(),
            stage: StageKey::parse(stage).unwrap(),
            probability: 0,
            probability_by_hand: false,
            amount: money(1_000_000),
            weighted_amount: money(0),
            expected_close_date: None,
            account_id: EntityId::from_ulid(ulid::Ulid(2)),
            contact_ids: Vec::new(),
            product_line: None,
            competitors: Vec::new(),
            owner: Some(user.clone()),
            source: None,
            campaign: None,
            lead_id: None,
            lost_reason: None,
            closed_at: None,
            created_at: at,
            created_by: user.clone(),
            updated_at: at,
            updated_by: user,
        }
    }

    fn settled(o: &mut Opportunity, before: Option<&Opportunity>) -> Vec<String> {
        let mut e = ValidationErrors::new();
        o.settle(before, &Pipelines::default(), "2026-11-03T10:00:00Z".parse().unwrap(), &mut e);
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn weighted_amounts_round_half_up() {
        assert_eq!(weighted(&money(1_000_000), 75), money(750_000));
        assert_eq!(weighted(&money(5), 50), money(3));
        assert_eq!(weighted(&money(4), 10), money(0));
        assert_eq!(weighted(&money(crate::money::MAX_AMOUNT_MINOR), 100).amount_minor, crate::money::MAX_AMOUNT_MINOR);
    }

    #[test]
    fn probability_follows_the_stage_until_set_by_hand_and_the_hand_survives_moves() {
        let mut o = opportunity("prospecting");
        assert!(settled(&mut o, None).is_empty());
        assert_eq!((o.probability, o.weighted_amount.amount_minor), (10, 100_000));
        let pipelines = Pipelines::default();
        let by_hand = o.patched(&OpportunityPatch { probability: Some(Some(35)), ..Default::default() }, &pipelines);
        let mut moved = by_hand.patched(
            &OpportunityPatch { stage: Some(StageKey::parse("qualification").unwrap()), ..Default::default() },
            &pipelines,
        );
        assert!(settled(&mut moved, Some(&by_hand)).is_empty());
        assert_eq!((moved.probability, moved.probability_by_hand), (35, true));
        let mut follows =
            moved.patched(&OpportunityPatch { probability: Some(None), ..Default::default() }, &pipelines);
        assert!(settled(&mut follows, Some(&moved)).is_empty());
        assert_eq!((follows.probability, follows.probability_by_hand), (20, false));
    }

    #[test]
    fn closing_fixes_the_probability_and_records_when() {
        let mut o = opportunity("qualification");
        o.probability_by_hand = true;
        o.probability = 60;
        let before = o.clone();
        o.stage = StageKey::parse("won").unwrap();
        assert!(settled(&mut o, Some(&before)).is_empty());
        assert_eq!((o.probability, o.probability_by_hand), (100, false));
        assert_eq!(o.closed_at, Some("2026-11-03T10:00:00Z".parse().unwrap()));
        let won = o.clone();
        o.stage = StageKey::parse("negotiation").unwrap();
        o.expected_close_date = Some(jiff::civil::date(2026, 12, 15));
        assert!(settled(&mut o, Some(&won)).is_empty());
        assert_eq!((o.probability, o.closed_at), (75, None));
    }

    #[test]
    fn a_stage_asks_for_its_fields_on_entry_and_a_lost_one_for_the_reason() {
        let before = opportunity("qualification");
        let mut o = before.clone();
        o.stage = StageKey::parse("negotiation").unwrap();
        o.amount = money(0);
        assert_eq!(settled(&mut o, Some(&before)), ["amount", "expectedCloseDate"]);
        let mut lost = before.clone();
        lost.stage = StageKey::parse("lost").unwrap();
        assert_eq!(settled(&mut lost, Some(&before)), ["lostReason"]);
        let mut unknown = before.clone();
        unknown.stage = StageKey::parse("nowhere").unwrap();
        assert_eq!(settled(&mut unknown, Some(&before)), ["stage"]);
    }

    #[test]
    fn a_missing_requirement_binds_an_opportunity_already_in_the_stage_only_when_emptied() {
        let mut inside = opportunity("proposal");
        inside.amount = money(0);
        let before = inside.clone();
        inside.name = "Flota 2028".into();
        assert!(settled(&mut inside, Some(&before)).is_empty(), "an unrelated edit goes through");
        let mut full = opportunity("proposal");
        let was = full.clone();
        full.amount = money(0);
        assert_eq!(settled(&mut full, Some(&was)), ["amount"]);
    }
}
