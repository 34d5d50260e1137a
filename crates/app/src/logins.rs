//! What stands between a password guesser and the accounts: failed log-ins counted per
//! (address, client), per client and per address, and a bound on how many passwords are
//! hashed at once (argon2id takes 19 MiB each: unbounded, 300 parallel log-ins took one
//! process to 5.8 GiB).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
/// The longest e-mail address there is (RFC 5321's path limit): a longer one is refused
/// before it is counted.
pub const MAX_ADDRESS_LEN: usize = 254;
/// Counters kept at most. Past it the oldest tenth is forgotten: a guesser with many IPv6
/// networks can then guess a little more, but can neither grow the memory without end nor
/// lock everyone out by filling it.
const MAX_TRACKED: usize = 200_000;
/// How often expired counters are swept (not on every attempt: the map may be large).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Why an attempt was refused before its password was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// This client failed too often for this address.
    Pair,
    /// This client failed too often, across addresses.
    Client,
    /// The address failed too often from everywhere, and this client has failed for it.
    Address,
}

/// Counts failed log-ins in memory; see the module's constants for the limits.
#[derive(Debug)]
pub struct LoginLimiter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    failures: HashMap<Key, (u32, Instant)>,
    swept: Instant,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                failures: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }
}

/// An address, as the limiter keeps it: a fixed-size digest of its lower-cased form.
type Address = [u8; 32];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(Address, Option<IpAddr>),
    Address(Address),
    Client(IpAddr),
}

fn address(email: &str) -> Address {
    use sha2::{Digest, Sha256};
    Sha256::digest(email.to_lowercase().as_bytes()).into()
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

/// The three counters an attempt moves.
fn keys(email: &str, client: Option<IpAddr>) -> [Option<Key>; 3] {
    let address = address(email);
    let client = client.map(network);
    [
        Some(Key::Pair(address, client)),
        Some(Key::Address(address)),
        client.map(Key::Client),
    ]
}

impl State {
    fn count(&self, key: &Option<Key>) -> u32 {
        key.as_ref()
            .and_then(|k| self.failures.get(k))
            .map_or(0, |v| v.0)
    }

    /// Drops expired counters (at most once a [`SWEEP_EVERY`]) and, past [`MAX_TRACKED`],
    /// the oldest tenth.
    fn sweep(&mut self, now: Instant) {
        if now.duration_since(self.swept) >= SWEEP_EVERY {
            self.failures
                .retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
            self.swept = now;
        }
        if self.failures.len() + 3 > MAX_TRACKED {
            let mut starts: Vec<Instant> = self.failures.values().map(|(_, s)| *s).collect();
            let tenth = starts.len() / 10;
            let (_, cut, _) = starts.select_nth_unstable(tenth);
            let cut = *cut;
            self.failures.retain(|_, (_, since)| *since > cut);
            tracing::warn!("the log-in limiter forgot its oldest counters (too many tracked)");
        }
    }

    fn take_back(&mut self, key: &Key) {
        if let Some((n, _)) = self.failures.get_mut(key) {
            *n = n.saturating_sub(1);
        }
    }
}

impl LoginLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a log-in for `email` from `client` may be tried now; if so, the attempt is
    /// counted at once (as a failure until [`Self::succeeded`] or [`Self::abandon`] says
    /// otherwise), so that parallel guesses cannot all slip under the limit while the
    /// password is checked.
    pub fn begin(&self, email: &str, client: Option<IpAddr>) -> Result<(), Limit> {
        let mut state = self.lock();
        let now = Instant::now();
        let expired = |v: &(u32, Instant)| now.duration_since(v.1) >= WINDOW;
        let keys = keys(email, client);
        for key in keys.iter().flatten() {
            if state.failures.get(key).is_some_and(expired) {
                state.failures.remove(key);
            }
        }
        let [pair, by_address, by_client] = [
            state.count(&keys[0]),
            state.count(&keys[1]),
            state.count(&keys[2]),
        ];
        if by_client >= MAX_CLIENT_FAILURES {
            return Err(Limit::Client);
        }
        if pair >= MAX_FAILURES {
            return Err(Limit::Pair);
        }
        if by_address >= MAX_ADDRESS_FAILURES && pair > 0 {
            return Err(Limit::Address);
        }
        state.sweep(now);
        for key in keys.into_iter().flatten() {
            state.failures.entry(key).or_insert((0, now)).0 += 1;
        }
        Ok(())
    }

    /// The attempt begun was right: the pair's count is cleared, and the address's and the
    /// client's lose this attempt only (one account of one's own must not reset guessing at
    /// others', nor the owner's log-in a guesser's count of the owner's address).
    pub fn succeeded(&self, email: &str, client: Option<IpAddr>) {
        let mut state = self.lock();
        let [pair, address, by_client] = keys(email, client);
        if let Some(pair) = pair {
            state.failures.remove(&pair);
        }
        for key in address.iter().chain(by_client.iter()) {
            state.take_back(key);
        }
    }

    /// The attempt begun was never checked (no turn to hash it, a storage failure): it is
    /// no failure, and every count it moved is given back.
    pub fn abandon(&self, email: &str, client: Option<IpAddr>) {
        let mut state = self.lock();
        for key in keys(email, client).iter().flatten() {
            state.take_back(key);
        }
    }
}

/// Bounds the passwords hashed at once to the cores (more would only queue in memory), and
/// the log-ins waiting for a turn; past both, a log-in is told to come back.
#[derive(Debug)]
pub struct HashingGate {
    running: Arc<Semaphore>,
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
            running: Arc::new(Semaphore::new(running.max(1))),
            waiting: Semaphore::new(waiting),
            patience,
        }
    }

    /// A turn to hash: at once if one is free, else after waiting in line at most the
    /// gate's patience; [`Busy`] when the line is full or the wait too long. The turn is
    /// owned: move it into the blocking task that hashes, so that it lasts as long as the
    /// hash does even if the request that asked goes away.
    pub async fn turn(&self) -> Result<OwnedSemaphorePermit, Busy> {
        if let Ok(permit) = self.running.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let _in_line = self.waiting.try_acquire().map_err(|_| Busy)?;
        match tokio::time::timeout(self.patience, self.running.clone().acquire_owned()).await {
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
    fn an_abandoned_attempt_is_no_failure() {
        let l = LoginLimiter::default();
        let client = ip("192.0.2.5");
        for _ in 0..MAX_FAILURES * 3 {
            l.begin("ada@example.it", client).unwrap();
            l.abandon("ada@example.it", client);
        }
        for _ in 0..MAX_FAILURES {
            l.begin("ada@example.it", client).unwrap();
        }
        assert_eq!(l.begin("ada@example.it", client), Err(Limit::Pair));
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
