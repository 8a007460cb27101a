//! Dates as GP records hold them: often exact, sometimes only a year or a month.
//!
//! Records migrated from older systems say "asthma, 1987" or "appendicectomy, March 1992".
//! Inventing a day (the infamous 1900-01-01) would be a clinical-safety hazard (H9), so a
//! [`PartialDate`] keeps exactly the precision that was recorded, and comparisons treat a
//! partial date as the interval it stands for.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A calendar date known to the day, the month or only the year.
///
/// Serialised as its FHIR text (`2004`, `2004-03`, `2004-03-15`) in human-readable
/// formats such as JSON, and as a compact tagged number in binary ones (see [`serde_day`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartialDate {
    /// Only the year is known.
    Year(i32),
    /// The year and month (1..=12) are known.
    YearMonth(i32, u32),
    /// The exact day is known.
    Day(NaiveDate),
}

/// Why a text is not a (partial) date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[error("date must be YYYY, YYYY-MM or YYYY-MM-DD")]
    Format,
    /// Shaped like a date but not one (e.g. 2023-02-30).
    #[error("no such calendar date")]
    NoSuchDate,
}

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (the FHIR `date` forms).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let parts: Vec<&str> = text.split('-').collect();
        let number = |s: &str, len: usize| -> Result<u32, DateError> {
            if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DateError::Format);
            }
            s.parse().map_err(|_| DateError::Format)
        };
        match parts.as_slice() {
            [y] => Ok(PartialDate::Year(number(y, 4)? as i32)),
            [y, m] => {
                let (y, m) = (number(y, 4)? as i32, number(m, 2)?);
                if !(1..=12).contains(&m) {
                    return Err(DateError::NoSuchDate);
                }
                Ok(PartialDate::YearMonth(y, m))
            }
            [y, m, d] => {
                let (y, m, d) = (number(y, 4)? as i32, number(m, 2)?, number(d, 2)?);
                NaiveDate::from_ymd_opt(y, m, d).map(PartialDate::Day).ok_or(DateError::NoSuchDate)
            }
            _ => Err(DateError::Format),
        }
    }

    /// The first day this date could mean.
    pub fn earliest(self) -> NaiveDate {
        match self {
            PartialDate::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1),
            PartialDate::YearMonth(y, m) => NaiveDate::from_ymd_opt(y, m, 1),
            PartialDate::Day(d) => Some(d),
        }
        .expect("validated on construction")
    }

    /// The last day this date could mean.
    pub fn latest(self) -> NaiveDate {
        match self {
            PartialDate::Year(y) => NaiveDate::from_ymd_opt(y, 12, 31).expect("valid year"),
            PartialDate::YearMonth(y, m) => {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                NaiveDate::from_ymd_opt(ny, nm, 1).expect("valid month").pred_opt().expect("not day one")
            }
            PartialDate::Day(d) => d,
        }
    }

    /// The exact day, when it is known.
    pub fn day(self) -> Option<NaiveDate> {
        match self {
            PartialDate::Day(d) => Some(d),
            _ => None,
        }
    }

    /// True when every day this date could mean is on or before `day`.
    pub fn surely_on_or_before(self, day: NaiveDate) -> bool {
        self.latest() <= day
    }

    /// True when some day this date could mean is on or after `day` (the GP Connect rule:
    /// a partial date is treated as the whole interval when filtering).
    pub fn possibly_on_or_after(self, day: NaiveDate) -> bool {
        self.latest() >= day
    }

    /// The year, whatever the precision.
    pub fn year(self) -> i32 {
        match self {
            PartialDate::Year(y) | PartialDate::YearMonth(y, _) => y,
            PartialDate::Day(d) => d.year(),
        }
    }
}

impl From<NaiveDate> for PartialDate {
    fn from(value: NaiveDate) -> Self {
        PartialDate::Day(value)
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialDate::Year(y) => write!(f, "{y:04}"),
            PartialDate::YearMonth(y, m) => write!(f, "{y:04}-{m:02}"),
            PartialDate::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

impl fmt::Debug for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartialDate({self})")
    }
}

/// Ordered by the earliest day meant, then by precision (coarser first), so that sorting
/// a list of entries is stable and never pretends a year is a particular day.
impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let precision = |d: &PartialDate| match d {
            PartialDate::Year(_) => 0,
            PartialDate::YearMonth(..) => 1,
            PartialDate::Day(_) => 2,
        };
        self.earliest().cmp(&other.earliest()).then(precision(self).cmp(&precision(other)))
    }
}

impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.collect_str(self);
        }
        // Binary form: (precision, day number of the earliest day meant).
        let precision: u8 = match self {
            PartialDate::Year(_) => 0,
            PartialDate::YearMonth(..) => 1,
            PartialDate::Day(_) => 2,
        };
        (precision, self.earliest().num_days_from_ce()).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            return PartialDate::parse(&text).map_err(D::Error::custom);
        }
        let (precision, days): (u8, i32) = Deserialize::deserialize(deserializer)?;
        let day =
            NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(|| D::Error::custom("day number out of range"))?;
        match precision {
            0 => Ok(PartialDate::Year(day.year())),
            1 => Ok(PartialDate::YearMonth(day.year(), day.month())),
            2 => Ok(PartialDate::Day(day)),
            other => Err(D::Error::custom(format!("unknown date precision {other}"))),
        }
    }
}

/// Serde for `NaiveDate` fields: ISO text in human-readable formats, a day number in
/// binary ones. Stored records hold hundreds of dates, and formatting each as text made
/// encoding several times slower and the documents larger.
pub mod serde_day {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serialises a day.
    pub fn serialize<S: Serializer>(day: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            day.serialize(serializer)
        } else {
            day.num_days_from_ce().serialize(serializer)
        }
    }

    /// Deserialises a day.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        if deserializer.is_human_readable() {
            return NaiveDate::deserialize(deserializer);
        }
        let days = i32::deserialize(deserializer)?;
        NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(|| serde::de::Error::custom("day number out of range"))
    }

    /// The same for `Option<NaiveDate>`.
    pub mod option {
        use chrono::NaiveDate;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        #[derive(Serialize, Deserialize)]
        struct Day(#[serde(with = "super")] NaiveDate);

        /// Serialises an optional day.
        pub fn serialize<S: Serializer>(day: &Option<NaiveDate>, serializer: S) -> Result<S::Ok, S::Error> {
            day.map(Day).serialize(serializer)
        }

        /// Deserialises an optional day.
        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
            Ok(Option::<Day>::deserialize(deserializer)?.map(|d| d.0))
        }
    }
}

/// Serde for `NaiveDateTime` fields: ISO text in human-readable formats, seconds since
/// the Unix epoch (as recorded, no time zone) in binary ones.
pub mod serde_date_time {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serialises a date-time.
    pub fn serialize<S: Serializer>(at: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            at.serialize(serializer)
        } else {
            at.and_utc().timestamp().serialize(serializer)
        }
    }

    /// Deserialises a date-time.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDateTime, D::Error> {
        if deserializer.is_human_readable() {
            return NaiveDateTime::deserialize(deserializer);
        }
        let seconds = i64::deserialize(deserializer)?;
        chrono::DateTime::from_timestamp(seconds, 0)
            .map(|t| t.naive_utc())
            .ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
    }
}

impl FromStr for PartialDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PartialDate::parse(s)
    }
}

impl TryFrom<String> for PartialDate {
    type Error = DateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PartialDate::parse(&value)
    }
}

impl From<PartialDate> for String {
    fn from(value: PartialDate) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn partial_dates_keep_their_precision() {
        assert_eq!(PartialDate::parse("1987").unwrap(), PartialDate::Year(1987));
        assert_eq!(PartialDate::parse("1992-03").unwrap().to_string(), "1992-03");
        assert_eq!(PartialDate::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
    }

    #[test]
    fn a_partial_date_means_the_whole_interval() {
        let march = PartialDate::parse("1992-03").unwrap();
        assert_eq!(march.earliest().to_string(), "1992-03-01");
        assert_eq!(march.latest().to_string(), "1992-03-31");
        let feb = PartialDate::parse("2024-02").unwrap();
        assert_eq!(feb.latest().to_string(), "2024-02-29");
        let year = PartialDate::Year(2020);
        let mid = NaiveDate::from_ymd_opt(2020, 6, 1).unwrap();
        assert!(year.possibly_on_or_after(mid));
        assert!(!year.surely_on_or_before(mid));
    }

    #[test]
    fn malformed_or_impossible_dates_are_refused() {
        assert_eq!(PartialDate::parse("2023-02-30"), Err(DateError::NoSuchDate));
        assert_eq!(PartialDate::parse("2023-13"), Err(DateError::NoSuchDate));
        assert_eq!(PartialDate::parse("23-01-01"), Err(DateError::Format));
        assert_eq!(PartialDate::parse("2023-1-01"), Err(DateError::Format));
        assert_eq!(PartialDate::parse(""), Err(DateError::Format));
        assert_eq!(PartialDate::parse("2023-01-01T00:00"), Err(DateError::Format));
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(y in 1850i32..2100, m in 1u32..=12, d in 1u32..=28, kind in 0u8..3) {
            let date = match kind {
                0 => PartialDate::Year(y),
                1 => PartialDate::YearMonth(y, m),
                _ => PartialDate::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap()),
            };
            prop_assert_eq!(PartialDate::parse(&date.to_string()), Ok(date));
            prop_assert!(date.earliest() <= date.latest());
        }
    }
}
