//! The outbox: getting accepted documents to the practice, however long its endpoint
//! is down.
//!
//! Each document is accepted into the inbox file first (durable) with delivery state
//! `pending`, due at once. [`Inbox::deliver_due`](crate::Inbox::deliver_due) hands every
//! due document to a delivery function; success marks it `delivered`, failure counts the
//! attempt and schedules the next one after [`RetryPolicy::delay`]: exponential
//! backoff, capped, with "equal jitter" so that a practice coming back is not hit by
//! every document at the same instant. Nothing is ever dropped: a document stays
//! pending, retried at the capped interval, until it is delivered.
//!
//! The jitter is a deterministic function of the document and the attempt number, so
//! that schedules are reproducible in tests while still spreading documents apart.

use std::fmt;
use std::time::Duration;

use crate::inbox::{InboxId, InboxItem};

/// Where documents are delivered: the practice's endpoint.
///
/// `openmig serve` delivers to each practice's own system over mutual TLS (the
/// gateway's `PracticeDelivery`, which keeps it with [`Inbox::receive`](crate::Inbox::receive)
/// at the other end). Called from a blocking thread, one document at a time.
pub trait Delivery: Send + Sync {
    /// Delivers one document. An error means "try again later": the outbox keeps the
    /// document pending and retries it with backoff, so an error must not be returned
    /// after the practice has confirmed receipt (a redelivery is harmless anyway: the
    /// practice end de-duplicates by identifier).
    fn deliver(&self, item: &InboxItem) -> Result<(), DeliveryError>;
}

/// For a deployment where practices read their inbox at the gateway only
/// (`/practices/{ODS}/inbox`) and have no endpoint of their own: the document is
/// already where they will read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalDelivery;

impl Delivery for LocalDelivery {
    fn deliver(&self, _item: &InboxItem) -> Result<(), DeliveryError> {
        Ok(())
    }
}

/// Why a delivery attempt failed (kept with the document as its last error). Say what
/// failed, never what the document holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    message: String,
    unreachable: bool,
}

/// The longest delivery error message kept.
const MAX_ERROR_CHARS: usize = 200;

impl DeliveryError {
    /// A failure of this document described by `message` (clipped to 200 characters),
    /// e.g. the practice refused it.
    pub fn new(message: impl Into<String>) -> DeliveryError {
        DeliveryError { message: message.into().chars().take(MAX_ERROR_CHARS).collect(), unreachable: false }
    }

    /// A failure of the practice's endpoint rather than of this document (unreachable,
    /// timed out, failing): its other documents would fail the same way just now.
    pub fn unreachable(message: impl Into<String>) -> DeliveryError {
        DeliveryError { unreachable: true, ..DeliveryError::new(message) }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the practice's endpoint failed, not just this document.
    pub fn is_unreachable(&self) -> bool {
        self.unreachable
    }
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeliveryError {}

/// When to try again after a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure (default 10 s); it doubles after each further one.
    pub first_delay: Duration,
    /// The longest wait (default 15 minutes).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { first_delay: Duration::from_secs(10), max_delay: Duration::from_secs(15 * 60) }
    }
}

impl RetryPolicy {
    /// The exponential delay before jitter after `attempts` failed attempts (≥ 1):
    /// `first_delay × 2^(attempts − 1)`, capped at `max_delay`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(31);
        self.first_delay.saturating_mul(1u32 << doublings).min(self.max_delay)
    }

    /// The wait before the next attempt of document `id` after `attempts` failed
    /// attempts: [`backoff`](Self::backoff) with equal jitter, i.e. between half of it
    /// and all of it, the point chosen by a hash of (`id`, `attempts`).
    /// Whole milliseconds, the resolution the inbox stores times in.
    pub fn delay(&self, id: InboxId, attempts: u32) -> Duration {
        let backoff = u64::try_from(self.backoff(attempts).as_millis()).unwrap_or(u64::MAX);
        let half = backoff / 2;
        let fraction = unit_interval(splitmix64(id.value() ^ (u64::from(attempts) << 40)));
        Duration::from_millis(half + ((backoff - half) as f64 * fraction) as u64)
    }
}

/// What one [`deliver_due`](crate::Inbox::deliver_due) call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    /// Documents handed to the delivery function.
    pub attempted: usize,
    /// Of those, delivered.
    pub delivered: usize,
    /// Of those, failed and rescheduled.
    pub failed: usize,
}

/// SplitMix64: a small, well-mixed hash of a 64-bit value.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash as a number in [0, 1).
fn unit_interval(hash: u64) -> f64 {
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_backoff_doubles_from_the_first_delay_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let seconds: Vec<u64> = (1..=9).map(|attempts| policy.backoff(attempts).as_secs()).collect();
        assert_eq!(seconds, [10, 20, 40, 80, 160, 320, 640, 900, 900]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(900));
    }

    #[test]
    fn the_jitter_spreads_documents_but_is_reproducible() {
        let policy = RetryPolicy::default();
        let delays: Vec<Duration> = (1..=20).map(|id| policy.delay(InboxId::new(id), 3)).collect();
        assert_eq!(delays, (1..=20).map(|id| policy.delay(InboxId::new(id), 3)).collect::<Vec<_>>());
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 15, "documents retry at different moments: {delays:?}");
    }

    proptest! {
        /// Whatever the document and attempt, the wait lies in [backoff/2, backoff] and
        /// never exceeds the cap.
        #[test]
        fn the_delay_lies_between_half_the_backoff_and_the_backoff(id in 1u64..u64::MAX / 2, attempts in 1u32..200) {
            let policy = RetryPolicy::default();
            let delay = policy.delay(InboxId::new(id), attempts);
            let backoff = policy.backoff(attempts);
            prop_assert!(delay >= backoff / 2 && delay <= backoff, "{delay:?} outside [{:?}, {backoff:?}]", backoff / 2);
            prop_assert!(delay <= policy.max_delay);
        }
    }
}
