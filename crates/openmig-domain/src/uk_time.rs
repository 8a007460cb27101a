//! UK civil time (Europe/London): GMT in winter, British Summer Time (UTC+1) in summer.
//!
//! Clinical rules count UK calendar days ("issued 28 days ago", "overdue since
//! yesterday"), GP systems record consultations in UK wall-clock time, and audit reports
//! are asked for by UK day. One rule serves them all, so that a late-evening view in
//! summer is on the same day everywhere.
//!
//! BST runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
//! October (the rule in force since 1996, now the Summer Time Order 2002; the synthetic
//! records and audit logs begin long after, so older years are not special-cased). Pure:
//! the instant is always passed in.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

/// The last Sunday of `month` (1–12) of `year`, the day the clocks change in March and
/// October. `None` only for a year outside chrono's range.
pub fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next = if month >= 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    let last = first_of_next.pred_opt()?;
    last.checked_sub_days(chrono::Days::new(u64::from(last.weekday().num_days_from_sunday())))
}

/// 01:00 on the last Sunday of `month`, as a UTC wall time (when BST starts in March and
/// ends in October).
fn change_at(year: i32, month: u32) -> Option<NaiveDateTime> {
    Some(last_sunday(year, month)?.and_time(NaiveTime::from_hms_opt(1, 0, 0)?))
}

/// True when the UTC instant `utc` falls in British Summer Time.
pub fn is_summer_time_at(utc: NaiveDateTime) -> bool {
    match (change_at(utc.year(), 3), change_at(utc.year(), 10)) {
        (Some(starts), Some(ends)) => starts <= utc && utc < ends,
        _ => false,
    }
}

/// True when the UK wall-clock time `local` is in British Summer Time. The hour repeated
/// when the clocks go back is read as BST (its first occurrence); a time inside the hour
/// skipped when they go forward cannot have been recorded and is read as GMT.
pub fn is_summer_time_local(local: NaiveDateTime) -> bool {
    match (change_at(local.year(), 3), change_at(local.year(), 10), local.checked_sub_signed(TimeDelta::hours(1))) {
        (Some(starts), Some(ends), Some(utc_if_summer)) => starts <= utc_if_summer && utc_if_summer < ends,
        _ => false,
    }
}

/// The UK wall-clock time of an instant.
pub fn uk_local_time(instant: DateTime<Utc>) -> NaiveDateTime {
    let utc = instant.naive_utc();
    if is_summer_time_at(utc) { utc.checked_add_signed(TimeDelta::hours(1)).unwrap_or(utc) } else { utc }
}

/// The UK calendar day of an instant: "today" for clinical rules. Between 23:00 and
/// midnight UTC in summer it is already the next day in the UK.
pub fn uk_date(instant: DateTime<Utc>) -> NaiveDate {
    uk_local_time(instant).date()
}

/// The instant a UK calendar day starts: midnight GMT, or 23:00 UTC the day before while
/// BST is in force. Both changes happen after local midnight, so a day starts in BST
/// exactly when it falls after the last Sunday of March and on or before the last Sunday
/// of October.
pub fn uk_day_start(day: NaiveDate) -> DateTime<Utc> {
    let year = day.year();
    let summer = match (last_sunday(year, 3), last_sunday(year, 10)) {
        (Some(starts), Some(ends)) => day > starts && day <= ends,
        _ => false,
    };
    let midnight = day.and_time(NaiveTime::MIN).and_utc();
    if summer { midnight - TimeDelta::hours(1) } else { midnight }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a valid day")
    }

    fn at(d: NaiveDate, h: u32, min: u32) -> NaiveDateTime {
        d.and_hms_opt(h, min, 0).expect("a valid time")
    }

    #[test]
    fn the_clocks_change_on_the_last_sundays_of_march_and_october() {
        // 2026: BST from Sunday 29 March to Sunday 25 October.
        assert_eq!(last_sunday(2026, 3), Some(day(2026, 3, 29)));
        assert_eq!(last_sunday(2026, 10), Some(day(2026, 10, 25)));
        assert_eq!(last_sunday(2026, 12), Some(day(2026, 12, 27)));
        assert_eq!(last_sunday(2027, 3), Some(day(2027, 3, 28)));
    }

    #[test]
    fn summer_time_starts_and_ends_at_01_00_utc() {
        assert!(!is_summer_time_at(at(day(2026, 3, 29), 0, 59)));
        assert!(is_summer_time_at(at(day(2026, 3, 29), 1, 0)));
        assert!(is_summer_time_at(at(day(2026, 10, 25), 0, 59)));
        assert!(!is_summer_time_at(at(day(2026, 10, 25), 1, 0)));
        // Local time: 01:30 on 29 March does not exist (read as GMT); 01:30 on 25 October
        // happens twice (read as BST).
        assert!(!is_summer_time_local(at(day(2026, 3, 29), 1, 30)));
        assert!(is_summer_time_local(at(day(2026, 3, 29), 2, 0)));
        assert!(is_summer_time_local(at(day(2026, 10, 25), 1, 30)));
        assert!(!is_summer_time_local(at(day(2026, 10, 25), 2, 0)));
    }

    #[test]
    fn the_uk_date_is_a_day_ahead_of_utc_late_on_summer_evenings_only() {
        let utc = |d: NaiveDate, h: u32, min: u32| at(d, h, min).and_utc();
        assert_eq!(uk_date(utc(day(2026, 7, 14), 22, 59)), day(2026, 7, 14));
        assert_eq!(uk_date(utc(day(2026, 7, 14), 23, 30)), day(2026, 7, 15));
        assert_eq!(uk_date(utc(day(2026, 11, 25), 23, 30)), day(2026, 11, 25));
        assert_eq!(uk_local_time(utc(day(2026, 7, 14), 23, 30)), at(day(2026, 7, 15), 0, 30));
    }

    #[test]
    fn uk_days_start_at_midnight_gmt_in_winter_and_23_00_utc_in_summer() {
        let utc = |d: NaiveDate, h: u32| at(d, h, 0).and_utc();
        assert_eq!(uk_day_start(day(2026, 1, 15)), utc(day(2026, 1, 15), 0));
        assert_eq!(uk_day_start(day(2026, 3, 29)), utc(day(2026, 3, 29), 0), "the change is at 01:00");
        assert_eq!(uk_day_start(day(2026, 3, 30)), utc(day(2026, 3, 29), 23));
        assert_eq!(uk_day_start(day(2026, 7, 1)), utc(day(2026, 6, 30), 23));
        assert_eq!(uk_day_start(day(2026, 10, 25)), utc(day(2026, 10, 24), 23), "still BST at midnight");
        assert_eq!(uk_day_start(day(2026, 10, 26)), utc(day(2026, 10, 26), 0));
    }

    #[test]
    fn every_instant_s_uk_date_starts_no_later_than_the_instant() {
        let mut instant = at(day(2026, 1, 1), 0, 0).and_utc();
        while instant < at(day(2027, 1, 1), 0, 0).and_utc() {
            let today = uk_date(instant);
            assert!(uk_day_start(today) <= instant, "{instant}");
            assert!(instant < uk_day_start(today + TimeDelta::days(1)), "{instant}");
            instant += TimeDelta::minutes(29);
        }
    }
}
