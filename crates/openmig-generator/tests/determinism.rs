//! Same seed, same region; different seed, different region; and every record is
//! internally consistent. Records are compared whole (`GpRecord: PartialEq`); the CLI
//! tests add the byte-level content hash of the stored file.

use chrono::NaiveDate;
use openmig_domain::SnomedCode;
use openmig_generator::{GeneratorConfig, Region};

fn config(seed: u64) -> GeneratorConfig {
    GeneratorConfig { patients: 2_000, practices: 3, seed, as_of: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap() }
}

#[test]
fn the_same_seed_gives_identical_records_in_any_order() {
    let a = Region::plan(config(5)).unwrap();
    let b = Region::plan(config(5)).unwrap();
    for i in (0..2_000).rev().step_by(7) {
        assert_eq!(a.record(i), b.record(i), "patient {i}");
    }
    assert_eq!(a.practices().len(), b.practices().len());
    for (x, y) in a.practices().iter().zip(b.practices()) {
        assert_eq!(x.practice, y.practice);
        assert_eq!(x.clinicians, y.clinicians);
    }
}

#[test]
fn a_different_seed_gives_a_different_region() {
    let a = Region::plan(config(5)).unwrap();
    let b = Region::plan(config(6)).unwrap();
    let differing = (0..200).filter(|i| a.record(*i) != b.record(*i)).count();
    assert_eq!(differing, 200);
    assert_ne!(a.record(0).patient.nhs_number, b.record(0).patient.nhs_number);
}

#[test]
fn every_generated_record_is_internally_consistent() {
    let region = Region::plan(config(11)).unwrap();
    let as_of = region.config().as_of;
    for i in 0..2_000 {
        let r = region.record(i);
        let p = &r.patient;
        assert!(p.birth_date <= as_of);
        assert!(p.registration.registered_on >= p.birth_date);
        let mut ids: Vec<u32> = r.coded_entries().iter().map(|(m, _)| m.id.0).collect();
        ids.extend(r.no_known_allergies.iter().map(|n| n.meta.id.0));
        ids.extend(r.sharing_preferences.iter().map(|s| s.meta.id.0));
        let total = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), total, "entry ids are unique within a record");
        for e in &r.encounters {
            for linked in &e.linked {
                assert!(ids.binary_search(&linked.0).is_ok(), "encounter links resolve");
            }
        }
        for m in &r.medications {
            assert!(m.issues.windows(2).all(|w| w[0].date < w[1].date), "issues are in date order");
            assert!(m.issues.iter().all(|i| i.date <= as_of), "no issue in the future");
            if m.is_prescribed_elsewhere() {
                assert!(m.issues.is_empty(), "medicines prescribed elsewhere are never issued by the practice");
            }
            if let Some(died) = p.deceased {
                assert!(m.issues.iter().all(|i| i.date <= died), "no issue after death");
            }
        }
        for code in r.all_codes() {
            assert!(SnomedCode::new(code.value()).is_ok(), "patient {i} carries an invalid code {code}");
        }
        if r.no_known_allergies.is_some() {
            assert!(!r.allergies.iter().any(|a| a.is_active()), "no 'no known allergies' beside an active allergy");
        }
    }
}
