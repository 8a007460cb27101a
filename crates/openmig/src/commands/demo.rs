//! `openmig demo`: the README's first command.
//!
//! Generates a small region (5,000 patients in 4 practices, one not sharing) on first
//! run, then shows where to start: the brief's story patients, more demo NHS numbers by
//! trait, and the record of the overnight-admission story. Later releases start the
//! gateway here too.

use anyhow::Context;
use chrono::Local;
use openmig_domain::traits::PatientTrait;
use openmig_generator::record::stories::STORIES;
use openmig_generator::{GeneratorConfig, nhs_numbers};
use openmig_store::Store;
use openmig_store_sqlite::SqliteStore;

use crate::cli::DemoArgs;
use crate::commands::generate::generate_file;
use crate::output;
use crate::summary;

/// The demo region's size.
const DEMO_PATIENTS: u64 = 5_000;
const DEMO_PRACTICES: u32 = 4;

/// Runs the command.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    if !args.database.exists() {
        eprintln!(
            "generating a demo region ({DEMO_PATIENTS} patients, {DEMO_PRACTICES} practices) into {}...",
            args.database.display()
        );
        let config = GeneratorConfig {
            patients: DEMO_PATIENTS,
            practices: DEMO_PRACTICES,
            seed: 1,
            as_of: Local::now().date_naive(),
        };
        generate_file(config, &args.database, false)?;
    }
    let store = SqliteStore::open_read_only(&args.database)
        .with_context(|| format!("cannot open {}", args.database.display()))?;
    let region = store.region()?.context("the demo database holds no region")?;
    let counts = store.counts()?;
    output::line(&format!(
        "openmig demo region: {} patients in {} practices, as of {}",
        counts.patients, counts.practices, region.as_of
    ))?;
    output::line(&format!("database: {}\n", args.database.display()))?;
    if let Some(seed) = region.seed {
        output::line("Stories from the brief (NHS numbers):")?;
        for story in STORIES {
            let nhs = nhs_numbers::nhs_number(seed, story.index);
            if store.record(nhs)?.is_some() {
                output::line(&format!("  {:<22} {}  {}", story.key, nhs, story.summary))?;
            }
        }
        output::line("")?;
    }
    output::line("More demo patients (NHS numbers):")?;
    for (label, wanted) in [
        ("ordinary", PatientTrait::Any),
        ("on an anticoagulant", PatientTrait::Anticoagulant),
        ("on an anti-epileptic", PatientTrait::Antiepileptic),
        ("on insulin", PatientTrait::Insulin),
        ("repeat overdue", PatientTrait::OverdueRepeat),
        ("five or more repeats", PatientTrait::ManyMedicines),
        ("dissented from sharing", PatientTrait::Dissent),
        ("practice not sharing", PatientTrait::PracticeSharingDisabled),
        ("deceased", PatientTrait::Deceased),
        ("has sensitive entries", PatientTrait::Sensitive),
    ] {
        let found = store.patients_with_trait(wanted, 3)?;
        let list: Vec<String> = found.iter().map(|n| n.to_string()).collect();
        output::line(&format!(
            "  {label:<26} {}",
            if list.is_empty() { "(none in this region)".into() } else { list.join("  ") }
        ))?;
    }
    // The overnight-admission story: allergy first, anticoagulant and sulfonylurea flags.
    let featured = match region.seed {
        Some(seed) => Some(nhs_numbers::nhs_number(seed, STORIES[1].index)),
        None => store.patients_with_trait(PatientTrait::Anticoagulant, 1)?.first().copied(),
    };
    if let Some(nhs) = featured
        && let Some(record) = store.record(nhs)?
    {
        let practice = store.practice(&record.patient.registration.practice)?;
        output::line(&format!("\n--- openmig record {nhs} --database {} ---\n", args.database.display()))?;
        output::emit(&summary::render(&record, practice.as_ref().map(|p| &p.practice), region.as_of, false))?;
    }
    output::line(&format!("\nTry: openmig record <NHS number> --database {} --meds", args.database.display()))?;
    output::line(&format!("     openmig patients --database {} --trait antiepileptic", args.database.display()))?;
    Ok(())
}
