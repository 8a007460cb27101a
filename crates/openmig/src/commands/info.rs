//! `openmig info`: what a store holds.

use anyhow::Context;
use openmig_store::Store;

use crate::cli::InfoArgs;
use crate::database;
use crate::output;

/// Runs the command.
pub fn run(args: InfoArgs) -> anyhow::Result<()> {
    let store = database::open_read_only(&args.database)?;
    let counts = store.counts()?;
    output::line(&format!("practices: {}", counts.practices))?;
    output::line(&format!("patients: {}", counts.patients))?;
    if let Some(region) = store.region()? {
        output::line(&format!("region: {}", region.name))?;
        output::line(&format!("as of: {}", region.as_of))?;
        if let Some(seed) = region.seed {
            output::line(&format!("seed: {seed}"))?;
        }
        if let Some(hash) = region.content_hash {
            output::line(&format!("generator content hash: {hash}"))?;
        }
        output::line(&format!("written by: {}", region.written_by))?;
    }
    if args.hash {
        output::line(&format!(
            "stored content hash: {}",
            store.content_hash().context("cannot hash the stored content")?
        ))?;
    }
    Ok(())
}
