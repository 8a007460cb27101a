//! `openmig inbox list` and `openmig inbox ack`: a practice's inbox of write-back
//! documents (discharge and attendance summaries sent through the gateway), read and
//! acknowledged from the command line.
//!
//! The inbox lives in the same database file as the store and the audit log (its own
//! `inbox_*` tables), so `--database` is the file `openmig serve` was given. `list`
//! never changes the file. `ack` writes only the acknowledgement, and is safe while the
//! server runs (the inbox keeps no state in memory). Unlike the HTTP routes, these
//! commands are not audited: whoever can open the database file already holds every
//! document in it, and the audit log has one writer, the running gateway.
//!
//! The arguments are defined here rather than in `cli.rs`, which only registers the
//! command.

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use clap::{Args, Subcommand, ValueEnum};
use openmig_domain::OdsCode;
use openmig_inbox::{DeliveryState, Inbox, InboxId, InboxItem, StatusFilter};
use serde_json::json;

use crate::database::{self, Location};
use crate::output;

/// `openmig inbox`.
#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// List the documents sent to a practice (those not yet acknowledged, unless --all).
    List(InboxListArgs),
    /// Acknowledge a document: the practice has filed it. Acknowledging again changes nothing.
    Ack(InboxAckArgs),
}

/// `openmig inbox list`.
#[derive(Debug, Args)]
pub struct InboxListArgs {
    /// The database holding the inbox (the store file `openmig serve` uses): a SQLite file
    /// path or sqlite:FILE (read only).
    #[arg(long, value_name = "URL", default_value = "openmig.db")]
    pub database: String,
    /// The practice (ODS code).
    #[arg(long, value_name = "ODS", value_parser = parse_ods)]
    pub practice: OdsCode,
    /// Also list acknowledged documents.
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InboxFormat::Text)]
    pub format: InboxFormat,
}

/// `openmig inbox ack`.
#[derive(Debug, Args)]
pub struct InboxAckArgs {
    /// The database holding the inbox: a SQLite file path or sqlite:FILE.
    #[arg(long, value_name = "URL", default_value = "openmig.db")]
    pub database: String,
    /// The practice (ODS code) whose inbox holds the document.
    #[arg(long, value_name = "ODS", value_parser = parse_ods)]
    pub practice: OdsCode,
    /// The inbox item number (as `list` shows it).
    #[arg(long, value_name = "ID")]
    pub id: u64,
    /// Who acknowledges it, as the inbox will show it.
    #[arg(long, value_name = "NAME")]
    pub by: String,
}

/// `openmig inbox list --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InboxFormat {
    /// Readable blocks, one per document.
    Text,
    /// The JSON the gateway's `GET /practices/{ODS}/inbox` answers.
    Json,
}

fn parse_ods(text: &str) -> Result<OdsCode, String> {
    OdsCode::parse(text).map_err(|e| e.to_string())
}

/// Runs the command.
pub fn run(command: InboxCommand) -> anyhow::Result<()> {
    match command {
        InboxCommand::List(args) => list(args),
        InboxCommand::Ack(args) => ack(args),
    }
}

fn list(args: InboxListArgs) -> anyhow::Result<()> {
    let Location::Sqlite(path) = database::parse(&args.database)?;
    let inbox = Inbox::open_read_only(&path).with_context(|| format!("cannot open the inbox in {}", path.display()))?;
    let (filter, label) =
        if args.all { (StatusFilter::All, "all") } else { (StatusFilter::Unacknowledged, "unacknowledged") };
    let items = inbox.list(&args.practice, filter).context("cannot read the inbox")?;
    match args.format {
        InboxFormat::Json => {
            let body = json!({ "practice": args.practice, "status": label, "total": items.len(), "items": items });
            output::line(&serde_json::to_string_pretty(&body).context("cannot write the inbox as JSON")?)
        }
        InboxFormat::Text => {
            if items.is_empty() {
                let which = if args.all { "" } else { "unacknowledged " };
                return output::line(&format!("no {which}documents in the inbox of {}", args.practice));
            }
            let mut text = String::new();
            for item in &items {
                text.push_str(&describe(item));
            }
            output::emit(&text)
        }
    }
}

fn ack(args: InboxAckArgs) -> anyhow::Result<()> {
    let Location::Sqlite(path) = database::parse(&args.database)?;
    let inbox = Inbox::open_existing(&path).with_context(|| format!("cannot open the inbox in {}", path.display()))?;
    let id = InboxId::new(args.id);
    let done = inbox
        .acknowledge(&args.practice, id, &args.by, Utc::now())
        .with_context(|| format!("cannot acknowledge item {id} of {}", args.practice))?;
    let at = done.acknowledgement.at.to_rfc3339_opts(SecondsFormat::Secs, true);
    if done.already {
        output::line(&format!(
            "inbox item {id} of {} was already acknowledged by {} at {at}; nothing changed",
            args.practice, done.acknowledgement.by
        ))
    } else {
        output::line(&format!(
            "acknowledged inbox item {id} of {} (by {} at {at})",
            args.practice, done.acknowledgement.by
        ))
    }
}

/// One document as a block of text.
fn describe(item: &InboxItem) -> String {
    let document = &item.document;
    let mut lines = vec![format!("#{}  {}  {}  [{}]", item.id, document.date, document.title, document.kind)];
    lines.push(format!(
        "    patient {} · from {} · sent by {} ({}) · received {}",
        document.nhs_number.grouped(),
        document.author,
        item.sender.user_name,
        item.sender.organisation,
        item.received_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    ));
    if !document.diagnoses.is_empty() {
        let diagnoses: Vec<String> = document
            .diagnoses
            .iter()
            .map(|d| match &d.clinical_status {
                Some(status) => format!("{} ({}, {status})", d.display, d.code),
                None => format!("{} ({})", d.display, d.code),
            })
            .collect();
        lines.push(format!("    diagnoses: {}", diagnoses.join("; ")));
    }
    for change in &document.medication_changes {
        let mut line = format!("    medication {}: {} ({})", change.status, change.display, change.code);
        if let Some(dosage) = &change.dosage {
            line.push_str(&format!(" — {dosage}"));
        }
        if let Some(reason) = &change.reason {
            line.push_str(&format!(" — reason: {reason}"));
        }
        lines.push(line);
    }
    lines.push(format!("    delivery: {}", delivery(&item.delivery)));
    lines.push(match &item.acknowledged {
        Some(ack) => format!("    acknowledged by {} at {}", ack.by, ack.at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        None => "    not acknowledged".to_string(),
    });
    for line in document.text.lines() {
        lines.push(format!("    | {line}"));
    }
    lines.push(String::new());
    lines.join("\n") + "\n"
}

fn delivery(state: &DeliveryState) -> String {
    match state {
        DeliveryState::Delivered { delivered_at, .. } => {
            format!("delivered {}", delivered_at.to_rfc3339_opts(SecondsFormat::Secs, true))
        }
        DeliveryState::Pending { attempts: 0, .. } => "pending".to_string(),
        DeliveryState::Pending { attempts, next_attempt_at, last_error } => format!(
            "pending ({attempts} failed attempt{}{}; next at {})",
            if *attempts == 1 { "" } else { "s" },
            last_error.as_deref().map(|error| format!(", the last: {error}")).unwrap_or_default(),
            next_attempt_at.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
    }
}
