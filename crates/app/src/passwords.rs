//! Web users' passwords: argon2id with the crate's defaults (19 MiB, 2 passes, OWASP's
//! recommendation), generated first passwords, and a limit on failed log-ins.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The argon2id PHC string of `password`. Slow on purpose: call it off the async threads.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the PHC string `stored`. With no stored hash (an unknown
/// address) it still does the same work, so that timing does not tell which addresses exist.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash("not a password").unwrap_or_default());
    let (stored, real) = match stored {
        Some(s) => (s, true),
        None => (DUMMY.as_str(), false),
    };
    let ok = PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    });
    ok && real
}

/// A first password: 120 random bits, 20 characters a person can copy.
pub fn generate() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 15]>())
}

/// Failed log-ins allowed per e-mail address in a window.
pub const MAX_FAILURES: u32 = 5;
/// Failed log-ins allowed per client (an IPv4 address, an IPv6 /64) in a window, whatever
/// the addresses tried: one client guessing across many accounts is stopped too.
pub const MAX_CLIENT_FAILURES: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Counts failed log-ins in memory, per (lower-cased) e-mail address and per client: after
/// [`MAX_FAILURES`] for an address, or [`MAX_CLIENT_FAILURES`] from a client, in [`WINDOW`],
/// that address or client is refused until the window ends.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Email(String),
    Client(IpAddr),
}

impl Key {
    fn client(ip: IpAddr) -> Self {
        Self::Client(match ip {
            // One household or host usually holds a whole /64.
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
            },
            v4 => v4,
        })
    }
}

impl LoginLimiter {
    /// Whether a log-in for `email` from `client` may be tried now; if so, the attempt is
    /// counted at once (as a failure until [`Self::succeeded`] says otherwise), so that
    /// parallel guesses cannot all slip under the limit while the password is checked.
    pub fn begin(&self, email: &str, client: Option<IpAddr>) -> bool {
        let Ok(mut map) = self.failures.lock() else {
            return true;
        };
        let now = Instant::now();
        map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        let email = Key::Email(email.to_lowercase());
        let client = client.map(Key::client);
        let under = |key: &Key, max: u32| map.get(key).is_none_or(|(n, _)| *n < max);
        let allowed = under(&email, MAX_FAILURES)
            && client
                .as_ref()
                .is_none_or(|c| under(c, MAX_CLIENT_FAILURES));
        if allowed {
            for key in std::iter::once(email).chain(client) {
                map.entry(key).or_insert((0, now)).0 += 1;
            }
        }
        allowed
    }

    /// The attempt begun was right: the address's count is cleared, and the client's loses
    /// this attempt only (one account of one's own must not reset guessing at others').
    pub fn succeeded(&self, email: &str, client: Option<IpAddr>) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&Key::Email(email.to_lowercase()));
            if let Some(c) = client.map(Key::client)
                && let Some((n, _)) = map.get_mut(&c)
            {
                *n = n.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_refuse() {
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse", Some(&stored)));
        assert!(!verify("correct hors", Some(&stored)));
        assert!(!verify("correct horse", None));
        assert!(!verify("x", Some("not a phc string")));
        assert_ne!(hash("same").unwrap(), hash("same").unwrap(), "salted");
        assert_eq!(generate().len(), 20);
    }

    #[test]
    fn the_limiter_stops_guessing_per_address() {
        let l = LoginLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(l.begin("Ada@Example.it", None));
        }
        assert!(!l.begin("ADA@example.it", None));
        assert!(l.begin("other@example.it", None));
        l.succeeded("ada@example.it", None);
        assert!(l.begin("ada@example.it", None));
    }

    #[test]
    fn the_limiter_stops_guessing_per_client() {
        let l = LoginLimiter::default();
        let client: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let neighbour: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        // A success gives back its own attempt only.
        assert!(l.begin("mine@example.it", Some(client)));
        l.succeeded("mine@example.it", Some(client));
        for i in 0..MAX_CLIENT_FAILURES {
            assert!(l.begin(&format!("user{i}@example.it"), Some(client)));
        }
        // Every address is refused from that /64, and none elsewhere.
        assert!(!l.begin("new@example.it", Some(client)));
        assert!(!l.begin("new@example.it", Some(neighbour)));
        assert!(l.begin("new@example.it", Some(elsewhere)));
        // IPv4 as itself, mapped or not.
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        for i in 0..MAX_CLIENT_FAILURES {
            assert!(l.begin(&format!("x{i}@example.it"), Some(mapped)));
        }
        assert!(!l.begin("y@example.it", Some(v4)));
    }
}
