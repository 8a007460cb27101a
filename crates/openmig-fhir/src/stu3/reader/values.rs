//! Reading FHIR data types out of JSON: strings, codes, extensions, dates, numbers.
//!
//! Every function answers `None` for a missing element or one of the wrong JSON type;
//! the area modules decide whether that is an error.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use openmig_domain::record::Coded;
use openmig_domain::{PartialDate, SnomedCode};
use serde_json::Value;

use super::super::{local_date_time, urls};
use super::{NotRead, invalid};

/// A string element.
pub(super) fn text<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value.get(field)?.as_str()
}

/// An array element; empty when absent or not an array.
pub(super) fn array<'a>(value: &'a Value, field: &str) -> &'a [Value] {
    value.get(field).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The first item of an array element.
pub(super) fn first<'a>(value: &'a Value, field: &str) -> Option<&'a Value> {
    array(value, field).first()
}

/// The extensions (or sub-extensions) of `value` with this `url`.
///
/// `http` and `https` name the same extension: GP Connect's own pages and examples write
/// some CareConnect extension URLs with either (the Problems guidance and the published
/// consultation example give `http://fhir.hl7.org.uk/…RelatedClinicalContent-1`, the
/// StructureDefinition and NHS England's provider tests `https://`).
pub(super) fn extensions<'a>(value: &'a Value, url: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    array(value, "extension").iter().filter(move |e| text(e, "url").is_some_and(|found| same_url(found, url)))
}

/// True when the URLs are equal but perhaps for `http` against `https`.
fn same_url(found: &str, wanted: &str) -> bool {
    fn unscheme(url: &str) -> &str {
        url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(url)
    }
    found == wanted || unscheme(found) == unscheme(wanted)
}

/// The first extension (or sub-extension) of `value` with this `url`.
pub(super) fn extension<'a>(value: &'a Value, url: &'a str) -> Option<&'a Value> {
    extensions(value, url).next()
}

/// The first SNOMED CT coding of a CodeableConcept whose code is a valid concept id,
/// with the concept's `text` (else the term the clinician chose, the coding's
/// `descriptionDisplay`; else the coding's display) as its term.
///
/// Text wins: GP Connect puts the term the clinician recorded in `text` when it is not
/// the coding's display, and a transfer-degraded entry (coded 196421000000109
/// "Transfer-degraded medication entry" or 196461000000101 "Transfer-degraded drug
/// allergy") carries the real drug or allergen only there.
pub(super) fn snomed(concept: &Value) -> Option<Coded> {
    array(concept, "coding").iter().filter(|c| text(c, "system") == Some(urls::SNOMED)).find_map(|coding| {
        let code = SnomedCode::parse(text(coding, "code")?).ok()?;
        let term = nonblank(concept, "text")
            .or_else(|| description_display(coding))
            .or_else(|| text(coding, "display"))
            .unwrap_or_default();
        Some(Coded::new(code, term))
    })
}

/// CareConnect `Extension-coding-sctdescid`: the SNOMED CT description the clinician
/// picked, when it is not the concept's preferred term (the coding's display). Its part
/// is `descriptionDisplay`; GP Connect's own examples spell it `DescriptionDisplay`.
const SCT_DESCRIPTION_EXTENSION: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-coding-sctdescid";

fn description_display(coding: &Value) -> Option<&str> {
    let description = extension(coding, SCT_DESCRIPTION_EXTENSION)?;
    array(description, "extension")
        .iter()
        .filter(|part| matches!(text(part, "url"), Some("descriptionDisplay" | "DescriptionDisplay")))
        .find_map(|part| nonblank(part, "valueString"))
}

/// A string element that is not blank.
pub(super) fn nonblank<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    text(value, field).filter(|t| !t.trim().is_empty())
}

/// The code of the first coding of a CodeableConcept in `system`.
pub(super) fn code_in<'a>(concept: &'a Value, system: &str) -> Option<&'a str> {
    array(concept, "coding").iter().find(|c| text(c, "system") == Some(system)).and_then(|c| text(c, "code"))
}

/// A CodeableConcept's text, or its first coding's display.
pub(super) fn concept_text(concept: &Value) -> Option<&str> {
    nonblank(concept, "text").or_else(|| array(concept, "coding").iter().find_map(|c| nonblank(c, "display")))
}

/// A FHIR `date` or `dateTime` at the precision given: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
/// or a day with a time (the day as written).
pub(super) fn partial_date(value: &str) -> Option<PartialDate> {
    match value.split_once('T') {
        Some((day, _)) => PartialDate::parse(day).ok().filter(|d| d.day().is_some()),
        None => PartialDate::parse(value).ok(),
    }
}

/// An optional date element at the precision given: `None` when absent, an error naming
/// `kind` and `element` when present but not a date.
pub(super) fn optional_date(value: &Value, kind: &str, element: &str) -> Result<Option<PartialDate>, NotRead> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => partial_date(text).map(Some).ok_or_else(|| not_a_date(kind, element)),
        _ => Err(not_a_date(kind, element)),
    }
}

/// A mandatory date element at the precision given.
pub(super) fn required_date(value: &Value, kind: &str, element: &str) -> Result<PartialDate, NotRead> {
    optional_date(value, kind, element)?.ok_or_else(|| invalid(kind, &format!("no {element}")))
}

/// An optional date element at any precision, as the first day it can mean: for the
/// dates the domain keeps as a day where GP Connect allows a partial one (a problem's
/// asserted date, a referral's authored date).
pub(super) fn optional_first_day(value: &Value, kind: &str, element: &str) -> Result<Option<NaiveDate>, NotRead> {
    Ok(optional_date(value, kind, element)?.map(PartialDate::earliest))
}

/// An optional whole-day element.
pub(super) fn optional_day(value: &Value, kind: &str, element: &str) -> Result<Option<NaiveDate>, NotRead> {
    match optional_date(value, kind, element)? {
        None => Ok(None),
        Some(date) => date.day().map(Some).ok_or_else(|| not_a_date(kind, element)),
    }
}

fn not_a_date(kind: &str, element: &str) -> NotRead {
    invalid(kind, &format!("{element} is not a date"))
}

/// A whole day: `YYYY-MM-DD`, or a `dateTime`/`instant` on that day (as written).
pub(super) fn day(value: &str) -> Option<NaiveDate> {
    partial_date(value)?.day()
}

/// A `dateTime` as UK wall-clock time, as GP systems record consultations.
///
/// The writer sends local time with the offset of its season
/// ([`local_date_time`]); a time written that way is taken as written (even in the hour
/// the clocks skip, which the writer marks `+00:00`). Any other offset (e.g. UTC `Z` in
/// summer) is converted to UK time. A bare date is midnight.
pub(super) fn uk_local_time(value: &str) -> Option<NaiveDateTime> {
    if !value.contains('T') {
        return Some(day(value)?.and_time(NaiveTime::MIN));
    }
    let instant = chrono::DateTime::parse_from_rfc3339(value).ok()?;
    let written = instant.naive_local();
    if local_date_time(written) == value {
        return Some(written);
    }
    Some(openmig_domain::uk_time::uk_local_time(instant.with_timezone(&chrono::Utc)))
}

/// A number.
pub(super) fn number(value: &Value) -> Option<f64> {
    value.as_f64().filter(|n| n.is_finite())
}

/// A whole non-negative number that fits `T` (given as an integer or as a float with no
/// fraction).
pub(super) fn whole<T: TryFrom<u64>>(value: &Value) -> Option<T> {
    let n = match value.as_u64() {
        Some(n) => n,
        None => {
            let f = value.as_f64()?;
            if !(f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= u32::MAX as f64) {
                return None;
            }
            f as u64
        }
    };
    T::try_from(n).ok()
}

/// All `note[].text`s, one per line; `None` when there are none.
pub(super) fn notes(resource: &Value) -> Option<String> {
    let texts: Vec<&str> = array(resource, "note").iter().filter_map(|n| text(n, "text")).collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|day| day.and_hms_opt(h, min, 0)).expect("a valid time")
    }

    #[test]
    fn times_the_writer_sends_are_read_as_written() {
        for time in [
            at(2026, 1, 15, 9, 20),
            at(2026, 7, 15, 9, 20),
            at(2026, 3, 29, 0, 59),
            at(2026, 3, 29, 1, 30), // the skipped hour, sent as +00:00
            at(2026, 3, 29, 2, 0),
            at(2026, 10, 25, 1, 30),
            at(2026, 10, 25, 2, 0),
        ] {
            assert_eq!(uk_local_time(&local_date_time(time)), Some(time), "{time}");
        }
    }

    #[test]
    fn times_in_other_offsets_are_converted_to_uk_time() {
        assert_eq!(uk_local_time("2026-07-15T08:20:00Z"), Some(at(2026, 7, 15, 9, 20)));
        assert_eq!(uk_local_time("2026-01-15T10:20:00+01:00"), Some(at(2026, 1, 15, 9, 20)));
        assert_eq!(uk_local_time("2026-07-15"), Some(at(2026, 7, 15, 0, 0)));
        assert_eq!(uk_local_time("2026-07-15T25:00:00Z"), None);
    }

    #[test]
    fn dates_keep_their_precision() {
        assert_eq!(partial_date("2019"), Some(PartialDate::Year(2019)));
        assert_eq!(partial_date("2019-03"), Some(PartialDate::YearMonth(2019, 3)));
        assert_eq!(day("2019-03-14T00:00:00+00:00"), NaiveDate::from_ymd_opt(2019, 3, 14));
        assert_eq!(partial_date("2019-03T10:00:00Z"), None);
        assert_eq!(day("2019"), None);
    }

    #[test]
    fn whole_numbers_refuse_fractions_negatives_and_overflow() {
        assert_eq!(whole::<u16>(&serde_json::json!(15)), Some(15));
        assert_eq!(whole::<u16>(&serde_json::json!(15.0)), Some(15));
        assert_eq!(whole::<u16>(&serde_json::json!(15.5)), None);
        assert_eq!(whole::<u16>(&serde_json::json!(-1)), None);
        assert_eq!(whole::<u16>(&serde_json::json!(70_000)), None);
        assert_eq!(whole::<u16>(&serde_json::json!("15")), None);
    }
}
