//! Business-calendar arithmetic, table-driven, in zones with and without daylight saving.

use gestiona_domain::calendar::{Calendar, CalendarDef, Interval, Week};
use jiff::Timestamp;
use jiff::civil::Date;
use proptest::prelude::*;

fn interval(start: &str, end: &str) -> Interval {
    Interval { start: start.into(), end: end.into() }
}

fn calendar(zone: &str, week: Week, holidays: &[&str]) -> Calendar {
    CalendarDef {
        key: "c".into(),
        name: "C".into(),
        version: 1,
        time_zone: zone.into(),
        week,
        holidays: holidays.iter().map(|d| d.parse::<Date>().unwrap()).collect(),
    }
    .compile()
    .unwrap()
}

/// Costa Rica (no DST): Monday to Friday 08:00–12:00 and 13:00–17:00.
fn office(holidays: &[&str]) -> Calendar {
    let day = vec![interval("08:00", "12:00"), interval("13:00", "17:00")];
    let week = Week {
        monday: day.clone(),
        tuesday: day.clone(),
        wednesday: day.clone(),
        thursday: day.clone(),
        friday: day,
        ..Default::default()
    };
    calendar("America/Costa_Rica", week, holidays)
}

/// Every hour of every day.
fn always(zone: &str) -> Calendar {
    let day = vec![interval("00:00", "24:00")];
    let week = Week {
        monday: day.clone(),
        tuesday: day.clone(),
        wednesday: day.clone(),
        thursday: day.clone(),
        friday: day.clone(),
        saturday: day.clone(),
        sunday: day,
    };
    calendar(zone, week, &[])
}

/// A local wall-clock time in `zone` as an instant.
fn local(zone: &str, text: &str) -> Timestamp {
    let datetime: jiff::civil::DateTime = text.parse().unwrap();
    datetime.to_zoned(jiff::tz::TimeZone::get(zone).unwrap()).unwrap().timestamp()
}

fn cr(text: &str) -> Timestamp {
    local("America/Costa_Rica", text)
}

#[test]
fn adding_business_minutes_in_office_hours() {
    let office = office(&[]);
    // (start, minutes, expected), local Costa Rica time; 2026-11-23 is a Monday.
    let cases = [
        ("2026-11-23T08:00", 0, "2026-11-23T08:00"),
        ("2026-11-23T08:00", 60, "2026-11-23T09:00"),
        ("2026-11-23T08:00", 480, "2026-11-23T17:00"), // fills the day exactly: ends at 17:00
        ("2026-11-23T08:00", 481, "2026-11-24T08:01"),
        ("2026-11-23T11:30", 60, "2026-11-23T13:30"),        // across lunch
        ("2026-11-23T12:15", 30, "2026-11-23T13:30"),        // starting at lunch
        ("2026-11-23T06:00", 15, "2026-11-23T08:15"),        // before opening
        ("2026-11-23T12:00", 240, "2026-11-23T17:00"),       // from a boundary to a boundary
        ("2026-11-27T16:30", 60, "2026-11-30T08:30"),        // Friday evening to Monday
        ("2026-11-28T10:00", 1, "2026-11-30T08:01"),         // Saturday
        ("2026-11-23T08:00", 2400, "2026-11-27T17:00"),      // one working week
        ("2026-11-23T08:00", 4800 + 30, "2026-12-07T08:30"), // two weeks and a bit
    ];
    for (start, minutes, expected) in cases {
        assert_eq!(office.add_business_minutes(cr(start), minutes).unwrap(), cr(expected), "{start} + {minutes}");
    }
}

#[test]
fn a_friday_holiday_before_a_weekend() {
    // 2026-12-25 is a Friday.
    let office = office(&["2026-12-25"]);
    assert_eq!(office.add_business_minutes(cr("2026-12-24T16:00"), 120).unwrap(), cr("2026-12-28T09:00"));
    assert_eq!(office.business_minutes_between(cr("2026-12-24T16:00"), cr("2026-12-28T09:00")).unwrap(), 120);
    assert_eq!(office.business_minutes_between(cr("2026-12-25T00:00"), cr("2026-12-27T23:59")).unwrap(), 0);
}

#[test]
fn business_minutes_between_instants() {
    let office = office(&[]);
    let cases = [
        ("2026-11-23T08:00", "2026-11-23T17:00", 480),
        ("2026-11-23T11:00", "2026-11-23T14:00", 120),
        ("2026-11-23T18:00", "2026-11-24T07:00", 0),
        ("2026-11-27T16:00", "2026-11-30T09:00", 120),
        ("2026-11-23T08:00", "2026-12-07T08:00", 4800),
        ("2026-11-24T10:00", "2026-11-23T10:00", 0), // reversed
    ];
    for (from, to, expected) in cases {
        assert_eq!(office.business_minutes_between(cr(from), cr(to)).unwrap(), expected, "{from} → {to}");
    }
}

#[test]
fn intervals_that_end_at_midnight() {
    // An evening desk, every day 20:00–24:00, in Madrid.
    let evening = vec![interval("20:00", "24:00")];
    let week = Week {
        monday: evening.clone(),
        tuesday: evening.clone(),
        wednesday: evening.clone(),
        thursday: evening.clone(),
        friday: evening.clone(),
        saturday: evening.clone(),
        sunday: evening,
    };
    let desk = calendar("Europe/Madrid", week, &[]);
    let madrid = |t: &str| local("Europe/Madrid", t);
    assert_eq!(desk.add_business_minutes(madrid("2026-11-23T23:30"), 30).unwrap(), madrid("2026-11-24T00:00"));
    assert_eq!(desk.add_business_minutes(madrid("2026-11-23T23:30"), 31).unwrap(), madrid("2026-11-24T20:01"));
    assert_eq!(desk.business_minutes_between(madrid("2026-11-23T00:00"), madrid("2026-11-25T00:00")).unwrap(), 480);
}

#[test]
fn daylight_saving_in_madrid() {
    let clock = always("Europe/Madrid");
    let madrid = |t: &str| local("Europe/Madrid", t);
    // 2026-03-29: 02:00 → 03:00. The day has 23 hours.
    assert_eq!(
        clock.business_minutes_between(madrid("2026-03-29T00:00"), madrid("2026-03-30T00:00")).unwrap(),
        23 * 60
    );
    assert_eq!(clock.add_business_minutes(madrid("2026-03-29T01:30"), 60).unwrap(), madrid("2026-03-29T03:30"));
    // 2026-10-25: 03:00 → 02:00. The day has 25 hours.
    assert_eq!(
        clock.business_minutes_between(madrid("2026-10-25T00:00"), madrid("2026-10-26T00:00")).unwrap(),
        25 * 60
    );
    assert_eq!(clock.add_business_minutes(madrid("2026-10-25T00:00"), 25 * 60).unwrap(), madrid("2026-10-26T00:00"));

    // An office day across the spring change is still eight hours of work.
    let day = vec![interval("01:00", "05:00"), interval("09:00", "13:00")];
    let office = calendar("Europe/Madrid", Week { sunday: day, ..Default::default() }, &[]);
    assert_eq!(
        office.business_minutes_between(madrid("2026-03-29T00:00"), madrid("2026-03-30T00:00")).unwrap(),
        180 + 240
    );
}

#[test]
fn daylight_saving_in_santiago() {
    let clock = always("America/Santiago");
    let santiago = |t: &str| local("America/Santiago", t);
    // Chile leaves summer time on Saturday 2026-04-04 at 24:00 (the clock goes back to 23:00) and
    // enters it on Saturday 2026-09-05 at 24:00 (the clock jumps to 01:00 on Sunday).
    assert_eq!(
        clock.business_minutes_between(santiago("2026-04-04T12:00"), santiago("2026-04-05T12:00")).unwrap(),
        25 * 60
    );
    assert_eq!(
        clock.business_minutes_between(santiago("2026-09-05T12:00"), santiago("2026-09-06T12:00")).unwrap(),
        23 * 60
    );
    assert_eq!(clock.add_business_minutes(santiago("2026-09-05T23:30"), 60).unwrap(), santiago("2026-09-06T01:30"));
}

#[test]
fn invalid_calendars_are_refused_with_every_problem() {
    let def = CalendarDef {
        key: "Bad Key".into(),
        name: "".into(),
        version: 1,
        time_zone: "Mars/Olympus".into(),
        week: Week {
            monday: vec![interval("09:00", "08:00"), interval("25:00", "26:00")],
            tuesday: vec![interval("08:00", "12:00"), interval("11:00", "13:00")],
            ..Default::default()
        },
        holidays: vec!["2026-12-25".parse().unwrap(), "2026-12-25".parse().unwrap()],
    };
    let fields: Vec<String> = def.compile().unwrap_err().0.into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["key", "name", "timeZone", "week.monday[0]", "week.monday[1]", "week.tuesday", "holidays"]);
    let empty = CalendarDef { week: Week::default(), ..def };
    assert!(empty.compile().unwrap_err().0.iter().any(|e| e.field == "week"));
}

#[test]
fn a_calendar_has_a_bounded_size_and_always_yields_working_time() {
    let day: Vec<Interval> = (0..13).map(|h| interval(&format!("{h:02}:00"), &format!("{h:02}:30"))).collect();
    // Every Monday from 2026 on a holiday: more than the limit allows, so a deadline is never
    // searched past the limit for want of working time.
    let mondays: Vec<Date> = (0..260).map(|w| jiff::civil::date(2026, 1, 5) + jiff::Span::new().weeks(w)).collect();
    let def = CalendarDef {
        key: "grande".into(),
        name: "Grande".into(),
        version: 1,
        time_zone: "Europe/Madrid".into(),
        week: Week { monday: vec![interval("09:00", "10:00")], tuesday: day, ..Default::default() },
        holidays: mondays,
    };
    let refused = def.compile().unwrap_err().0;
    let fields: Vec<&str> = refused.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["week.tuesday", "holidays"]);
    assert!(refused.iter().all(|e| e.reason.code() == "at_most_items"), "{refused:?}");
}

proptest! {
    #[test]
    fn between_inverts_add(start in 1_780_000_000i64..1_830_000_000i64, minutes in 0i64..20_000) {
        let office = office(&["2026-12-25", "2027-01-01"]);
        let start = Timestamp::from_second(start).unwrap();
        let due = office.add_business_minutes(start, minutes).unwrap();
        prop_assert!(due >= start);
        prop_assert_eq!(office.business_minutes_between(start, due).unwrap(), minutes);
    }

    #[test]
    fn dst_zones_keep_the_inverse(start in 1_780_000_000i64..1_830_000_000i64, minutes in 0i64..5_000) {
        for zone in ["Europe/Madrid", "America/Santiago"] {
            let clock = always(zone);
            let start = Timestamp::from_second(start).unwrap();
            let due = clock.add_business_minutes(start, minutes).unwrap();
            prop_assert_eq!(due.duration_since(start).as_secs(), minutes * 60, "a 24/7 calendar counts real time");
            prop_assert_eq!(clock.business_minutes_between(start, due).unwrap(), minutes);
        }
    }
}
