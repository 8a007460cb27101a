//! The review serialises to the JSON the HTTP API will return.

use serde_json::json;

use crate::medicines::testkit::products::*;
use crate::medicines::testkit::*;
use crate::medicines::*;

#[test]
fn the_review_serialises_with_tagged_variants_the_notice_and_iso_dates() {
    let sertraline = repeat_of(1, SERTRALINE_50, "One tablet once a day", 200).issued(&[95], 28.0, 28).build();
    let methotrexate =
        repeat_of(2, METHOTREXATE, "Four tablets once a week", 300).elsewhere("RVI rheumatology").build();
    let config = ReviewConfig { changes_since: Some(ago(250)), ..ReviewConfig::default() };
    let review = review(&record(vec![sertraline, methotrexate]), TODAY, &config);
    let value = serde_json::to_value(&review).expect("serialisable");
    assert_eq!(value["today"], json!("2026-11-25"));
    assert_eq!(value["notice"], json!(ESTIMATE_NOTICE));
    let methotrexate = &value["current"][0];
    assert_eq!(methotrexate["name"], json!("Methotrexate 2.5mg tablets"));
    assert_eq!(methotrexate["source_note"], json!("Not issued by the GP practice"));
    assert_eq!(methotrexate["adherence"]["kind"], json!("NotApplicable"));
    assert_eq!(methotrexate["adherence"]["reason"], json!("PrescribedElsewhere"));
    assert_eq!(methotrexate["flags"][0]["code"], json!("Methotrexate"));
    let sertraline = &value["current"][1];
    assert_eq!(sertraline["adherence"]["kind"], json!("Estimated"));
    assert_eq!(sertraline["adherence"]["six_months"]["days_covered"], json!(28));
    assert_eq!(sertraline["supply_alerts"][0]["kind"], json!("Overdue"));
    assert_eq!(sertraline["strength"], json!("50mg"));
    assert_eq!(sertraline["substance"], json!("sertraline"));
    assert_eq!(value["changes"]["changes"][0]["kind"], json!("Started"));
    assert_eq!(value["changes"]["changes"][0]["on"], json!("2026-05-09"));
    assert_eq!(value["history"][1]["issues"][0]["date"], json!("2026-08-22"));
}
