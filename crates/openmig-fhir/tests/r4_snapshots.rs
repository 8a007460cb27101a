//! Whole `$everything` snapshots of two of the brief's story patients, as the generator
//! plants them: the epilepsy patient on a bank holiday and the overnight admission.
//! Review a changed snapshot as you would a change to the wire format, because it is one
//! (a change in the generator's stories shows here too).

#[path = "r4_support.rs"]
mod support;

use serde_json::Value;
use support::{generated_everything, region};

fn snapshot(name: &str, resources: &[Value]) {
    // Sorted keys whatever serde_json's map order is in this build.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!(name, resources);
    });
}

/// The story patient with this key, from a small fixed region.
fn story(key: &str) -> Vec<Value> {
    let region = region(2026, 10);
    let (story, _) = region.stories().into_iter().find(|(s, _)| s.key == key).expect("the story is planted");
    generated_everything(&region, story.index).1
}

#[test]
fn the_epilepsy_bank_holiday_story_patient_everything() {
    snapshot("r4_epilepsy_bank_holiday_everything", &story("epilepsy-bank-holiday"));
}

#[test]
fn the_overnight_admission_story_patient_everything() {
    snapshot("r4_overnight_admission_everything", &story("overnight-admission"));
}
