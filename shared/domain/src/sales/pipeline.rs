//! Sales pipelines [embudos de venta]: each an ordered list of stages with a default probability
//! of closing, a forecast category and the fields an opportunity needs before it enters.
//!
//! A tenant has a handful of pipelines, so they are one record, read whole. Keys are forever:
//! an opportunity names its pipeline and stage by key, so a saved stage or pipeline can be
//! renamed, reordered or retired (no new opportunity enters it) but never removed.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::ids::{PipelineKey, StageKey};
use crate::messages as msg;
use crate::validation::ValidationErrors;

pub const NAME_MAX: usize = 80;
pub const MAX_PIPELINES: usize = 20;
pub const MAX_STAGES: usize = 30;

/// Where an opportunity at a stage counts in the forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ForecastCategory {
    Pipeline,
    BestCase,
    Commit,
    ClosedWon,
    ClosedLost,
    /// Not forecast at all (on hold, duplicates).
    Omitted,
}

impl ForecastCategory {
    pub const ALL: [ForecastCategory; 6] = [
        ForecastCategory::Pipeline,
        ForecastCategory::BestCase,
        ForecastCategory::Commit,
        ForecastCategory::ClosedWon,
        ForecastCategory::ClosedLost,
        ForecastCategory::Omitted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ForecastCategory::Pipeline => "pipeline",
            ForecastCategory::BestCase => "bestCase",
            ForecastCategory::Commit => "commit",
            ForecastCategory::ClosedWon => "closedWon",
            ForecastCategory::ClosedLost => "closedLost",
            ForecastCategory::Omitted => "omitted",
        }
    }

    pub fn parse(name: &str) -> Option<ForecastCategory> {
        ForecastCategory::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Won or lost: the opportunity is decided.
    pub fn is_closed(self) -> bool {
        matches!(self, ForecastCategory::ClosedWon | ForecastCategory::ClosedLost)
    }

    pub fn label(self) -> crate::Message {
        match self {
            ForecastCategory::Pipeline => msg::ui_forecast_pipeline(),
            ForecastCategory::BestCase => msg::ui_forecast_best_case(),
            ForecastCategory::Commit => msg::ui_forecast_commit(),
            ForecastCategory::ClosedWon => msg::ui_forecast_closed_won(),
            ForecastCategory::ClosedLost => msg::ui_forecast_closed_lost(),
            ForecastCategory::Omitted => msg::ui_forecast_omitted(),
        }
    }
}

/// A field an opportunity must have before it enters a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RequiredField {
    /// An amount above zero.
    Amount,
    ExpectedCloseDate,
    /// At least one contact.
    ContactIds,
    ProductLine,
    /// At least one competitor named.
    Competitors,
    Source,
    Campaign,
}

impl RequiredField {
    /// The opportunity's field it names, as the API spells it.
    pub fn field(self) -> &'static str {
        match self {
            RequiredField::Amount => "amount",
            RequiredField::ExpectedCloseDate => "expectedCloseDate",
            RequiredField::ContactIds => "contactIds",
            RequiredField::ProductLine => "productLine",
            RequiredField::Competitors => "competitors",
            RequiredField::Source => "source",
            RequiredField::Campaign => "campaign",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stage {
    pub key: StageKey,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 80))]
    pub name: String,
    /// The probability of closing, in percent, that an opportunity takes on entering the stage
    /// unless someone set its probability by hand. Closed-won stages are 100, closed-lost 0.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub probability: u8,
    pub category: ForecastCategory,
    /// What an opportunity needs before it enters the stage (a lost stage also always needs
    /// the reason it was lost).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<RequiredField>,
    /// No opportunity enters a retired stage; those already in it stay.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pipeline {
    pub key: PipelineKey,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 80))]
    pub name: String,
    /// In the order an opportunity moves through them (the kanban's columns).
    pub stages: Vec<Stage>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

impl Pipeline {
    pub fn stage(&self, key: &StageKey) -> Option<&Stage> {
        self.stages.iter().find(|s| &s.key == key)
    }

    /// The stage a new opportunity starts in: the first open one not retired.
    pub fn first_stage(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| !s.retired && !s.category.is_closed())
    }

    /// The stages a card can be moved to, in order.
    pub fn active_stages(&self) -> impl Iterator<Item = &Stage> {
        self.stages.iter().filter(|s| !s.retired)
    }
}

/// `GET` and `PUT /pipelines`: the tenant's pipelines, the first active one the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pipelines {
    pub pipelines: Vec<Pipeline>,
    /// The month (1–12) the company's fiscal year starts in: the forecast's quarters and years.
    #[serde(default = "january")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 12))]
    pub fiscal_year_start: i8,
}

fn january() -> i8 {
    1
}

impl Default for Pipelines {
    /// What a tenant starts with: one pipeline whose stage keys are the fixed stages
    /// opportunities had before pipelines existed, so those keep their place.
    fn default() -> Self {
        use ForecastCategory::{BestCase, ClosedLost, ClosedWon, Commit};
        let stage = |key: &str, name: &str, probability: u8, category: ForecastCategory| Stage {
            key: StageKey::parse(key).expect("seeded stage keys are slugs"),
            name: name.into(),
            probability,
            category,
            required: Vec::new(),
            retired: false,
        };
        Pipelines {
            pipelines: vec![Pipeline {
                key: PipelineKey::parse(DEFAULT_PIPELINE).expect("the seeded pipeline key is a slug"),
                name: "Ventas".into(),
                stages: vec![
                    stage("prospecting", "Prospección", 10, ForecastCategory::Pipeline),
                    stage("qualification", "Calificación", 20, ForecastCategory::Pipeline),
                    Stage { required: vec![RequiredField::Amount], ..stage("proposal", "Propuesta", 50, BestCase) },
                    Stage {
                        required: vec![RequiredField::Amount, RequiredField::ExpectedCloseDate],
                        ..stage("negotiation", "Negociación", 75, Commit)
                    },
                    stage("won", "Ganada", 100, ClosedWon),
                    stage("lost", "Perdida", 0, ClosedLost),
                ],
                retired: false,
            }],
            fiscal_year_start: 1,
        }
    }
}

/// The key of the seeded pipeline, which opportunities stored before pipelines existed are in.
pub const DEFAULT_PIPELINE: &str = "sales";

impl Pipelines {
    pub fn pipeline(&self, key: &PipelineKey) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| &p.key == key)
    }

    /// Where new opportunities go when nobody says: the first pipeline not retired.
    pub fn default_pipeline(&self) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| !p.retired)
    }

    /// Where a new opportunity goes: the named pipeline (default: the default one) at the named
    /// stage (default: its first open one). `None` when there is no such pipeline; whether the
    /// stage is one of it is [`crate::sales::Opportunity::settle`]'s to say.
    pub fn entry(&self, pipeline: Option<&PipelineKey>, stage: Option<&StageKey>) -> Option<(PipelineKey, StageKey)> {
        let pipeline = match pipeline {
            Some(key) => self.pipeline(key)?,
            None => self.default_pipeline()?,
        };
        let stage = stage.cloned().or_else(|| pipeline.first_stage().map(|s| s.key.clone()))?;
        Some((pipeline.key.clone(), stage))
    }

    /// The pipelines as entered, checked against what was saved before (`previous`): keys
    /// unique and never dropped, names present, probabilities in range and fixed for closed
    /// stages, each active pipeline able to open, win and lose.
    pub fn validate(self, previous: &Pipelines) -> Result<Pipelines, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.pipelines.is_empty() {
            e.add("pipelines", msg::not_empty());
        }
        if self.pipelines.len() > MAX_PIPELINES {
            e.add("pipelines", msg::at_most_items(MAX_PIPELINES));
        }
        if !self.pipelines.iter().any(|p| !p.retired) {
            e.add("pipelines", msg::pipeline_needs_an_active_one());
        }
        let mut keys = HashSet::new();
        let mut pipelines = Vec::with_capacity(self.pipelines.len());
        for (i, pipeline) in self.pipelines.into_iter().enumerate() {
            let at = format!("pipelines[{i}]");
            if !keys.insert(pipeline.key.clone()) {
                e.add(format!("{at}.key"), msg::duplicate(pipeline.key.as_str()));
            }
            let name = e.text(&format!("{at}.name"), &pipeline.name, NAME_MAX, false).unwrap_or_default();
            let stages = validate_stages(&at, pipeline.stages, pipeline.retired, &mut e);
            if let Some(before) = previous.pipeline(&pipeline.key) {
                for dropped in before.stages.iter().filter(|s| !stages.iter().any(|now| now.key == s.key)) {
                    e.add(format!("{at}.stages"), msg::retire_instead(dropped.key.as_str()));
                }
            }
            pipelines.push(Pipeline { key: pipeline.key, name, stages, retired: pipeline.retired });
        }
        for dropped in previous.pipelines.iter().filter(|p| !keys.contains(&p.key)) {
            e.add("pipelines", msg::retire_instead(dropped.key.as_str()));
        }
        if !(1..=12).contains(&self.fiscal_year_start) {
            e.add("fiscalYearStart", msg::between(1, 12));
        }
        e.finish()?;
        Ok(Pipelines { pipelines, fiscal_year_start: self.fiscal_year_start })
    }
}

fn validate_stages(at: &str, stages: Vec<Stage>, retired: bool, e: &mut ValidationErrors) -> Vec<Stage> {
    if stages.is_empty() {
        e.add(format!("{at}.stages"), msg::not_empty());
    }
    if stages.len() > MAX_STAGES {
        e.add(format!("{at}.stages"), msg::at_most_items(MAX_STAGES));
    }
    let active = |category: ForecastCategory| stages.iter().any(|s| !s.retired && s.category == category);
    let opens = stages.iter().any(|s| !s.retired && !s.category.is_closed());
    let complete = opens && active(ForecastCategory::ClosedWon) && active(ForecastCategory::ClosedLost);
    // A retired pipeline takes no one new, so it need not be able to open, win and lose.
    if !(retired || complete) {
        e.add(format!("{at}.stages"), msg::pipeline_needs_open_won_lost());
    }
    let mut keys = HashSet::new();
    let mut checked = Vec::with_capacity(stages.len());
    for (j, stage) in stages.into_iter().enumerate() {
        let at = format!("{at}.stages[{j}]");
        if !keys.insert(stage.key.clone()) {
            e.add(format!("{at}.key"), msg::duplicate(stage.key.as_str()));
        }
        let name = e.text(&format!("{at}.name"), &stage.name, NAME_MAX, false).unwrap_or_default();
        let fixed = match stage.category {
            ForecastCategory::ClosedWon => Some(100),
            ForecastCategory::ClosedLost => Some(0),
            _ => None,
        };
        match fixed {
            Some(p) if stage.probability != p => e.add(format!("{at}.probability"), msg::closed_stage_probability(p)),
            _ if stage.probability > 100 => e.add(format!("{at}.probability"), msg::between(0, 100)),
            _ => {}
        }
        let mut required = stage.required;
        required.sort();
        required.dedup();
        checked.push(Stage { name, required, ..stage });
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(result: Result<Pipelines, ValidationErrors>) -> Vec<String> {
        result.err().map(|e| e.0.into_iter().map(|f| f.field).collect()).unwrap_or_default()
    }

    #[test]
    fn the_seeded_pipeline_is_valid_and_keeps_the_old_stage_keys() {
        let seeded = Pipelines::default();
        assert_eq!(seeded.clone().validate(&seeded), Ok(seeded.clone()));
        let stages: Vec<&str> = seeded.pipelines[0].stages.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(stages, ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]);
        assert_eq!(
            seeded.default_pipeline().and_then(Pipeline::first_stage).map(|s| s.key.as_str()),
            Some("prospecting")
        );
    }

    #[test]
    fn saved_keys_are_retired_never_removed() {
        let seeded = Pipelines::default();
        let mut edited = seeded.clone();
        edited.pipelines[0].stages.remove(1);
        assert_eq!(fields(edited.validate(&seeded)), ["pipelines[0].stages"]);
        let mut retired = seeded.clone();
        retired.pipelines[0].stages[1].retired = true;
        assert!(retired.validate(&seeded).is_ok());
    }

    #[test]
    fn closed_stages_have_fixed_probabilities_and_every_pipeline_can_open_win_and_lose() {
        let seeded = Pipelines::default();
        let mut edited = seeded.clone();
        edited.pipelines[0].stages[4].probability = 90;
        edited.pipelines[0].stages[0].probability = 101;
        assert_eq!(
            fields(edited.validate(&seeded)),
            ["pipelines[0].stages[0].probability", "pipelines[0].stages[4].probability"]
        );
        let mut no_lost = seeded.clone();
        no_lost.pipelines[0].stages[5].retired = true;
        assert_eq!(fields(no_lost.validate(&seeded)), ["pipelines[0].stages"]);
    }

    #[test]
    fn keys_are_unique() {
        let seeded = Pipelines::default();
        let mut twice = seeded.clone();
        twice.pipelines.push(seeded.pipelines[0].clone());
        assert_eq!(fields(twice.validate(&seeded)), ["pipelines[1].key"]);
    }
}
