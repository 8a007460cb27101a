//! `openmig audit verify` and `openmig audit report`: the access audit, read only.
//!
//! `verify` exits 0 only when the hash chain and the signed checkpoints are intact;
//! otherwise the one error line names the first bad sequence number (exit 1). `report`
//! prints who viewed a practice's or a patient's records, emergency overrides first, as
//! CSV or JSON. Neither command changes the database or the checkpoints file.

use anyhow::{Context, bail};
use openmig_audit::{CheckpointPublicKey, ReportFilter, ReportSubject};

use crate::cli::{AuditCommand, AuditReportArgs, AuditVerifyArgs, ReportFormat};
use crate::database::{self, Location};
use crate::output;

/// Runs the command.
pub fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify(args) => verify(args),
        AuditCommand::Report(args) => report(args),
    }
}

fn verify(args: AuditVerifyArgs) -> anyhow::Result<()> {
    let Location::Sqlite(path) = database::parse(&args.database)?;
    let public_key = CheckpointPublicKey::load(&args.keys)?;
    let checkpoints = args.checkpoints.unwrap_or_else(|| openmig_audit::default_checkpoints_path(&path));
    let report = openmig_audit::verify(&path, &public_key, &checkpoints)
        .with_context(|| format!("cannot verify the audit log in {}", path.display()))?;
    if let Some(problem) = &report.problem {
        bail!("the audit log is NOT intact: {problem}");
    }
    let mut summary = format!("audit log intact: {} entries, head {}", report.entries, report.head);
    match &report.last_checkpoint {
        Some(checkpoint) => summary.push_str(&format!(
            "; {} signed checkpoints, the last at sequence {} ({})",
            report.checkpoints,
            checkpoint.sequence,
            checkpoint.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )),
        None => summary.push_str("; no checkpoints yet"),
    }
    if report.unattested() > 0 {
        summary.push_str(&format!("; {} entries since then await the next checkpoint", report.unattested()));
    }
    output::line(&summary)
}

fn report(args: AuditReportArgs) -> anyhow::Result<()> {
    let Location::Sqlite(path) = database::parse(&args.database)?;
    let subject = match (args.practice, args.patient) {
        (Some(practice), None) => ReportSubject::Practice(practice),
        (None, Some(patient)) => ReportSubject::Patient(patient),
        // clap's argument group allows exactly one of the two.
        _ => bail!("give exactly one of --practice and --patient"),
    };
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from > to
    {
        bail!("--from {from} is after --to {to}");
    }
    let filter = ReportFilter { subject, from: args.from, to: args.to };
    let entries = openmig_audit::report(&path, &filter)
        .with_context(|| format!("cannot read the audit log in {}", path.display()))?;
    match args.format {
        ReportFormat::Csv => output::emit(&openmig_audit::to_csv(&entries)),
        ReportFormat::Json => output::line(&openmig_audit::to_json(&entries)),
    }
}
