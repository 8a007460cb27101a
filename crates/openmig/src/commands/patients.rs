//! `openmig patients --trait T`: NHS numbers of patients with a trait, one per line.

use crate::cli::PatientsArgs;
use crate::output;
use crate::region::Region;

/// Runs the command.
pub fn run(args: PatientsArgs) -> anyhow::Result<()> {
    let region = Region::open(&args.database)?;
    let found = region.patients_with_trait(args.wanted, args.limit)?;
    for nhs in found {
        output::line(&nhs.to_string())?;
    }
    Ok(())
}
