//! The URLs and codes FHIR R4 and UK Core fix, each with where it was checked.
//!
//! "UK Core" is HL7 UK's FHIR R4 UK Core, as published in NHSDigital's
//! `FHIR-R4-UKCORE-STAGING-MAIN` repository (`structuredefinitions/`, `codesystems/`,
//! `valuesets/`, `examples/`); the UK Core change log there was also read to avoid
//! retired assets. "R4" is the base specification (`hl7.fhir.r4.core` 4.0.1) and HL7
//! Terminology (THO), whose code systems live under `http://terminology.hl7.org/`.

/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// dm+d. UK Core's `UKCore-MedicationCode` value set (v2.3.0) and its medication
/// examples use this system; dm+d concept ids are also SNOMED CT (UK drug extension)
/// concept ids, so medicines carry a coding in both systems (see `concepts`).
pub const DMD: &str = "https://dmd.nhs.uk";
/// UCUM.
pub const UCUM: &str = "http://unitsofmeasure.org";

/// NHS number identifier system (UK Core Patient `identifier:nhsNumber`).
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// ODS organisation code identifier system (UK Core Organization `identifier:odsOrganisationCode`).
pub const ODS_ORGANIZATION_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// SDS user id identifier system (UK Core Practitioner `identifier:sdsUserID`).
pub const SDS_USER_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";

/// UK Core profile URLs, checked against the profiles list of the UK Core IG
/// (`UKCore-Patient` 2.6.1, `UKCore-MedicationRequest` 2.5.0, … all status active) and
/// profiles that derive from them (e.g. `baseDefinition` of NHS Wales' Patient).
pub mod profiles {
    /// `UKCore-Patient`.
    pub const PATIENT: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient";
    /// `UKCore-Organization`.
    pub const ORGANIZATION: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Organization";
    /// `UKCore-Practitioner`.
    pub const PRACTITIONER: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Practitioner";
    /// `UKCore-MedicationRequest`.
    pub const MEDICATION_REQUEST: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest";
    /// `UKCore-MedicationStatement`.
    pub const MEDICATION_STATEMENT: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationStatement";
    /// `UKCore-AllergyIntolerance`.
    pub const ALLERGY_INTOLERANCE: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-AllergyIntolerance";
    /// `UKCore-Condition`.
    pub const CONDITION: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Condition";
    /// `UKCore-Observation`.
    pub const OBSERVATION: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation";
    /// `UKCore-Immunization`.
    pub const IMMUNIZATION: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization";
    /// `UKCore-Encounter`.
    pub const ENCOUNTER: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter";
}

/// Extension `Extension-UKCore-MedicationStatementLastIssueDate` (2.1.0, active):
/// `valueDateTime`, context MedicationStatement.
pub const LAST_ISSUE_DATE_EXTENSION: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationStatementLastIssueDate";
/// Extension `Extension-UKCore-MedicationPrescribingOrganizationType` (1.1.0, active):
/// `valueCodeableConcept`, context MedicationStatement.
pub const PRESCRIBING_ORGANIZATION_TYPE_EXTENSION: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationPrescribingOrganizationType";
/// CodeSystem `UKCore-MedicationPrescribingOrganizationType` (1.0.0, complete).
pub const PRESCRIBING_ORGANIZATION_TYPE_SYSTEM: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-MedicationPrescribingOrganizationType";
/// Its two codes, with their displays as in the CodeSystem.
pub const PRESCRIBED_AT_GP_PRACTICE: (&str, &str) = ("prescribed-at-gp-practice", "Prescribed at GP practice");
/// See [`PRESCRIBED_AT_GP_PRACTICE`].
pub const PRESCRIBED_BY_ANOTHER_ORGANISATION: (&str, &str) =
    ("prescribed-by-another-organisation", "Prescribed by another organisation");
/// Extension `Extension-UKCore-MedicationRepeatInformation` (2.2.0 read, 2.3.0 listed
/// active): sub-extensions `numberOfPrescriptionsIssued` (`valueUnsignedInt`) and
/// `authorisationExpiryDate` (`valueDateTime`, "repeat prescription review date"),
/// context MedicationRequest. The number allowed is the core element
/// `dispenseRequest.numberOfRepeatsAllowed` in R4 (NHS England medicines guidance).
pub const REPEAT_INFORMATION_EXTENSION: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationRepeatInformation";
/// Extension `Extension-UKCore-AllergyIntoleranceEnd` (2.1.0 read, 2.3.0 listed active):
/// sub-extensions `endDate` (`valueDateTime`) and `reasonEnded` (`valueString`).
pub const ALLERGY_END_EXTENSION: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AllergyIntoleranceEnd";
/// Extension `Extension-UKCore-VaccinationProcedure`: `valueCodeableConcept` with the
/// SNOMED CT vaccination procedure, used when `vaccineCode` holds the dm+d product (UK
/// Core example `Extension-UKCore-VaccinationProcedure-Example`).
pub const VACCINATION_PROCEDURE_EXTENSION: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure";

/// R4 (THO) `medicationrequest-course-of-therapy`: `acute` "Short course (acute)
/// therapy", `continuous` "Continuous long term therapy".
pub const COURSE_OF_THERAPY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy";
/// CodeSystem `UKCore-MedicationRequestCourseOfTherapy`, whose one code is
/// `continuous-repeating-dispensing` "Continuous long term (repeat dispensing)" (as in
/// the CodeSystem and UK Core's RepeatInformation example; NHS England's EPS code uses
/// the spelling `continuous-repeat-dispensing`, which UK Core does not define).
pub const UKCORE_COURSE_OF_THERAPY_SYSTEM: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-MedicationRequestCourseOfTherapy";

/// R4 (THO) `allergyintolerance-clinical`: `active`, `inactive`, `resolved`.
pub const ALLERGY_CLINICAL_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
/// R4 (THO) `allergyintolerance-verification`: `unconfirmed`, `confirmed`, `refuted`,
/// `entered-in-error`.
pub const ALLERGY_VERIFICATION_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
/// R4 (THO) `condition-clinical`: `active`, `recurrence`, `relapse`, `inactive`,
/// `remission`, `resolved`.
pub const CONDITION_CLINICAL_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
/// R4 (THO) `condition-category`: `problem-list-item` "Problem List Item".
pub const CONDITION_CATEGORY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
/// R4 (THO) `observation-category`: `vital-signs`, `laboratory`, `social-history`, ….
pub const OBSERVATION_CATEGORY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// R4 (THO) `v3-ObservationInterpretation`: `L` Low, `H` High.
pub const OBSERVATION_INTERPRETATION_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
/// R4 (THO) `v3-ActCode`, the `Encounter.class` system: `AMB` ambulatory, `HH` home
/// health, `VR` virtual.
pub const ACT_CODE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// R4 (THO) `v3-NullFlavor`: `UNK` for an `Encounter.class` the record does not say.
pub const NULL_FLAVOR_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";

/// NHS England's R4 Spine error code system, as sent by its R4 APIs (PDS, e-RS and
/// others seen in public code: `ACCESS_DENIED`, `INVALID_VALUE`, …), with version `1`.
pub const SPINE_ERROR_SYSTEM: &str = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode";
/// openmig's own error codes: the same system as the gateway's `GATEWAY_ERROR_SYSTEM`
/// (this crate cannot depend on the gateway, so the text is repeated here).
pub const LOCAL_ERROR_SYSTEM: &str = "https://openmig.nhs.example/CodeSystem/gateway-error";

/// `Patient/$everything` (R4 OperationDefinition).
pub const PATIENT_EVERYTHING_OPERATION: &str = "http://hl7.org/fhir/OperationDefinition/Patient-everything";

#[cfg(test)]
mod tests {
    use super::*;

    /// Prefix of every UK Core profile canonical URL.
    const PROFILE_PREFIX: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-";

    #[test]
    fn every_profile_url_has_the_uk_core_prefix() {
        for url in [
            profiles::PATIENT,
            profiles::ORGANIZATION,
            profiles::PRACTITIONER,
            profiles::MEDICATION_REQUEST,
            profiles::MEDICATION_STATEMENT,
            profiles::ALLERGY_INTOLERANCE,
            profiles::CONDITION,
            profiles::OBSERVATION,
            profiles::IMMUNIZATION,
            profiles::ENCOUNTER,
        ] {
            assert!(url.starts_with(PROFILE_PREFIX), "{url}");
        }
    }
}
