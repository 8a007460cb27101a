//! The brief's stories are planted as the first patients of every region large enough,
//! with exactly the facts the stories need.

use chrono::NaiveDate;
use openmig_domain::codesets::DrugClass;
use openmig_domain::medicines::{class_of, current_medicines, is_overdue};
use openmig_generator::{GeneratorConfig, Region};

fn region() -> (Region, NaiveDate) {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    (Region::plan(GeneratorConfig { patients: 200, practices: 2, seed: 77, as_of }).unwrap(), as_of)
}

#[test]
fn bank_holiday_epilepsy_shows_the_exact_last_issue() {
    let (region, today) = region();
    let r = region.record(0);
    let current = current_medicines(&r, today);
    let epilim = current.iter().find(|m| m.product.name == "Epilim Chrono 500 tablets").expect("on Epilim Chrono");
    assert_eq!(epilim.dose, "One tablet twice a day");
    let last = epilim.last_issue().unwrap();
    assert_eq!((today - last.date).num_days(), 19);
    assert_eq!(last.quantity, 56.0);
    assert_eq!(class_of(epilim), Some(DrugClass::Antiepileptic));
}

#[test]
fn overnight_admission_has_allergy_flags_and_a_falling_egfr() {
    let (region, today) = region();
    let r = region.record(1);
    assert_eq!(r.patient.age_on(today), 84);
    assert!(r.allergies.iter().any(|a| a.is_active() && a.code.display == "Allergy to penicillin"));
    let names: Vec<&str> = current_medicines(&r, today).iter().map(|m| m.product.name.as_str()).collect();
    for wanted in
        ["Apixaban 5mg tablets", "Gliclazide 80mg tablets", "Ramipril 5mg capsules", "Furosemide 40mg tablets"]
    {
        assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
    }
    let mut egfr: Vec<(chrono::NaiveDate, f64)> = r
        .observations
        .iter()
        .filter(|o| o.code.code.value() == 1011481000000105)
        .map(|o| (o.effective.earliest(), o.numeric_value().unwrap()))
        .collect();
    egfr.sort_by_key(|(d, _)| *d);
    assert!(egfr.len() >= 4 && egfr.windows(2).all(|w| w[1].1 < w[0].1), "eGFR falls: {egfr:?}");
}

#[test]
fn the_clinic_request_story_has_a_different_dose_and_the_nsaid_still_issued() {
    let (region, today) = region();
    let r = region.record(2);
    let current = current_medicines(&r, today);
    assert!(current.iter().any(|m| m.product.name == "Atorvastatin 40mg tablets"));
    let naproxen = current.iter().find(|m| m.product.name == "Naproxen 500mg tablets").expect("naproxen still current");
    assert_eq!((today - naproxen.last_issue().unwrap().date).num_days(), 10);
}

#[test]
fn the_sertraline_story_is_overdue_with_low_coverage() {
    let (region, today) = region();
    let r = region.record(3);
    let sertraline = r.medications.iter().find(|m| m.product.name == "Sertraline 50mg tablets").unwrap();
    assert_eq!((today - sertraline.last_issue().unwrap().date).num_days(), 95);
    assert!(is_overdue(sertraline, today, 14));
    let window_start = today - chrono::Days::new(180);
    let covered: i64 = sertraline
        .issues
        .iter()
        .map(|i| {
            let end = i.date + chrono::Days::new(u64::from(i.days_supply));
            (end.min(today) - i.date.max(window_start)).num_days().max(0)
        })
        .sum();
    let pdc = covered as f64 / 180.0;
    assert!((0.35..=0.45).contains(&pdc), "about 40% of days covered, got {pdc:.2}");
}

#[test]
fn the_dissent_story_has_dissented_and_tiny_regions_have_no_stories() {
    let (region, _) = region();
    assert!(region.record(4).has_dissented());
    assert_eq!(region.stories().len(), 5);
    let tiny = Region::plan(GeneratorConfig {
        patients: 3,
        practices: 1,
        seed: 1,
        as_of: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    })
    .unwrap();
    assert!(tiny.stories().is_empty());
}
