//! `openmig medicines`: one patient's medicines review.

use anyhow::bail;
use openmig_domain::medicines::{ReviewConfig, review};

use crate::cli::MedicinesArgs;
use crate::region::Region;
use crate::{medicines_text, output};

/// Runs the command.
pub fn run(args: MedicinesArgs) -> anyhow::Result<()> {
    let region = Region::open(&args.database)?;
    let as_of = region.info()?.as_of;
    let Some(record) = region.record(args.nhs_number)? else {
        bail!("no patient with that NHS number in this database");
    };
    let today = args.today.unwrap_or(as_of);
    let config = ReviewConfig { changes_since: args.since, ..ReviewConfig::default() };
    let review = review(&record, today, &config);
    if args.json {
        output::line(&serde_json::to_string_pretty(&review)?)?;
        return Ok(());
    }
    let mut out =
        format!("{}  NHS {}  as of {today}\n", record.patient.name.banner(), record.patient.nhs_number.grouped());
    medicines_text::current(&mut out, &review, |_| String::new());
    medicines_text::details(&mut out, &review);
    output::emit(&out)?;
    Ok(())
}
