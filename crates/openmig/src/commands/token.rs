//! `openmig token`: mints a signed demo token for any user, role and organisation, with
//! the demo issuer's key from `--keys` (created on first use), and prints it on stdout.

use std::time::Duration;

use chrono::Utc;
use openmig_auth::{AuthError, IssuerKey, TokenRequest};
use openmig_domain::ConsentBasis;

use crate::cli::TokenArgs;
use crate::output;

/// Runs the command.
pub fn run(args: TokenArgs) -> anyhow::Result<()> {
    // Checked before the key directory is touched, and said in the command's own terms.
    match (args.consent, &args.reason) {
        (Some(ConsentBasis::Emergency), None) => anyhow::bail!(
            "--consent emergency needs --reason TEXT: say why the record is needed without the patient's consent"
        ),
        (consent, Some(_)) if consent != Some(ConsentBasis::Emergency) => {
            anyhow::bail!("--reason is only for --consent emergency")
        }
        _ => {}
    }
    let mut request = TokenRequest::new(args.user.clone(), args.role, args.org);
    request.user_name = args.name.unwrap_or(args.user);
    request.device = args.device;
    request.consent = args.consent;
    request.override_reason = args.reason;
    request.audience = args.audience;
    request.ttl = Duration::from_secs(args.ttl);
    request.validate().map_err(in_command_terms)?;
    let key = IssuerKey::load_or_create(&args.keys)?;
    let token = openmig_auth::mint(&key, &request, Utc::now()).map_err(in_command_terms)?;
    output::line(&token)
}

/// The override-reason refusals name the claim; on the command line the flag is `--reason`.
fn in_command_terms(error: AuthError) -> anyhow::Error {
    match error {
        AuthError::EmergencyReasonMissing => anyhow::anyhow!("--reason must not be blank"),
        AuthError::EmergencyReasonInvalid { reason } => anyhow::anyhow!("--reason is not acceptable: {reason}"),
        other => other.into(),
    }
}
