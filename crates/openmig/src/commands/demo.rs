//! `openmig demo`: the README's first command.
//!
//! Generates a small region (5,000 patients in 4 practices, one not sharing) on first
//! run, shows where to start (the brief's story patients, more demo NHS numbers by
//! trait, the record of the overnight-admission story), then starts the practice
//! providers and the gateway (`openmig serve`) and prints their URLs, a demo token for
//! an emergency-department doctor and ready `curl` commands.

use std::time::Duration;

use anyhow::Context;
use openmig_auth::TokenRequest;
use openmig_directory::Directory;
use openmig_domain::traits::PatientTrait;
use openmig_domain::{ConsentBasis, NhsNumber, OdsCode, Role};
use openmig_generator::record::stories::STORIES;
use openmig_generator::{GeneratorConfig, nhs_numbers};

use crate::cli::{DEFAULT_PRACTICES_URL, DemoArgs, ServeArgs, ServeRole};
use crate::commands::generate::generate_file;
use crate::commands::serve;
use crate::output;
use crate::region::Region;
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
            as_of: openmig_domain::uk_time::uk_date(chrono::Utc::now()),
        };
        generate_file(config, &args.database, false, DEFAULT_PRACTICES_URL)?;
    }
    let store = Region::open(&args.database.display().to_string())?;
    store.require_practice_stores()?;
    let region = store.info()?;
    let counts = store.directory.counts()?;
    output::line(&format!(
        "openmig demo region: {} patients in {} practices, as of {}",
        counts.patients, counts.practices, region.as_of
    ))?;
    output::line(&format!("database: {}\n", args.database.display()))?;
    if let Some(seed) = region.seed {
        output::line("Stories from the brief (NHS numbers):")?;
        for story in STORIES {
            let nhs = nhs_numbers::nhs_number(seed, story.index);
            if store.directory.patient(nhs)?.is_some() {
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
        let practice = store.directory.practice(&record.patient.registration.practice)?;
        output::line(&format!("\n--- openmig record {nhs} --database {} ---\n", args.database.display()))?;
        output::emit(&summary::render(&record, practice.as_ref().map(|p| &p.practice), region.as_of, false))?;
    }
    output::line(&format!("\nTry: openmig record <NHS number> --database {} --meds", args.database.display()))?;
    output::line(&format!("     openmig patients --database {} --trait antiepileptic", args.database.display()))?;
    if args.no_serve {
        return Ok(());
    }
    let examples = DemoPatients {
        ordinary: featured.or(store.patients_with_trait(PatientTrait::Any, 1)?.first().copied()),
        dissented: store.patients_with_trait(PatientTrait::Dissent, 1)?.first().copied(),
        not_sharing: store.patients_with_trait(PatientTrait::PracticeSharingDisabled, 1)?.first().copied(),
    };
    drop(store);
    start_servers(&args, &examples)
}

/// NHS numbers the `curl` examples use.
struct DemoPatients {
    ordinary: Option<NhsNumber>,
    dissented: Option<NhsNumber>,
    not_sharing: Option<NhsNumber>,
}

/// Starts the gateway and providers and prints how to call them.
fn start_servers(args: &DemoArgs, patients: &DemoPatients) -> anyhow::Result<()> {
    let serve_args = ServeArgs {
        role: ServeRole::All,
        database: args.database.display().to_string(),
        listen: args.listen.clone(),
        practices_listen: None,
        config: None,
        keys: args.keys.clone(),
        public_url: None,
        provider_ca: None,
        client_cert: None,
        client_key: None,
        client_ca: None,
        server_cert: None,
        server_key: None,
    };
    let prepared = serve::prepare(&serve_args)?;
    serve::init_logs();
    let doctor = TokenRequest {
        user_name: "Dr Demo Clinician".into(),
        consent: Some(ConsentBasis::Given),
        ttl: Duration::from_secs(3600),
        ..TokenRequest::new("555000000001", Role::Doctor, OdsCode::parse(DEMO_CONSUMER).expect("a valid ODS code"))
    };
    let token =
        openmig_auth::mint(&prepared.issuer, &doctor, chrono::Utc::now()).context("cannot mint the demo token")?;
    let writeback = match patients.ordinary {
        Some(nhs) => Some(write_back_example(&args.database, nhs)?),
        None => None,
    };
    serve::serve(prepared, |started| {
        let address = started.gateway.context("the demo runs the gateway")?;
        let practices = started.practices.as_ref().context("the demo runs the practices")?;
        let base = format!("http://{address}");
        output::banner(&format!("\n=== openmig is serving on {base} (Ctrl-C to stop) ==="));
        output::banner(&format!(
            "gateway, GP Connect structured: {base}/gpconnect/fhir/Patient/$gpc.getstructuredrecord"
        ));
        output::banner(&format!("gateway, FHIR R4 UK Core:       {base}/fhir/R4"));
        output::banner(&format!("gateway, medicines review:      {base}/api/v1/patients/<NHS number>/medicines"));
        for entry in &started.directory_practices {
            let practice = &entry.practice;
            output::banner(&format!(
                "practice {} ({}{}): GP Connect {} (mutual TLS)",
                practice.ods_code,
                practice.clinical_system,
                if practice.sharing_enabled { "" } else { ", sharing disabled" },
                entry.gp_connect,
            ));
        }
        let tls = started.keys.join("tls");
        if let Some(entry) = started.directory_practices.first() {
            output::banner(&format!(
                "fault injection (e.g. take {} down; the gateway then answers from its dated last-good copy):\n  \
                 curl --cacert {tls}/ca.pem --cert {tls}/gateway-client.pem --key {tls}/gateway-client.key \\\n    \
                 -H 'Content-Type: application/json' -d '{{\"down\": true}}' {}/{}/_admin/faults",
                entry.practice.ods_code,
                practices.origin,
                entry.practice.ods_code,
                tls = tls.display()
            ));
        }
        output::banner(&format!(
            "\nDemo token: a doctor at {DEMO_CONSUMER} (emergency department), consent given, valid 1 hour.\n\
             More: openmig token --keys {} --user ID --role ROLE --org ODS [--consent given|emergency --reason TEXT]\n",
            args.keys.display()
        ));
        output::banner(&format!("export TOKEN={token}"));
        if let Some(nhs) = patients.ordinary {
            output::banner(&format!("curl -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/patients/{nhs}/medicines"));
            output::banner(&format!(
                "curl -H \"Authorization: Bearer $TOKEN\" '{base}/fhir/R4/Patient/{nhs}/$everything'"
            ));
        }
        if let Some((file, practice)) = &writeback {
            output::banner(&format!(
                "curl -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/fhir+json' --data @{} {base}/fhir/R4/Bundle   # write back a discharge summary",
                file.display()
            ));
            output::banner(&format!(
                "openmig inbox list --database {} --practice {practice} --all   # delivered to the practice's own system: {}/{practice}/inbox",
                args.database.display(),
                practices.origin
            ));
        }
        if let Some(nhs) = patients.dissented {
            output::banner(&format!(
                "curl -H \"Authorization: Bearer $TOKEN\" '{base}/fhir/R4/Patient/{nhs}/$everything'   # refused: the patient dissented"
            ));
        }
        if let Some(nhs) = patients.not_sharing {
            output::banner(&format!(
                "curl -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/patients/{nhs}/medicines   # refused: practice not sharing"
            ));
        }
        Ok(())
    })
}

/// Writes the example emergency department discharge summary for `nhs` beside the
/// database, for the printed write-back `curl`; returns the file and the patient's
/// practice, whose inbox it goes to.
fn write_back_example(database: &std::path::Path, nhs: NhsNumber) -> anyhow::Result<(std::path::PathBuf, OdsCode)> {
    let directory = openmig_directory::SqliteDirectory::open_read_only(database)?;
    let patient =
        directory.patient(nhs).context("cannot read the directory")?.context("the demo patient is missing")?;
    let file = database.with_file_name("openmig-demo-discharge-summary.json");
    let document = openmig_inbox::examples::discharge_summary(&nhs.to_string(), "openmig-demo-discharge-1");
    let text = serde_json::to_string_pretty(&document).context("cannot write the example document")?;
    std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    Ok((file, patient.registration.practice))
}

/// The demo configuration's emergency department.
const DEMO_CONSUMER: &str = "ZC010";
