//! The gateway's one error type and its single mapping to an `OperationOutcome`.
//!
//! Every refusal and failure has a stable code (recorded in the audit) and a sentence a
//! clinician understands. Errors about the GP Connect request itself (parameters,
//! media types) are the provider's own [`ProviderError`]s, so a consumer sees exactly
//! the same answer from the gateway as from a practice. Messages never carry an NHS
//! number or clinical content.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use openmig_auth::AuthError;
use openmig_gpconnect::error::{ProviderError, SPINE_ERROR_SYSTEM, SpineCode};
use serde_json::{Value, json};

use crate::policy::Refusal;

/// The code system of openmig's own gateway codes (those GP Connect has no code for).
pub const GATEWAY_ERROR_SYSTEM: &str = "https://openmig.nhs.example/CodeSystem/gateway-error";
/// The FHIR media type of every error body.
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// A failed request, as the consumer will be told.
#[derive(Debug, Clone)]
pub enum GatewayError {
    /// The GP Connect request itself is wrong: the provider's own error.
    Request(ProviderError),
    /// A refusal or failure decided by the gateway.
    Gateway {
        /// HTTP status.
        status: StatusCode,
        /// FHIR issue type (`security`, `forbidden`, `not-found`, `invalid`, ...).
        issue_type: &'static str,
        /// Stable code, e.g. `NO_SHARING_AGREEMENT`.
        code: &'static str,
        /// What to tell the user.
        message: String,
    },
}

/// Gateway codes that GP Connect also defines: emitted in the Spine code system, so a
/// GP Connect consumer recognises them.
const SPINE_CODES: [&str; 7] = [
    "PATIENT_NOT_FOUND",
    "NO_PATIENT_CONSENT",
    "ACCESS_DENIED",
    "BAD_REQUEST",
    "INVALID_NHS_NUMBER",
    "INVALID_PARAMETER",
    "INTERNAL_SERVER_ERROR",
];

impl GatewayError {
    /// A gateway error.
    pub fn new(status: StatusCode, issue_type: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        GatewayError::Gateway { status, issue_type, code, message: message.into() }
    }

    /// 400 with code `BAD_REQUEST`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", "BAD_REQUEST", message)
    }

    /// 404 `PATIENT_NOT_FOUND`: no patient the gateway may disclose.
    pub fn patient_not_found() -> Self {
        Refusal::PatientNotFound.into()
    }

    /// 500: the directory (who is registered where) could not be read.
    pub fn directory_unavailable() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            "INTERNAL_SERVER_ERROR",
            "The patient directory could not be read; try again shortly.",
        )
    }

    /// 500: the answer could not be prepared (a fault of the gateway's own).
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            "INTERNAL_SERVER_ERROR",
            "The gateway could not prepare the answer; try again shortly.",
        )
    }

    /// 500: the audit could not be written, so no data is sent (security.md).
    pub fn audit_unavailable() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            "AUDIT_UNAVAILABLE",
            "The access could not be recorded in the audit log, so no data was sent; try again shortly.",
        )
    }

    /// The stable code recorded in the audit.
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::Request(error) => error.code.code(),
            GatewayError::Gateway { code, .. } => code,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            GatewayError::Request(error) => error.status,
            GatewayError::Gateway { status, .. } => *status,
        }
    }

    /// The OperationOutcome (the same shape is valid FHIR STU3 and R4).
    pub fn operation_outcome(&self) -> Value {
        match self {
            GatewayError::Request(error) => error.operation_outcome(),
            GatewayError::Gateway { issue_type, code, message, .. } => {
                let system = if SPINE_CODES.contains(code) { SPINE_ERROR_SYSTEM } else { GATEWAY_ERROR_SYSTEM };
                json!({
                    "resourceType": "OperationOutcome",
                    "issue": [{
                        "severity": "error",
                        "code": issue_type,
                        "details": {
                            "coding": [{ "system": system, "code": code }],
                            "text": message,
                        },
                        "diagnostics": message,
                    }],
                })
            }
        }
    }
}

impl From<ProviderError> for GatewayError {
    fn from(error: ProviderError) -> Self {
        GatewayError::Request(error)
    }
}

impl From<Refusal> for GatewayError {
    fn from(refusal: Refusal) -> Self {
        let (status, issue_type) = match refusal.status() {
            404 => (StatusCode::NOT_FOUND, "not-found"),
            _ => (StatusCode::FORBIDDEN, "forbidden"),
        };
        GatewayError::new(status, issue_type, refusal.code(), refusal.message())
    }
}

impl From<AuthError> for GatewayError {
    /// Every token failure is 401 with issue type `security` and the verifier's own
    /// code, so an integrator can tell an expired token from a wrong audience.
    fn from(error: AuthError) -> Self {
        GatewayError::Gateway {
            status: StatusCode::UNAUTHORIZED,
            issue_type: "security",
            code: error.code(),
            message: error.to_string(),
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let unauthorised = self.status() == StatusCode::UNAUTHORIZED;
        let mut response = match self {
            GatewayError::Request(error) => return error.into_response(),
            GatewayError::Gateway { status, .. } => (status, self.operation_outcome().to_string()).into_response(),
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if unauthorised {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The GP Connect `INVALID_NHS_NUMBER` error, for an NHS number in a URL path.
pub fn invalid_nhs_number() -> GatewayError {
    ProviderError::new(SpineCode::InvalidNhsNumber, "The NHS number is not valid (10 digits, Modulus 11).").into()
}
