//! A GP system that is not openmig: the stand-in in `tests/standin_gp/` (Python, standard
//! library only) serves a recorded Bundle in another supplier's style over mutual TLS, at
//! a FHIR base of its own layout. The directory names that endpoint; the gateway
//! federates to it like any other practice, and what the practice recorded reaches the
//! consumer.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use common::*;
use openmig_directory::{Directory, DirectoryPractice, Endpoint, SqliteDirectory};
use openmig_domain::fixtures;
use openmig_domain::{ClinicalSystem, NhsNumber, OdsCode, Practice};
use openmig_gateway::GatewayConfig;
use openmig_gateway::federation::{Federation, FederationOptions};
use openmig_tls::DemoPki;

const STANDIN_ODS: &str = "Y12345";
const STANDIN_NHS: &str = "9000000009";
const STANDIN_BASE: &str = "/standin/Y12345/gpc/fhir";

/// The stand-in GP system, stopped when dropped.
struct StandIn {
    child: Child,
    endpoint: String,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn standin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/standin_gp")
}

/// Starts the stand-in with the demo PKI's provider certificate, trusting its CA for
/// clients; returns once it has printed where it listens.
fn start_standin(tls: &Path) -> StandIn {
    let mut child = Command::new("python3")
        .arg(standin_dir().join("standin_gp.py"))
        .args(["--listen", "127.0.0.1:0", "--base", STANDIN_BASE, "--asid", "918999198993"])
        .arg("--cert")
        .arg(tls.join(openmig_tls::PROVIDER_CERT_FILE))
        .arg("--key")
        .arg(tls.join(openmig_tls::PROVIDER_KEY_FILE))
        .arg("--client-ca")
        .arg(tls.join(openmig_tls::CA_CERT_FILE))
        .arg("--bundles")
        .arg(standin_dir().join("bundles"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs the stand-in GP system");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let endpoint = line.trim().strip_prefix("listening on ").expect("the stand-in says where it listens").to_string();
    StandIn { child, endpoint }
}

/// A directory listing the stand-in's practice at its endpoint, with one patient.
fn directory(dir: &Path, endpoint: &str) -> Arc<dyn Directory> {
    let path = dir.join("directory.db");
    let directory = SqliteDirectory::create(&path).unwrap();
    let ods = OdsCode::parse(STANDIN_ODS).unwrap();
    let practice = Practice {
        ods_code: ods.clone(),
        name: "Riverside Stand-in Surgery".into(),
        clinical_system: ClinicalSystem::SystmOne,
        asid: "918999198993".into(),
        sharing_enabled: true,
        ..fixtures::example_practice()
    };
    let entry = DirectoryPractice { practice, gp_connect: Endpoint::parse(endpoint).unwrap(), documents: None };
    directory.upsert_practices(&[entry]).unwrap();
    let mut patient = fixtures::example_record().patient;
    patient.nhs_number = NhsNumber::parse(STANDIN_NHS).unwrap();
    patient.registration.practice = ods;
    directory.upsert_patients(&[patient]).unwrap();
    Arc::new(SqliteDirectory::open_read_only(&path).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gp_system_that_is_not_openmig_serves_the_record_the_consumer_sees() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let pki = DemoPki::load_or_create(&tls).unwrap();
    let standin = start_standin(&tls);
    assert!(standin.endpoint.ends_with(STANDIN_BASE), "{}", standin.endpoint);
    let directory = directory(dir.path(), &standin.endpoint);
    let client = openmig_tls::https_client(openmig_tls::client_config(&pki));
    let federation =
        Federation::new(client, FederationOptions::default(), None, "200000000999".into(), Arc::new(now)).unwrap();
    let gateway = gateway_over(GatewayConfig::demo(), directory, Arc::new(federation), dir);
    let token = gateway.doctor();

    let trace = get(&gateway, &format!("/directory/patients/{STANDIN_NHS}"), Some(&token)).await;
    assert_eq!(trace.status, 200, "{}", trace.text);
    assert_eq!(trace.body["practice"]["gpConnectEndpoint"], standin.endpoint.as_str());
    assert_eq!(trace.body["practice"]["asid"], "918999198993");

    let medicines = get(&gateway, &format!("/api/v1/patients/{STANDIN_NHS}/medicines"), Some(&token)).await;
    assert_eq!(medicines.status, 200, "{}", medicines.text);
    assert_eq!(medicines.body["recordSource"]["live"], true);
    let current = medicines.body["current"].as_array().expect("current medicines");
    let names: Vec<&str> = current.iter().filter_map(|m| m["name"].as_str()).collect();
    assert!(names.contains(&"Warfarin 1mg tablets"), "{names:?}");
    assert!(
        medicines.text.contains("Take as directed by the anticoagulant clinic"),
        "the supplier's dose text reaches the consumer"
    );
    assert!(medicines.text.contains("Lansoprazole 30mg gastro-resistant capsules"), "{}", medicines.text);

    let allergies = get(&gateway, &format!("/fhir/R4/AllergyIntolerance?patient={STANDIN_NHS}"), Some(&token)).await;
    assert_eq!(allergies.status, 200, "{}", allergies.text);
    assert!(allergies.text.contains("91936005"), "the penicillin allergy reaches the consumer: {}", allergies.text);

    let unknown = get(&gateway, "/api/v1/patients/9434765919/medicines", Some(&token)).await;
    assert_eq!(unknown.status, 404, "a patient the directory does not list: {}", unknown.text);
    assert!(gateway.audit_count() >= 4, "every view and refusal is audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gp_system_with_a_certificate_from_an_untrusted_ca_is_refused_with_a_specific_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    DemoPki::load_or_create(&tls).unwrap();
    let standin = start_standin(&tls);
    let directory = directory(dir.path(), &standin.endpoint);
    // The gateway trusts another CA: the stand-in's certificate must not be accepted.
    let foreign = DemoPki::generate().unwrap();
    let client = openmig_tls::https_client(openmig_tls::client_config(&foreign));
    let federation =
        Federation::new(client, FederationOptions::default(), None, "200000000999".into(), Arc::new(now)).unwrap();
    let gateway = gateway_over(GatewayConfig::demo(), directory, Arc::new(federation), dir);
    let answer = get(&gateway, &format!("/api/v1/patients/{STANDIN_NHS}/medicines"), Some(&gateway.doctor())).await;
    assert_eq!((answer.status, error_code(&answer).as_str()), (503, "GP_RECORD_UNAVAILABLE"), "{}", answer.text);
    assert!(answer.text.contains("could not be reached securely"), "{}", answer.text);
    assert!(!answer.text.contains("Warfarin"), "nothing from an untrusted system is shown");
}
