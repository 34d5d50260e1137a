//! Web users' passwords: argon2id with the crate's defaults (19 MiB, 2 passes, OWASP's
//! recommendation) and generated first passwords. The limits on guessing are in
//! [`crate::logins`].

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
}
