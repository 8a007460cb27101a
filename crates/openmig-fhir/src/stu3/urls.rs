//! The URLs and codes GP Connect STU3 fixes, each with where it comes from.
//!
//! "gpconnect.md" is `shared/design/gpconnect.md`, the project's summary of the standard.
//! Constants it does not give verbatim say so.

/// SNOMED CT (dm+d codes are carried under it too in GP Connect STU3).
pub const SNOMED: &str = "http://snomed.info/sct";
/// UCUM, for the supply duration in days.
pub const UCUM: &str = "http://unitsofmeasure.org";

/// gpconnect.md §1: the response Bundle profile.
pub const BUNDLE_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1";

/// gpconnect.md §3 "Profiles": all under `https://fhir.nhs.uk/STU3/StructureDefinition/`.
pub const PATIENT_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1";
/// gpconnect.md §3 "Profiles".
pub const ORGANIZATION_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Organization-1";
/// gpconnect.md §3 "Profiles".
pub const PRACTITIONER_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Practitioner-1";
/// gpconnect.md §3 "Profiles".
pub const PRACTITIONER_ROLE_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-PractitionerRole-1";
/// gpconnect.md §3 "Profiles".
pub const ALLERGY_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1";
/// gpconnect.md §3 "Profiles".
pub const MEDICATION_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Medication-1";
/// gpconnect.md §3 "Profiles".
pub const MEDICATION_STATEMENT_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationStatement-1";
/// gpconnect.md §3 "Profiles".
pub const MEDICATION_REQUEST_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationRequest-1";

/// The Patient's `registrationDetails`. gpconnect.md §3 names it on the Patient; the URL,
/// the context (Patient) and the sub-extensions `registrationPeriod` (`valuePeriod`) and
/// `registrationType` (`valueCodeableConcept`, bound to CareConnect-RegistrationType-1)
/// are those of the StructureDefinition in NHS Digital's STU3 assets
/// (nhsconnect/STU3-FHIR-Assets, `StructureDefinitions/Extension-CareConnect-GPC-RegistrationDetails-1.xml`,
/// version 1.0.0, which also forbids the `registrationStatus` part: `max = 0`), and GP
/// Connect's published Access Record Structured examples send both parts, with
/// `registrationPeriod.end` when the registration has ended.
pub const REGISTRATION_DETAILS_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1";
/// The code system of `registrationDetails.registrationType`: the CodeSystem
/// `CareConnect-RegistrationType-1` in nhsconnect/STU3-FHIR-Assets
/// (`CodeSystems/CodeSystem-CareConnect-RegistrationType-1.xml`, 1.0.0, active), the
/// system GP Connect's published structured record examples use.
pub const REGISTRATION_TYPE_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-RegistrationType-1";
/// `R` "Regular" in [`REGISTRATION_TYPE_SYSTEM`] (code and display as in the CodeSystem).
/// The domain has no other registration type (a record is the practice's regular list
/// registration, current or ended), and a provider only returns a structured record for a
/// Regular/GMS registration (gpconnect.md §4 and §5: any other type is
/// `PATIENT_NOT_FOUND`), so every Patient the writer sends is one.
pub const REGULAR_REGISTRATION: (&str, &str) = ("R", "Regular");

/// gpconnect.md §1 (`patientNHSNumber`).
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// gpconnect.md §2 (`requesting_organization`).
pub const ODS_ORGANIZATION_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// gpconnect.md §2 (`requesting_practitioner`).
pub const SDS_USER_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";

/// gpconnect.md §3 "List element rules": the `clinicalSetting` extension, valued with
/// SNOMED [`GENERAL_PRACTICE_SERVICE`].
pub const CLINICAL_SETTING_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ClinicalSetting-1";
/// gpconnect.md §3: SNOMED 1060971000000108 "General practice service".
pub const GENERAL_PRACTICE_SERVICE: (&str, &str) = ("1060971000000108", "General practice service");
/// gpconnect.md §3 "List warning codes".
pub const LIST_WARNING_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1";
/// gpconnect.md §3: "something was left out for confidentiality / patient preference /
/// exclusion set".
pub const CONFIDENTIAL_ITEMS: &str = "confidential-items";
/// The note text that goes with `confidential-items`. gpconnect.md does not quote it;
/// taken from the GP Connect spec page "Returning data in lists"
/// (`accessrecord_structured_development_lists_for_message_structure.md`, warning table).
pub const CONFIDENTIAL_ITEMS_NOTE: &str = "Items excluded due to confidentiality and/or patient preferences.";
/// gpconnect.md §3: `emptyReason.code = no-content-recorded`.
pub const NO_CONTENT_RECORDED: &str = "no-content-recorded";
/// The code system of `no-content-recorded`. Not in gpconnect.md (unverified): taken from
/// secondary summaries of GP Connect List examples.
pub const LIST_EMPTY_REASON_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1";
/// gpconnect.md §3: `note.text = "Information not available"` on an empty List.
pub const INFORMATION_NOT_AVAILABLE: &str = "Information not available";

/// gpconnect.md §3 primary List codes and titles.
pub const ALLERGIES_LIST: (&str, &str) = ("886921000000105", "Allergies and adverse reactions");
/// gpconnect.md §3 primary List codes and titles.
pub const ENDED_ALLERGIES_LIST: (&str, &str) = ("1103671000000101", "Ended allergies");
/// gpconnect.md §3 primary List codes and titles.
pub const MEDICATIONS_LIST: (&str, &str) = ("933361000000108", "Medications and medical devices");

/// The `allergyEnd` extension. gpconnect.md §3 names it only as "`allergyEnd` extension
/// {endDate, endReason}"; the URL is the one in GP Connect's published examples.
pub const ALLERGY_END_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1";
/// Sub-extension names of `allergyEnd`. gpconnect.md says `endReason`, but the GP Connect
/// spec's own example and NHS England's GP2GP translator use `reasonEnded`; openmig
/// follows the spec example. (Unverified against the StructureDefinition itself.)
pub const ALLERGY_END_DATE: &str = "endDate";
/// See [`ALLERGY_END_DATE`].
pub const ALLERGY_END_REASON: &str = "reasonEnded";

/// gpconnect.md §3 "Key extensions": MedicationStatement last issue date (URL prefix as
/// for every GPC extension there).
pub const LAST_ISSUE_DATE_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatementLastIssueDate-1";
/// gpconnect.md §3 "Key extensions": prescribing agency (mandatory on MedicationStatement).
pub const PRESCRIBING_AGENCY_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescribingAgency-1";
/// gpconnect.md §3: CodeSystem `https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescribingAgency-1`.
pub const PRESCRIBING_AGENCY_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescribingAgency-1";
/// gpconnect.md §3: "`prescribed-at-gp-practice` 'Prescribed at GP practice'".
pub const PRESCRIBED_AT_GP_PRACTICE: (&str, &str) = ("prescribed-at-gp-practice", "Prescribed at GP practice");
/// gpconnect.md §3 marks this code "(unverified)"; the GP Connect medication guidance
/// page lists it with the display "Prescribed by another organisation".
pub const PRESCRIBED_BY_ANOTHER_ORGANISATION: (&str, &str) =
    ("prescribed-by-another-organisation", "Prescribed by another organisation");
/// gpconnect.md §3: `prescriptionType` extension.
pub const PRESCRIPTION_TYPE_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1";
/// gpconnect.md §3: codes `acute`, `delayed-prescribing`, `repeat`, `repeat-dispensing`.
pub const PRESCRIPTION_TYPE_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1";
/// gpconnect.md §3: `repeatInformation` with `numberOfRepeatPrescriptionsAllowed`,
/// `numberOfRepeatPrescriptionsIssued`, `authorisationExpiryDate`. GP Connect's
/// MedicationRequest page (nhsconnect/gpconnect,
/// `accessrecord_structured_development_medicationrequest.md`) gives
/// `authorisationExpiryDate` as a `dateTime`, 0..1, "the date a repeat prescription
/// authorisation will expire", populated on the plan only, never on an order.
pub const REPEAT_INFORMATION_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationRepeatInformation-1";
/// GP Connect 1.6's MedicationRequest page: `dispenseRequest.quantityText`, the
/// quantity when it is text ("both value and units"), on `dispenseRequest.quantity`.
pub const MEDICATION_QUANTITY_TEXT_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationQuantityText-1";
/// GP Connect 1.6's Immunization page: `extension[recordedDate]`, 1..1, when the entry
/// was made (the URL of the page's own examples and of NHS England's demonstrator).
pub const DATE_RECORDED_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-DateRecorded-1";
/// CareConnect `VaccinationProcedure`, 1..1 on a GP Connect Immunization: the vaccination
/// (or the "not done" situation), whatever the product.
pub const VACCINATION_PROCEDURE_EXTENSION: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-VaccinationProcedure-1";
/// HL7 v3 NullFlavor, STU3 spelling: `UNK` as the `vaccineCode` of an unknown product.
pub const NULL_FLAVOR_SYSTEM: &str = "http://hl7.org/fhir/v3/NullFlavor";
/// Where openmig scopes the persistent identifiers of the resources it writes: the value
/// is the practice's ODS code and the resource id (GP Connect: "globally unique and
/// persistent… scoped by a provider specific namespace").
pub const RECORD_ENTRY_IDENTIFIER_SYSTEM: &str = "https://fhir.openmig.dev/Id/record-entry";
/// gpconnect.md §3: `statusReason` for stopped plans. Its sub-extension names
/// (`statusChangeDate`, `statusReason`) are marked "(unverified)" there.
pub const STATUS_REASON_EXTENSION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatusReason-1";

/// gpconnect.md §3 "Profiles": problems.
pub const CONDITION_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProblemHeader-Condition-1";
/// gpconnect.md §3 "Profiles".
pub const IMMUNIZATION_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Immunization-1";
/// gpconnect.md §3 "Profiles".
pub const REFERRAL_REQUEST_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ReferralRequest-1";
/// gpconnect.md §3 "Profiles": "uncategorised, narrative, test group/result, …".
pub const OBSERVATION_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Observation-1";

/// gpconnect.md §3 primary List codes and titles.
pub const PROBLEMS_LIST: (&str, &str) = ("717711000000103", "Problems");
/// gpconnect.md §3 primary List codes and titles.
pub const IMMUNISATIONS_LIST: (&str, &str) = ("1102181000000102", "Immunisations");
/// gpconnect.md §3 primary List codes and titles.
pub const REFERRALS_LIST: (&str, &str) = ("792931000000107", "Outbound referral");
/// gpconnect.md §3 gives the title as `Uncategorised data (preferred term "Miscellaneous
/// record")`; openmig uses the SNOMED preferred term as title and display.
pub const UNCATEGORISED_LIST: (&str, &str) = ("826501000000100", "Miscellaneous record");
/// The uncategorised List's title, which (unlike the other primary Lists') is not its
/// code's term: GP Connect's List page gives "Uncategorised data".
pub const UNCATEGORISED_LIST_TITLE: &str = "Uncategorised data";

/// gpconnect.md §3 "Key extensions" (Problems), given there in full; valued with
/// `valueCode` `major`/`minor`.
pub const PROBLEM_SIGNIFICANCE_EXTENSION: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ProblemSignificance-1";
/// gpconnect.md §3 writes it as `...Extension-CareConnect-RelatedClinicalContent-1` right
/// after the fhir.hl7.org.uk significance URL; the same prefix is used by NHS England's
/// GP2GP adaptor and in published GP Connect example Conditions (`valueReference`).
pub const RELATED_CLINICAL_CONTENT_EXTENSION: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1";
/// CareConnect's `Condition.category` code system (code `problem-list-item`), as GP
/// Connect's consultation example response and NHS England's acceptance suite use it.
pub const CONDITION_CATEGORY_SYSTEM: &str = "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1";
/// FHIR STU3 `Observation.category` code system (`vital-signs`, `social-history`). Not in
/// gpconnect.md: base STU3 value set.
pub const OBSERVATION_CATEGORY_SYSTEM: &str = "http://hl7.org/fhir/observation-category";

/// gpconnect.md §3 "Profiles".
pub const DIAGNOSTIC_REPORT_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-DiagnosticReport-1";
/// gpconnect.md §3 primary List codes and titles.
pub const INVESTIGATIONS_LIST: (&str, &str) = ("887191000000108", "Investigations and results");
/// `DiagnosticReport.code`. Not in gpconnect.md: the GP Connect DiagnosticReport page
/// (nhsconnect/gpconnect, `accessrecord_structured_development_DiagnosticReport.md`) has
/// suppliers populate it with SNOMED CT 721981007 "Diagnostic studies report", because
/// the test's own code sits on the Observations.
pub const DIAGNOSTIC_STUDIES_REPORT: (&str, &str) = ("721981007", "Diagnostic studies report");
/// `DiagnosticReport.category` code system (STU3 diagnostic-service-sections value set,
/// HL7 v2 table 0074). Not in gpconnect.md: the same GP Connect page asks for a default
/// of "Laboratory", which is `LAB` there.
pub const DIAGNOSTIC_SERVICE_SECTION_SYSTEM: &str = "http://hl7.org/fhir/v2/0074";
/// `Observation.interpretation` code system (STU3 observation-interpretation value set,
/// HL7 v2 table 0078: `L` Low, `H` High). Not in gpconnect.md: base STU3 value set.
pub const OBSERVATION_INTERPRETATION_SYSTEM: &str = "http://hl7.org/fhir/v2/0078";

/// Profile of every `List`.
pub const LIST_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1";

/// gpconnect.md §3 "Profiles": `CareConnect-GPC-Encounter-1` (consultation).
pub const ENCOUNTER_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Encounter-1";
/// gpconnect.md §3 primary List codes and titles.
pub const CONSULTATIONS_LIST: (&str, &str) = ("1149501000000101", "List of consultations");
/// gpconnect.md §3 "consultation structure": 325851000000107. The display is the SNOMED
/// preferred term "Consultation" (FSN "Consultation encounter type (record artifact)"),
/// the display GP Connect's provider assurance tests (nhsconnect/gpconnect-provider-testing,
/// `StructuredConsultationsSteps.cs`) expect.
pub const CONSULTATION_LIST: (&str, &str) = ("325851000000107", "Consultation");
/// gpconnect.md §3 "consultation structure": topics 25851000000105, preferred term
/// "Topic (EHR)" (FSN "Topic (EHR) (record artifact)"), as the assurance tests expect.
pub const TOPIC_LIST: (&str, &str) = ("25851000000105", "Topic (EHR)");
/// gpconnect.md §3 "consultation structure": headings 24781000000107, preferred term
/// "Category (EHR)" (FSN "Category (EHR) (record artifact)"), as the assurance tests expect.
pub const HEADING_LIST: (&str, &str) = ("24781000000107", "Category (EHR)");
/// gpconnect.md §3 names "`Observation` narrative" for consultations; the code is from the
/// GP Connect page "Observation - narrative"
/// (`accessrecord_structured_development_observation_narrative.md`): 37331000000100
/// |Comment note (record artifact)|, preferred term "Comment note".
pub const COMMENT_NOTE: (&str, &str) = ("37331000000100", "Comment note");
/// `List.orderedBy` of the consultation structure Lists. Not in gpconnect.md: the GP
/// Connect page "List - consultation structure" fixes the value `system` from the base
/// STU3 list-order vocabulary.
pub const LIST_ORDER_SYSTEM: &str = "http://hl7.org/fhir/list-order";
/// See [`LIST_ORDER_SYSTEM`]: `system`, "Sorted by System".
pub const SORTED_BY_SYSTEM: (&str, &str) = ("system", "Sorted by System");
/// `Encounter.participant.type` code system. Not in gpconnect.md: the GP Connect
/// Encounter page asks for `PPRF` "from the vocabulary" without naming it; GP Connect's
/// own consultation example and assurance tests write the HL7 v3 ParticipationType code
/// system with this URL (its STU3-era spelling was `http://hl7.org/fhir/v3/ParticipationType`).
pub const PARTICIPATION_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
/// The GP Connect Encounter page: the clinician with primary attribution is `PPRF`.
pub const PRIMARY_PERFORMER: (&str, &str) = ("PPRF", "primary performer");
/// The GP Connect Encounter page: whoever recorded the consultation is the participant
/// of type `REC`, from GP Connect's own participant type code system (as NHS England's
/// provider acceptance suite checks it).
pub const RECORDER_PARTICIPANT: (&str, &str) = ("REC", "recorder");
/// GP Connect's participant type code system, for `REC`.
pub const GPC_PARTICIPANT_TYPE_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-ParticipantType-1";
/// The topic List's `problemReference` (GP Connect page "List - consultation structure").
/// The URL and its `target` sub-extension are those GP Connect's Simplifier guide and
/// NHS England's GP2GP adaptor use for the topic-to-problem link; gpconnect.md lists the
/// extension (`...Extension-CareConnect-RelatedProblemHeader-1`) among the problem ones.
pub const RELATED_PROBLEM_HEADER_EXTENSION: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1";

/// The code system of GP Connect's secondary Lists (page "Using lists to return data":
/// the items linked to problems or contained in consultations).
pub const SECONDARY_LIST_SYSTEM: &str = "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1";
