//! Secrets (API keys, invitation tokens, edit tokens) are shown once and stored only as
//! SHA-256 hashes. They carry at least 128 bits of entropy, so a fast hash is the right one:
//! a slow password hash would add nothing but latency.

use sha2::{Digest, Sha256};
use std::fmt;

/// The hash under which a secret token is stored and looked up.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// A hash no token has (finding a SHA-256 preimage of all zeroes is infeasible): what
    /// stands for the edit token of a review whose author is not here (an imported one).
    pub const NONE: Self = Self([0; 32]);

    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Equality in constant time: how long a comparison takes says nothing of where two
    /// hashes differ. (Hand-written: a fold over 32 bytes; `subtle` would be a dependency
    /// for one line.)
    pub fn ct_eq(&self, other: &TokenHash) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A secret in clear, as it travels from the generator to the one response that shows it.
/// Its `Debug` is redacted so that it cannot reach a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::new("ppk_supersecret".into());
        assert!(!format!("{s:?}").contains("supersecret"));
        assert_eq!(format!("{:?}", s.hash()), "TokenHash(..)");
    }

    #[test]
    fn hash_is_sha256() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(TokenHash::of("abc").0[..4], [0xba, 0x78, 0x16, 0xbf]);
    }
}
