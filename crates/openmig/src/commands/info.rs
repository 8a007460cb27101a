//! `openmig info`: what a store holds.

use anyhow::Context;
use openmig_directory::Directory;

use crate::cli::InfoArgs;
use crate::output;
use crate::region::Region;

/// Runs the command.
pub fn run(args: InfoArgs) -> anyhow::Result<()> {
    let region = Region::open(&args.database)?;
    let counts = region.directory.counts()?;
    output::line(&format!("practices: {}", counts.practices))?;
    output::line(&format!("patients: {}", counts.patients))?;
    output::line(&format!("practices' clinical stores: {}", region.layout().practices.display()))?;
    if let Some(facts) = region.directory.region()? {
        output::line(&format!("region: {}", facts.name))?;
        output::line(&format!("as of: {}", facts.as_of))?;
        if let Some(seed) = facts.seed {
            output::line(&format!("seed: {seed}"))?;
        }
        if let Some(hash) = facts.content_hash {
            output::line(&format!("generator content hash: {hash}"))?;
        }
        output::line(&format!("written by: {}", facts.written_by))?;
    }
    if args.hash {
        output::line(&format!(
            "stored content hash: {}",
            region.content_hash().context("cannot hash the stored content")?
        ))?;
    }
    Ok(())
}
