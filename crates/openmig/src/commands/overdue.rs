//! `openmig overdue`: current repeats overdue across one practice, e.g. "all overdue
//! anticoagulants" for a practice pharmacist's weekly search.

use anyhow::{Context, bail};
use openmig_domain::OdsCode;
use openmig_domain::medicines::{FlagCode, RiskContext, flags_for, is_overdue, supply_runs_out};
use openmig_store::Store;

use crate::cli::OverdueArgs;
use crate::output;
use crate::region::Region;

/// Runs the command.
pub fn run(args: OverdueArgs) -> anyhow::Result<()> {
    let ods =
        OdsCode::parse(&args.practice).with_context(|| format!("--practice '{}' is not an ODS code", args.practice))?;
    let wanted = args.flag.as_deref().map(parse_flag).transpose()?;
    let region = Region::open(&args.database)?;
    let today = region.info()?.as_of;
    if openmig_directory::Directory::practice(&region.directory, &ods)?.is_none() {
        bail!("no practice {ods} in this database");
    }
    let store = region.store(&ods)?;
    for line in overdue_in_practice(&store, &ods, wanted, args.grace_days, today)? {
        output::line(&line.to_string())?;
    }
    Ok(())
}

/// One line per overdue medicine: NHS number, medicine, supply end, days late.
pub(crate) fn overdue_in_practice(
    store: &dyn Store,
    ods: &OdsCode,
    wanted: Option<FlagCode>,
    grace_days: i64,
    today: chrono::NaiveDate,
) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    let mut after = None;
    loop {
        let page = store.practice_patients(ods, after, 1_000)?;
        let Some(last) = page.last().copied() else { break };
        after = Some(last);
        for nhs in page {
            let Some(record) = store.record(nhs)? else { continue };
            if !record.patient.is_active() {
                continue;
            }
            let context = RiskContext::of(&record, today);
            for medication in record.medications.iter().filter(|m| is_overdue(m, today, grace_days)) {
                if let Some(flag) = wanted
                    && !flags_for(medication, &context).iter().any(|f| f.code == flag)
                {
                    continue;
                }
                // An overdue medicine always has a last issue, so its supply has an end.
                let Some(ran_out) = supply_runs_out(medication) else { continue };
                let late = (today - ran_out).num_days();
                lines.push(format!("{nhs}\t{}\tsupply ran out {ran_out}\t{late} days", medication.product.name));
            }
        }
    }
    Ok(lines)
}

fn parse_flag(text: &str) -> anyhow::Result<FlagCode> {
    let known = [
        ("anticoagulant", FlagCode::Anticoagulant),
        ("insulin", FlagCode::Insulin),
        ("sulfonylurea", FlagCode::Sulfonylurea),
        ("antiepileptic", FlagCode::Antiepileptic),
        ("opioid", FlagCode::Opioid),
        ("lithium", FlagCode::Lithium),
        ("methotrexate", FlagCode::Methotrexate),
        ("nsaid", FlagCode::Nsaid),
        ("corticosteroid", FlagCode::OralCorticosteroid),
        ("antipsychotic", FlagCode::Antipsychotic),
        ("antidepressant", FlagCode::Antidepressant),
    ];
    known
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, code)| *code)
        .with_context(|| format!("unknown --flag '{text}'; known: {}", known.map(|(n, _)| n).join(", ")))
}
