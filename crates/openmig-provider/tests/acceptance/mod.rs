//! The response checks of NHS England's GP Connect provider acceptance suite
//! (`nhsconnect/gpconnect-provider-testing`, branch `feature/1.6.0`), ported: each
//! function is one named check of the suite's step definitions
//! (`Steps/AccessRecordSteps.cs`, `Steps/Structured*Steps.cs`, `Steps/HttpSteps.cs`), in
//! our own code, over the answer's JSON. The scenarios that use them are in
//! `tests/structured_acceptance.rs`.
//!
//! Where the suite's C# does not really check something it says (an `Equals` whose
//! result is ignored), the check here does what the step says it checks; where the
//! suite is wrong against the 1.6 specification, the check follows the specification
//! and says so.

#![allow(dead_code)] // each scenario uses a subset

use std::collections::HashSet;

use serde_json::Value;

pub const LIST_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1";
pub const WARNING_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1";
pub const ALLERGIES: &str = "Allergies and adverse reactions";
pub const ENDED_ALLERGIES: &str = "Ended allergies";
pub const MEDICATIONS: &str = "Medications and medical devices";

/// Every top-level resource.
pub fn resources(bundle: &Value) -> Vec<&Value> {
    bundle["entry"].as_array().map(|e| e.iter().map(|e| &e["resource"]).collect()).unwrap_or_default()
}

/// Top-level resources of `kind`.
pub fn of_kind<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    resources(bundle).into_iter().filter(|r| r["resourceType"] == kind).collect()
}

/// The top-level List titled `title`.
pub fn list<'a>(bundle: &'a Value, title: &str) -> Option<&'a Value> {
    of_kind(bundle, "List").into_iter().find(|l| l["title"] == title)
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// `Type/id` resolves to a top-level resource.
pub fn resolves(bundle: &Value, reference: &str) -> bool {
    let Some((kind, id)) = reference.split_once('/') else { return false };
    of_kind(bundle, kind).iter().any(|r| r["id"] == id)
}

/// The only profile in `meta.profile` is `profile`.
fn has_only_profile(resource: &Value, profile: &str) -> bool {
    array(&resource["meta"]["profile"]) == [Value::String(profile.to_owned())]
}

/// `meta.versionId` and `meta.lastUpdated` absent.
fn unversioned(resource: &Value) -> bool {
    resource["meta"].get("versionId").is_none() && resource["meta"].get("lastUpdated").is_none()
}

/// `identifier` has at least one entry, each with a system and a value.
pub fn identified(resource: &Value) -> bool {
    let identifiers = array(&resource["identifier"]);
    !identifiers.is_empty()
        && identifiers.iter().all(|i| {
            i["system"].as_str().is_some_and(|s| !s.is_empty()) && i["value"].as_str().is_some_and(|v| !v.is_empty())
        })
}

/// The elements GP Connect marks "not in use" are absent.
fn not_in_use(resource: &Value, elements: &[&str]) {
    for element in elements {
        assert!(resource.get(*element).is_none(), "{element} is not in use: {resource}");
    }
}

/// The area's primary List (titled `title`) lists every top-level resource of `kind`, by
/// references that resolve (C-IMM-LIST, C-OBS-LIST, C-REF-LIST, C-PROB-PRIMARY,
/// C-CONS-LIST): the List, and those resources, of which there is at least one.
fn primary_list_holds_all<'a>(bundle: &'a Value, title: &str, kind: &str) -> (&'a Value, Vec<&'a Value>) {
    let resources = of_kind(bundle, kind);
    assert!(!resources.is_empty(), "at least one {kind}");
    let list = list(bundle, title).unwrap_or_else(|| panic!("the {title} List"));
    assert_eq!(array(&list["entry"]).len(), resources.len(), "{title} lists every {kind}");
    for entry in array(&list["entry"]) {
        let reference = entry["item"]["reference"].as_str().expect("a reference");
        assert!(reference.starts_with(&format!("{kind}/")) && resolves(bundle, reference), "{reference}");
    }
    (list, resources)
}

/// `subject` (or `patient`) is `Patient/{id}` of the Bundle's Patient.
fn about_the_patient(bundle: &Value, reference: &Value) -> bool {
    reference["reference"].as_str().is_some_and(|r| r.starts_with("Patient/") && resolves(bundle, r))
}

/// **STD**, C-BUNDLE-TYPE + C-META-STRUCT + C-PAT-META + C-PRAC-META + C-ORG-META +
/// C-BUNDLE-VALID + C-IDS ("the response status code should indicate success", "the
/// response should be a Bundle resource of type collection", "the patient resource in
/// the bundle should contain meta data profile and version id", …).
pub fn std(status: u16, bundle: &Value, nhs: &str, trace_id: &str) {
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    assert_eq!(bundle["id"], trace_id, "Bundle.id is the request's Ssp-TraceID");
    assert!(unversioned(bundle));
    assert!(has_only_profile(
        bundle,
        "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1"
    ));
    let entries = array(&bundle["entry"]);
    assert!(!entries.is_empty() && entries.iter().all(|e| e["resource"].is_object()));
    assert!(entries.iter().all(|e| e.get("fullUrl").is_none()), "Bundle page: fullUrl SHALL NOT be populated");
    for (kind, profile) in [
        ("Patient", "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"),
        ("Practitioner", "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Practitioner-1"),
        ("Organization", "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Organization-1"),
    ] {
        for resource in of_kind(bundle, kind) {
            assert!(has_only_profile(resource, profile), "{kind}: {resource}");
            assert!(resource["meta"]["versionId"].is_string(), "{kind} carries a versionId");
            assert!(resource["id"].as_str().is_some_and(|id| !id.is_empty()), "{kind} has an id");
        }
    }
    let patients = of_kind(bundle, "Patient");
    assert!(!patients.is_empty());
    for patient in &patients {
        for identifier in array(&patient["identifier"]) {
            if identifier["system"] == "https://fhir.nhs.uk/Id/nhs-number" {
                assert_eq!(identifier["value"], nhs);
            }
        }
        for gp in array(&patient["generalPractitioner"]) {
            let reference = gp["reference"].as_str().expect("a reference");
            assert!(
                (reference.starts_with("Practitioner/") || reference.starts_with("Organization/"))
                    && resolves(bundle, reference),
                "generalPractitioner {reference}"
            );
        }
        if let Some(reference) = patient["managingOrganization"]["reference"].as_str() {
            assert!(resolves(bundle, reference), "managingOrganization {reference}");
        }
    }
}

/// **C-DUP**: no two resources of these types share an id.
pub fn no_duplicates(bundle: &Value) {
    for kind in [
        "Medication",
        "MedicationStatement",
        "MedicationRequest",
        "AllergyIntolerance",
        "Observation",
        "Immunization",
        "Encounter",
        "Condition",
    ] {
        let mut seen = HashSet::new();
        for resource in of_kind(bundle, kind) {
            assert!(seen.insert(resource["id"].to_string()), "{kind} {} twice", resource["id"]);
        }
    }
}

/// **C-LISTS(n)** and **C-TITLE** / **C-NOTITLE**.
pub fn lists(bundle: &Value, titles: &[&str], absent: &[&str]) {
    let lists = of_kind(bundle, "List");
    assert_eq!(lists.len(), titles.len(), "{:?}", lists.iter().map(|l| &l["title"]).collect::<Vec<_>>());
    for title in titles {
        assert_eq!(lists.iter().filter(|l| l["title"] == *title).count(), 1, "one List titled {title}");
    }
    for title in absent {
        assert!(lists.iter().all(|l| l["title"] != *title), "no List titled {title}");
    }
}

/// **C-NO-OO**: no OperationOutcome in the Bundle.
pub fn no_operation_outcome(bundle: &Value) {
    assert!(of_kind(bundle, "OperationOutcome").is_empty());
}

/// **C-LIST-NOTINUSE** over every List, and **C-LISTCORE** (profile, status, mode,
/// subject, coded with a display) over every primary List.
pub fn lists_are_valid(bundle: &Value) {
    for list in of_kind(bundle, "List") {
        assert!(list.get("meta").is_some());
        assert!(unversioned(list) && list.get("source").is_none(), "not in use: {list}");
        assert!(has_only_profile(list, LIST_PROFILE));
        assert_eq!(list["status"], "current");
        assert_eq!(list["mode"], "snapshot");
        assert!(about_the_patient(bundle, &list["subject"]));
        let coding = &list["code"]["coding"][0];
        assert!(coding["code"].is_string() && coding["display"].as_str().is_some_and(|d| !d.is_empty()), "{list}");
        let warnings: Vec<&Value> =
            array(&list["extension"]).iter().filter(|e| e["url"] == WARNING_EXTENSION).collect();
        assert!(warnings.len() <= 4);
        for warning in warnings {
            assert!(
                ["confidential-items", "data-in-transit", "data-awaiting-filing"]
                    .contains(&warning["valueCode"].as_str().unwrap_or_default()),
                "{warning}"
            );
        }
        // The primary Lists carry a title and no id (the consultation structure Lists an
        // id and no title).
        if !is_consultation_structure(list) {
            assert!(list.get("id").is_none(), "a primary List has no id: {list}");
            assert!(list["title"].is_string(), "a primary List has a title: {list}");
        }
    }
}

fn is_consultation_structure(list: &Value) -> bool {
    ["325851000000107", "25851000000105", "24781000000107"]
        .contains(&list["code"]["coding"][0]["code"].as_str().unwrap_or_default())
}

/// **C-EMPTYLISTS** over the Lists with no entries: a note "Information not available" and
/// the `no-content-recorded` empty reason.
pub fn empty_lists_say_so(bundle: &Value) {
    for list in of_kind(bundle, "List").into_iter().filter(|l| array(&l["entry"]).is_empty()) {
        assert!(
            array(&list["note"])
                .iter()
                .any(|n| n["text"].as_str().is_some_and(|t| t.contains("Information not available"))),
            "{list}"
        );
        let coding = array(&list["emptyReason"]["coding"]);
        assert_eq!(coding.len(), 1);
        assert_eq!(coding[0]["system"], "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1");
        assert_eq!(coding[0]["code"], "no-content-recorded");
        assert_eq!(coding[0]["display"], "No Content Recorded");
    }
}

/// **C-WARN(code)**: the List carries exactly one warning of `code`, with its note.
pub fn list_warns(list: &Value, code: &str, note: &str) {
    let warnings: Vec<&Value> = array(&list["extension"]).iter().filter(|e| e["url"] == WARNING_EXTENSION).collect();
    assert_eq!(warnings.iter().filter(|w| w["valueCode"] == code).count(), 1, "{list}");
    assert_eq!(array(&list["note"]).iter().filter(|n| n["text"].as_str().is_some_and(|t| t.contains(note))).count(), 1);
}

/// **C-ALG-VALID** (with C-ALG-LISTS) and **C-ALG-COUNT**.
pub fn allergies_are_valid(bundle: &Value) {
    let active = list(bundle, ALLERGIES).expect("the allergies List");
    let top_level = of_kind(bundle, "AllergyIntolerance");
    assert_eq!(top_level.len(), array(&active["entry"]).len(), "C-ALG-COUNT: resolved allergies are contained");
    let mut allergies: Vec<&Value> = top_level;
    if let Some(ended) = list(bundle, ENDED_ALLERGIES) {
        assert_eq!(ended["code"]["coding"][0]["display"], ENDED_ALLERGIES);
        for entry in array(&ended["entry"]) {
            let reference = entry["item"]["reference"].as_str().expect("a reference");
            let id = reference.strip_prefix('#').expect("an ended allergy is contained in its List");
            assert_eq!(array(&ended["contained"]).iter().filter(|c| c["id"] == id).count(), 1);
        }
        allergies.extend(array(&ended["contained"]));
    }
    for entry in array(&active["entry"]) {
        let reference = entry["item"]["reference"].as_str().expect("a reference");
        assert!(reference.starts_with("AllergyIntolerance/") && resolves(bundle, reference));
    }
    for allergy in allergies {
        assert!(allergy["id"].as_str().is_some_and(|id| !id.trim().is_empty()));
        assert!(identified(allergy), "identifier: {allergy}");
        assert!(has_only_profile(
            allergy,
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1"
        ));
        assert!(unversioned(allergy));
        assert!(allergy["recorder"].is_object(), "recorder: {allergy}");
        assert!(allergy["clinicalStatus"].is_string());
        assert!(allergy["assertedDate"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(allergy["patient"]["reference"].as_str().is_some_and(|r| r.starts_with("Patient/")));
        assert_eq!(allergy["verificationStatus"], "unconfirmed");
        assert!(array(&allergy["category"]).len() == 1, "category: {allergy}");
        assert!(["medication", "environment"].contains(&allergy["category"][0].as_str().unwrap_or_default()));
        assert!(array(&allergy["code"]["coding"]).iter().all(|c| c["system"].is_string()));
        let reactions = array(&allergy["reaction"]);
        assert!(reactions.len() <= 1);
        for reaction in reactions {
            assert!(array(&reaction["manifestation"]).len() <= 1);
            assert!(reaction.get("substance").is_none(), "reaction.substance is not in use: {reaction}");
            assert!(reaction.get("onset").is_none() && array(&reaction["note"]).is_empty());
        }
        if allergy["clinicalStatus"] == "resolved" {
            let end = array(&allergy["extension"])
                .iter()
                .find(|e| e["url"] == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1")
                .expect("a resolved allergy says when and why it ended");
            for part in ["endDate", "reasonEnded"] {
                let sub = array(&end["extension"]).iter().find(|e| e["url"] == part).expect(part);
                assert!(sub.get("valueDateTime").or_else(|| sub.get("valueString")).is_some(), "{part}");
            }
        }
    }
}

/// **C-ALG-WITH**: the active List has entries, no empty reason, and no "no known
/// allergies" note.
pub fn allergies_list_has_allergies(bundle: &Value) {
    let active = list(bundle, ALLERGIES).expect("the allergies List");
    assert!(active.get("emptyReason").is_none());
    assert!(
        array(&active["note"]).iter().all(|n| !n["text"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
            .contains("no known allergies"))
    );
}

/// **C-MED-LIST**, **C-MEDICATION**, **C-MEDSTMT**, **C-MEDREQ** and **C-MED-ACUTE**.
pub fn medications_are_valid(bundle: &Value) {
    let medications = list(bundle, MEDICATIONS).expect("the medications List");
    for entry in array(&medications["entry"]) {
        let reference = entry["item"]["reference"].as_str().expect("a reference");
        assert!(reference.starts_with("MedicationStatement/") && resolves(bundle, reference));
    }
    for medication in of_kind(bundle, "Medication") {
        assert!(has_only_profile(
            medication,
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Medication-1"
        ));
        assert!(unversioned(medication) && medication.get("package").is_none());
        assert!(array(&medication["code"]["coding"]).iter().all(|c| c["system"] == "http://snomed.info/sct"));
    }
    let requests = of_kind(bundle, "MedicationRequest");
    let plans: Vec<&&Value> = requests.iter().filter(|r| r["intent"] == "plan").collect();
    for statement in of_kind(bundle, "MedicationStatement") {
        assert!(has_only_profile(
            statement,
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationStatement-1"
        ));
        assert!(identified(statement), "identifier: {statement}");
        assert!(array(&statement["extension"]).iter().any(|e| e["url"]
            == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescribingAgency-1"));
        let based_on = array(&statement["basedOn"]);
        assert_eq!(based_on.len(), 1);
        let plan_id =
            based_on[0]["reference"].as_str().and_then(|r| r.strip_prefix("MedicationRequest/")).expect("a plan");
        assert_eq!(plans.iter().filter(|p| p["id"] == plan_id).count(), 1, "exactly one plan {plan_id}");
        assert!(["active", "completed", "stopped"].contains(&statement["status"].as_str().unwrap_or("active")));
        assert!(statement["medicationReference"].is_object());
        assert!(statement["effectivePeriod"]["start"].is_string() || statement["effectiveDateTime"].is_string());
        assert!(statement["subject"].is_object());
        assert_eq!(statement["taken"], "unk");
        assert!(array(&statement["dosage"]).iter().all(|d| d["text"].as_str().is_some_and(|t| !t.is_empty())));
        not_in_use(statement, &["partOf", "category", "informationSource", "derivedFrom", "reasonNotTaken"]);
        assert!(unversioned(statement));
    }
    for request in &requests {
        assert!(has_only_profile(
            request,
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationRequest-1"
        ));
        assert!(identified(request), "identifier: {request}");
        let plan = request["intent"] == "plan";
        assert!(plan || request["intent"] == "order");
        assert_eq!(array(&request["basedOn"]).is_empty(), plan, "an order is based on its plan, a plan on nothing");
        assert!(["active", "completed", "stopped"].contains(&request["status"].as_str().unwrap_or("active")));
        assert!(request["medicationReference"].is_object() && request["subject"].is_object());
        let kind = array(&request["extension"])
            .iter()
            .find(|e| {
                e["url"] == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1"
            })
            .map(|e| e["valueCodeableConcept"]["coding"][0]["display"].as_str().unwrap_or_default().to_owned())
            .expect("prescriptionType");
        let repeat = array(&request["extension"]).iter().find(|e| {
            e["url"] == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationRepeatInformation-1"
        });
        let parts = |name: &str| repeat.is_some_and(|r| array(&r["extension"]).iter().any(|p| p["url"] == name));
        if (kind == "Repeat" || kind == "Repeat dispensing") && plan {
            assert!(parts("numberOfRepeatPrescriptionsIssued"), "a repeat plan counts its issues: {request}");
        } else {
            assert!(!parts("numberOfRepeatPrescriptionsIssued") && !parts("numberOfRepeatPrescriptionsAllowed"));
        }
        if request["status"] == "stopped" {
            let reason = array(&request["extension"]).iter().any(|e| {
                e["url"]
                    == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatusReason-1"
            });
            assert_eq!(reason, plan, "only a stopped plan says why");
        }
        assert!(request["dispenseRequest"]["validityPeriod"]["start"].is_string());
        let dosage = array(&request["dosageInstruction"]);
        assert!(dosage.len() == 1 && dosage[0]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(request["recorder"].is_object(), "recorder: {request}");
        assert!(request["authoredOn"].is_string());
        not_in_use(
            request,
            &[
                "definition",
                "category",
                "priority",
                "supportingInformation",
                "substitution",
                "detectedIssue",
                "eventHistory",
            ],
        );
        assert!(unversioned(request));
        // C-MED-ACUTE: an acute plan has at most one order.
        if plan && kind.contains("Acute") {
            let reference = format!("MedicationRequest/{}", request["id"].as_str().unwrap());
            assert!(requests.iter().filter(|r| r["basedOn"][0]["reference"] == reference.as_str()).count() <= 1);
        }
    }
}

/// **C-IMM** (+NIU) and **C-IMM-LIST**.
pub fn immunisations_are_valid(bundle: &Value) {
    let (_, immunisations) = primary_list_holds_all(bundle, "Immunisations", "Immunization");
    for immunisation in immunisations {
        assert!(has_only_profile(
            immunisation,
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Immunization-1"
        ));
        // The suite looks for CareConnect's DateRecorded URL; GP Connect 1.6's Immunization
        // page examples and NHS England's demonstrator use the GPC one, which is sent.
        let recorded = array(&immunisation["extension"])
            .iter()
            .find(|e| {
                e["url"] == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-DateRecorded-1"
            })
            .expect("extension[recordedDate] (1..1)");
        assert!(recorded["valueDateTime"].is_string());
        let procedures: Vec<&Value> = array(&immunisation["extension"])
            .iter()
            .filter(|e| {
                e["url"]
                    == "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-VaccinationProcedure-1"
            })
            .collect();
        assert_eq!(procedures.len(), 1, "extension[vaccinationProcedure] (1..1)");
        let coding = &procedures[0]["valueCodeableConcept"]["coding"][0];
        assert!(coding["code"].is_string() && coding["display"].is_string());
        assert!(identified(immunisation));
        assert_eq!(immunisation["status"], "completed");
        assert!(
            array(&immunisation["vaccineCode"]["coding"])
                .iter()
                .all(|c| c["system"].is_string() && c["code"].is_string())
        );
        assert!(about_the_patient(bundle, &immunisation["patient"]));
        assert!(immunisation["primarySource"].is_boolean());
        assert!(array(&immunisation["reaction"]).is_empty());
        for protocol in array(&immunisation["vaccinationProtocol"]) {
            assert!(protocol.get("authority").is_none() && protocol.get("series").is_none());
        }
    }
}

/// **C-OBS** (+NIU) and **C-OBS-LIST**.
pub fn uncategorised_are_valid(bundle: &Value) {
    let (_, observations) = primary_list_holds_all(bundle, "Uncategorised data", "Observation");
    for observation in observations {
        assert!(has_only_profile(
            observation,
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Observation-1"
        ));
        assert_eq!(observation["status"], "final");
        assert!(about_the_patient(bundle, &observation["subject"]) && observation["code"].is_object());
        assert!(identified(observation), "identifier: {observation}");
        assert!(observation["issued"].is_string(), "issued: {observation}");
        assert!(observation["performer"][0]["reference"].is_string());
        assert!(
            array(&observation["basedOn"]).is_empty() && array(&observation["category"]).is_empty(),
            "not in use: {observation}"
        );
        not_in_use(observation, &["dataAbsentReason", "bodySite", "method", "specimen", "device"]);
    }
}

/// **C-REF** (+NIU) and **C-REF-LIST**.
pub fn referrals_are_valid(bundle: &Value) {
    let (_, referrals) = primary_list_holds_all(bundle, "Outbound referral", "ReferralRequest");
    for referral in referrals {
        assert!(has_only_profile(
            referral,
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ReferralRequest-1"
        ));
        assert!(identified(referral));
        assert_eq!(referral["status"], "unknown");
        assert_eq!(referral["intent"], "order");
        assert!(about_the_patient(bundle, &referral["subject"]));
        not_in_use(referral, &["groupIdentifier", "type", "occurrenceDateTime", "occurrencePeriod"]);
        for element in ["definition", "replaces", "reasonReference", "relevantHistory"] {
            assert!(array(&referral[element]).is_empty(), "{element} is not in use");
        }
    }
}

/// **C-PROB-PRIMARY** (+NIU), **C-PROB-VALID** and **C-PROB-NIU**.
pub fn problems_are_valid(bundle: &Value) {
    let (list, _) = primary_list_holds_all(bundle, "Problems", "Condition");
    assert_eq!(list["code"]["coding"][0]["code"], "717711000000103");
    problem_resources_are_valid(bundle);
}

/// "I Check The Problems Resources are Valid" and "I check The Problem Resources Do Not
/// Include Not In Use Fields" (**C-PROB-VALID**, **C-PROB-NIU**): at least one Condition,
/// each a valid ProblemHeader.
pub fn problem_resources_are_valid(bundle: &Value) {
    let conditions = of_kind(bundle, "Condition");
    assert!(!conditions.is_empty(), "at least one problem");
    for condition in conditions {
        assert!(has_only_profile(
            condition,
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProblemHeader-Condition-1"
        ));
        let significance: Vec<&Value> = array(&condition["extension"])
            .iter()
            .filter(|e| {
                e["url"]
                    == "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ProblemSignificance-1"
            })
            .collect();
        assert_eq!(significance.len(), 1);
        assert!(["major", "minor"].contains(&significance[0]["valueCode"].as_str().unwrap_or_default()));
        assert!(identified(condition), "identifier: {condition}");
        assert!(["active", "inactive"].contains(&condition["clinicalStatus"].as_str().unwrap_or_default()));
        let categories = array(&condition["category"]);
        assert_eq!(categories.len(), 1);
        assert_eq!(
            categories[0]["coding"][0]["system"],
            "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1"
        );
        assert_eq!(categories[0]["coding"][0]["code"], "problem-list-item");
        assert!(condition["assertedDate"].is_string());
        assert!(
            condition["asserter"]["reference"].as_str().is_some_and(|r| r.contains("Practitioner/")),
            "asserter: {condition}"
        );
        assert!(about_the_patient(bundle, &condition["subject"]));
        not_in_use(condition, &["severity", "verificationStatus", "bodySite", "stage", "evidence"]);
    }
}

/// **C-CONS-LIST** (+NIU) and **C-ENC** (+NIU).
pub fn consultations_are_valid(bundle: &Value) {
    let (list, encounters) = primary_list_holds_all(bundle, "List of consultations", "Encounter");
    assert_eq!(list["code"]["coding"][0]["display"], "List of consultations");
    for encounter in encounters {
        assert!(has_only_profile(
            encounter,
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Encounter-1"
        ));
        assert!(identified(encounter), "identifier: {encounter}");
        assert!(encounter["status"].is_string() && !array(&encounter["type"]).is_empty());
        assert!(about_the_patient(bundle, &encounter["subject"]));
        let recorder = array(&encounter["participant"]).iter().any(|p| {
            array(&p["type"]).iter().flat_map(|t| array(&t["coding"])).any(|c| {
                c["system"] == "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-ParticipantType-1" && c["code"] == "REC"
            })
        });
        assert!(recorder, "the recorder is the REC participant: {encounter}");
        not_in_use(
            encounter,
            &[
                "statusHistory",
                "class",
                "classHistory",
                "priority",
                "episodeOfCare",
                "incomingReferral",
                "appointment",
                "reason",
                "diagnosis",
                "account",
                "hospitalization",
                "partOf",
            ],
        );
    }
}

/// **C-OO(code)**: an OperationOutcome answer whose every issue is an error, with the
/// Spine code.
pub fn operation_outcome(status: u16, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert!(body.get("meta").is_some());
    let issues = array(&body["issue"]);
    assert!(!issues.is_empty());
    for issue in issues {
        assert_eq!(issue["severity"], "error");
        assert!(issue["code"].is_string());
        let coding = array(&issue["details"]["coding"]);
        assert_eq!(coding.len(), 1);
        assert!(coding[0]["display"].is_string());
    }
    assert_eq!(issues[0]["details"]["coding"][0]["code"], code, "{body}");
}

/// **C-FWD(name)** with **C-OO-COUNT(1)**: the Bundle holds one OperationOutcome with one
/// not-supported warning naming `name` (compared without case, as the suite's Shouldly
/// `ShouldContain` does).
pub fn forward_compatible(status: u16, bundle: &Value, name: &str) {
    assert_eq!(status, 200, "{bundle}");
    let outcomes = of_kind(bundle, "OperationOutcome");
    assert_eq!(outcomes.len(), 1);
    let issues = array(&outcomes[0]["issue"]);
    assert_eq!(issues.len(), 1, "{}", outcomes[0]);
    let issue = &issues[0];
    assert_eq!(issue["code"], "not-supported");
    assert_eq!(issue["severity"], "warning");
    let coding = &issue["details"]["coding"][0];
    assert_eq!(coding["system"], "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1");
    assert_eq!(coding["code"], "NOT_IMPLEMENTED");
    assert_eq!(coding["display"], "Not implemented");
    let text = issue["details"]["text"].as_str().unwrap_or_default().to_lowercase();
    assert!(text.contains(&format!("{} is an unrecognised parameter", name.to_lowercase())), "{issue}");
    assert!(issue["diagnostics"].as_str().unwrap_or_default().to_lowercase().contains(&name.to_lowercase()));
}

/// The code of the "Problems - linked problems not relating to the primary query" List.
pub const LINKED_PROBLEMS_CODE: &str = "problems-linked-problems-not-relating-to-the-primary-query";
/// Its title.
pub const LINKED_PROBLEMS: &str = "Problems - linked problems not relating to the primary query";
/// `GPConnect-SecondaryListValues-1`.
pub const SECONDARY_LIST_SYSTEM: &str = "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1";

fn lists_coded<'a>(bundle: &'a Value, code: &str) -> Vec<&'a Value> {
    of_kind(bundle, "List").into_iter().filter(|l| l["code"]["coding"][0]["code"] == code).collect()
}

/// "I Check There is No Problems Secondary Problems List" and "I Check No Problem
/// Resources are Included". The suite's first step looks for a List coded
/// `consultations-medications-contained-in-consultations`, not the related-problems List
/// its name says; this checks the List it names (and the suite's one is absent too).
pub fn no_linked_problems(bundle: &Value) {
    assert!(lists_coded(bundle, LINKED_PROBLEMS_CODE).is_empty(), "no related problems List");
    assert!(lists_coded(bundle, "consultations-medications-contained-in-consultations").is_empty());
    assert!(of_kind(bundle, "Condition").is_empty(), "no problems");
}

/// The checks every secondary List gets (`checkCommonMandatoryStructuredList`, and
/// "…Does Not Include Not In Use Fields"): the List profile, `current`, `snapshot`, the
/// Patient, and no id, version, last updated or source.
fn secondary_list_core(bundle: &Value, list: &Value) {
    assert!(has_only_profile(list, LIST_PROFILE), "{list}");
    assert_eq!(list["status"], "current");
    assert_eq!(list["mode"], "snapshot");
    assert!(about_the_patient(bundle, &list["subject"]));
    assert!(list.get("id").is_none() && unversioned(list) && list.get("source").is_none(), "not in use: {list}");
}

/// "I Check The Problems Secondary Problems List" (+ "Does Not Include Not In Use
/// Fields"): one List coded [`LINKED_PROBLEMS_CODE`], titled [`LINKED_PROBLEMS`], whose
/// entries are the Bundle's Conditions, every one.
pub fn linked_problems_list(bundle: &Value) {
    let found = lists_coded(bundle, LINKED_PROBLEMS_CODE);
    assert_eq!(found.len(), 1, "one related problems List");
    let list = found[0];
    assert_eq!(list["title"], LINKED_PROBLEMS);
    for coding in array(&list["code"]["coding"]) {
        assert_eq!(coding["system"], SECONDARY_LIST_SYSTEM);
        assert!(coding["display"].as_str().is_some_and(|d| !d.is_empty()));
    }
    secondary_list_core(bundle, list);
    let conditions = of_kind(bundle, "Condition");
    assert_eq!(conditions.len(), array(&list["entry"]).len(), "the List names every problem");
    for entry in array(&list["entry"]) {
        let reference = entry["item"]["reference"].as_str().unwrap_or_default();
        assert!(reference.starts_with("Condition/") && resolves(bundle, reference), "{reference}");
    }
}

/// The `relatedClinicalContent` references of every Condition.
fn related_references(bundle: &Value) -> Vec<&str> {
    of_kind(bundle, "Condition")
        .into_iter()
        .flat_map(|c| array(&c["extension"]))
        .filter(|e| {
            e["url"]
                == "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1"
        })
        .filter_map(|e| e["valueReference"]["reference"].as_str())
        .collect()
}

/// "Check a Problem is linked to an "{kind}" that is also included in the response with
/// its list" and "Check a Problem is Linked to a MedicationRequest resource that has been
/// included in the response": a problem's `relatedClinicalContent` names a `kind` the
/// Bundle holds.
pub fn a_problem_links_to(bundle: &Value, kind: &str) {
    let reference = related_references(bundle)
        .into_iter()
        .find(|r| r.starts_with(&format!("{kind}/")))
        .unwrap_or_else(|| panic!("no problem linked to a {kind}"));
    assert!(resolves(bundle, reference), "{reference} is in the Bundle");
}

/// "Check the MedicationRequests have a link to a medication that has been included in
/// response".
pub fn medication_requests_name_their_medication(bundle: &Value) {
    let requests = of_kind(bundle, "MedicationRequest");
    assert!(!requests.is_empty());
    for request in requests {
        let medication = request["medicationReference"]["reference"].as_str().unwrap_or_default();
        assert!(medication.starts_with("Medication/") && resolves(bundle, medication), "{request}");
    }
}

/// "Check there is a MedicationStatement resource that is linked to the MedicationRequest
/// and Medication".
pub fn statements_name_their_plan_and_medication(bundle: &Value) {
    let statements = of_kind(bundle, "MedicationStatement");
    assert!(!statements.is_empty());
    for statement in statements {
        let medication = statement["medicationReference"]["reference"].as_str().unwrap_or_default();
        assert!(medication.starts_with("Medication/") && resolves(bundle, medication), "{statement}");
        let plan = statement["basedOn"][0]["reference"].as_str().unwrap_or_default();
        assert!(plan.starts_with("MedicationRequest/") && resolves(bundle, plan), "{statement}");
    }
}

/// "Check the Medications List resource has been included in response": one
/// Medications List naming MedicationStatements the Bundle holds.
pub fn medications_list_names_statements(bundle: &Value) {
    let found = lists_coded(bundle, "933361000000108");
    assert_eq!(found.len(), 1);
    let entries = array(&found[0]["entry"]);
    assert!(!entries.is_empty());
    for entry in entries {
        let reference = entry["item"]["reference"].as_str().unwrap_or_default();
        assert!(reference.starts_with("MedicationStatement/") && resolves(bundle, reference), "{reference}");
    }
}

/// "Check that a Problem is linked via context to a consultation but only a reference is
/// sent in response": a Condition's `context` is an Encounter the Bundle holds (the
/// step's name says only a reference is sent; its code and the Linkages page, "the
/// Encounter profiles of any linked Consultations", want the Encounter), and no
/// consultation List of any level is sent.
pub fn a_problem_was_recorded_in_a_consultation_sent_without_its_lists(bundle: &Value) {
    let contexts: Vec<&str> = of_kind(bundle, "Condition")
        .into_iter()
        .filter_map(|c| c["context"]["reference"].as_str())
        .filter(|r| r.starts_with("Encounter/"))
        .collect();
    assert!(!contexts.is_empty(), "a problem's context is a consultation");
    for context in contexts {
        assert!(resolves(bundle, context), "{context} is in the Bundle");
    }
    for code in ["1149501000000101", "325851000000107", "25851000000105", "24781000000107"] {
        assert!(lists_coded(bundle, code).is_empty(), "no consultation List {code}");
    }
}

/// "I Check the Problems {area} Secondary List is Valid": one List titled `title`,
/// coded `code` with the title as its display, with at least one entry, each a `kind`
/// the Bundle holds.
pub fn secondary_list_is_valid(bundle: &Value, title: &str, code: &str, kind: &str) {
    let found: Vec<&Value> = of_kind(bundle, "List").into_iter().filter(|l| l["title"] == title).collect();
    assert_eq!(found.len(), 1, "one List titled {title}");
    let list = found[0];
    assert_eq!(list["code"]["coding"][0]["code"], code);
    assert_eq!(list["code"]["coding"][0]["display"], title);
    secondary_list_core(bundle, list);
    let entries = array(&list["entry"]);
    assert!(!entries.is_empty(), "{title} has entries");
    for entry in entries {
        let reference = entry["item"]["reference"].as_str().unwrap_or_default();
        assert!(reference.starts_with(&format!("{kind}/")) && resolves(bundle, reference), "{reference}");
    }
}

/// "I Check one Topic is linked to a problem": a topic List's `relatedProblemHeader`
/// names a Condition the Bundle holds.
pub fn a_topic_links_a_problem(bundle: &Value) {
    let found = lists_coded(bundle, "25851000000105")
        .into_iter()
        .flat_map(|topic| array(&topic["extension"]))
        .filter(|e| {
            e["url"] == "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1"
        })
        .flat_map(|e| array(&e["extension"]))
        .filter_map(|part| part["valueReference"]["reference"].as_str())
        .any(|reference| reference.starts_with("Condition/") && resolves(bundle, reference));
    assert!(found, "a topic is linked to a problem in the Bundle");
}

/// "I Check that a Topic or Heading is linked to an "{kind}" and that is included in
/// response with a list": a topic's or else a heading's entry names a `kind` the Bundle
/// holds.
pub fn a_topic_or_heading_links_to(bundle: &Value, kind: &str) {
    let names = |code: &str| {
        lists_coded(bundle, code)
            .into_iter()
            .flat_map(|list| array(&list["entry"]))
            .filter_map(|entry| entry["item"]["reference"].as_str())
            .filter(|reference| reference.starts_with(&format!("{kind}/")))
            .inspect(|reference| assert!(resolves(bundle, reference), "{reference} is in the Bundle"))
            .count()
    };
    assert!(names("25851000000105") + names("24781000000107") > 0, "a topic or heading names a {kind}");
}

/// "I Check that a problem is linked to another problem": at least two problems, and one
/// whose `relatedProblemHeader` (type `child` or `sibling`) names another that names it
/// back as its `parent`. (The step calls the first one the parent; the check is the
/// same either way round, and the Problems page's `type` is what the problem holding
/// the link is to its target.)
pub fn a_problem_is_linked_to_another(bundle: &Value) {
    let conditions = of_kind(bundle, "Condition");
    assert!(conditions.len() > 1, "at least two problems");
    let links = |condition: &Value| -> Vec<(String, String)> {
        array(&condition["extension"])
            .iter()
            .filter(|e| {
                e["url"]
                    == "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1"
            })
            .filter_map(|e| {
                let part = |url: &str| array(&e["extension"]).iter().find(|p| p["url"] == url);
                let kind = part("type")?["valueCode"].as_str()?.to_lowercase();
                let target = part("target")?["valueReference"]["reference"].as_str()?.to_owned();
                Some((kind, target))
            })
            .collect()
    };
    let found = conditions.iter().any(|first| {
        let first_ref = format!("Condition/{}", first["id"].as_str().unwrap_or_default());
        links(first).into_iter().filter(|(kind, _)| kind == "child" || kind == "sibling").any(|(_, target)| {
            conditions.iter().any(|second| {
                format!("Condition/{}", second["id"].as_str().unwrap_or_default()) == target
                    && links(second).iter().any(|(kind, back)| kind == "parent" && *back == first_ref)
            })
        })
    });
    assert!(found, "a problem linked to another as parent and child");
}
