//! `openmig patients --trait T`: NHS numbers of patients with a trait, one per line.

use anyhow::Context;
use openmig_store::Store;

use crate::cli::PatientsArgs;
use crate::database;
use crate::output;

/// Runs the command.
pub fn run(args: PatientsArgs) -> anyhow::Result<()> {
    let store = database::open_read_only(&args.database)?;
    let found = store.patients_with_trait(args.wanted, args.limit).context("cannot search the database")?;
    for nhs in found {
        output::line(&nhs.to_string())?;
    }
    Ok(())
}
