//! The R4 `OperationOutcome` every error of the UK Core API answers with.
//!
//! A code GP Connect and NHS England's Spine also define is sent in the R4 Spine code
//! system, so NHS consumers recognise it; any other code is openmig's own and is sent
//! in openmig's code system, the one the gateway uses for its STU3 errors.

use serde_json::{Value, json};

use super::urls;

/// Codes sent in the Spine system: those the gateway already treats as Spine codes
/// (`openmig_gateway::error`), all defined by GP Connect, plus `INVALID_VALUE` and
/// `UNAUTHORIZED`, seen with this system in NHS England's public R4 services.
const SPINE_CODES: [&str; 9] = [
    "ACCESS_DENIED",
    "BAD_REQUEST",
    "INTERNAL_SERVER_ERROR",
    "INVALID_NHS_NUMBER",
    "INVALID_PARAMETER",
    "INVALID_VALUE",
    "NO_PATIENT_CONSENT",
    "PATIENT_NOT_FOUND",
    "UNAUTHORIZED",
];

/// Builds the outcome (see [`super::operation_outcome`]).
pub(crate) fn operation_outcome(issue_code: &str, code: Option<&str>, diagnostics: &str) -> Value {
    let mut issue = json!({ "severity": "error", "code": issue_code });
    if let Some(code) = code.filter(|c| !c.trim().is_empty()) {
        let coding = if SPINE_CODES.contains(&code) {
            json!({ "system": urls::SPINE_ERROR_SYSTEM, "version": "1", "code": code })
        } else {
            json!({ "system": urls::LOCAL_ERROR_SYSTEM, "code": code })
        };
        issue["details"] = json!({ "coding": [coding] });
    }
    if !diagnostics.trim().is_empty() {
        issue["diagnostics"] = json!(diagnostics);
    }
    json!({ "resourceType": "OperationOutcome", "issue": [issue] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spine_codes_are_sorted_and_unique() {
        assert!(SPINE_CODES.windows(2).all(|w| w[0] < w[1]));
    }
}
