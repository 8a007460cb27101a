//! The one error type of the provider's HTTP boundary and its single mapping to a GP
//! Connect `OperationOutcome` (`shared/design/gpconnect.md` §4).
//!
//! Every failure a handler can meet becomes a [`ProviderError`]: the HTTP status, the
//! Spine error code and a human sentence. Diagnostics never carry an NHS number or any
//! clinical content; they name headers, claims and parameters only.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `meta.profile` of every OperationOutcome (gpconnect.md §4, "Shape").
pub const OPERATION_OUTCOME_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1";
/// The Spine error code system. gpconnect.md §4: the spec uses both a ValueSet and a
/// CodeSystem URL; "Emit the CodeSystem URL".
pub const SPINE_ERROR_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1";
/// The FHIR media type every response carries (api.md).
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// The GP Connect error codes the provider returns, with their HTTP status and FHIR
/// issue type, from the error table in gpconnect.md §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpineCode {
    /// 400 `value`: `patientNHSNumber.system` is not the NHS number system.
    InvalidIdentifierSystem,
    /// 400 `value`: the NHS number fails the format or Modulus 11 check.
    InvalidNhsNumber,
    /// 400 `invalid`: malformed body, bad JWT claim, missing or wrong Ssp header.
    BadRequest,
    /// 403 `forbidden`: the patient has dissented from record sharing (§5).
    NoPatientConsent,
    /// 403 `forbidden`: GP Connect is not enabled at the practice (§5).
    AccessDenied,
    /// 404 `not-found`: no patient the provider may disclose (§5: never says why).
    PatientNotFound,
    /// 404 `not-found`: no practice with the ODS code in the path.
    OrganisationNotFound,
    /// 422 `invalid`: the Parameters resource (or a JWT claim resource) does not conform.
    InvalidResource,
    /// 422 `invalid`: a parameter is missing, has the wrong type or value, or is combined
    /// with a forbidden one.
    InvalidParameter,
    /// 409 `duplicate`: a create would duplicate a held resource: here a document whose
    /// identifier the practice already holds with different content.
    DuplicateRejected,
    /// 501 `not-supported`: a valid request this provider cannot answer completely yet.
    NotImplemented,
    /// 500 `exception`: an unexpected failure (the store failed).
    InternalServerError,
}

impl SpineCode {
    /// The code as GP Connect spells it.
    pub fn code(self) -> &'static str {
        match self {
            SpineCode::InvalidIdentifierSystem => "INVALID_IDENTIFIER_SYSTEM",
            SpineCode::InvalidNhsNumber => "INVALID_NHS_NUMBER",
            SpineCode::BadRequest => "BAD_REQUEST",
            SpineCode::NoPatientConsent => "NO_PATIENT_CONSENT",
            SpineCode::AccessDenied => "ACCESS_DENIED",
            SpineCode::PatientNotFound => "PATIENT_NOT_FOUND",
            SpineCode::OrganisationNotFound => "ORGANISATION_NOT_FOUND",
            SpineCode::InvalidResource => "INVALID_RESOURCE",
            SpineCode::InvalidParameter => "INVALID_PARAMETER",
            SpineCode::DuplicateRejected => "DUPLICATE_REJECTED",
            SpineCode::NotImplemented => "NOT_IMPLEMENTED",
            SpineCode::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The code's display text.
    pub fn display(self) -> &'static str {
        match self {
            SpineCode::InvalidIdentifierSystem => "Invalid identifier system",
            SpineCode::InvalidNhsNumber => "Invalid NHS number",
            SpineCode::BadRequest => "Bad request",
            SpineCode::NoPatientConsent => "Patient has not provided consent to share data",
            SpineCode::AccessDenied => "Access denied",
            SpineCode::PatientNotFound => "Patient not found",
            SpineCode::OrganisationNotFound => "Organisation record not found",
            SpineCode::InvalidResource => "Invalid resource",
            SpineCode::InvalidParameter => "Invalid parameter",
            SpineCode::DuplicateRejected => "Create would lead to creation of a duplicate resource",
            SpineCode::NotImplemented => "Not implemented",
            SpineCode::InternalServerError => "Internal server error",
        }
    }

    /// The FHIR `issue.code` (issue-type) the table pairs with the code.
    fn issue_type(self) -> &'static str {
        match self {
            SpineCode::InvalidIdentifierSystem | SpineCode::InvalidNhsNumber => "value",
            SpineCode::BadRequest | SpineCode::InvalidResource | SpineCode::InvalidParameter => "invalid",
            SpineCode::NoPatientConsent | SpineCode::AccessDenied => "forbidden",
            SpineCode::PatientNotFound | SpineCode::OrganisationNotFound => "not-found",
            SpineCode::DuplicateRejected => "duplicate",
            SpineCode::NotImplemented => "not-supported",
            SpineCode::InternalServerError => "exception",
        }
    }

    /// The HTTP status the table pairs with the code.
    fn status(self) -> StatusCode {
        match self {
            SpineCode::InvalidIdentifierSystem | SpineCode::InvalidNhsNumber | SpineCode::BadRequest => {
                StatusCode::BAD_REQUEST
            }
            SpineCode::NoPatientConsent | SpineCode::AccessDenied => StatusCode::FORBIDDEN,
            SpineCode::PatientNotFound | SpineCode::OrganisationNotFound => StatusCode::NOT_FOUND,
            SpineCode::InvalidResource | SpineCode::InvalidParameter => StatusCode::UNPROCESSABLE_ENTITY,
            SpineCode::DuplicateRejected => StatusCode::CONFLICT,
            SpineCode::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            SpineCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A failed request: what went wrong, as the consumer will be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// The Spine code (and through it the issue type).
    pub code: SpineCode,
    /// The HTTP status; normally the code's own, see [`ProviderError::with_status`].
    pub status: StatusCode,
    /// A human sentence naming the header, claim or parameter at fault.
    pub diagnostics: String,
}

impl ProviderError {
    /// An error with the status gpconnect.md gives its code.
    pub fn new(code: SpineCode, diagnostics: impl Into<String>) -> Self {
        ProviderError { code, status: code.status(), diagnostics: diagnostics.into() }
    }

    /// `BAD_REQUEST` at another status: the HTTP-level refusals (405 wrong method, 406
    /// unacceptable `Accept`, 415 wrong `Content-Type`) that gpconnect.md §4 lists as SSP
    /// errors without a Spine code of their own.
    pub fn http(status: StatusCode, diagnostics: impl Into<String>) -> Self {
        ProviderError { code: SpineCode::BadRequest, status, diagnostics: diagnostics.into() }
    }

    /// 400 `BAD_REQUEST`.
    pub fn bad_request(diagnostics: impl Into<String>) -> Self {
        Self::new(SpineCode::BadRequest, diagnostics)
    }

    /// 422 `INVALID_PARAMETER`.
    pub fn invalid_parameter(diagnostics: impl Into<String>) -> Self {
        Self::new(SpineCode::InvalidParameter, diagnostics)
    }

    /// 422 `INVALID_RESOURCE`.
    pub fn invalid_resource(diagnostics: impl Into<String>) -> Self {
        Self::new(SpineCode::InvalidResource, diagnostics)
    }

    /// The OperationOutcome describing this error.
    pub fn operation_outcome(&self) -> Value {
        json!({
            "resourceType": "OperationOutcome",
            "meta": { "profile": [OPERATION_OUTCOME_PROFILE] },
            "issue": [{
                "severity": "error",
                "code": self.code.issue_type(),
                "details": { "coding": [{
                    "system": SPINE_ERROR_SYSTEM,
                    "code": self.code.code(),
                    "display": self.code.display(),
                }] },
                "diagnostics": self.diagnostics,
            }],
        })
    }
}

impl IntoResponse for ProviderError {
    fn into_response(self) -> Response {
        let body = self.operation_outcome().to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

/// The Bundle entry that tells the consumer which request parameters were ignored
/// (gpconnect.md §4, "Warnings inside a successful (200) Bundle"): one OperationOutcome
/// with one `not-supported` warning per unrecognised parameter or part.
pub fn unrecognised_parameters_outcome(names: &[String]) -> Value {
    let issues: Vec<Value> = names
        .iter()
        .map(|name| {
            json!({
                "severity": "warning",
                "code": "not-supported",
                "details": {
                    "coding": [{
                        "system": SPINE_ERROR_SYSTEM,
                        "code": SpineCode::NotImplemented.code(),
                        "display": SpineCode::NotImplemented.display(),
                    }],
                    "text": format!("{name} is an unrecognised parameter"),
                },
                "diagnostics": name,
            })
        })
        .collect();
    json!({
        "resourceType": "OperationOutcome",
        "meta": { "profile": [OPERATION_OUTCOME_PROFILE] },
        "issue": issues,
    })
}
