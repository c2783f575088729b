//! Fault injection: added latency, 500s, 429s with Retry-After, hanging requests, dropped
//! watches and expiring continue tokens, switchable at run time by the tests.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

/// What to inject. The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSettings {
    /// Added to every API request before it is answered.
    pub latency: Duration,
    /// Fraction (0..=1) of API requests answered with 500.
    pub error_rate: f64,
    /// Fraction (0..=1) of API requests answered with 429 and `Retry-After`.
    pub throttle_rate: f64,
    pub retry_after_seconds: u64,
    /// Fraction (0..=1) of API requests that never get an answer.
    pub hang_rate: f64,
    /// End every watch stream after this many events.
    pub watch_drop_after: Option<usize>,
    /// Commit every real (not dry-run) write, then never answer it: a connection lost after
    /// the server acted, so the client cannot know whether the change was made.
    pub lose_write_answers: bool,
    /// Answer every request that carries a `continue` token with 410 Gone.
    pub expire_continue: bool,
    /// Close the connection of every real write without an answer, before or after the
    /// server acted on it.
    pub drop_write_connections: Option<DropPoint>,
    /// Commit every real write, then answer it 504 Gateway Timeout, as a proxy in front of the
    /// API server that gave up waiting for it would.
    pub gateway_timeout_after_commit: bool,
}

/// When a dropped write connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropPoint {
    /// The write was received and not acted on: nothing changed.
    BeforeCommit,
    /// The write was committed: the change is made, the client never hears of it.
    AfterCommit,
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    None,
    ServerError,
    Throttle(u64),
    Hang,
}

pub struct Faults {
    settings: RwLock<FaultSettings>,
    rng: Mutex<StdRng>,
    /// How many requests were left hanging: they never reach the request log.
    hung: AtomicU64,
}

impl Faults {
    pub fn new(settings: FaultSettings, seed: u64) -> Self {
        Self {
            settings: RwLock::new(settings),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            hung: AtomicU64::new(0),
        }
    }

    pub fn settings(&self) -> FaultSettings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set(&self, settings: FaultSettings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    /// Requests the fault layer has left hanging so far.
    pub fn hung(&self) -> u64 {
        self.hung.load(Ordering::Relaxed)
    }

    /// Roll the dice for one request.
    pub fn decide(&self) -> (Duration, Injected) {
        let s = self.settings();
        if s.error_rate <= 0.0 && s.throttle_rate <= 0.0 && s.hang_rate <= 0.0 {
            return (s.latency, Injected::None);
        }
        let roll: f64 = self.rng.lock().unwrap_or_else(|e| e.into_inner()).random();
        let injected = if roll < s.hang_rate {
            Injected::Hang
        } else if roll < s.hang_rate + s.error_rate {
            Injected::ServerError
        } else if roll < s.hang_rate + s.error_rate + s.throttle_rate {
            Injected::Throttle(s.retry_after_seconds.max(1))
        } else {
            Injected::None
        };
        if injected == Injected::Hang {
            self.hung.fetch_add(1, Ordering::Relaxed);
        }
        (s.latency, injected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_honoured_roughly_and_default_injects_nothing() {
        let faults = Faults::new(FaultSettings::default(), 7);
        assert!((0..100).all(|_| faults.decide().1 == Injected::None));
        faults.set(FaultSettings {
            error_rate: 0.2,
            ..Default::default()
        });
        let errors = (0..10_000)
            .filter(|_| faults.decide().1 == Injected::ServerError)
            .count();
        assert!(
            (1_500..2_500).contains(&errors),
            "{errors} errors of 10000 at a 20% rate"
        );
        faults.set(FaultSettings {
            throttle_rate: 1.0,
            retry_after_seconds: 2,
            ..Default::default()
        });
        assert_eq!(faults.decide().1, Injected::Throttle(2));
        assert_eq!(faults.hung(), 0);
        faults.set(FaultSettings {
            hang_rate: 1.0,
            ..Default::default()
        });
        assert_eq!(faults.decide().1, Injected::Hang);
        assert_eq!(faults.hung(), 1, "hung requests are counted");
    }
}
