//! Access reports over a real log: filters, UK days and the order of entries.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{Fixture, event, nhs, practice};
use openmig_audit::{AuditError, ReportFilter, ReportSubject, report, to_csv};
use openmig_domain::ConsentBasis;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn a_patient_report_lists_emergency_overrides_first_then_by_time() {
    let fixture = Fixture::with_entries(30, 1000);
    let patient = nhs(1);
    let entries =
        report(&fixture.db, &ReportFilter { subject: ReportSubject::Patient(patient), from: None, to: None }).unwrap();
    let expected: Vec<u64> = (1..=30).filter(|i| i % 3 == 1).collect();
    let mut sequences: Vec<u64> = entries.iter().map(|e| e.sequence).collect();
    sequences.sort_unstable();
    assert_eq!(sequences, expected);
    assert!(entries.iter().all(|e| e.event.patient == Some(patient)));
    let emergencies = entries.iter().take_while(|e| e.event.consent == Some(ConsentBasis::Emergency)).count();
    assert_eq!(emergencies, expected.iter().filter(|i| i.is_multiple_of(5)).count());
    assert!(emergencies > 0);
    assert!(entries[emergencies..].iter().all(|e| e.event.consent != Some(ConsentBasis::Emergency)));
    assert!(entries[..emergencies].windows(2).all(|w| w[0].event.time <= w[1].event.time));
    assert!(entries[emergencies..].windows(2).all(|w| w[0].event.time <= w[1].event.time));
    for entry in &entries {
        assert_eq!(entry.event, event(entry.sequence));
    }
}

#[test]
fn a_practice_report_is_limited_to_uk_days() {
    let fixture = Fixture::new();
    let log = fixture.open(1000);
    // 30 June 2026 23:30 UTC is 1 July 00:30 in London (BST).
    let times = [
        Utc.with_ymd_and_hms(2026, 6, 30, 22, 59, 59).unwrap(), // 30 June, 23:59:59 BST
        Utc.with_ymd_and_hms(2026, 6, 30, 23, 30, 0).unwrap(),  // 1 July
        Utc.with_ymd_and_hms(2026, 7, 1, 22, 59, 59).unwrap(),  // 1 July, 23:59:59 BST
        Utc.with_ymd_and_hms(2026, 7, 1, 23, 0, 0).unwrap(),    // 2 July
    ];
    for (i, time) in times.iter().enumerate() {
        let mut e = event(2 * (i as u64 + 1)); // even: practice 0
        e.time = *time;
        e.consent = Some(ConsentBasis::Given);
        log.append(e).unwrap();
    }
    log.append(event(1)).unwrap(); // practice 1, not in the report
    drop(log);
    let filter = |from, to| ReportFilter { subject: ReportSubject::Practice(practice(0)), from, to };
    let sequences = |f: ReportFilter| report(&fixture.db, &f).unwrap().iter().map(|e| e.sequence).collect::<Vec<_>>();
    assert_eq!(sequences(filter(None, None)), [1, 2, 3, 4]);
    assert_eq!(sequences(filter(Some(day(2026, 7, 1)), Some(day(2026, 7, 1)))), [2, 3]);
    assert_eq!(sequences(filter(Some(day(2026, 7, 2)), None)), [4]);
    assert_eq!(sequences(filter(None, Some(day(2026, 6, 30)))), [1]);
    let csv = to_csv(&report(&fixture.db, &filter(Some(day(2026, 7, 1)), Some(day(2026, 7, 1)))).unwrap());
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.contains("2026-06-30T23:30:00.000000Z"), "times are shown in UTC: {csv}");
}

#[test]
fn a_report_needs_an_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let filter = ReportFilter { subject: ReportSubject::Patient(nhs(1)), from: None, to: None };
    assert!(matches!(report(&empty, &filter), Err(AuditError::NoLog(_))));
}
