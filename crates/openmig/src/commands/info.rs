//! `openmig info`: what a store holds.

use anyhow::Context;
use openmig_store::Store;

use crate::cli::InfoArgs;
use crate::database;

/// Runs the command.
pub fn run(args: InfoArgs) -> anyhow::Result<()> {
    let store = database::open_read_only(&args.database)?;
    let counts = store.counts()?;
    println!("practices: {}", counts.practices);
    println!("patients: {}", counts.patients);
    if let Some(region) = store.region()? {
        println!("region: {}", region.name);
        println!("as of: {}", region.as_of);
        if let Some(seed) = region.seed {
            println!("seed: {seed}");
        }
        if let Some(hash) = region.content_hash {
            println!("generator content hash: {hash}");
        }
        println!("written by: {}", region.written_by);
    }
    if args.hash {
        println!("stored content hash: {}", store.content_hash().context("cannot hash the stored content")?);
    }
    Ok(())
}
