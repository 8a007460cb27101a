//! The readable terminal summary of one record (`openmig record`).
//!
//! Order follows what a clinician needs first: who the patient is, allergies, current
//! medicines with dose and last issue, warnings, problems, then the trend of the results
//! that change prescribing (renal function, potassium, HbA1c, blood pressure). Entries
//! the practice marked confidential, and entries in the sensitive exclusion set, are
//! labelled: this is the practice-side view, and the labels say what would never be
//! shared.

use std::fmt::Write;

use chrono::NaiveDate;
use openmig_domain::codesets::sensitive_category;
use openmig_domain::medicines::{ReviewConfig, review};
use openmig_domain::record::{AllergyStatus, Criticality, EntryMeta, Observation, ObservationValue, ProblemStatus};
use openmig_domain::{GpRecord, Practice, RegistrationStatus, SnomedCode};

use crate::medicines_text;

/// Renders the summary. `today` decides what is current and how long ago things were.
pub fn render(record: &GpRecord, practice: Option<&Practice>, today: NaiveDate, all_medicines: bool) -> String {
    let mut out = String::new();
    banner(&mut out, record, practice, today);
    allergies(&mut out, record);
    let review = review(record, today, &ReviewConfig::default());
    medicines_text::current(&mut out, &review, |entry| {
        record
            .medications
            .iter()
            .find(|m| m.meta.id == entry)
            .map(|m| labels(&m.meta, m.product.code))
            .unwrap_or_default()
    });
    if all_medicines {
        medicines_text::details(&mut out, &review);
    }
    warnings(&mut out, record);
    problems(&mut out, record);
    results(&mut out, record);
    out
}

/// Results whose trend matters at the point of care, newest first: renal function
/// (drug dosing), potassium, HbA1c, blood pressure.
const KEY_RESULTS: &[(u64, &str)] = &[
    (1011481000000105, "eGFR"),
    (1000731000000107, "Creatinine"),
    (1000651000000109, "Potassium"),
    (999791000000106, "HbA1c"),
    (75367002, "Blood pressure"),
];

fn results(out: &mut String, record: &GpRecord) {
    let mut lines = Vec::new();
    for (code, label) in KEY_RESULTS {
        let mut found: Vec<&Observation> =
            record.observations.iter().filter(|o| o.code.code.value() == *code).collect();
        if found.is_empty() {
            continue;
        }
        found.sort_by_key(|o| std::cmp::Reverse(o.effective));
        let values: Vec<String> = found.iter().take(4).map(|o| value_text(o)).collect();
        let latest = found[0];
        let unit = match &latest.value {
            ObservationValue::Quantity { unit, .. } => format!(" {unit}"),
            ObservationValue::Components(parts) => parts.first().map(|c| format!(" {}", c.unit)).unwrap_or_default(),
            ObservationValue::Finding => String::new(),
        };
        let flag = if latest.is_outside_range() { "  [outside reference range]" } else { "" };
        lines.push(format!("  {label}: {}{unit} ({}){flag}", values.join(" <- "), latest.effective));
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nRECENT RESULTS (latest first)");
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

fn value_text(observation: &Observation) -> String {
    match &observation.value {
        ObservationValue::Quantity { value, .. } => format!("{value}"),
        ObservationValue::Components(parts) => {
            parts.iter().map(|c| format!("{}", c.value)).collect::<Vec<_>>().join("/")
        }
        ObservationValue::Finding => observation.code.display.clone(),
    }
}

fn banner(out: &mut String, record: &GpRecord, practice: Option<&Practice>, today: NaiveDate) {
    let p = &record.patient;
    let _ = writeln!(
        out,
        "{}  NHS {}  born {} ({} y)  {}",
        p.name.banner(),
        p.nhs_number.grouped(),
        p.birth_date.format("%d-%b-%Y"),
        p.age_on(today),
        p.sex.label()
    );
    let _ = writeln!(
        out,
        "Address: {}",
        if p.restricted { "RESTRICTED (not shown)".to_string() } else { p.address.one_line() }
    );
    let practice_text = match practice {
        Some(pr) => format!("{} ({}, {})", pr.name, pr.ods_code, pr.clinical_system),
        None => p.registration.practice.to_string(),
    };
    let _ = writeln!(out, "Registered: {} since {}", practice_text, p.registration.registered_on);
    if let Some(died) = p.deceased {
        let _ = writeln!(out, "** DECEASED {died} **");
    }
    if let RegistrationStatus::Deregistered { on, reason } = &p.registration.status {
        let _ = writeln!(out, "** LEFT THE PRACTICE {on}: {reason} **");
    }
    if record.has_dissented() {
        let _ = writeln!(out, "** PATIENT HAS DISSENTED FROM RECORD SHARING: this record must not be shared **");
    }
    if practice.is_some_and(|pr| !pr.sharing_enabled) {
        let _ = writeln!(out, "** This GP practice has not enabled record sharing **");
    }
    let _ = writeln!(out, "As of {today}");
}

fn allergies(out: &mut String, record: &GpRecord) {
    let _ = writeln!(out, "\nALLERGIES AND ADVERSE REACTIONS");
    let active: Vec<_> = record.allergies.iter().filter(|a| a.is_active()).collect();
    if active.is_empty() {
        match &record.no_known_allergies {
            Some(nka) => {
                let _ = writeln!(out, "  {} (recorded {})", nka.code.display, nka.asserted);
            }
            None => {
                let _ = writeln!(out, "  Nothing recorded (this is not the same as 'no known allergies')");
            }
        }
    }
    for a in active {
        let reaction = a
            .reaction
            .as_ref()
            .map(|r| match r.severity {
                Some(severity) => format!(" - {} ({})", r.manifestation.display, severity.label()),
                None => format!(" - {}", r.manifestation.display),
            })
            .unwrap_or_default();
        let since = a.onset.map(|d| format!(", since {d}")).unwrap_or_default();
        let critical = if a.criticality == Some(Criticality::High) { " [high criticality]" } else { "" };
        let _ = writeln!(out, "  ! {}{reaction}{since}{critical}{}", a.code.display, labels(&a.meta, a.code.code));
        if let Some(notes) = &a.notes {
            let _ = writeln!(out, "      {notes}");
        }
    }
    for a in record.allergies.iter().filter(|a| !a.is_active()) {
        if let AllergyStatus::Resolved { on, reason } = &a.status {
            let _ = writeln!(out, "  (resolved {on}) {} - {reason}", a.code.display);
        }
    }
}

fn warnings(out: &mut String, record: &GpRecord) {
    let active: Vec<_> = record.alerts.iter().filter(|a| a.active).collect();
    if active.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nWARNINGS");
    for a in active {
        let _ = writeln!(out, "  ! {} ({}) - {}{}", a.code.display, a.date, a.text, labels(&a.meta, a.code.code));
    }
}

fn problems(out: &mut String, record: &GpRecord) {
    let _ = writeln!(out, "\nPROBLEMS");
    let mut sorted: Vec<_> = record.problems.iter().collect();
    sorted.sort_by_key(|p| (p.status != ProblemStatus::Active, std::cmp::Reverse(p.onset)));
    if sorted.is_empty() {
        let _ = writeln!(out, "  None recorded");
    }
    for p in sorted {
        let when = p.onset.map(|d| format!("since {d}")).unwrap_or_else(|| "onset unknown".into());
        let state = match p.status {
            ProblemStatus::Active => "active".to_string(),
            ProblemStatus::Inactive => format!("past{}", p.ended.map(|e| format!(", ended {e}")).unwrap_or_default()),
        };
        let _ = writeln!(out, "  {} - {when} - {state}{}", p.code.display, labels(&p.meta, p.code.code));
    }
}

fn labels(meta: &EntryMeta, code: SnomedCode) -> String {
    let mut s = String::new();
    if meta.confidential {
        s.push_str(" [CONFIDENTIAL: never shared]");
    }
    if sensitive_category(code).is_some() {
        s.push_str(" [SENSITIVE: never shared]");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use openmig_domain::fixtures;

    #[test]
    fn the_summary_shows_allergies_before_medicines_with_dose_and_last_issue() {
        let record = fixtures::example_record();
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let text = render(&record, Some(&fixtures::example_practice()), today, false);
        let allergy = text.find("Allergy to penicillin").expect("allergy shown");
        let meds = text.find("CURRENT MEDICINES").expect("medicines shown");
        assert!(allergy < meds, "allergies come first:\n{text}");
        assert!(text.contains("Apixaban 5mg tablets"), "{text}");
        assert!(text.contains("One tablet twice a day"), "{text}");
        assert!(text.contains("last issued"), "{text}");
        assert!(text.contains("Anticoagulant"), "{text}");
        assert!(text.contains("Not issued by the GP practice"), "{text}");
        assert!(text.contains("RECENT RESULTS") && text.contains("eGFR: "), "{text}");
    }

    #[test]
    fn no_known_allergies_and_nothing_recorded_read_differently() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let nka = render(&fixtures::example_record_with_no_known_allergies(), None, today, false);
        assert!(nka.contains("No known allergy"), "{nka}");
        let mut empty = fixtures::example_record_with_no_known_allergies();
        empty.no_known_allergies = None;
        let text = render(&empty, None, today, false);
        assert!(text.contains("Nothing recorded"), "{text}");
    }
}
