//! Terminal rendering of the domain's medicines answers (`openmig record`,
//! `openmig medicines`, `openmig asked`). The answers themselves come from
//! `openmig_domain::medicines`; this module only lays them out for a clinician.

use std::fmt::Write;

use chrono::NaiveDate;
use openmig_domain::EntryId;
use openmig_domain::medicines::{
    Adherence, MedicineChange, MedicineRef, MedicineView, MedicinesReview, Pdc, RequestCheck, RequestOutcome,
    StartOutcome, StopOutcome, SupplyAlert,
};
use openmig_domain::record::{MedicationStatus, PrescriptionSource};

/// The current medicines: what, dose, supply, prescriber, flags and supply alerts.
/// `label` adds the practice-side markers (confidential, sensitive) for an entry.
pub fn current(out: &mut String, review: &MedicinesReview, label: impl Fn(EntryId) -> String) {
    let _ = writeln!(out, "\nCURRENT MEDICINES ({})", review.current.len());
    if review.current.is_empty() {
        let _ = writeln!(out, "  None");
    }
    for view in &review.current {
        let _ = writeln!(out, "  {}{}", view.name, label(view.entry));
        let _ = writeln!(
            out,
            "      {} - {} - {}",
            view.dose,
            view.quantity_text.clone().unwrap_or_else(|| format!("{} {}", quantity(view.quantity), view.unit)),
            view.prescription_type.label()
        );
        if let Some(note) = &view.patient_instructions {
            let _ = writeln!(out, "      {note}");
        }
        let _ = writeln!(out, "      {}", supply_line(view, review.today));
        for flag in &view.flags {
            let _ = writeln!(out, "      [{}]", flag.reason);
        }
        for alert in &view.supply_alerts {
            let _ = writeln!(out, "      ! {}", alert_message(alert));
        }
    }
}

/// The full review: adherence per current medicine, issue history with gaps, changes.
pub fn details(out: &mut String, review: &MedicinesReview) {
    let _ = writeln!(out, "\nADHERENCE (proportion of days covered)");
    let _ = writeln!(out, "  {}", review.notice);
    for view in &review.current {
        let _ = writeln!(out, "  {}: {}", view.name, adherence_line(&view.adherence));
    }
    let _ = writeln!(out, "\nISSUE HISTORY (gap = days between supply running out and the next issue)");
    for history in &review.history {
        let _ = writeln!(out, "  {}", history.substance.as_str());
        for course in &history.courses {
            let status = match &course.status {
                MedicationStatus::Active => "active".to_string(),
                MedicationStatus::Completed { on } => format!("completed {on}"),
                MedicationStatus::Discontinued { on, reason } => format!("stopped {on}: {reason}"),
            };
            let elsewhere = course.source_note.map(|n| format!(" - {n}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "    {} - {} - {} - started {} - {status}{elsewhere}",
                course.name,
                course.dose,
                course.prescription_type.label(),
                course.started
            );
        }
        let issues: Vec<String> = history
            .issues
            .iter()
            .map(|row| {
                let gap = match row.gap_days {
                    Some(g) if row.long_gap => format!(" (GAP {g}d)"),
                    Some(g) if g < 0 => format!(" ({g}d)"),
                    _ => String::new(),
                };
                format!("{}{gap}", row.date.format("%d/%m/%y"))
            })
            .collect();
        if !issues.is_empty() {
            let _ = writeln!(out, "    {} issues: {}", issues.len(), issues.join(" "));
        }
    }
    if let Some(changes) = &review.changes {
        let _ = writeln!(out, "\nCHANGES SINCE {}", changes.since);
        if changes.changes.is_empty() {
            let _ = writeln!(out, "  None");
        }
        for change in &changes.changes {
            let _ = writeln!(out, "  {}", change_line(change));
        }
    }
}

/// The answers to a clinic's request, one line each.
pub fn request_checks(out: &mut String, asked_on: NaiveDate, checks: &[RequestCheck]) {
    let _ = writeln!(out, "Requested on {asked_on}:");
    for check in checks {
        let what = match &check.item.medicine {
            openmig_domain::medicines::MedicineQuery::Text(text) => text.clone(),
            openmig_domain::medicines::MedicineQuery::Code { code, name } => {
                name.clone().unwrap_or_else(|| format!("dm+d {code}"))
            }
        };
        let verb = match check.item.action {
            openmig_domain::medicines::RequestAction::Start => "start",
            openmig_domain::medicines::RequestAction::Stop => "stop",
        };
        let _ = writeln!(out, "  {verb} {what}: {}", outcome_line(&check.outcome));
    }
}

fn outcome_line(outcome: &RequestOutcome) -> String {
    match outcome {
        RequestOutcome::Start(start) => match start {
            StartOutcome::Started { on, medication } => format!("STARTED {on} as asked ({})", described(medication)),
            StartOutcome::StartedDifferentStrengthOrDose { on, medication, .. } => {
                format!("STARTED {on} but DIFFERS from the request ({})", described(medication))
            }
            StartOutcome::StartedThenStopped { started, stopped, reason, medication } => format!(
                "started {started}, then STOPPED{}{} ({})",
                stopped.map(|d| format!(" {d}")).unwrap_or_default(),
                reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default(),
                described(medication)
            ),
            StartOutcome::AlreadyOn { since, medication, still_current, .. } => format!(
                "already on it since {since}, before the request{} ({})",
                if *still_current { "" } else { "; no longer current" },
                described(medication)
            ),
            StartOutcome::NotStarted => "NOT STARTED".to_string(),
        },
        RequestOutcome::Stop(stop) => match stop {
            StopOutcome::Stopped { on, reason, medication } => format!(
                "STOPPED{}{} ({})",
                on.map(|d| format!(" {d}")).unwrap_or_default(),
                reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default(),
                medication.name
            ),
            StopOutcome::StillIssued { last_issue, medication } => {
                format!("STILL BEING ISSUED, last on {last_issue} ({})", described(medication))
            }
            StopOutcome::StillCurrent { last_issue, medication } => format!(
                "still current, not issued since the request{} ({})",
                last_issue.map(|d| format!("; last issue {d}")).unwrap_or_default(),
                described(medication)
            ),
            StopOutcome::NotOnRecord => "not on the record".to_string(),
        },
    }
}

fn described(medication: &MedicineRef) -> String {
    format!("{}, {}", medication.name, medication.dose.to_lowercase())
}

fn supply_line(view: &MedicineView, today: NaiveDate) -> String {
    if let PrescriptionSource::Elsewhere { organisation, .. } = &view.prescriber {
        return format!("Prescribed elsewhere by {organisation} - {}", view.source_note.unwrap_or_default());
    }
    let Some(issue) = &view.last_issue else {
        return "never issued".to_string();
    };
    let remaining = view.issues_remaining.map(|n| format!("; {n} authorised issues left")).unwrap_or_default();
    format!(
        "last issued {} ({} days ago), {} {} for {} days; {} issues{remaining}",
        issue.date,
        (today - issue.date).num_days(),
        quantity(issue.quantity),
        view.unit,
        issue.days_supply,
        view.issue_count
    )
}

fn adherence_line(adherence: &Adherence) -> String {
    match adherence {
        Adherence::Estimated { three_months, six_months, twelve_months, .. } => {
            let pct = |p: &Pdc| format!("{:.0}%", p.proportion * 100.0);
            format!("3 months {}, 6 months {}, 12 months {}", pct(three_months), pct(six_months), pct(twelve_months))
        }
        Adherence::NotApplicable { explanation, .. } => explanation.to_string(),
    }
}

fn alert_message(alert: &SupplyAlert) -> &str {
    match alert {
        SupplyAlert::Overdue { message, .. }
        | SupplyAlert::StoppedCollecting { message, .. }
        | SupplyAlert::NeverIssued { message, .. }
        | SupplyAlert::IssuedFasterThanUsed { message, .. } => message,
    }
}

fn change_line(change: &MedicineChange) -> String {
    match change {
        MedicineChange::Started { on, medicine } => format!("{on} started {}", described(medicine)),
        MedicineChange::Stopped { on, reason, medicine } => {
            format!("{on} stopped {}{}", medicine.name, reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())
        }
        MedicineChange::DoseChanged { on, from, to, .. } => {
            format!("{on} dose changed: {} -> {}", described(from), described(to))
        }
        MedicineChange::ProductSwitched { on, from, to, .. } => format!("{on} switched {} -> {}", from.name, to.name),
    }
}

fn quantity(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value}") }
}
