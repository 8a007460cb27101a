//! The `$gpc.getstructuredrecord` request body: a FHIR `Parameters` resource, parsed
//! once into a typed [`StructuredRequest`] (gpconnect.md §1, "Parameters" table and
//! "Parsing rules worth coding explicitly").
//!
//! Every parameter and part of the standard is parsed and validated here, including the
//! clinical area the mapping crate cannot render (diary entries);
//! [`StructuredRequest::options`] then refuses it with 501 rather than answering with a
//! silently partial record.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use openmig_domain::NhsNumber;
use openmig_domain::record::{ProblemStatus, Significance};
use openmig_fhir::stu3::ConsultationOptions;
use openmig_fhir::{
    AllergyOptions, ImmunisationOptions, InvestigationOptions, MedicationOptions, ProblemOptions, ReferralOptions,
    StructuredOptions, UncategorisedOptions,
};
use serde_json::{Map, Value};

use crate::error::{ProviderError, SpineCode};

/// The NHS number identifier system (gpconnect.md §1, `patientNHSNumber`).
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// A validated structured record request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructuredRequest {
    /// `patientNHSNumber`.
    pub nhs_number: NhsNumber,
    /// `includeAllergies` and its part.
    pub allergies: Option<AllergyOptions>,
    /// `includeMedication` and its parts.
    pub medication: Option<MedicationRequestParts>,
    /// `includeConsultations`.
    pub consultations: Option<ConsultationParts>,
    /// `includeProblems`, one filter per repetition (0..*).
    pub problems: Vec<ProblemFilter>,
    /// `includeImmunisations`.
    pub immunisations: Option<ImmunisationParts>,
    /// `includeUncategorisedData` with its optional search period.
    pub uncategorised: Option<Option<Period>>,
    /// `includeInvestigations` with its optional search period.
    pub investigations: Option<Option<Period>>,
    /// `includeReferrals` with its optional search period.
    pub referrals: Option<Option<Period>>,
    /// `includeDiaryEntries` with its optional search date.
    pub diary_entries: Option<Option<NaiveDate>>,
    /// Parameters and parts this provider does not know, as `name` or `name.part`, to be
    /// reported in the Bundle (gpconnect.md §1: "Unknown parameters/parts … not an error").
    pub unrecognised: Vec<String>,
}

/// A request being parsed: everything but the NHS number, which is checked last.
#[derive(Default)]
struct Draft {
    allergies: Option<AllergyOptions>,
    medication: Option<MedicationRequestParts>,
    consultations: Option<ConsultationParts>,
    problems: Vec<ProblemFilter>,
    immunisations: Option<ImmunisationParts>,
    uncategorised: Option<Option<Period>>,
    investigations: Option<Option<Period>>,
    referrals: Option<Option<Period>>,
    diary_entries: Option<Option<NaiveDate>>,
    unrecognised: Vec<String>,
}

/// The parts of `includeMedication`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MedicationRequestParts {
    /// `includePrescriptionIssues` (absent means true).
    pub include_prescription_issues: bool,
    /// `medicationSearchFromDate`.
    pub search_from: Option<NaiveDate>,
}

/// The parts of `includeConsultations` (mutually exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsultationParts {
    /// `consultationSearchPeriod`.
    pub search_period: Option<Period>,
    /// `includeNumberOfMostRecent`.
    pub most_recent: Option<u32>,
}

/// One repetition of `includeProblems`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProblemFilter {
    /// `filterStatus`: true for `active`, false for `inactive`.
    pub active: Option<bool>,
    /// `filterSignificance`: true for `major`, false for `minor`.
    pub major: Option<bool>,
}

/// The parts of `includeImmunisations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImmunisationParts {
    /// `includeNotGiven` (absent means false).
    pub include_not_given: bool,
    /// `includeStatus` (absent means true).
    pub include_status: bool,
}

/// A search period of whole days, either end open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub start: Option<NaiveDate>,
    /// Last day.
    pub end: Option<NaiveDate>,
}

/// The 501 diagnostics for `includeDiaryEntries` (see [`StructuredRequest::options`]).
pub const DIARY_ENTRIES_NOT_IMPLEMENTED: &str = "includeDiaryEntries is not supported by this provider: its GP record \
     holds no diary entries (future-dated recalls or reminders), so it cannot say whether the patient has any.";

/// The parts gpconnect.md §1 forbids alongside `includeConsultations`.
const FORBIDDEN_WITH_CONSULTATIONS: &[&str] = &[
    "medicationSearchFromDate",
    "uncategorisedDataSearchPeriod",
    "filterSignificance",
    "filterStatus",
    "referralSearchPeriod",
    "diaryEntriesSearchDate",
    "includeNotGiven",
    "includeStatus",
];
/// The parts gpconnect.md §1 forbids alongside `includeProblems`.
const FORBIDDEN_WITH_PROBLEMS: &[&str] = &[
    "medicationSearchFromDate",
    "uncategorisedDataSearchPeriod",
    "referralSearchPeriod",
    "diaryEntriesSearchDate",
    "includeNotGiven",
    "includeStatus",
];

impl StructuredRequest {
    /// Parses the request body against the server's `today`.
    ///
    /// Errors follow gpconnect.md §4's table: a body that is not JSON → 400 `BAD_REQUEST`
    /// ("malformed JSON/XML body"); JSON that is not a `Parameters` resource, or a
    /// duplicated parameter or part → 422 `INVALID_RESOURCE`; a missing, mistyped or
    /// out-of-range parameter, a part without a value or a forbidden combination → 422
    /// `INVALID_PARAMETER`; a bad NHS number → 400 `INVALID_NHS_NUMBER` /
    /// `INVALID_IDENTIFIER_SYSTEM`.
    pub fn parse(body: &[u8], today: NaiveDate) -> Result<Self, ProviderError> {
        let json: Value = serde_json::from_slice(body)
            .map_err(|_| ProviderError::bad_request("The request body is not valid JSON."))?;
        if json.get("resourceType").and_then(Value::as_str) != Some("Parameters") {
            return Err(ProviderError::invalid_resource("The request body must be a FHIR Parameters resource."));
        }
        let parameters = match json.get("parameter") {
            Some(Value::Array(items)) => items.as_slice(),
            None => &[],
            Some(_) => return Err(ProviderError::invalid_resource("Parameters.parameter must be an array.")),
        };

        let mut request = Draft::default();
        let mut nhs_number = None;
        let mut seen = BTreeSet::new();
        let mut parts_seen = BTreeSet::new();
        for parameter in parameters {
            let parameter = Parameter::read(parameter)?;
            let name = parameter.name;
            if name != "includeProblems" && !seen.insert(name.to_string()) && is_known(name) {
                return Err(ProviderError::invalid_resource(format!("The parameter {name} appears more than once.")));
            }
            seen.insert(name.to_string());
            match name {
                "patientNHSNumber" => nhs_number = Some(parse_nhs_number(&parameter)?),
                "includeAllergies" => {
                    let parts = parameter.parts(&["includeResolvedAllergies"], &mut request.unrecognised)?;
                    let resolved = parts.boolean("includeResolvedAllergies")?.ok_or_else(|| {
                        ProviderError::invalid_parameter(
                            "includeAllergies requires the part includeResolvedAllergies (valueBoolean).",
                        )
                    })?;
                    request.allergies = Some(AllergyOptions { include_resolved_allergies: resolved });
                    parts_seen.extend(parts.names());
                }
                "includeMedication" => {
                    let parts = parameter
                        .parts(&["includePrescriptionIssues", "medicationSearchFromDate"], &mut request.unrecognised)?;
                    request.medication = Some(MedicationRequestParts {
                        include_prescription_issues: parts.boolean("includePrescriptionIssues")?.unwrap_or(true),
                        search_from: parts.past_date("medicationSearchFromDate", today)?,
                    });
                    parts_seen.extend(parts.names());
                }
                "includeConsultations" => {
                    let parts = parameter
                        .parts(&["consultationSearchPeriod", "includeNumberOfMostRecent"], &mut request.unrecognised)?;
                    let search_period = parts.period("consultationSearchPeriod", today)?;
                    // gpconnect.md §1 types it `valuePositiveInt`; GP Connect's own
                    // provider assurance tests and NHS England's GP2GP adaptor send
                    // `valueInteger`, so both are read (a value below 1 is still refused).
                    let most_recent =
                        parts.positive_int("includeNumberOfMostRecent", &["valuePositiveInt", "valueInteger"])?;
                    if search_period.is_some() && most_recent.is_some() {
                        // gpconnect.md §4: both given → 422 INVALID_RESOURCE.
                        return Err(ProviderError::invalid_resource(
                            "consultationSearchPeriod and includeNumberOfMostRecent must not both be given.",
                        ));
                    }
                    request.consultations = Some(ConsultationParts { search_period, most_recent });
                    parts_seen.extend(parts.names());
                }
                "includeProblems" => {
                    let parts = parameter.parts(&["filterStatus", "filterSignificance"], &mut request.unrecognised)?;
                    let active = parts.code("filterStatus", &[("active", true), ("inactive", false)])?;
                    let major = parts.code("filterSignificance", &[("major", true), ("minor", false)])?;
                    request.problems.push(ProblemFilter { active, major });
                    parts_seen.extend(parts.names());
                }
                "includeImmunisations" => {
                    let parts = parameter.parts(&["includeNotGiven", "includeStatus"], &mut request.unrecognised)?;
                    request.immunisations = Some(ImmunisationParts {
                        include_not_given: parts.boolean("includeNotGiven")?.unwrap_or(false),
                        include_status: parts.boolean("includeStatus")?.unwrap_or(true),
                    });
                    parts_seen.extend(parts.names());
                }
                "includeUncategorisedData" => {
                    let parts = parameter.parts(&["uncategorisedDataSearchPeriod"], &mut request.unrecognised)?;
                    request.uncategorised = Some(parts.period("uncategorisedDataSearchPeriod", today)?);
                    parts_seen.extend(parts.names());
                }
                "includeInvestigations" => {
                    let parts = parameter.parts(&["investigationSearchPeriod"], &mut request.unrecognised)?;
                    request.investigations = Some(parts.period("investigationSearchPeriod", today)?);
                    parts_seen.extend(parts.names());
                }
                "includeReferrals" => {
                    let parts = parameter.parts(&["referralSearchPeriod"], &mut request.unrecognised)?;
                    request.referrals = Some(parts.period("referralSearchPeriod", today)?);
                    parts_seen.extend(parts.names());
                }
                "includeDiaryEntries" => {
                    let parts = parameter.parts(&["diaryEntriesSearchDate"], &mut request.unrecognised)?;
                    request.diary_entries = Some(parts.future_date("diaryEntriesSearchDate", today)?);
                    parts_seen.extend(parts.names());
                }
                unknown => request.unrecognised.push(unknown.to_string()),
            }
        }

        if !seen.iter().any(|name| is_known(name)) {
            return Err(ProviderError::invalid_parameter("The request has no recognised parameters."));
        }
        let nhs_number =
            nhs_number.ok_or_else(|| ProviderError::invalid_parameter("The parameter patientNHSNumber is missing."))?;
        for (area, present, forbidden) in [
            ("includeConsultations", request.consultations.is_some(), FORBIDDEN_WITH_CONSULTATIONS),
            ("includeProblems", !request.problems.is_empty(), FORBIDDEN_WITH_PROBLEMS),
        ] {
            if let Some(part) = forbidden.iter().find(|part| present && parts_seen.contains(**part)) {
                return Err(ProviderError::invalid_parameter(format!(
                    "{part} must not be sent together with {area} (gpconnect.md forbidden combination)."
                )));
            }
        }
        Ok(StructuredRequest {
            nhs_number,
            allergies: request.allergies,
            medication: request.medication,
            consultations: request.consultations,
            problems: request.problems,
            immunisations: request.immunisations,
            uncategorised: request.uncategorised,
            investigations: request.investigations,
            referrals: request.referrals,
            diary_entries: request.diary_entries,
            unrecognised: request.unrecognised,
        })
    }

    /// The options the mapping crate renders, or 501 `NOT_IMPLEMENTED` when a requested
    /// area cannot be rendered: a partial record must never pass for a whole one.
    ///
    /// `includeDiaryEntries` is the one such area. GP Connect diary entries are
    /// `ProcedureRequest`s for future-dated recalls and reminders; openmig's GP record
    /// keeps no diary or recall entries at all (every entry is dated on or before the
    /// record's end), so an empty "Patient recall administration" List would wrongly
    /// assert that the patient has none. Until the record can hold them the provider
    /// answers 501, naming the parameter and the reason.
    pub fn options(&self) -> Result<StructuredOptions, ProviderError> {
        if self.diary_entries.is_some() {
            return Err(ProviderError::new(SpineCode::NotImplemented, DIARY_ENTRIES_NOT_IMPLEMENTED));
        }
        let medication = self.medication.map(|parts| MedicationOptions {
            include_prescription_issues: parts.include_prescription_issues,
            search_from: parts.search_from,
        });
        let problems = (!self.problems.is_empty()).then(|| ProblemOptions {
            filters: self
                .problems
                .iter()
                .map(|f| {
                    let status = f.active.map(|a| if a { ProblemStatus::Active } else { ProblemStatus::Inactive });
                    let significance = f.major.map(|m| if m { Significance::Major } else { Significance::Minor });
                    (status, significance)
                })
                .collect(),
        });
        // `includeStatus` asks for immunisation consent Observations; the GP record model
        // holds none, so there is nothing to add whichever way it is set.
        let immunisations =
            self.immunisations.map(|parts| ImmunisationOptions { include_not_given: parts.include_not_given });
        Ok(StructuredOptions {
            allergies: self.allergies,
            medication,
            problems,
            immunisations,
            referrals: self.referrals.map(|period| ReferralOptions { period: period.map(Period::bounds) }),
            uncategorised: self.uncategorised.map(|period| UncategorisedOptions { period: period.map(Period::bounds) }),
            investigations: self
                .investigations
                .map(|period| InvestigationOptions { period: period.map(Period::bounds) }),
            consultations: self.consultations.map(|parts| ConsultationOptions {
                period: parts.search_period.map(Period::bounds),
                most_recent: parts.most_recent,
            }),
        })
    }
}

impl Period {
    /// The period as inclusive bounds, an open end reaching as far as dates go.
    fn bounds(self) -> (NaiveDate, NaiveDate) {
        (self.start.unwrap_or(NaiveDate::MIN), self.end.unwrap_or(NaiveDate::MAX))
    }
}

fn is_known(name: &str) -> bool {
    matches!(
        name,
        "patientNHSNumber"
            | "includeAllergies"
            | "includeMedication"
            | "includeConsultations"
            | "includeProblems"
            | "includeImmunisations"
            | "includeUncategorisedData"
            | "includeInvestigations"
            | "includeReferrals"
            | "includeDiaryEntries"
    )
}

/// `patientNHSNumber`: a `valueIdentifier` of the NHS number system with a 10-digit
/// value passing the Modulus 11 check.
fn parse_nhs_number(parameter: &Parameter<'_>) -> Result<NhsNumber, ProviderError> {
    let identifier = match parameter.value {
        Some(("valueIdentifier", Value::Object(identifier))) => identifier,
        _ => return Err(ProviderError::invalid_parameter("patientNHSNumber must have a valueIdentifier.")),
    };
    if identifier.get("system").and_then(Value::as_str) != Some(NHS_NUMBER_SYSTEM) {
        return Err(ProviderError::new(
            SpineCode::InvalidIdentifierSystem,
            "patientNHSNumber.system must be https://fhir.nhs.uk/Id/nhs-number.",
        ));
    }
    let value = identifier.get("value").and_then(Value::as_str).unwrap_or("");
    let invalid = || ProviderError::new(SpineCode::InvalidNhsNumber, "patientNHSNumber is not a valid NHS number.");
    if value.len() != 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    NhsNumber::parse(value).map_err(|_| invalid())
}

/// One entry of `Parameters.parameter` (or of a `part`): its name and its `value[x]`.
struct Parameter<'a> {
    name: &'a str,
    value: Option<(&'a str, &'a Value)>,
    part: &'a [Value],
}

impl<'a> Parameter<'a> {
    fn read(json: &'a Value) -> Result<Self, ProviderError> {
        let object =
            json.as_object().ok_or_else(|| ProviderError::invalid_resource("A parameter is not an object."))?;
        let name = object
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| ProviderError::invalid_resource("A parameter has no name."))?;
        let mut values = object.iter().filter(|(key, _)| key.starts_with("value"));
        let value = values.next().map(|(key, value)| (key.as_str(), value));
        if values.next().is_some() {
            return Err(ProviderError::invalid_resource(format!("The parameter {name} has more than one value.")));
        }
        let part = match object.get("part") {
            Some(Value::Array(items)) => items.as_slice(),
            None => &[],
            Some(_) => return Err(ProviderError::invalid_resource(format!("{name}.part must be an array."))),
        };
        Ok(Parameter { name, value, part })
    }

    /// Reads the parts, keeping those in `known` and recording the rest as unrecognised.
    /// gpconnect.md §1: a top-level `include*` with neither part nor value is valid; one
    /// with a value is the wrong type.
    fn parts(&self, known: &[&str], unrecognised: &mut Vec<String>) -> Result<Parts<'a>, ProviderError> {
        if self.value.is_some() {
            return Err(ProviderError::invalid_parameter(format!("{} must not have a value.", self.name)));
        }
        let mut parts = Vec::new();
        for json in self.part {
            let part = Parameter::read(json)?;
            if !known.contains(&part.name) {
                unrecognised.push(format!("{}.{}", self.name, part.name));
                continue;
            }
            if parts.iter().any(|p: &Parameter<'_>| p.name == part.name) {
                // gpconnect.md §7 scenario 11: a duplicated part → 422 INVALID_RESOURCE.
                return Err(ProviderError::invalid_resource(format!(
                    "The part {}.{} appears more than once.",
                    self.name, part.name
                )));
            }
            if part.value.is_none() {
                return Err(ProviderError::invalid_parameter(format!("The part {} has no value.", part.name)));
            }
            parts.push(part);
        }
        Ok(Parts { parts })
    }
}

/// The recognised parts of one parameter, each with a value.
struct Parts<'a> {
    parts: Vec<Parameter<'a>>,
}

impl<'a> Parts<'a> {
    fn names(&self) -> Vec<String> {
        self.parts.iter().map(|p| p.name.to_string()).collect()
    }

    /// The part's value, which must be of `type_name` (wrong type → 422 `INVALID_PARAMETER`).
    fn value(&self, name: &str, type_name: &str) -> Result<Option<&'a Value>, ProviderError> {
        self.value_of(name, &[type_name])
    }

    /// The part's value, which must be of one of `type_names`, the first being the one
    /// the diagnostics name.
    fn value_of(&self, name: &str, type_names: &[&str]) -> Result<Option<&'a Value>, ProviderError> {
        let Some(part) = self.parts.iter().find(|p| p.name == name) else { return Ok(None) };
        match part.value {
            Some((key, value)) if type_names.contains(&key) => Ok(Some(value)),
            _ => Err(ProviderError::invalid_parameter(format!(
                "The part {name} must have a {}.",
                type_names.first().copied().unwrap_or("value")
            ))),
        }
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, ProviderError> {
        match self.value(name, "valueBoolean")? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ProviderError::invalid_parameter(format!("The part {name} must be true or false."))),
        }
    }

    fn positive_int(&self, name: &str, type_names: &[&str]) -> Result<Option<u32>, ProviderError> {
        match self.value_of(name, type_names)? {
            None => Ok(None),
            Some(value) => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) if n >= 1 => Ok(Some(n)),
                _ => Err(ProviderError::invalid_parameter(format!("The part {name} must be a positive integer."))),
            },
        }
    }

    fn code(&self, name: &str, allowed: &[(&str, bool)]) -> Result<Option<bool>, ProviderError> {
        match self.value(name, "valueCode")? {
            None => Ok(None),
            Some(value) => {
                let code = value.as_str().unwrap_or("");
                match allowed.iter().find(|(c, _)| *c == code) {
                    Some((_, meaning)) => Ok(Some(*meaning)),
                    None => Err(ProviderError::invalid_parameter(format!(
                        "The part {name} must be one of {}.",
                        allowed.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
        }
    }

    /// A `valueDate` on or before today (`medicationSearchFromDate`).
    fn past_date(&self, name: &str, today: NaiveDate) -> Result<Option<NaiveDate>, ProviderError> {
        let Some(value) = self.value(name, "valueDate")? else { return Ok(None) };
        let date = full_date(name, value)?;
        if date > today {
            return Err(ProviderError::invalid_parameter(format!("The part {name} must not be in the future.")));
        }
        Ok(Some(date))
    }

    /// A `valueDate` on or after today (`diaryEntriesSearchDate`).
    fn future_date(&self, name: &str, today: NaiveDate) -> Result<Option<NaiveDate>, ProviderError> {
        let Some(value) = self.value(name, "valueDate")? else { return Ok(None) };
        let date = full_date(name, value)?;
        if date < today {
            return Err(ProviderError::invalid_parameter(format!("The part {name} must not be in the past.")));
        }
        Ok(Some(date))
    }

    /// A `valuePeriod` of whole days, neither end after today, start not after end.
    fn period(&self, name: &str, today: NaiveDate) -> Result<Option<Period>, ProviderError> {
        let Some(value) = self.value(name, "valuePeriod")? else { return Ok(None) };
        let object: &Map<String, Value> = value
            .as_object()
            .ok_or_else(|| ProviderError::invalid_parameter(format!("The part {name} must be a Period.")))?;
        let start = object.get("start").map(|v| full_date(name, v)).transpose()?;
        let end = object.get("end").map(|v| full_date(name, v)).transpose()?;
        if start.into_iter().chain(end).any(|day| day > today) {
            return Err(ProviderError::invalid_parameter(format!("The part {name} must not lie in the future.")));
        }
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            return Err(ProviderError::invalid_parameter(format!("The part {name} starts after it ends.")));
        }
        Ok(Some(Period { start, end }))
    }
}

/// gpconnect.md §1: "Every date/period value: full date `YYYY-MM-DD` only (no partial
/// dates, no time, no offset)".
fn full_date(name: &str, value: &Value) -> Result<NaiveDate, ProviderError> {
    let text = value.as_str().unwrap_or("");
    let well_formed = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    well_formed
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| ProviderError::invalid_parameter(format!("The part {name} must be a full date YYYY-MM-DD.")))
}
