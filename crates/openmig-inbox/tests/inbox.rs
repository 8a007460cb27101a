//! The inbox store and its outbox: durable, idempotent by identifier, acknowledged once,
//! delivered with retries, and nothing lost across a restart.

mod common;

use std::cell::Cell;
use std::time::Duration;

use chrono::TimeDelta;
use common::*;
use openmig_domain::OdsCode;
use openmig_inbox::{
    DeliveryError, DeliveryState, DocumentKind, Inbox, InboxDocument, InboxError, InboxId, RetryPolicy, StatusFilter,
};
use openmig_store::{PracticeEntry, PreparedRecord, Store};
use openmig_store_sqlite::SqliteStore;
use serde_json::json;

fn open() -> (tempfile::TempDir, Inbox) {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Inbox::open(&dir.path().join("inbox.db")).unwrap();
    (dir, inbox)
}

#[test]
fn a_submitted_document_is_listed_in_its_practice_inbox_only() {
    let (_dir, inbox) = open();
    let submitted = inbox.submit(summary("ed-1"), now()).unwrap();
    assert!(!submitted.duplicate);
    assert_eq!(submitted.practice, practice());
    let items = inbox.list(&practice(), StatusFilter::Unacknowledged).unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item.id, submitted.id);
    assert_eq!(item.document.title, "Emergency department discharge summary");
    assert_eq!(item.sender, sender());
    assert_eq!(item.received_at, now());
    assert_eq!(item.acknowledged, None);
    assert_eq!(item.delivery, DeliveryState::Pending { attempts: 0, next_attempt_at: now(), last_error: None });
    let other = OdsCode::parse("Z90002").unwrap();
    assert!(inbox.list(&other, StatusFilter::All).unwrap().is_empty());
    assert!(matches!(inbox.get(&other, submitted.id), Err(InboxError::NotFound(_))));
    let resource: serde_json::Value =
        serde_json::from_str(&inbox.resource(&practice(), submitted.id).unwrap()).unwrap();
    assert_eq!(resource, bundle(NHS, "ed-1"), "the resource is kept as received");
}

#[test]
fn the_same_document_twice_is_stored_once() {
    let (_dir, inbox) = open();
    let first = inbox.submit(summary("ed-1"), now()).unwrap();
    // Resent later, pretty-printed by a different library: the same document.
    let pretty = serde_json::to_string_pretty(&bundle(NHS, "ed-1")).unwrap();
    let again = InboxDocument::new(
        practice(),
        openmig_inbox::parse(DocumentKind::Bundle, pretty.as_bytes()).unwrap(),
        sender(),
    );
    let second = inbox.submit(again, now() + TimeDelta::minutes(5)).unwrap();
    assert_eq!((second.id, second.duplicate), (first.id, true));
    assert_eq!(inbox.list(&practice(), StatusFilter::All).unwrap().len(), 1);
    assert_eq!(inbox.list(&practice(), StatusFilter::All).unwrap()[0].received_at, now(), "the first copy is kept");
}

#[test]
fn the_same_identifier_with_different_content_is_a_conflict_not_an_overwrite() {
    let (_dir, inbox) = open();
    let first = inbox.submit(summary("ed-1"), now()).unwrap();
    let mut changed = bundle(NHS, "ed-1");
    changed["entry"][0]["resource"]["title"] = json!("Amended discharge summary");
    let changed = InboxDocument::new(practice(), common::parse(DocumentKind::Bundle, &changed), sender());
    let error = inbox.submit(changed, now()).unwrap_err();
    assert_eq!(error, InboxError::Conflict(first.id));
    assert!(error.to_string().contains("needs its own identifier"), "{error}");
    let items = inbox.list(&practice(), StatusFilter::All).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].document.title, "Emergency department discharge summary");
    // Another identifier is another document.
    assert!(!inbox.submit(summary("ed-2"), now()).unwrap().duplicate);
}

#[test]
fn acknowledging_is_idempotent_and_only_in_the_right_practice() {
    let (_dir, inbox) = open();
    let id = inbox.submit(summary("ed-1"), now()).unwrap().id;
    let other = OdsCode::parse("Z90002").unwrap();
    assert_eq!(inbox.acknowledge(&other, id, "Someone Else", now()).unwrap_err(), InboxError::NotFound(id));
    assert_eq!(
        inbox.acknowledge(&practice(), InboxId::new(99), "Reception", now()).unwrap_err(),
        InboxError::NotFound(InboxId::new(99))
    );
    let first = inbox.acknowledge(&practice(), id, "Pat Reception", now()).unwrap();
    assert!(!first.already);
    assert_eq!(first.acknowledgement.by, "Pat Reception");
    let later = now() + TimeDelta::hours(1);
    let second = inbox.acknowledge(&practice(), id, "Someone Later", later).unwrap();
    assert!(second.already);
    assert_eq!(second.acknowledgement, first.acknowledgement, "the first acknowledgement stands");
    assert!(inbox.list(&practice(), StatusFilter::Unacknowledged).unwrap().is_empty());
    let acknowledged = inbox.list(&practice(), StatusFilter::Acknowledged).unwrap();
    assert_eq!(acknowledged[0].acknowledged.as_ref().unwrap().at, now());
    assert_eq!(inbox.list(&practice(), StatusFilter::All).unwrap().len(), 1);
}

#[test]
fn the_database_refuses_deleting_or_rewriting_a_received_document() {
    let (dir, inbox) = open();
    let id = inbox.submit(summary("ed-1"), now()).unwrap().id;
    inbox.acknowledge(&practice(), id, "Pat Reception", now()).unwrap();
    let raw = rusqlite::Connection::open(dir.path().join("inbox.db")).unwrap();
    for statement in [
        "DELETE FROM inbox_document",
        "UPDATE inbox_document SET resource = '{}'",
        "UPDATE inbox_document SET practice = 'Z90002'",
        "UPDATE inbox_document SET acknowledged_by = 'Someone Else'",
    ] {
        assert!(raw.execute(statement, []).is_err(), "{statement} was allowed");
    }
    drop(raw);
    assert_eq!(
        inbox.list(&practice(), StatusFilter::All).unwrap()[0].acknowledged.as_ref().unwrap().by,
        "Pat Reception"
    );
}

#[test]
fn delivery_retries_with_backoff_while_the_practice_is_down_and_then_delivers() {
    let (_dir, inbox) = open();
    let inbox = inbox
        .with_retry_policy(RetryPolicy { first_delay: Duration::from_secs(10), max_delay: Duration::from_secs(60) });
    let id = inbox.submit(summary("ed-1"), now()).unwrap().id;
    let policy = inbox.retry_policy();
    let down = |_: &openmig_inbox::InboxItem| Err(DeliveryError::new("practice endpoint refused the connection"));

    // Due at once; the practice is down.
    let mut clock = now();
    let mut schedule = Vec::new();
    for attempt in 1..=6u32 {
        let round = inbox.deliver_due(clock, down).unwrap();
        assert_eq!((round.attempted, round.failed), (1, 1), "attempt {attempt}");
        let item = inbox.get(&practice(), id).unwrap();
        let DeliveryState::Pending { attempts, next_attempt_at, last_error } = item.delivery else {
            panic!("still pending")
        };
        assert_eq!(attempts, attempt);
        assert_eq!(last_error.as_deref(), Some("practice endpoint refused the connection"));
        let wait = (next_attempt_at - clock).to_std().unwrap();
        assert_eq!(wait, policy.delay(id, attempt));
        let backoff = policy.backoff(attempt);
        assert!(
            wait >= backoff / 2 && wait <= backoff,
            "attempt {attempt}: {wait:?} outside [{:?}, {backoff:?}]",
            backoff / 2
        );
        // Not due a moment before its time.
        let early = inbox.deliver_due(next_attempt_at - TimeDelta::milliseconds(1), down).unwrap();
        assert_eq!(early.attempted, 0);
        schedule.push(backoff.as_secs());
        clock = next_attempt_at;
    }
    assert_eq!(schedule, [10, 20, 40, 60, 60, 60], "doubling, capped at the maximum");

    // The practice is back.
    let calls = Cell::new(0);
    let round = inbox
        .deliver_due(clock, |item| {
            calls.set(calls.get() + 1);
            assert_eq!(item.id, id);
            Ok(())
        })
        .unwrap();
    assert_eq!((round.attempted, round.delivered, calls.get()), (1, 1, 1));
    assert_eq!(
        inbox.get(&practice(), id).unwrap().delivery,
        DeliveryState::Delivered { attempts: 7, delivered_at: clock }
    );
    // Delivered documents are not delivered again.
    assert_eq!(inbox.deliver_due(clock + TimeDelta::days(1), |_| panic!("delivered twice")).unwrap().attempted, 0);
}

#[test]
fn one_failing_document_does_not_hold_up_the_others() {
    let (_dir, inbox) = open();
    let bad = inbox.submit(summary("ed-1"), now()).unwrap().id;
    let good = inbox.submit(summary("ed-2"), now()).unwrap().id;
    let round = inbox
        .deliver_due(now(), |item| if item.id == bad { Err(DeliveryError::new("rejected")) } else { Ok(()) })
        .unwrap();
    assert_eq!((round.attempted, round.delivered, round.failed), (2, 1, 1));
    assert_eq!(inbox.get(&practice(), good).unwrap().delivery.label(), "delivered");
    assert_eq!(inbox.pending().unwrap().iter().map(|item| item.id).collect::<Vec<_>>(), [bad]);
}

#[test]
fn nothing_is_lost_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let (id, next) = {
        let inbox = Inbox::open(&path).unwrap();
        let id = inbox.submit(summary("ed-1"), now()).unwrap().id;
        inbox.deliver_due(now(), |_| Err(DeliveryError::new("practice endpoint down"))).unwrap();
        let DeliveryState::Pending { next_attempt_at, .. } = inbox.get(&practice(), id).unwrap().delivery else {
            panic!("pending")
        };
        (id, next_attempt_at)
        // The process stops here: the inbox is dropped without any shutdown step.
    };
    let reopened = Inbox::open(&path).unwrap();
    let pending = reopened.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, id);
    assert!(matches!(pending[0].delivery, DeliveryState::Pending { attempts: 1, .. }));
    // The same document resent after the restart is still recognised.
    assert!(reopened.submit(summary("ed-1"), now()).unwrap().duplicate);
    let round = reopened.deliver_due(next, |_| Ok(())).unwrap();
    assert_eq!(round.delivered, 1);
    drop(reopened);
    let again = Inbox::open_read_only(&path).unwrap();
    assert_eq!(
        again.get(&practice(), id).unwrap().delivery,
        DeliveryState::Delivered { attempts: 2, delivered_at: next }
    );
    assert!(again.deliver_due(next, |_| Ok(())).is_err(), "a read-only inbox delivers nothing");
}

#[test]
fn the_inbox_lives_in_the_store_file_without_breaking_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("region.db");
    {
        let store = SqliteStore::create(&path).unwrap();
        let practice = openmig_domain::fixtures::example_practice();
        store
            .upsert_practices(&[PracticeEntry { practice, clinicians: openmig_domain::fixtures::example_clinicians() }])
            .unwrap();
        let record = openmig_domain::fixtures::example_record();
        store.upsert_records(&[PreparedRecord::prepare(&record, true, openmig_domain::fixtures::AS_OF)]).unwrap();
    }
    let header = |path: &std::path::Path| std::fs::read(path).unwrap()[60..72].to_vec();
    let before = header(&path);
    {
        let inbox = Inbox::open_existing(&path).unwrap();
        inbox.submit(summary("ed-1"), now()).unwrap();
        inbox.deliver_due(now(), |_| Ok(())).unwrap();
    }
    assert_eq!(header(&path), before, "user_version and application_id are the store's own");
    for store in [SqliteStore::open(&path).unwrap(), SqliteStore::open_read_only(&path).unwrap()] {
        store.check_integrity().unwrap();
        let nhs = openmig_domain::NhsNumber::parse(NHS).unwrap();
        assert!(store.record(nhs).unwrap().is_some());
        assert_eq!(store.practices().unwrap().len(), 1);
    }
    // And the other way round: the store opened read-write first, then the inbox again.
    let store = SqliteStore::open(&path).unwrap();
    let inbox = Inbox::open_read_only(&path).unwrap();
    assert_eq!(inbox.list(&practice(), StatusFilter::All).unwrap().len(), 1);
    drop(store);
}

#[test]
fn opening_refuses_a_missing_file_or_one_without_an_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    assert!(matches!(Inbox::open_existing(&missing), Err(InboxError::Missing(_))));
    assert!(matches!(Inbox::open_read_only(&missing), Err(InboxError::Missing(_))));
    assert!(!missing.exists());
    let store = dir.path().join("store.db");
    drop(SqliteStore::create(&store).unwrap());
    assert!(matches!(Inbox::open_read_only(&store), Err(InboxError::NoInbox(_))));
}

#[test]
fn submissions_from_many_threads_of_one_document_store_one_copy() {
    let (_dir, inbox) = open();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| inbox.submit(summary("ed-1"), now()).unwrap())).collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|submitted| !submitted.duplicate).count(), 1);
    assert!(results.iter().all(|submitted| submitted.id == results[0].id));
    assert_eq!(inbox.list(&practice(), StatusFilter::All).unwrap().len(), 1);
}

#[test]
fn a_practice_system_receives_a_delivered_document_once_and_never_sends_it_on() {
    let (_dir, practice_system) = open();
    let received = practice_system.receive(summary("ed-1"), now()).unwrap();
    assert!(!received.duplicate);
    let items = practice_system.list(&practice(), StatusFilter::All).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].delivery, DeliveryState::Delivered { attempts: 0, delivered_at: now() });
    // The gateway's outbox delivers at least once: a redelivery is the same copy.
    let again = practice_system.receive(summary("ed-1"), now() + TimeDelta::minutes(1)).unwrap();
    assert_eq!((again.id, again.duplicate), (received.id, true));
    let mut changed = bundle(NHS, "ed-1");
    changed["entry"][0]["resource"]["title"] = json!("Amended discharge summary");
    let changed = InboxDocument::new(practice(), common::parse(DocumentKind::Bundle, &changed), sender());
    assert_eq!(practice_system.receive(changed, now()).unwrap_err(), InboxError::Conflict(received.id));
    // Nothing is pending at the practice end.
    assert!(practice_system.pending().unwrap().is_empty());
    assert_eq!(practice_system.deliver_due(now() + TimeDelta::days(1), |_| panic!("sent on")).unwrap().attempted, 0);
}
