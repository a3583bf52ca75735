//! The forecast's history: every change of an opportunity that moves it between running totals
//! is also kept as a dated *movement*, filed under each close month it touches. A forecast *as
//! of* a past day is today's totals less the movements since; a period's movement (new, pulled
//! in, pushed out, won, lost) is its movements between two days, classified against the period.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::forecast::{Cell, Contribution, Month};
use super::opportunity::Opportunity;
use crate::ids::{EntityId, PipelineKey, UserId};

/// What one movement did to one running total of its month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellDelta {
    /// The total's sort key (owner, pipeline, stage, currency, line).
    pub cell: String,
    pub count: i64,
    pub amount_minor: i64,
    pub weighted_minor: i64,
}

impl CellDelta {
    pub fn contribution(&self) -> Contribution {
        Contribution { count: self.count, amount_minor: self.amount_minor, weighted_minor: self.weighted_minor }
    }
}

/// One change of an opportunity, as the month partitions it touches keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Movement {
    pub opportunity_id: EntityId,
    pub at: Timestamp,
    pub pipeline: PipelineKey,
    /// The close month before the change (`2027-01`; absent: undated, or a creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_month: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_month: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_owner: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_owner: Option<UserId>,
    pub currency: String,
    /// The amount before and after (minor units).
    pub from_minor: i64,
    pub to_minor: i64,
    /// The opportunity was created by this change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub created: bool,
    /// An opportunity written before the forecast existed entered the totals: not a new sale.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backfilled: bool,
    /// It entered a won stage.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub won: bool,
    /// It entered a lost stage.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lost: bool,
    /// What it did to the totals of the month this copy is filed under.
    pub deltas: Vec<CellDelta>,
}

/// How a movement counts for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MovementKind {
    /// Created with a close date in the period.
    New,
    /// Its close date entered the period from outside it (or from none).
    PulledIn,
    /// Its close date left the period (or was cleared).
    PushedOut,
    /// Won with a close date in the period.
    Won,
    /// Lost with a close date in the period.
    Lost,
}

impl Movement {
    /// The movement of a change, before its deltas are split by month; `None` when the change
    /// moves no total (a renamed opportunity, a new contact).
    pub fn of(
        before: Option<&Opportunity>,
        after: &Opportunity,
        changed: &[(Cell, Contribution)],
        at: Timestamp,
    ) -> Option<Movement> {
        if changed.is_empty() {
            return None;
        }
        let month = |o: &Opportunity| o.expected_close_date.map(|d| Month::of(d).key());
        let closed_now = after.closed_at.is_some() && before.is_none_or(|b| b.closed_at != after.closed_at);
        // A lost stage requires a reason and every other stage clears it (see `Opportunity`).
        let lost = closed_now && after.lost_reason.is_some();
        Some(Movement {
            opportunity_id: after.id,
            at,
            pipeline: after.pipeline.clone(),
            from_month: before.and_then(month),
            to_month: month(after),
            from_owner: before.and_then(|b| b.owner.clone()),
            to_owner: after.owner.clone(),
            currency: after.amount.currency.clone(),
            from_minor: before.map_or(0, |b| b.amount.amount_minor),
            to_minor: after.amount.amount_minor,
            created: before.is_none(),
            backfilled: false,
            won: closed_now && !lost,
            lost,
            deltas: Vec::new(),
        })
    }

    /// How this movement counts for the period of `months`, with the amount and the owner it
    /// counts for.
    pub fn kinds_in(&self, months: &[Month]) -> Vec<(MovementKind, i64, Option<&UserId>)> {
        let inside = |m: &Option<String>| m.as_ref().is_some_and(|m| months.iter().any(|p| p.key() == *m));
        let (from_in, to_in) = (inside(&self.from_month), inside(&self.to_month));
        let mut kinds = Vec::new();
        let to = (self.to_minor, self.to_owner.as_ref());
        if self.created {
            if to_in && !self.backfilled {
                kinds.push((MovementKind::New, to.0, to.1));
            }
        } else if to_in && !from_in {
            kinds.push((MovementKind::PulledIn, to.0, to.1));
        } else if from_in && !to_in {
            kinds.push((MovementKind::PushedOut, self.from_minor, self.from_owner.as_ref()));
        }
        if to_in && self.won {
            kinds.push((MovementKind::Won, to.0, to.1));
        }
        if to_in && self.lost {
            kinds.push((MovementKind::Lost, to.0, to.1));
        }
        kinds
    }
}

/// One line of a period's movement: a kind in a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MovementLine {
    pub kind: MovementKind,
    pub currency: String,
    pub count: i64,
    pub amount_minor: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn movement(from: Option<&str>, to: Option<&str>, created: bool) -> Movement {
        Movement {
            opportunity_id: EntityId::from_ulid(ulid::Ulid(7)),
            at: "2027-01-10T10:00:00Z".parse().unwrap(),
            pipeline: "sales".parse().unwrap(),
            from_month: from.map(Into::into),
            to_month: to.map(Into::into),
            from_owner: Some(UserId::parse("ana").unwrap()),
            to_owner: Some(UserId::parse("carlos").unwrap()),
            currency: "CRC".into(),
            from_minor: 100,
            to_minor: 250,
            created,
            backfilled: false,
            won: false,
            lost: false,
            deltas: Vec::new(),
        }
    }

    fn kinds(m: &Movement) -> Vec<(MovementKind, i64, &str)> {
        let quarter = [Month { year: 2027, month: 1 }, Month { year: 2027, month: 2 }, Month { year: 2027, month: 3 }];
        m.kinds_in(&quarter).into_iter().map(|(k, a, o)| (k, a, o.map_or("", UserId::as_str))).collect()
    }

    #[test]
    fn a_movement_counts_against_the_period_it_enters_or_leaves() {
        use MovementKind::*;
        assert_eq!(kinds(&movement(None, Some("2027-02"), true)), [(New, 250, "carlos")]);
        assert_eq!(kinds(&movement(None, Some("2027-05"), true)), []);
        assert_eq!(kinds(&movement(Some("2027-05"), Some("2027-03"), false)), [(PulledIn, 250, "carlos")]);
        assert_eq!(kinds(&movement(None, Some("2027-03"), false)), [(PulledIn, 250, "carlos")], "dated now");
        assert_eq!(kinds(&movement(Some("2027-03"), Some("2027-04"), false)), [(PushedOut, 100, "ana")]);
        assert_eq!(kinds(&movement(Some("2027-03"), None, false)), [(PushedOut, 100, "ana")], "undated now");
        assert_eq!(kinds(&movement(Some("2027-01"), Some("2027-03"), false)), [], "within the period");
        let mut won = movement(Some("2027-01"), Some("2027-01"), false);
        won.won = true;
        assert_eq!(kinds(&won), [(Won, 250, "carlos")]);
        let mut backfilled = movement(None, Some("2027-02"), true);
        backfilled.backfilled = true;
        assert_eq!(kinds(&backfilled), [], "an old opportunity entering the totals is no new sale");
    }
}
