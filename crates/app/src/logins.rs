//! What stands between a password guesser and the accounts: failed log-ins counted per
//! (address, client), per client and per address, and a bound on how many passwords are
//! hashed at once (argon2id takes 19 MiB each: unbounded, 300 parallel log-ins took one
//! process to 5.8 GiB).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Failed log-ins allowed for one address from one client in a window.
pub const MAX_FAILURES: u32 = 5;
/// Failed log-ins allowed per client (an IPv4 address, an IPv6 /64) in a window, whatever
/// the addresses tried: one client guessing across many accounts is stopped too.
pub const MAX_CLIENT_FAILURES: u32 = 20;
/// Failed log-ins for one address from all clients together in a window. Past it, only a
/// client that has not failed for the address may try it (once), so a guesser with many
/// clients cannot lock its owner out, nor guess on at the rate of its clients.
pub const MAX_ADDRESS_FAILURES: u32 = 100;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Counters kept at most: past this, attempts that would need a new one are refused (a
/// guesser with many IPv6 networks must not grow the map without end).
const MAX_TRACKED: usize = 200_000;

/// Why an attempt was refused before its password was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// This client failed too often for this address.
    Pair,
    /// This client failed too often, across addresses.
    Client,
    /// The address failed too often from everywhere, and this client has failed for it.
    Address,
    /// Too many counters: the limiter refuses what it cannot count.
    Full,
}

/// Counts failed log-ins in memory; see the module's constants for the limits.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, Option<IpAddr>),
    Address(String),
    Client(IpAddr),
}

/// One household or host usually holds a whole IPv6 /64; IPv4-mapped addresses are IPv4.
pub(crate) fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

impl LoginLimiter {
    /// Whether a log-in for `email` from `client` may be tried now; if so, the attempt is
    /// counted at once (as a failure until [`Self::succeeded`] says otherwise), so that
    /// parallel guesses cannot all slip under the limit while the password is checked.
    pub fn begin(&self, email: &str, client: Option<IpAddr>) -> Result<(), Limit> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        let email = email.to_lowercase();
        let client = client.map(network);
        let keys = [
            Some(Key::Pair(email.clone(), client)),
            Some(Key::Address(email)),
            client.map(Key::Client),
        ];
        let count = |key: &Option<Key>| key.as_ref().and_then(|k| map.get(k)).map_or(0, |v| v.0);
        let [pair, address, by_client] = [count(&keys[0]), count(&keys[1]), count(&keys[2])];
        if by_client >= MAX_CLIENT_FAILURES {
            return Err(Limit::Client);
        }
        if pair >= MAX_FAILURES {
            return Err(Limit::Pair);
        }
        if address >= MAX_ADDRESS_FAILURES && pair > 0 {
            return Err(Limit::Address);
        }
        if map.len() + 3 > MAX_TRACKED {
            return Err(Limit::Full);
        }
        for key in keys.into_iter().flatten() {
            map.entry(key).or_insert((0, now)).0 += 1;
        }
        Ok(())
    }

    /// The attempt begun was right: the pair's count is cleared, and the address's and the
    /// client's lose this attempt only (one account of one's own must not reset guessing at
    /// others', nor the owner's log-in a guesser's count of the owner's address).
    pub fn succeeded(&self, email: &str, client: Option<IpAddr>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let email = email.to_lowercase();
        let client = client.map(network);
        map.remove(&Key::Pair(email.clone(), client));
        for key in std::iter::once(Key::Address(email)).chain(client.map(Key::Client)) {
            if let Some((n, _)) = map.get_mut(&key) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

/// Bounds the passwords hashed at once to the cores (more would only queue in memory), and
/// the log-ins waiting for a turn; past both, a log-in is told to come back.
#[derive(Debug)]
pub struct HashingGate {
    running: Semaphore,
    waiting: Semaphore,
    patience: Duration,
}

/// No turn to hash a password soon enough: the server is busy hashing others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// At most this many passwords hashed at once, however many cores: 8 × 19 MiB.
const MAX_HASHING: usize = 8;

impl Default for HashingGate {
    /// One hash a core (at most [`MAX_HASHING`]), eight log-ins in line for each, waiting two
    /// seconds at most.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let running = cores.min(MAX_HASHING);
        Self::new(running, running * 8, Duration::from_secs(2))
    }
}

impl HashingGate {
    pub fn new(running: usize, waiting: usize, patience: Duration) -> Self {
        Self {
            running: Semaphore::new(running.max(1)),
            waiting: Semaphore::new(waiting),
            patience,
        }
    }

    /// A turn to hash: at once if one is free, else after waiting in line at most the
    /// gate's patience; [`Busy`] when the line is full or the wait too long.
    pub async fn turn(&self) -> Result<SemaphorePermit<'_>, Busy> {
        if let Ok(permit) = self.running.try_acquire() {
            return Ok(permit);
        }
        let _in_line = self.waiting.try_acquire().map_err(|_| Busy)?;
        match tokio::time::timeout(self.patience, self.running.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn one_client_cannot_lock_the_owner_out() {
        let l = LoginLimiter::default();
        let attacker = ip("192.0.2.66");
        let owner = ip("198.51.100.7");
        for _ in 0..MAX_FAILURES {
            l.begin("Ada@Example.it", attacker).unwrap();
        }
        assert_eq!(l.begin("ADA@example.it", attacker), Err(Limit::Pair));
        // The owner, elsewhere, is not locked out, and a success clears only its own pair.
        l.begin("ada@example.it", owner).unwrap();
        l.succeeded("ada@example.it", owner);
        assert_eq!(l.begin("ada@example.it", attacker), Err(Limit::Pair));
        // Another address from the attacker is still allowed (under the client limit).
        l.begin("other@example.it", attacker).unwrap();
    }

    #[test]
    fn many_clients_meet_the_address_ceiling_but_a_clean_client_gets_through() {
        let l = LoginLimiter::default();
        let mut n = 0;
        'outer: for a in 0..=255u8 {
            for _ in 1..MAX_FAILURES {
                if n == MAX_ADDRESS_FAILURES {
                    break 'outer;
                }
                l.begin("ada@example.it", ip(&format!("203.0.113.{a}")))
                    .unwrap();
                n += 1;
            }
        }
        // A client that failed for the address is refused, even under its pair limit...
        assert_eq!(
            l.begin("ada@example.it", ip("203.0.113.0")),
            Err(Limit::Address)
        );
        // ...one that never failed for it may try, once.
        let owner = ip("198.51.100.7");
        l.begin("ada@example.it", owner).unwrap();
        assert_eq!(l.begin("ada@example.it", owner), Err(Limit::Address));
    }

    #[test]
    fn the_limiter_stops_guessing_per_client() {
        let l = LoginLimiter::default();
        let client = ip("2001:db8:1:2:aaaa::1");
        let neighbour = ip("2001:db8:1:2:bbbb::2");
        let elsewhere = ip("2001:db8:1:3::1");
        // A success gives back its own attempt only.
        l.begin("mine@example.it", client).unwrap();
        l.succeeded("mine@example.it", client);
        for i in 0..MAX_CLIENT_FAILURES {
            l.begin(&format!("user{i}@example.it"), client).unwrap();
        }
        // Every address is refused from that /64, and none elsewhere.
        assert_eq!(l.begin("new@example.it", client), Err(Limit::Client));
        assert_eq!(l.begin("new@example.it", neighbour), Err(Limit::Client));
        l.begin("new@example.it", elsewhere).unwrap();
        // IPv4 as itself, mapped or not.
        for i in 0..MAX_CLIENT_FAILURES {
            l.begin(&format!("x{i}@example.it"), ip("::ffff:192.0.2.7"))
                .unwrap();
        }
        assert_eq!(l.begin("y@example.it", ip("192.0.2.7")), Err(Limit::Client));
    }

    #[test]
    fn an_unknown_client_is_limited_per_address() {
        let l = LoginLimiter::default();
        for _ in 0..MAX_FAILURES {
            l.begin("ada@example.it", None).unwrap();
        }
        assert_eq!(l.begin("ada@example.it", None), Err(Limit::Pair));
    }

    #[tokio::test]
    async fn the_gate_lets_a_bounded_number_hash_and_wait() {
        let gate = HashingGate::new(1, 1, Duration::from_millis(50));
        let first = gate.turn().await.unwrap();
        // The second waits in line and gives up after its patience; with the line taken,
        // a third is refused at once.
        let (second, third) = tokio::join!(gate.turn(), async {
            tokio::task::yield_now().await;
            gate.turn().await
        });
        assert_eq!(second.err(), Some(Busy));
        assert_eq!(third.err(), Some(Busy));
        drop(first);
        assert!(gate.turn().await.is_ok());
    }
}
