//! Limits on writes: each kind of write is counted per credential (the edit token, API key
//! or session that makes it) and per client (an IPv4 address, an IPv6 /64), with
//! `governor`'s GCRA: a burst allowed at once, then a steady rate. A write past either limit
//! is refused with the time to wait. Every review change is a permanent log entry, so a
//! token that could write as fast as the server commits (1,500 edits in a second, before)
//! would flood the log.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use domain::secret::TokenHash;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// The kinds of write, each with its own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A reviewer's edit, withdrawal, erasure or follow-up, per edit token.
    ReviewChange,
    /// A business's reply, per API key or session.
    Reply,
    /// An invitation, per API key or session.
    Invitation,
    /// A review submitted from an invitation (each invitation is single-use: per client).
    Submission,
    /// An API key created or revoked, or a colleague managed (disabled, enabled, signed
    /// out, a password reset), per session.
    Account,
    /// An unsubscribe (the page's button or a mail client's one-click POST), per link.
    Unsubscribe,
}

const ACTIONS: [Action; 6] = [
    Action::ReviewChange,
    Action::Reply,
    Action::Invitation,
    Action::Submission,
    Action::Account,
    Action::Unsubscribe,
];

/// A limit: `burst` at once, then one more every `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub every: Duration,
}

impl Rate {
    const fn new(burst: u32, every: Duration) -> Self {
        Self { burst, every }
    }

    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.every)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst)
    }
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

const fn millis(n: u64) -> Duration {
    Duration::from_millis(n)
}

impl Action {
    /// The default limit per credential, and per client.
    pub const fn rates(self) -> (Rate, Rate) {
        match self {
            // 10 at once, then 30 an hour: more than a person edits, far less than a flood.
            Action::ReviewChange => (Rate::new(10, secs(120)), Rate::new(60, secs(1))),
            // 60 at once, then 120 an hour: a busy inbox answered by hand, or a backlog.
            Action::Reply => (Rate::new(60, secs(30)), Rate::new(60, secs(1))),
            // A shop's backlog at once, then 20 a second.
            Action::Invitation => (Rate::new(500, millis(50)), Rate::new(500, millis(50))),
            // No credential but the single-use invitation: 30 at once, then 10 a minute.
            Action::Submission => (Rate::new(30, secs(6)), Rate::new(30, secs(6))),
            // 10 at once, then 10 an hour (per client 20, then 20 an hour).
            Action::Account => (Rate::new(10, secs(360)), Rate::new(20, secs(180))),
            // Idempotent: 5 at once, then one a minute (per client 30, then 10 a minute).
            Action::Unsubscribe => (Rate::new(5, secs(60)), Rate::new(30, secs(6))),
        }
    }

    /// The name of the limit, for logs and metrics.
    pub const fn name(self) -> &'static str {
        match self {
            Action::ReviewChange => "review-change",
            Action::Reply => "reply",
            Action::Invitation => "invitation",
            Action::Submission => "submission",
            Action::Account => "account",
            Action::Unsubscribe => "unsubscribe",
        }
    }
}

/// Refused: try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

/// The limiters of every action, per credential and per client; or none (`--no-rate-limits`,
/// for benchmarks).
#[derive(Debug)]
pub struct Limits {
    per_credential: Option<Vec<DefaultKeyedRateLimiter<[u8; 32]>>>,
    per_client: Option<Vec<DefaultKeyedRateLimiter<IpAddr>>>,
    clock: DefaultClock,
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(true)
    }
}

impl Limits {
    /// The default limits, or (`enabled == false`) none at all.
    pub fn new(enabled: bool) -> Self {
        fn each<K: std::hash::Hash + Eq + Clone>(
            pick: fn((Rate, Rate)) -> Rate,
        ) -> Vec<DefaultKeyedRateLimiter<K>> {
            ACTIONS
                .iter()
                .map(|a| DefaultKeyedRateLimiter::keyed(pick(a.rates()).quota()))
                .collect()
        }
        Self {
            per_credential: enabled.then(|| each(|(c, _)| c)),
            per_client: enabled.then(|| each(|(_, c)| c)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one `action` by the holder of `credential` (the secret as sent; only its hash
    /// is kept) from `client`, or refuses it. The client is counted first: a client trying
    /// made-up credentials runs out as fast as one trying a real one.
    pub fn admit(
        &self,
        action: Action,
        credential: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<(), Limited> {
        let (Some(by_credential), Some(by_client)) = (&self.per_credential, &self.per_client)
        else {
            return Ok(());
        };
        let slot = action as usize;
        let now = self.clock.now();
        let refuse = |not_until: governor::NotUntil<_>| {
            tracing::warn!(limit = action.name(), "write refused by its rate limit");
            metrics::counter!("passaparola_rate_limited_total", "limit" => action.name())
                .increment(1);
            Limited {
                retry_after: not_until.wait_time_from(now),
            }
        };
        if let Some(ip) = client {
            by_client[slot]
                .check_key(&crate::logins::network(ip))
                .map_err(refuse)?;
        }
        if let Some(secret) = credential {
            let key = TokenHash::of(secret).0;
            by_credential[slot].check_key(&key).map_err(refuse)?;
        }
        Ok(())
    }

    /// Forgets credentials and clients whose limits have refilled: without this, every
    /// token ever seen would stay in memory.
    pub fn forget_idle(&self) {
        for l in self.per_credential.iter().flatten() {
            l.retain_recent();
            l.shrink_to_fit();
        }
        for l in self.per_client.iter().flatten() {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_past_its_burst_waits_and_others_do_not() {
        let limits = Limits::default();
        let (rate, _) = Action::ReviewChange.rates();
        for _ in 0..rate.burst {
            limits
                .admit(Action::ReviewChange, Some("ppe_one"), None)
                .unwrap();
        }
        let refused = limits
            .admit(Action::ReviewChange, Some("ppe_one"), None)
            .unwrap_err();
        assert!(refused.retry_after > Duration::ZERO && refused.retry_after <= rate.every);
        limits
            .admit(Action::ReviewChange, Some("ppe_two"), None)
            .unwrap();
        // Another kind of write by the same credential has its own limit.
        limits.admit(Action::Reply, Some("ppe_one"), None).unwrap();
    }

    #[test]
    fn a_client_past_its_burst_waits_whatever_credential_it_sends() {
        let limits = Limits::default();
        let client: IpAddr = "2001:db8::1".parse().unwrap();
        let neighbour: IpAddr = "2001:db8::2".parse().unwrap();
        let (_, rate) = Action::Submission.rates();
        for _ in 0..rate.burst {
            limits
                .admit(Action::Submission, None, Some(client))
                .unwrap();
        }
        assert!(
            limits
                .admit(Action::Submission, None, Some(neighbour))
                .is_err()
        );
        assert!(
            limits
                .admit(Action::Submission, None, Some("192.0.2.1".parse().unwrap()))
                .is_ok()
        );
    }

    #[test]
    fn without_limits_everything_is_admitted() {
        let limits = Limits::new(false);
        for _ in 0..1000 {
            limits
                .admit(
                    Action::Account,
                    Some("s"),
                    Some("192.0.2.1".parse().unwrap()),
                )
                .unwrap();
        }
        limits.forget_idle();
    }
}
