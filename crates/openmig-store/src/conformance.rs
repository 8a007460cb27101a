//! The shared test suite every [`Store`] backend must pass.
//!
//! Each check takes a freshly created, empty store, drives it only through the trait
//! and panics with a message naming the check and what differed. A backend runs them
//! all from one integration test:
//!
//! ```text
//! #[test]
//! fn the_backend_passes_the_conformance_suite() {
//!     openmig_store::conformance::run_all(&|| Box::new(MyStore::create_temporary()));
//! }
//! ```
//!
//! The checks use the hand-built records of `openmig_domain::fixtures`, prepared on the
//! fixtures' as-of day, plus copies of them under other NHS numbers where a check needs
//! many patients. Because every backend passes the same checks, callers may rely on what
//! they assert (ordering, idempotent loads, a backend-independent content hash) without
//! knowing which backend they hold.

use chrono::NaiveDate;
use openmig_domain::fixtures::{self, AS_OF};
use openmig_domain::traits::PatientTrait;
use openmig_domain::{GpRecord, NhsNumber, OdsCode, Practice};

use crate::{PracticeEntry, PreparedRecord, RegionInfo, Store, StoreCounts, StoreError};

/// Runs every check, each against a new store from `make`.
pub fn run_all(make: &dyn Fn() -> Box<dyn Store>) {
    empty_store_is_empty(&*make());
    every_entry_kind_round_trips(&*make());
    unknown_nhs_number_is_none(&*make());
    reloading_is_idempotent(&*make());
    upsert_replaces_a_changed_record(&*make());
    practice_round_trips_with_clinicians(&*make());
    practices_are_ordered_by_ods_code(&*make());
    practice_patients_page_in_nhs_number_order(&*make());
    patients_with_trait_finds_exactly_the_right_patients(&*make());
    region_info_round_trips(&*make());
    content_hash_ignores_insertion_order(&*make(), &*make());
    content_hash_changes_with_content(&*make(), &*make());
}

/// A new store holds nothing and has no region.
pub fn empty_store_is_empty(store: &dyn Store) {
    let check = "empty store";
    assert_eq!(ok(check, store.counts()), StoreCounts::default(), "{check}: counts are not zero");
    assert_eq!(ok(check, store.region()), None, "{check}: has region info before any was set");
    assert!(ok(check, store.practices()).is_empty(), "{check}: lists practices");
    assert!(ok(check, store.patients_with_trait(PatientTrait::Any, 10)).is_empty(), "{check}: lists patients");
    assert_hash_shape(check, &ok(check, store.content_hash()));
}

/// Each fixture record, holding every entry kind and the awkward cases, reads back equal
/// to what was loaded.
pub fn every_entry_kind_round_trips(store: &dyn Store) {
    let check = "record round trip";
    load_fixtures(store);
    for original in fixture_records() {
        let stored = ok(check, store.record(original.patient.nhs_number));
        let stored = stored.unwrap_or_else(|| panic!("{check}: a loaded record was not found"));
        assert_eq!(stored, original, "{check}: the stored record differs from the one loaded");
    }
    assert_eq!(ok(check, store.counts()), StoreCounts { practices: 1, patients: 3 }, "{check}: counts");
}

/// Asking for a valid NHS number nobody holds is not an error.
pub fn unknown_nhs_number_is_none(store: &dyn Store) {
    let check = "unknown NHS number";
    assert_eq!(ok(check, store.record(nhs_number(0))), None, "{check}: found a record in an empty store");
    load_fixtures(store);
    assert_eq!(ok(check, store.record(nhs_number(0))), None, "{check}: found a record never loaded");
}

/// Running the same load twice leaves the same counts and the same content hash.
pub fn reloading_is_idempotent(store: &dyn Store) {
    let check = "idempotent reload";
    load_fixtures(store);
    let counts = ok(check, store.counts());
    let hash = ok(check, store.content_hash());
    load_fixtures(store);
    assert_eq!(ok(check, store.counts()), counts, "{check}: counts changed");
    assert_eq!(ok(check, store.content_hash()), hash, "{check}: content hash changed");
    ok(check, store.upsert_records(&[]));
    ok(check, store.upsert_practices(&[]));
    assert_eq!(ok(check, store.content_hash()), hash, "{check}: an empty batch changed the content");
}

/// Upserting a changed record replaces the whole record and its traits.
pub fn upsert_replaces_a_changed_record(store: &dyn Store) {
    let check = "upsert replaces";
    load_fixtures(store);
    let mut changed = fixtures::example_record();
    changed.patient.name.family = "Changed".into();
    for medication in &mut changed.medications {
        medication.status = openmig_domain::record::MedicationStatus::Discontinued {
            on: NaiveDate::from_ymd_opt(2026, 11, 24).expect("a calendar date"),
            reason: "Stopped for the conformance test".into(),
        };
    }
    changed.encounters.pop();
    ok(check, store.upsert_records(&[prepare(&changed)]));
    let stored = ok(check, store.record(changed.patient.nhs_number));
    assert_eq!(stored.as_ref(), Some(&changed), "{check}: the stored record is not the replacement");
    assert_eq!(ok(check, store.counts()).patients, 3, "{check}: replacing added a patient");
    let anticoagulated = ok(check, store.patients_with_trait(PatientTrait::Anticoagulant, 10));
    assert!(anticoagulated.is_empty(), "{check}: the stored traits were not replaced with the record");
}

/// A practice reads back with its clinicians; an unknown ODS code gives `None`; upsert
/// replaces the practice and its clinician list.
pub fn practice_round_trips_with_clinicians(store: &dyn Store) {
    let check = "practice round trip";
    let entry = example_practice_entry();
    ok(check, store.upsert_practices(std::slice::from_ref(&entry)));
    let stored = ok(check, store.practice(&entry.practice.ods_code));
    assert_eq!(stored.as_ref(), Some(&entry), "{check}: the stored practice differs");
    assert_eq!(ok(check, store.practice(&ods("Z99999"))), None, "{check}: found an unknown practice");

    let mut changed = entry.clone();
    changed.practice.name = "Riverside Surgery".into();
    changed.practice.sharing_enabled = false;
    changed.clinicians.truncate(1);
    ok(check, store.upsert_practices(std::slice::from_ref(&changed)));
    let stored = ok(check, store.practice(&entry.practice.ods_code));
    assert_eq!(stored.as_ref(), Some(&changed), "{check}: upsert did not replace the practice");
    assert_eq!(ok(check, store.counts()).practices, 1, "{check}: replacing added a practice");
}

/// `practices()` lists every practice in ODS-code order, whatever the insertion order.
pub fn practices_are_ordered_by_ods_code(store: &dyn Store) {
    let check = "practices ordered";
    let entries: Vec<PracticeEntry> = ["Z90003", "Z90001", "Z90002"].into_iter().map(practice_entry).collect();
    ok(check, store.upsert_practices(&entries[..1]));
    ok(check, store.upsert_practices(&entries[1..]));
    let listed: Vec<String> = ok(check, store.practices()).into_iter().map(|p| p.ods_code.to_string()).collect();
    assert_eq!(listed, ["Z90001", "Z90002", "Z90003"], "{check}: wrong order or content");
    let second = ok(check, store.practice(&ods("Z90002"))).map(|e| e.practice);
    assert_eq!(second, Some(entries[2].practice.clone()), "{check}: a practice came back changed");
}

/// A practice's patients page in NHS-number order: `after` is an exclusive cursor,
/// `limit` caps the page, and other practices' patients never appear.
pub fn practice_patients_page_in_nhs_number_order(store: &dyn Store) {
    let check = "practice patients paging";
    let home = example_practice_entry();
    let other = practice_entry("Z90009");
    ok(check, store.upsert_practices(&[home.clone(), other.clone()]));

    // Load in descending NHS-number order so insertion order cannot pass for sorting.
    let mut at_home = copies_of_example(25, &home.practice.ods_code, 100_000);
    at_home.reverse();
    let elsewhere = copies_of_example(7, &other.practice.ods_code, 200_000);
    let prepared: Vec<PreparedRecord> = at_home.iter().chain(&elsewhere).map(prepare).collect();
    ok(check, store.upsert_records(&prepared));

    let mut expected: Vec<NhsNumber> = at_home.iter().map(|r| r.patient.nhs_number).collect();
    expected.sort();
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = ok(check, store.practice_patients(&home.practice.ods_code, after, 10));
        assert!(page.len() <= 10, "{check}: a page is longer than the limit");
        // Guards the loop too: a cursor that is not exclusive would page forever.
        assert!(page.first().is_none_or(|first| Some(*first) > after), "{check}: a page repeats the cursor");
        let Some(last) = page.last().copied() else { break };
        paged.extend(page);
        after = Some(last);
    }
    assert_eq!(paged, expected, "{check}: pages do not give every patient once, in NHS-number order");

    let first_three = ok(check, store.practice_patients(&home.practice.ods_code, None, 3));
    assert_eq!(first_three, expected[..3], "{check}: first page");
    let from_middle = ok(check, store.practice_patients(&home.practice.ods_code, Some(expected[11]), 5));
    assert_eq!(from_middle, expected[12..17], "{check}: page after a cursor");
    // A cursor need not be a stored number: paging resumes at the next one above it.
    let between = ok(check, store.practice_patients(&home.practice.ods_code, Some(nhs_number(0)), 1));
    assert_eq!(between, expected[..1], "{check}: cursor below every stored number");
    let past_end = ok(check, store.practice_patients(&home.practice.ods_code, expected.last().copied(), 10));
    assert!(past_end.is_empty(), "{check}: a page after the last patient is not empty");
    assert!(ok(check, store.practice_patients(&home.practice.ods_code, None, 0)).is_empty(), "{check}: limit 0");
    let unknown = ok(check, store.practice_patients(&ods("Z99999"), None, 10));
    assert!(unknown.is_empty(), "{check}: an unknown practice has patients");
    let others = ok(check, store.practice_patients(&other.practice.ods_code, None, 100));
    assert_eq!(others.len(), elsewhere.len(), "{check}: the other practice's patients");
}

/// The trait finder returns exactly the patients with the trait, by NHS number, capped
/// by `limit`.
pub fn patients_with_trait_finds_exactly_the_right_patients(store: &dyn Store) {
    let check = "patients with trait";
    load_fixtures(store);
    let example = fixtures::example_record().patient.nhs_number;
    let nka = fixtures::example_record_with_no_known_allergies().patient.nhs_number;
    let dissent = fixtures::dissenting_record().patient.nhs_number;
    let mut everyone = vec![example, nka, dissent];
    everyone.sort();

    let find = |wanted: PatientTrait, limit: usize| ok(check, store.patients_with_trait(wanted, limit));
    assert_eq!(find(PatientTrait::Any, 10), everyone, "{check}: any");
    assert_eq!(find(PatientTrait::Any, 2), everyone[..2], "{check}: any, limited to two");
    assert!(find(PatientTrait::Any, 0).is_empty(), "{check}: limit 0");
    assert_eq!(find(PatientTrait::Dissent, 10), [dissent], "{check}: dissent");
    assert_eq!(find(PatientTrait::Anticoagulant, 10), [example], "{check}: anticoagulant");
    assert_eq!(find(PatientTrait::NoKnownAllergies, 10), [nka], "{check}: no known allergies");
    assert_eq!(find(PatientTrait::Confidential, 10), [example], "{check}: confidential");
    assert!(find(PatientTrait::Deceased, 10).is_empty(), "{check}: nobody has died");
}

/// Region facts read back as set; setting them again replaces them.
pub fn region_info_round_trips(store: &dyn Store) {
    let check = "region info";
    let info = RegionInfo {
        name: "North East (synthetic)".into(),
        seed: Some(u64::MAX),
        as_of: AS_OF,
        content_hash: Some("ab".repeat(32)),
        written_by: "openmig 0.1.0".into(),
    };
    ok(check, store.set_region(&info));
    assert_eq!(ok(check, store.region()), Some(info.clone()), "{check}: differs after set");
    let replaced = RegionInfo { name: "Test region".into(), seed: None, content_hash: None, ..info };
    ok(check, store.set_region(&replaced));
    assert_eq!(ok(check, store.region()), Some(replaced), "{check}: not replaced");
}

/// Two stores loaded with the same content in different orders and batches give the
/// same content hash.
pub fn content_hash_ignores_insertion_order(first: &dyn Store, second: &dyn Store) {
    let check = "content hash order";
    let practices = [example_practice_entry(), practice_entry("Z90002")];
    let mut records = fixture_records();
    records.extend(copies_of_example(5, &practices[1].practice.ods_code, 300_000));
    let prepared: Vec<PreparedRecord> = records.iter().map(prepare).collect();

    ok(check, first.upsert_practices(&practices));
    ok(check, first.upsert_records(&prepared));

    let reversed: Vec<PracticeEntry> = practices.iter().rev().cloned().collect();
    ok(check, second.upsert_practices(&reversed));
    for record in prepared.iter().rev() {
        ok(check, second.upsert_records(std::slice::from_ref(record)));
    }
    let hash = ok(check, first.content_hash());
    assert_hash_shape(check, &hash);
    assert_eq!(ok(check, second.content_hash()), hash, "{check}: same content, different hash");
}

/// The content hash differs when a record, a practice or a record's traits differ.
pub fn content_hash_changes_with_content(first: &dyn Store, second: &dyn Store) {
    let check = "content hash changes";
    load_fixtures(first);
    load_fixtures(second);
    let same = ok(check, first.content_hash());
    assert_eq!(ok(check, second.content_hash()), same, "{check}: same load, different hash");

    let mut changed = fixtures::dissenting_record();
    changed.patient.telephone = None;
    ok(check, second.upsert_records(&[prepare(&changed)]));
    let after_record = ok(check, second.content_hash());
    assert_ne!(after_record, same, "{check}: a changed record left the hash unchanged");

    // The same record stored with different traits (its practice stopped sharing).
    let mut traits_only = prepare(&fixtures::example_record());
    traits_only.traits.insert(PatientTrait::PracticeSharingDisabled);
    ok(check, first.upsert_records(&[traits_only]));
    let after_traits = ok(check, first.content_hash());
    assert_ne!(after_traits, same, "{check}: changed traits left the hash unchanged");

    let mut practice = example_practice_entry();
    practice.practice.telephone = "0191 498 0999".into();
    ok(check, first.upsert_practices(&[practice]));
    assert_ne!(ok(check, first.content_hash()), after_traits, "{check}: a changed practice left the hash unchanged");
}

/// Unwraps a store result or fails the check with the error.
fn ok<T>(check: &str, result: Result<T, StoreError>) -> T {
    result.unwrap_or_else(|e| panic!("{check}: the store returned an error: {e}"))
}

fn assert_hash_shape(check: &str, hash: &str) {
    let is_hex = hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    assert!(hash.len() == 64 && is_hex, "{check}: content hash {hash:?} is not 64 lower-case hex digits");
}

fn fixture_records() -> Vec<GpRecord> {
    vec![fixtures::example_record(), fixtures::example_record_with_no_known_allergies(), fixtures::dissenting_record()]
}

/// Loads the example practice and the three fixture records, as a generator run would.
fn load_fixtures(store: &dyn Store) {
    ok("loading fixtures", store.upsert_practices(&[example_practice_entry()]));
    let prepared: Vec<PreparedRecord> = fixture_records().iter().map(prepare).collect();
    ok("loading fixtures", store.upsert_records(&prepared));
}

/// Prepares a record as the generator would, on the fixtures' as-of day, for a practice
/// that shares.
fn prepare(record: &GpRecord) -> PreparedRecord {
    PreparedRecord::prepare(record, true, AS_OF)
}

fn example_practice_entry() -> PracticeEntry {
    PracticeEntry { practice: fixtures::example_practice(), clinicians: fixtures::example_clinicians() }
}

/// Another practice like the example one, with its own code and name.
fn practice_entry(code: &str) -> PracticeEntry {
    let ods_code = ods(code);
    let practice =
        Practice { ods_code: ods_code.clone(), name: format!("Practice {code}"), ..fixtures::example_practice() };
    let clinicians = fixtures::example_clinicians()
        .into_iter()
        .map(|mut c| {
            c.id.0 = format!("{}-{code}", c.id.0);
            c.practice = ods_code.clone();
            c
        })
        .collect();
    PracticeEntry { practice, clinicians }
}

/// `count` copies of the example record at `practice`, each under its own NHS number,
/// the numbers drawn from a block starting at `block` so that calls do not collide.
fn copies_of_example(count: usize, practice: &OdsCode, block: u32) -> Vec<GpRecord> {
    (block..)
        .filter_map(|prefix| NhsNumber::from_prefix(100_000_000 + prefix))
        .take(count)
        .map(|number| {
            let mut record = fixtures::example_record();
            record.patient.nhs_number = number;
            record.patient.registration.practice = practice.clone();
            record
        })
        .collect()
}

/// A valid NHS number that no fixture uses (`nhs_number(0)` sorts below them all).
fn nhs_number(index: u32) -> NhsNumber {
    (index..).find_map(|prefix| NhsNumber::from_prefix(10_000 + prefix)).expect("some prefix has a check digit")
}

fn ods(code: &str) -> OdsCode {
    OdsCode::parse(code).expect("conformance ODS codes are valid")
}
