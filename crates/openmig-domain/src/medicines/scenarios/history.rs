//! Issue history per substance, with gaps.

use crate::identifiers::EntryId;
use crate::medicines::testkit::products::*;
use crate::medicines::testkit::*;
use crate::medicines::*;

fn gaps(history: &MedicineHistory) -> Vec<(EntryId, Option<i64>, bool)> {
    history.issues.iter().map(|i| (i.entry, i.gap_days, i.long_gap)).collect()
}

#[test]
fn gaps_are_days_from_the_previous_supply_running_out_negative_when_early() {
    let m =
        repeat_of(1, AMLODIPINE_5, "One tablet once a day", 200).issued(&[200, 172, 151, 100, 57], 28.0, 28).build();
    let histories = histories(&record(vec![m]), 14);
    let [history] = histories.as_slice() else { panic!("one substance") };
    assert_eq!(history.substance.as_str(), "amlodipine");
    assert_eq!(
        gaps(history),
        vec![
            (EntryId(1), None, false),
            (EntryId(1), Some(0), false),
            (EntryId(1), Some(-7), false),
            (EntryId(1), Some(23), true),
            (EntryId(1), Some(15), true),
        ]
    );
}

#[test]
fn a_repeat_never_issued_has_a_course_and_no_issues() {
    let never = histories(&record(vec![repeat_of(1, AMLODIPINE_5, "One tablet once a day", 200).build()]), 14);
    assert_eq!((never[0].courses.len(), never[0].issues.len()), (1, 0));
}

#[test]
fn a_brand_switch_and_a_restart_are_course_boundaries_not_gaps() {
    let epilim = repeat_of(1, EPILIM_CHRONO_500, "One tablet twice a day", 120)
        .issued(&[120, 92, 64], 56.0, 28)
        .discontinued(50, "Practice formulary: generic")
        .build();
    let generic = repeat_of(2, VALPROATE_500, "One tablet twice a day", 50).issued(&[50, 22], 56.0, 28).build();
    let histories = histories(&record(vec![generic, epilim]), 14);
    let [history] = histories.as_slice() else { panic!("brand and generic are one substance") };
    assert_eq!(history.courses.iter().map(|c| c.entry).collect::<Vec<_>>(), vec![EntryId(1), EntryId(2)]);
    assert_eq!(
        gaps(history),
        vec![
            (EntryId(1), None, false),
            (EntryId(1), Some(0), false),
            (EntryId(1), Some(0), false),
            (EntryId(2), None, false),
            (EntryId(2), Some(0), false),
        ]
    );
}

#[test]
fn acute_courses_show_their_gaps_unmarked_and_elsewhere_courses_have_no_issues() {
    let courses = (1..=3).zip([100u64, 40, 35]).map(|(id, d)| {
        repeat_of(id, NAPROXEN_500, "One tablet twice a day", d)
            .acute()
            .issued(&[d], 28.0, 14)
            .completed(d - 14)
            .build()
    });
    let elsewhere = repeat_of(9, METHOTREXATE, "Four tablets once a week", 300).elsewhere("RVI rheumatology").build();
    let mut medications: Vec<_> = courses.collect();
    medications.push(elsewhere);
    let histories = histories(&record(medications), 14);
    let substances: Vec<&str> = histories.iter().map(|h| h.substance.as_str()).collect();
    assert_eq!(substances, vec!["methotrexate", "naproxen"]);
    assert!(histories[0].issues.is_empty());
    assert_eq!(histories[0].courses[0].source_note, Some(NOT_ISSUED_BY_PRACTICE));
    assert_eq!(
        gaps(&histories[1]),
        vec![(EntryId(1), None, false), (EntryId(2), Some(46), false), (EntryId(3), Some(-9), false)]
    );
}
