//! Business calendars: an IANA time zone, weekly working intervals (several per day, possibly
//! ending at midnight) and holidays as local dates. The two operations every SLA clock needs —
//! "add N business minutes to an instant" and "business minutes between two instants" — are
//! pure and DST-correct: windows are laid out in local time and converted to instants through
//! the zone, so a window on a daylight-saving day is as long as it really is.

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::messages as msg;
use crate::validation::ValidationErrors;

/// The longest stretch arithmetic looks ahead for working time before giving up.
const MAX_DAYS: usize = 366 * 5;
/// Working intervals per weekday: a split shift is two or three; the limit keeps a stored
/// calendar far below the store's item size.
pub const MAX_INTERVALS_PER_DAY: usize = 12;
/// Holidays per calendar: fifteen years of a country's public holidays. Fewer than the working
/// days of a one-day week within the `MAX_DAYS` a deadline may search, so a calendar that has
/// working time always yields some, whatever its holidays.
pub const MAX_HOLIDAYS: usize = 250;
const _: () = assert!(MAX_HOLIDAYS < MAX_DAYS / 7);
const MINUTES_PER_DAY: u16 = 24 * 60;

/// A working interval of a day, local time: `"08:00"` to `"12:30"`; `"24:00"` ends at midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Interval {
    pub start: String,
    pub end: String,
}

/// The working intervals of each weekday (absent or empty: not a working day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Week {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 12))]
    pub monday: Vec<Interval>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 12))]
    pub tuesday: Vec<Interval>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 12))]
    pub wednesday: Vec<Interval>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 12))]
    pub thursday: Vec<Interval>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 12))]
    pub friday: Vec<Interval>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 12))]
    pub saturday: Vec<Interval>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 12))]
    pub sunday: Vec<Interval>,
}

impl Week {
    fn days(&self) -> [(&'static str, &Vec<Interval>); 7] {
        [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ]
    }
}

/// A tenant's business calendar, as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarDef {
    pub key: String,
    pub name: String,
    /// The calendar version (the `#CURRENT` item's version, as for case types).
    #[serde(skip)]
    pub version: u32,
    /// IANA zone, e.g. `America/Costa_Rica`, `Europe/Madrid`.
    pub time_zone: String,
    pub week: Week,
    /// Non-working dates in the calendar's zone.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, max_items = 250))]
    pub holidays: Vec<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("no working time within {MAX_DAYS} days")]
    NoWorkingTime,
    #[error("instant out of range")]
    OutOfRange,
}

impl CalendarError {
    pub fn message(&self) -> crate::Message {
        match self {
            CalendarError::NoWorkingTime => msg::detail_no_working_time_within(MAX_DAYS),
            CalendarError::OutOfRange => msg::detail_instant_out_of_range(),
        }
    }
}

/// A validated calendar, ready for arithmetic.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
    /// Minutes since local midnight, `[start, end)`, sorted, per weekday (Monday first).
    week: [Vec<(u16, u16)>; 7],
    holidays: BTreeSet<Date>,
}

fn parse_minutes(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    match (hours, minutes) {
        (24, 0) => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(hours * 60 + minutes),
        _ => None,
    }
}

impl CalendarDef {
    /// Validates the definition (every problem at once) and compiles it.
    pub fn compile(&self) -> Result<Calendar, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if crate::ids::CaseTypeKey::parse(&self.key).is_err() {
            e.add("key", msg::key_format());
        }
        e.text("name", &self.name, 200, false);
        let zone = TimeZone::get(&self.time_zone).map_err(|_| e.add("timeZone", msg::time_zone(&self.time_zone))).ok();
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for (day, (name, intervals)) in self.week.days().into_iter().enumerate() {
            if intervals.len() > MAX_INTERVALS_PER_DAY {
                e.add(format!("week.{name}"), msg::at_most_items(MAX_INTERVALS_PER_DAY));
                continue;
            }
            for (i, interval) in intervals.iter().enumerate() {
                let path = format!("week.{name}[{i}]");
                match (parse_minutes(&interval.start), parse_minutes(&interval.end)) {
                    (Some(start), Some(end)) if start < end && start < MINUTES_PER_DAY => week[day].push((start, end)),
                    (Some(_), Some(_)) => e.add(path, msg::start_before_end()),
                    _ => e.add(path, msg::time_format()),
                }
            }
            week[day].sort_unstable();
            if week[day].windows(2).any(|pair| pair[0].1 > pair[1].0) {
                e.add(format!("week.{name}"), msg::intervals_overlap());
            }
        }
        if week.iter().all(Vec::is_empty) {
            e.add("week", msg::no_working_time());
        }
        if self.holidays.len() > MAX_HOLIDAYS {
            e.add("holidays", msg::at_most_items(MAX_HOLIDAYS));
        }
        let holidays: BTreeSet<Date> = self.holidays.iter().copied().collect();
        if holidays.len() != self.holidays.len() {
            e.add("holidays", msg::dates_unique());
        }
        e.finish()?;
        Ok(Calendar { zone: zone.expect("checked above"), week, holidays })
    }
}

fn weekday_index(weekday: Weekday) -> usize {
    weekday.to_monday_zero_offset() as usize
}

impl Calendar {
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    fn local_date(&self, instant: Timestamp) -> Date {
        instant.to_zoned(self.zone.clone()).date()
    }

    /// The working windows of a local date as instants (empty on holidays and days off).
    fn windows(&self, date: Date) -> Result<Vec<(Timestamp, Timestamp)>, CalendarError> {
        if self.holidays.contains(&date) {
            return Ok(Vec::new());
        }
        let at = |minutes: u16| -> Result<Timestamp, CalendarError> {
            let (day, minutes) = if minutes == MINUTES_PER_DAY {
                (date.tomorrow().map_err(|_| CalendarError::OutOfRange)?, 0)
            } else {
                (date, minutes)
            };
            let local = day.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
            // In a spring-forward gap the later offset applies; in a fall-back fold, the earlier.
            self.zone.to_zoned(local).map(|z| z.timestamp()).map_err(|_| CalendarError::OutOfRange)
        };
        self.week[weekday_index(date.weekday())].iter().map(|&(start, end)| Ok((at(start)?, at(end)?))).collect()
    }

    /// The instant `minutes` business minutes after `start`. A deadline that fills a window
    /// exactly ends at the window's end, not at the next window's start.
    pub fn add_business_minutes(&self, start: Timestamp, minutes: i64) -> Result<Timestamp, CalendarError> {
        self.add_business_time(start, SignedDuration::from_mins(minutes.max(0)))
    }

    pub fn add_business_time(&self, start: Timestamp, duration: SignedDuration) -> Result<Timestamp, CalendarError> {
        let mut remaining = duration;
        if remaining.is_zero() {
            return Ok(start);
        }
        let mut date = self.local_date(start).yesterday().map_err(|_| CalendarError::OutOfRange)?;
        for _ in 0..MAX_DAYS {
            for (window_start, window_end) in self.windows(date)? {
                let from = window_start.max(start);
                if from >= window_end {
                    continue;
                }
                let available = window_end.duration_since(from);
                if remaining <= available {
                    return from.checked_add(remaining).map_err(|_| CalendarError::OutOfRange);
                }
                remaining -= available;
            }
            date = date.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
        }
        Err(CalendarError::NoWorkingTime)
    }

    /// Business time between two instants (zero if `to` is not after `from`).
    pub fn business_time_between(&self, from: Timestamp, to: Timestamp) -> Result<SignedDuration, CalendarError> {
        let mut total = SignedDuration::ZERO;
        if to <= from {
            return Ok(total);
        }
        let mut date = self.local_date(from).yesterday().map_err(|_| CalendarError::OutOfRange)?;
        let last = self.local_date(to);
        for _ in 0..=(MAX_DAYS * 4) {
            if date > last {
                return Ok(total);
            }
            for (window_start, window_end) in self.windows(date)? {
                let (start, end) = (window_start.max(from), window_end.min(to));
                if start < end {
                    total += end.duration_since(start);
                }
            }
            date = date.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
        }
        Err(CalendarError::OutOfRange)
    }

    /// Whole business minutes between two instants.
    pub fn business_minutes_between(&self, from: Timestamp, to: Timestamp) -> Result<i64, CalendarError> {
        Ok(self.business_time_between(from, to)?.as_secs() / 60)
    }
}
