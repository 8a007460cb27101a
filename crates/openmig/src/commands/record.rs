//! `openmig record`: a readable summary of one patient's record.

use anyhow::{Context, bail};
use openmig_directory::Directory;

use crate::cli::RecordArgs;
use crate::region::Region;
use crate::{output, summary};

/// Runs the command.
pub fn run(args: RecordArgs) -> anyhow::Result<()> {
    let region = Region::open(&args.database)?;
    let info = region.info()?;
    let Some(record) = region.record(args.nhs_number)? else {
        bail!("no patient with that NHS number in this database");
    };
    let practice =
        region.directory.practice(&record.patient.registration.practice).context("cannot read the directory")?;
    let today = args.today.unwrap_or(info.as_of);
    output::emit(&summary::render(&record, practice.as_ref().map(|p| &p.practice), today, args.meds))?;
    Ok(())
}
