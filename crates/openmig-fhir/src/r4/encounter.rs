//! `UKCore-Encounter`: consultations and other contacts.
//!
//! - `status` is `finished` (the record holds past contacts only).
//! - `class` (R4 `v3-ActCode`): surgery and out-of-hours centre visits are `AMB`
//!   (ambulatory), home visits `HH` (home health), telephone and video consultations
//!   `VR` (virtual: patient and clinician not in the same place).
//! - `type` is the record's SNOMED CT encounter-type code (UK Core
//!   `UKCore-EncounterType`).
//! - `period` runs from the start for the recorded duration, also sent as `length`.
//!   GP systems record UK wall-clock time and a FHIR time needs an offset, so the offset
//!   is the UK's: `+01:00` in British Summer Time (from 01:00 GMT on the last Sunday of
//!   March to 01:00 GMT on the last Sunday of October, the rule in force since 1981),
//!   `+00:00` otherwise. The repeated hour when the clocks go back is read as summer
//!   time.
//! - `participant` is the clinician seen, `serviceProvider` the practice, `diagnosis` the
//!   shared problems recorded in the consultation.
//! - The consultation notes are never sent: R4 Encounter has no element for them, and
//!   free text cannot be screened for the sensitive exclusion set.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, TimeDelta};
use openmig_domain::record::{Encounter, EncounterKind};
use serde_json::{Value, json};

use super::context::Context;
use super::{coding, ids, meta, snomed_concept, urls, withholding};

/// Every Encounter of the patient, shared encounters in record order.
pub(crate) fn resources(cx: &Context<'_>) -> Vec<Value> {
    cx.record.encounters.iter().filter(|e| !withholding::encounter(e)).map(|e| encounter(cx, e)).collect()
}

fn encounter(cx: &Context<'_>, encounter: &Encounter) -> Value {
    let (class_system, class, class_display) = class(encounter.kind);
    let mut period = json!({ "start": uk_date_time(encounter.start) });
    if let Some(end) = encounter.start.checked_add_signed(TimeDelta::minutes(i64::from(encounter.duration_minutes))) {
        period["end"] = json!(uk_date_time(end));
    }
    let mut resource = json!({
        "resourceType": "Encounter",
        "id": ids::entry("encounter", cx.nhs, encounter.meta.id),
        "meta": meta(urls::profiles::ENCOUNTER),
        "status": "finished",
        "class": coding(class_system, class, Some(class_display)),
        "type": [match encounter.type_code() {
            Some(code) => snomed_concept(code, encounter.type_label()),
            None => json!({ "text": encounter.type_label() }),
        }],
        "subject": cx.patient_ref(),
    });
    if let Some(clinician) = cx.practitioner_ref(&encounter.clinician) {
        resource["participant"] = json!([{ "individual": clinician }]);
    }
    resource["period"] = period;
    resource["length"] =
        json!({ "value": encounter.duration_minutes, "unit": "min", "system": urls::UCUM, "code": "min" });
    let diagnoses: Vec<Value> = encounter
        .linked
        .iter()
        .filter_map(|id| cx.shared_condition_ref(*id))
        .map(|condition| json!({ "condition": condition }))
        .collect();
    if !diagnoses.is_empty() {
        resource["diagnosis"] = json!(diagnoses);
    }
    resource["serviceProvider"] = cx.organization_ref();
    resource
}

/// The v3 ActCode class; for a type openmig has no kind for, which does not say where
/// the contact happened, the v3 NullFlavor `UNK` (the class binding is extensible).
fn class(kind: EncounterKind) -> (&'static str, &'static str, &'static str) {
    let (code, display) = match kind {
        EncounterKind::Surgery | EncounterKind::OutOfHours => ("AMB", "ambulatory"),
        EncounterKind::HomeVisit => ("HH", "home health"),
        EncounterKind::Telephone | EncounterKind::Video => ("VR", "virtual"),
        EncounterKind::Other => return (urls::NULL_FLAVOR_SYSTEM, "UNK", "unknown"),
    };
    (urls::ACT_CODE_SYSTEM, code, display)
}

/// A UK wall-clock time as a FHIR `dateTime` with the UK offset of that moment.
fn uk_date_time(local: NaiveDateTime) -> String {
    format!("{}{}", local.format("%Y-%m-%dT%H:%M:%S"), uk_offset(local))
}

/// `+01:00` during British Summer Time, `+00:00` otherwise (module docs).
fn uk_offset(local: NaiveDateTime) -> &'static str {
    let year = local.year();
    let starts = last_sunday(year, 3).and_then(|d| d.and_hms_opt(1, 0, 0));
    let ends = last_sunday(year, 10).and_then(|d| d.and_hms_opt(2, 0, 0));
    match (starts, ends) {
        (Some(starts), Some(ends)) if starts <= local && local < ends => "+01:00",
        _ => "+00:00",
    }
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let next_month =
        if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, month + 1, 1) };
    let last_day = next_month?.pred_opt()?;
    last_day.checked_sub_days(Days::new(u64::from(last_day.weekday().num_days_from_sunday())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }

    #[test]
    fn british_summer_time_runs_from_the_last_sunday_of_march_to_the_last_sunday_of_october() {
        // 2026: the clocks go forward on 29 March and back on 25 October.
        assert_eq!(uk_date_time(at(2026, 3, 29, 0, 59)), "2026-03-29T00:59:00+00:00");
        assert_eq!(uk_date_time(at(2026, 3, 29, 2, 30)), "2026-03-29T02:30:00+01:00");
        assert_eq!(uk_date_time(at(2026, 7, 1, 9, 20)), "2026-07-01T09:20:00+01:00");
        assert_eq!(uk_date_time(at(2026, 10, 25, 1, 30)), "2026-10-25T01:30:00+01:00");
        assert_eq!(uk_date_time(at(2026, 10, 25, 2, 0)), "2026-10-25T02:00:00+00:00");
        assert_eq!(uk_date_time(at(2023, 2, 10, 9, 20)), "2023-02-10T09:20:00+00:00");
    }
}
