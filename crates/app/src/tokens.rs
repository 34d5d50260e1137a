//! Secrets: generation and the instance key.
//!
//! API keys and edit tokens are 256 random bits, shown once and stored as hashes.
//! Invitation tokens are HMAC-SHA-256(instance key, invitation id): as unguessable as random
//! ones to anyone without the instance key, stored only as hashes too, and yet derivable
//! again, so that a shop that repeats an invitation request (same reference) receives the
//! same link rather than a second invitation.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::ids::InvitationId;
use domain::secret::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefixes tell a leaked secret's kind at a glance (and let secret scanners find them).
const API_KEY_PREFIX: &str = "ppk_";
const EDIT_TOKEN_PREFIX: &str = "ppe_";

fn random_token(prefix: &str) -> Secret {
    let bytes: [u8; 32] = rand::random();
    Secret::new(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

pub fn new_api_key() -> Secret {
    random_token(API_KEY_PREFIX)
}

/// A web session's cookie token.
pub fn new_session_token() -> Secret {
    random_token("pps_")
}

pub fn new_edit_token() -> Secret {
    random_token(EDIT_TOKEN_PREFIX)
}

/// Writes `bytes` to a new file readable by its owner only; `Ok(false)` if it exists.
pub(crate) fn create_private(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        // The data directory holds the keys and the database: its owner's alone.
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(bytes)?;
            file.sync_all()?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// The log's signing key from `path`, created for `origin` (readable by its owner only) if
/// it is missing. An existing key keeps the origin it was created with: changing the origin
/// would start another log.
pub fn load_or_create_log_key(
    path: &Path,
    origin: &str,
) -> std::io::Result<ledger::note::LogSigner> {
    let invalid = |e: ledger::LedgerError| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
    };
    match std::fs::read_to_string(path) {
        Ok(text) => ledger::note::LogSigner::from_skey(&text).map_err(invalid),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let signer =
                ledger::note::LogSigner::from_seed(origin, rand::random()).map_err(invalid)?;
            if create_private(path, format!("{}\n", signer.skey()).as_bytes())? {
                Ok(signer)
            } else {
                load_or_create_log_key(path, origin)
            }
        }
        Err(e) => Err(e),
    }
}

/// Reads the log's signing key, if it exists.
pub fn load_log_key(path: &Path) -> std::io::Result<Option<ledger::note::LogSigner>> {
    match std::fs::read_to_string(path) {
        Ok(text) => ledger::note::LogSigner::from_skey(&text)
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The log's origin for a base URL: the log's URL prefix without its scheme, as C2SP
/// tlog-tiles recommends (`https://recensioni.example/` → `recensioni.example/log`).
pub fn log_origin(base_url: &url::Url) -> String {
    let host = base_url.host_str().unwrap_or("localhost");
    let port = base_url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = base_url.path().trim_end_matches('/');
    format!("{host}{port}{path}/log")
}

/// The instance's own secret key, from which invitation tokens are derived.
#[derive(Clone)]
pub struct InstanceKey([u8; 32]);

impl std::fmt::Debug for InstanceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InstanceKey(redacted)")
    }
}

impl InstanceKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn generate() -> Self {
        Self(rand::random())
    }

    /// Reads the key from `path`, creating it (readable by its owner only) if it is missing.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} must hold exactly 32 bytes", path.display()),
                    )
                })?;
                Ok(Self(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                if create_private(path, &key.0)? {
                    Ok(key)
                } else {
                    // Another process created it first: use theirs.
                    Self::load_or_create(path)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The token of an invitation.
    pub fn invitation_token(&self, id: InvitationId) -> Secret {
        // HMAC accepts keys of any length; a 32-byte key cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"passaparola invitation token v1\0");
        mac.update(id.0.as_bytes());
        Secret::new(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    fn mac(&self, purpose: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(purpose);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// A business's link secret of `generation` (`docs/invitation-links.md`): derived, so
    /// stored nowhere; a new generation invalidates every link signed with the old one.
    pub fn link_secret(&self, business: domain::ids::BusinessId, generation: u32) -> String {
        let mut data = business.0.as_bytes().to_vec();
        data.extend_from_slice(&generation.to_be_bytes());
        let mac = self.mac(b"passaparola link secret v1\0", &data);
        format!(
            "{}{}",
            crate::links::SECRET_PREFIX,
            URL_SAFE_NO_PAD.encode(mac)
        )
    }

    /// What an e-mail address is stored as where only a match is needed (an unsubscribe):
    /// a keyed hash of the trimmed, lower-cased address, which no one without the instance
    /// key can test guesses against.
    pub fn recipient_hash(&self, email: &str) -> [u8; 32] {
        self.mac(
            b"passaparola recipient v1\0",
            email.trim().to_lowercase().as_bytes(),
        )
    }

    /// The token of an invitation's unsubscribe link: the invitation's id and a MAC of it,
    /// so the link works without anything stored and cannot be made for another invitation.
    pub fn unsubscribe_token(&self, id: InvitationId) -> String {
        let mac = self.mac(b"passaparola unsubscribe v1\0", id.0.as_bytes());
        let mut bytes = id.0.as_bytes().to_vec();
        bytes.extend_from_slice(&mac[..16]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The invitation an unsubscribe token names, if the token is genuine (compared in
    /// constant time).
    pub fn unsubscribe_invitation(&self, token: &str) -> Option<InvitationId> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != 32 {
            return None;
        }
        let id = uuid::Uuid::from_slice(&bytes[..16]).ok()?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"passaparola unsubscribe v1\0");
        mac.update(id.as_bytes());
        mac.verify_truncated_left(&bytes[16..]).ok()?;
        Some(InvitationId(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_tokens_name_their_invitation_and_no_other() {
        let key = InstanceKey::generate();
        let id = InvitationId::generate();
        let token = key.unsubscribe_token(id);
        assert_eq!(key.unsubscribe_invitation(&token), Some(id));
        let other = InstanceKey::generate();
        assert_eq!(other.unsubscribe_invitation(&token), None);
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[31] ^= 1;
        assert_eq!(
            key.unsubscribe_invitation(&URL_SAFE_NO_PAD.encode(bytes)),
            None
        );
        assert_eq!(key.unsubscribe_invitation("short"), None);
    }

    #[test]
    fn recipient_hashes_ignore_case_and_spaces() {
        let key = InstanceKey::generate();
        assert_eq!(
            key.recipient_hash(" Mario.Rossi@Example.it"),
            key.recipient_hash("mario.rossi@example.it")
        );
        assert_ne!(
            key.recipient_hash("mario@example.it"),
            InstanceKey::generate().recipient_hash("mario@example.it")
        );
    }

    /// The first key written creates the data directory, readable by its owner only.
    #[cfg(unix)]
    #[test]
    fn the_data_directory_is_created_private() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("nested/data");
        load_or_create_log_key(&data.join("log.key"), "example.org/log").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&root.path().join("nested")), 0o700);
        assert_eq!(mode(&data.join("log.key")), 0o600);
    }

    #[test]
    fn tokens_are_long_distinct_and_prefixed() {
        let a = new_api_key();
        let b = new_api_key();
        assert_ne!(a, b);
        assert!(a.expose().starts_with("ppk_"));
        // 32 bytes in unpadded base64url are 43 characters: 256 bits.
        assert_eq!(a.expose().len(), 4 + 43);
        assert!(new_edit_token().expose().starts_with("ppe_"));
    }

    #[test]
    fn invitation_tokens_depend_on_key_and_id() {
        let k1 = InstanceKey::from_bytes([1; 32]);
        let k2 = InstanceKey::from_bytes([2; 32]);
        let id = InvitationId::generate();
        assert_eq!(k1.invitation_token(id), k1.invitation_token(id));
        assert_ne!(k1.invitation_token(id), k2.invitation_token(id));
        assert_ne!(
            k1.invitation_token(id),
            k1.invitation_token(InvitationId::generate())
        );
        assert_eq!(k1.invitation_token(id).expose().len(), 43);
    }

    #[test]
    fn log_origin_is_the_prefix_without_scheme() {
        let origin = |u: &str| log_origin(&url::Url::parse(u).unwrap());
        assert_eq!(
            origin("https://recensioni.example/"),
            "recensioni.example/log"
        );
        assert_eq!(origin("http://127.0.0.1:8080"), "127.0.0.1:8080/log");
        assert_eq!(origin("https://x.example/pp/"), "x.example/pp/log");
    }

    #[test]
    fn log_key_keeps_its_origin() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.key");
        let a = load_or_create_log_key(&path, "a.example/log").unwrap();
        let b = load_or_create_log_key(&path, "b.example/log").unwrap();
        assert_eq!(a.verifier_key(), b.verifier_key());
        assert_eq!(b.origin(), "a.example/log");
        assert!(load_log_key(&dir.path().join("none")).unwrap().is_none());
    }

    #[test]
    fn instance_key_is_created_once_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("instance.key");
        let a = InstanceKey::load_or_create(&path).unwrap();
        let b = InstanceKey::load_or_create(&path).unwrap();
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
