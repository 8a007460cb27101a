//! `openmig directory list` and `openmig directory set-endpoint`: the operator's view of
//! the directory's practice entries, and the Spine Directory Service's job of saying
//! where a practice's GP system answers.
//!
//! `set-endpoint` is how a practice is pointed at a system that is not openmig's (another
//! supplier's GP Connect endpoint) or at openmig's practices on another host. The URL is
//! checked before anything is written (an `https` FHIR base), and a running gateway reads
//! the new entry at its next request for that practice: federation and the trace both
//! read the directory on every request.
//!
//! The arguments are defined here rather than in `cli.rs`, which only registers the
//! command.

use anyhow::Context;
use clap::{Args, Subcommand};
use openmig_directory::{Directory, Endpoint, SqliteDirectory};
use openmig_domain::OdsCode;

use crate::output;
use crate::region::Layout;

/// `openmig directory`.
#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// List every practice with its clinical system, ASID, sharing and endpoints.
    List(DirectoryListArgs),
    /// Point a practice at the endpoints its GP system answers at.
    SetEndpoint(SetEndpointArgs),
}

/// `openmig directory list`.
#[derive(Debug, Args)]
pub struct DirectoryListArgs {
    /// The directory: a SQLite file path or sqlite:FILE (read only).
    #[arg(long, value_name = "URL", default_value = "openmig.db")]
    pub database: String,
}

/// `openmig directory set-endpoint`.
#[derive(Debug, Args)]
pub struct SetEndpointArgs {
    /// The directory: a SQLite file path or sqlite:FILE.
    #[arg(long, value_name = "URL", default_value = "openmig.db")]
    pub database: String,
    /// The practice (ODS code).
    #[arg(long, value_name = "ODS", value_parser = parse_ods)]
    pub practice: OdsCode,
    /// The FHIR base of its GP Connect Access Record Structured endpoint (https).
    #[arg(long, value_name = "URL", value_parser = parse_endpoint)]
    pub gp_connect: Endpoint,
    /// Where documents written back for its patients are delivered (https).
    #[arg(long, value_name = "URL", value_parser = parse_endpoint, conflicts_with = "no_documents")]
    pub documents: Option<Endpoint>,
    /// The practice's system takes no documents through the gateway.
    #[arg(long)]
    pub no_documents: bool,
}

fn parse_ods(text: &str) -> Result<OdsCode, String> {
    OdsCode::parse(text).map_err(|e| e.to_string())
}

fn parse_endpoint(text: &str) -> Result<Endpoint, String> {
    Endpoint::parse(text).map_err(|e| e.to_string())
}

/// Runs the command.
pub fn run(command: DirectoryCommand) -> anyhow::Result<()> {
    match command {
        DirectoryCommand::List(args) => list(&args),
        DirectoryCommand::SetEndpoint(args) => set_endpoint(&args),
    }
}

fn list(args: &DirectoryListArgs) -> anyhow::Result<()> {
    let layout = Layout::parse(&args.database)?;
    let directory = SqliteDirectory::open_read_only(&layout.directory)?;
    for entry in directory.practices().context("cannot read the directory")? {
        let practice = &entry.practice;
        output::line(&format!(
            "{}  {}  ({}, ASID {}, {})\n    GP Connect: {}\n    documents:  {}",
            practice.ods_code,
            practice.name,
            practice.clinical_system,
            practice.asid,
            if practice.sharing_enabled { "sharing" } else { "sharing disabled" },
            entry.gp_connect,
            entry.documents.as_ref().map_or_else(|| "none".to_string(), Endpoint::to_string),
        ))?;
    }
    Ok(())
}

fn set_endpoint(args: &SetEndpointArgs) -> anyhow::Result<()> {
    let layout = Layout::parse(&args.database)?;
    let directory = SqliteDirectory::open(&layout.directory)?;
    let current = directory
        .practice(&args.practice)
        .context("cannot read the directory")?
        .with_context(|| format!("no practice {} in the directory", args.practice))?;
    // Without --documents or --no-documents the document endpoint is left as it was.
    let documents = if args.no_documents { None } else { args.documents.clone().or(current.documents) };
    directory.set_endpoints(&args.practice, &args.gp_connect, documents.as_ref())?;
    output::line(&format!("{}: GP Connect {}", args.practice, args.gp_connect))?;
    Ok(())
}
