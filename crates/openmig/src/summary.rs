//! The readable terminal summary of one record (`openmig record`).
//!
//! Order follows what a clinician needs first: who the patient is, allergies, current
//! medicines with dose and last issue, warnings, problems. Entries the practice marked
//! confidential, and entries in the sensitive exclusion set, are labelled: this is the
//! practice-side view, and the labels say what would never be shared.

use std::fmt::Write;

use chrono::NaiveDate;
use openmig_domain::codesets::{DrugClass, sensitive_category};
use openmig_domain::medicines::{DEFAULT_OVERDUE_GRACE_DAYS, class_of, current_medicines, is_overdue};
use openmig_domain::record::{
    AllergyStatus, EntryMeta, Medication, MedicationStatus, PrescriptionSource, ProblemStatus,
};
use openmig_domain::{GpRecord, Practice, RegistrationStatus, SnomedCode};

/// Renders the summary. `today` decides what is current and how long ago things were.
pub fn render(record: &GpRecord, practice: Option<&Practice>, today: NaiveDate, all_medicines: bool) -> String {
    let mut out = String::new();
    banner(&mut out, record, practice, today);
    allergies(&mut out, record);
    medicines(&mut out, record, today);
    if all_medicines {
        medicine_history(&mut out, record);
    }
    warnings(&mut out, record);
    problems(&mut out, record);
    out
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
            .map(|r| format!(" - {} ({})", r.manifestation.display, r.severity.label()))
            .unwrap_or_default();
        let since = a.onset.map(|d| format!(", since {d}")).unwrap_or_default();
        let _ = writeln!(out, "  ! {}{reaction}{since}{}", a.code.display, labels(&a.meta, a.code.code));
    }
    for a in record.allergies.iter().filter(|a| !a.is_active()) {
        if let AllergyStatus::Resolved { on, reason } = &a.status {
            let _ = writeln!(out, "  (resolved {on}) {} - {reason}", a.code.display);
        }
    }
}

fn medicines(out: &mut String, record: &GpRecord, today: NaiveDate) {
    let current = current_medicines(record, today);
    let _ = writeln!(out, "\nCURRENT MEDICINES ({})", current.len());
    if current.is_empty() {
        let _ = writeln!(out, "  None");
    }
    for m in current {
        let _ = writeln!(out, "  {}{}", m.product.name, labels(&m.meta, m.product.code));
        let _ = writeln!(
            out,
            "      {} - {} {} - {}",
            m.dose,
            format_quantity(m.quantity.value),
            m.quantity.unit,
            m.prescription_type.label()
        );
        let _ = writeln!(out, "      {}", supply_line(m, today));
        if let Some(flag) = class_of(m).and_then(high_risk_label) {
            let _ = writeln!(out, "      [{flag}]");
        }
    }
}

fn supply_line(m: &Medication, today: NaiveDate) -> String {
    match &m.source {
        PrescriptionSource::Elsewhere { organisation, .. } => {
            format!("Prescribed elsewhere by {organisation} - not issued by the GP practice")
        }
        PrescriptionSource::Practice { .. } => match m.last_issue() {
            Some(issue) => {
                let ago = (today - issue.date).num_days();
                let overdue = if is_overdue(m, today, DEFAULT_OVERDUE_GRACE_DAYS) { " - OVERDUE" } else { "" };
                format!(
                    "last issued {} ({} days ago), {} {} for {} days{overdue}",
                    issue.date,
                    ago,
                    format_quantity(issue.quantity),
                    m.quantity.unit,
                    issue.days_supply
                )
            }
            None => "never issued".to_string(),
        },
    }
}

fn medicine_history(out: &mut String, record: &GpRecord) {
    let _ = writeln!(out, "\nALL MEDICINES WITH ISSUE HISTORY");
    let mut all: Vec<&Medication> = record.medications.iter().collect();
    all.sort_by_key(|m| std::cmp::Reverse(m.started));
    for m in all {
        let status = match &m.status {
            MedicationStatus::Active => "active".to_string(),
            MedicationStatus::Completed { on } => format!("completed {on}"),
            MedicationStatus::Discontinued { on, reason } => format!("stopped {on}: {reason}"),
        };
        let _ = writeln!(
            out,
            "  {} - {} - started {} - {}{}",
            m.product.name,
            m.prescription_type.label(),
            m.started,
            status,
            labels(&m.meta, m.product.code)
        );
        if let Some(remaining) = m.issues_remaining() {
            let _ = writeln!(out, "      {} of {} authorised issues left", remaining, m.authorised_issues.unwrap_or(0));
        }
        let dates: Vec<String> = m.issues.iter().map(|i| i.date.format("%d/%m/%y").to_string()).collect();
        if !dates.is_empty() {
            let _ = writeln!(out, "      {} issues: {}", dates.len(), dates.join(" "));
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

/// The reason a clinician must take care with a drug class, when it is high-risk.
fn high_risk_label(class: DrugClass) -> Option<&'static str> {
    Some(match class {
        DrugClass::Anticoagulant => "ANTICOAGULANT - bleeding risk; check before procedures or NSAIDs",
        DrugClass::Insulin => "INSULIN - hypoglycaemia risk; never omit in type 1 diabetes",
        DrugClass::Sulfonylurea => "SULFONYLUREA - hypoglycaemia risk",
        DrugClass::Antiepileptic => "ANTI-EPILEPTIC - do not omit doses",
        DrugClass::Opioid => "OPIOID",
        DrugClass::Nsaid => "NSAID - GI bleeding and renal risk",
        DrugClass::Methotrexate => "METHOTREXATE - once WEEKLY dosing",
        DrugClass::OralCorticosteroid => "ORAL STEROID - do not stop abruptly",
        DrugClass::Antidepressant => "ANTIDEPRESSANT",
        _ => return None,
    })
}

fn format_quantity(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value}") }
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
        assert!(text.contains("ANTICOAGULANT"), "{text}");
        assert!(text.contains("not issued by the GP practice"), "{text}");
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
