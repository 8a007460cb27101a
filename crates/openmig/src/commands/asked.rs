//! `openmig asked`: "did the GP do what the clinic asked?".

use anyhow::bail;
use openmig_domain::SnomedCode;
use openmig_domain::medicines::{ClinicRequest, MedicineQuery, RequestAction, RequestedChange, check_request};

use crate::cli::AskedArgs;
use crate::region::Region;
use crate::{medicines_text, output};

/// Runs the command.
pub fn run(args: AskedArgs) -> anyhow::Result<()> {
    if args.start.is_empty() && args.stop.is_empty() {
        bail!("name at least one medicine with --start or --stop");
    }
    let region = Region::open(&args.database)?;
    let as_of = region.info()?.as_of;
    let Some(record) = region.record(args.nhs_number)? else {
        bail!("no patient with that NHS number in this database");
    };
    let today = args.today.unwrap_or(as_of);
    if args.requested_on > today {
        bail!("--requested-on {} is after today ({today})", args.requested_on);
    }
    let items = args
        .start
        .iter()
        .map(|m| item(RequestAction::Start, m))
        .chain(args.stop.iter().map(|m| item(RequestAction::Stop, m)))
        .collect();
    let request = ClinicRequest { date: args.requested_on, items };
    let checks = check_request(&record, &request, today);
    if args.json {
        output::line(&serde_json::to_string_pretty(&checks)?)?;
        return Ok(());
    }
    let mut out = String::new();
    medicines_text::request_checks(&mut out, args.requested_on, &checks);
    output::emit(&out)?;
    Ok(())
}

/// A request names a medicine by dm+d code (all digits) or by text.
fn item(action: RequestAction, medicine: &str) -> RequestedChange {
    let medicine = match SnomedCode::parse(medicine) {
        Ok(code) => MedicineQuery::Code { code, name: None },
        Err(_) => MedicineQuery::Text(medicine.to_string()),
    };
    RequestedChange { action, medicine, dose: None }
}
