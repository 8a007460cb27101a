//! NHS England's GP Connect provider acceptance scenarios of
//! `StructuredMultipleRequests.feature` (`nhsconnect/gpconnect-provider-testing`, branch
//! `feature/1.6.0`), ported: requests for several areas at once, the part parameters
//! each needs, and the combinations GP Connect forbids ("Not permitted parameter
//! combinations" on the retrieve-a-patient's-structured-record page: with
//! consultations or problems, no search part on the other areas).
//!
//! The suite's "patient1" (no clinical information) is the record holding only a "no
//! known allergies" statement; "patient2" is the example record.

mod acceptance;
mod common;

use acceptance as check;
use common::*;
use openmig_domain::fixtures;
use serde_json::{Value, json};

fn patient1() -> String {
    fixtures::example_record_with_no_known_allergies().patient.nhs_number.to_string()
}

async fn request(items: Vec<Value>) -> Answer {
    post(&parameters(items)).await
}

fn immunisations() -> Value {
    json!({ "name": "includeImmunisations" })
}

fn consultations() -> Value {
    json!({ "name": "includeConsultations" })
}

fn problems() -> Value {
    json!({ "name": "includeProblems" })
}

/// "the response status code should be "422"" and "…OperationOutcome resource with error
/// code "INVALID_PARAMETER"".
fn invalid_parameter(answer: &Answer) {
    check::operation_outcome(answer.status, &answer.body, 422, "INVALID_PARAMETER");
}

#[tokio::test]
async fn structured_request_with_one_parameter_and_no_clinical_information_expected_success() {
    let nhs = patient1();
    let answer = request(vec![nhs_param(&nhs)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(check::of_kind(&answer.body, "Patient").len(), 1);
    assert!(check::of_kind(&answer.body, "List").is_empty(), "no area asked for, no List");
}

#[tokio::test]
async fn structured_request_sent_with_three_parameters_and_no_expected_mandatory_for_include_resolved_allergies_expected_failure()
 {
    let rubbish =
        json!({ "name": "includeAllergies", "part": [{ "name": "RubbishPartParameter", "valueBoolean": true }] });
    invalid_parameter(&request(vec![nhs_param(EXAMPLE_NHS), immunisations(), rubbish]).await);
}

#[tokio::test]
async fn structured_request_sent_with_multiple_valid_parameters_but_not_including_the_mandatory_part_parameters_expected_failure()
 {
    let rubbish =
        json!({ "name": "includeAllergies", "part": [{ "name": "RubbishPartParameter", "valueBoolean": true }] });
    let medication = json!({ "name": "includeMedication" });
    invalid_parameter(&request(vec![nhs_param(EXAMPLE_NHS), immunisations(), rubbish, medication]).await);
}

#[tokio::test]
async fn structured_request_sent_with_valid_part_parameter_for_include_medications_and_without_the_mandatory_part_parameter_for_include_allergies_expected_failure()
 {
    let allergies = json!({ "name": "includeAllergies" });
    invalid_parameter(&request(vec![nhs_param(EXAMPLE_NHS), immunisations(), medication(false), allergies]).await);
}

#[tokio::test]
async fn structured_request_sent_with_valid_part_parameter_for_include_allergies_and_without_include_medications_expected_success()
 {
    // includePrescriptionIssues is optional since 1.3.2 ("absent means true").
    let medication = json!({ "name": "includeMedication" });
    let answer = request(vec![nhs_param(EXAMPLE_NHS), immunisations(), allergies(true), medication]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(check::of_kind(&answer.body, "MedicationRequest").iter().any(|r| r["intent"] == "order"));
}

#[tokio::test]
async fn structured_request_sent_with_two_parameters_and_an_invalid_boolean_part_parameter_expected_failure() {
    let nhs = patient1();
    let allergies = json!({ "name": "includeAllergies", "part": [{ "name": "includeResolvedAllergies" }] });
    invalid_parameter(&request(vec![nhs_param(&nhs), allergies]).await);
}

#[tokio::test]
async fn structured_request_sent_with_multiple_parameters_and_part_parameters_with_expected_success_including_operation_outcomes()
 {
    let nhs = patient1();
    let answer = request(vec![
        nhs_param(&nhs),
        json!({ "name": "includeMadeUpParam", "part": [
            { "name": "madeUpPartParam1", "valueString": "madeUpValue1" },
            { "name": "madeUpPartParam2", "valueString": "madeUpValue2" },
        ]}),
        json!({ "name": "madeUpImmunizations" }),
        json!({ "name": "includeConsults" }),
    ])
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let outcomes = check::of_kind(&answer.body, "OperationOutcome");
    assert_eq!(outcomes.len(), 1);
    let issues = outcomes[0]["issue"].as_array().unwrap();
    assert_eq!(issues.len(), 3, "one issue per unsupported parameter");
    for (issue, name) in issues.iter().zip(["includeMadeUpParam", "madeUpImmunizations", "includeConsults"]) {
        assert_eq!(issue["severity"], "warning");
        assert!(issue["diagnostics"].as_str().unwrap_or_default().contains(name), "{issue}");
    }
}

#[tokio::test]
async fn structured_request_sent_with_two_invalid_parameters_expected_failure() {
    let nhs = patient1();
    let answer = request(vec![
        json!({ "name": "invalidNHSNumberParam", "valueIdentifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } }),
        json!({ "name": "includeUnknownConsultations", "part": [{ "name": "includeNumberOfMostRecent", "valuePositiveInt": 3 }] }),
    ])
    .await;
    invalid_parameter(&answer);
}

#[tokio::test]
async fn structured_request_sent_with_multiple_parameters_expected_success_and_no_operation_outcome() {
    let answer = request(vec![
        nhs_param(EXAMPLE_NHS),
        medication(true),
        allergies(true),
        consultations(),
        immunisations(),
        json!({ "name": "includeUncategorisedData" }),
        problems(),
    ])
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    check::no_duplicates(&answer.body);
    check::no_operation_outcome(&answer.body);
    check::lists_are_valid(&answer.body);
}

#[tokio::test]
async fn structured_request_sent_for_consultations_and_problems_expect_success() {
    let answer = request(vec![nhs_param(EXAMPLE_NHS), consultations(), problems()]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    check::no_duplicates(&answer.body);
    check::no_operation_outcome(&answer.body);
    check::consultations_are_valid(&answer.body);
    check::problems_are_valid(&answer.body);
}

#[tokio::test]
async fn structured_request_sent_for_multiple_clinical_areas_expect_success() {
    let answer = request(vec![
        nhs_param(EXAMPLE_NHS),
        allergies(true),
        medication(true),
        consultations(),
        problems(),
        immunisations(),
        json!({ "name": "includeUncategorisedData" }),
        json!({ "name": "includeInvestigations" }),
        json!({ "name": "includeReferrals" }),
    ])
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    check::no_duplicates(&answer.body);
    check::no_operation_outcome(&answer.body);
    check::lists_are_valid(&answer.body);
    assert_eq!(check::of_kind(&answer.body, "Patient").len(), 1);
}

/// The parts the "invalid parameter combination" scenarios add, by the suite's step, but
/// each valid on its own (the control test below checks that), so that only the
/// combination can be what is refused: the suite's periods are years ("2014" to
/// "2015"), which GP Connect's page already forbids (a search period is `yyyy-mm-dd`),
/// and its diary date is in the past, itself an error; here they are full dates and a
/// diary date ahead.
fn medication_from_three_years_back() -> Value {
    json!({ "name": "includeMedication", "part": [{ "name": "medicationSearchFromDate", "valueDate": "2023-11-25" }] })
}

fn uncategorised_2014_2015() -> Value {
    json!({ "name": "includeUncategorisedData", "part": [{ "name": "uncategorisedDataSearchPeriod", "valuePeriod": { "start": "2014-01-01", "end": "2015-12-31" } }] })
}

fn referrals_2014_2016() -> Value {
    json!({ "name": "includeReferrals", "part": [{ "name": "referralSearchPeriod", "valuePeriod": { "start": "2014-01-01", "end": "2016-12-31" } }] })
}

fn diary_entries_from_next_year() -> Value {
    json!({ "name": "includeDiaryEntries", "part": [{ "name": "diaryEntriesSearchDate", "valueDate": "2027-06-01" }] })
}

fn immunisations_with_status() -> Value {
    json!({ "name": "includeImmunisations", "part": [{ "name": "includeStatus", "valueBoolean": true }] })
}

fn problems_with(part: &str, value: &str) -> Value {
    json!({ "name": "includeProblems", "part": [{ "name": part, "valueCode": value }] })
}

async fn combination(area: Value, other: Value) {
    invalid_parameter(&request(vec![nhs_param(&patient1()), area, other]).await);
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_1_expected_failure() {
    combination(consultations(), medication_from_three_years_back()).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_2_expected_failure() {
    combination(consultations(), uncategorised_2014_2015()).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_3_expected_failure() {
    // The 1.6.2 page lists only filterStatus with consultations; openmig refuses
    // filterSignificance too, as the suite expects: a consultation's problems would
    // otherwise be a filtered view of the problems it links.
    combination(consultations(), problems_with("filterSignificance", "major")).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_4_expected_failure() {
    combination(consultations(), problems_with("filterStatus", "active")).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_5_expected_failure() {
    combination(consultations(), referrals_2014_2016()).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_6_expected_failure() {
    combination(consultations(), diary_entries_from_next_year()).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_8_expected_failure() {
    combination(consultations(), immunisations_with_status()).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_9_expected_failure() {
    combination(problems(), medication_from_three_years_back()).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_10_expected_failure() {
    combination(problems(), uncategorised_2014_2015()).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_11_expected_failure() {
    combination(problems(), referrals_2014_2016()).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_12_expected_failure() {
    combination(problems(), diary_entries_from_next_year()).await;
}

#[tokio::test]
async fn structured_request_sent_with_invalid_parameter_combination_14_expected_failure() {
    combination(problems(), immunisations_with_status()).await;
}

#[tokio::test]
async fn each_part_is_allowed_without_consultations_or_problems() {
    // The combinations' control: the same parts alone are answered, so the 422s above
    // are the combinations'. (Diary entries alone answer 501: the record holds none.)
    for part in [
        medication_from_three_years_back(),
        uncategorised_2014_2015(),
        referrals_2014_2016(),
        immunisations_with_status(),
        problems_with("filterSignificance", "major"),
        problems_with("filterStatus", "active"),
    ] {
        let answer = request(vec![nhs_param(&patient1()), part.clone()]).await;
        assert_eq!(answer.status, 200, "{part}: {}", answer.body);
    }
    let diary = request(vec![nhs_param(&patient1()), diary_entries_from_next_year()]).await;
    assert_eq!(diary.status, 501, "{}", diary.body);
}
