//! `openmig record`: a readable summary of one patient's record.

use anyhow::{Context, bail};
use openmig_store::Store;

use crate::cli::RecordArgs;
use crate::{database, output, summary};

/// Runs the command.
pub fn run(args: RecordArgs) -> anyhow::Result<()> {
    let store = database::open_read_only(&args.database)?;
    let region = store.region()?.context("the database holds no region")?;
    let Some(record) = store.record(args.nhs_number).context("cannot read the record")? else {
        bail!("no patient with that NHS number in this database");
    };
    let practice = store.practice(&record.patient.registration.practice)?;
    let today = args.today.unwrap_or(region.as_of);
    output::emit(&summary::render(&record, practice.as_ref().map(|p| &p.practice), today, args.meds))?;
    Ok(())
}
