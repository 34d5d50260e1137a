//! Signed checkpoints: C2SP `tlog-checkpoint` bodies in C2SP `signed-note`s, signed with
//! Ed25519. The log's key name is its origin.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use signed_note::{Note, NoteError, Signer, StandardSigner, StandardVerifier, VerifierList};

use crate::{Checkpoint, Hash, LedgerError};

/// The log's signing key. Its text form (`PRIVATE+KEY+<origin>+<id>+<base64>`) is the one
/// Go's `note` package and `signed_note` use; it is a secret.
#[derive(Clone)]
pub struct LogSigner {
    signer: StandardSigner,
    skey: String,
    vkey: String,
    origin: String,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSigner")
            .field("origin", &self.origin)
            .field("vkey", &self.vkey)
            .finish_non_exhaustive()
    }
}

const ALG_ED25519: u8 = 1;

impl LogSigner {
    /// A signer for `origin` from a 32-byte Ed25519 seed (from a CSPRNG).
    pub fn from_seed(origin: &str, seed: [u8; 32]) -> Result<Self, LedgerError> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(LedgerError::Malformed("log origin (no spaces or '+')"));
        }
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let vkey = signed_note::new_ed25519_verifier_key(origin, &signing.verifying_key());
        let public = [&[ALG_ED25519][..], signing.verifying_key().as_bytes()].concat();
        let private = [&[ALG_ED25519][..], &seed[..]].concat();
        let skey = format!(
            "PRIVATE+KEY+{origin}+{:08x}+{}",
            signed_note::key_id(origin, &public),
            STANDARD.encode(private)
        );
        Self::from_skey(&skey).map(|s| Self { vkey, ..s })
    }

    /// A signer from its text form.
    pub fn from_skey(skey: &str) -> Result<Self, LedgerError> {
        let signer = StandardSigner::new(skey.trim())
            .map_err(|_| LedgerError::Malformed("log signing key"))?;
        let origin = signer.name().to_owned();
        // Derive the verifier key from the private key, never trust a stored one.
        // PRIVATE+KEY+<name>+<id>+<base64>: the base64 may itself hold '+'.
        let seed = skey
            .trim()
            .splitn(5, '+')
            .nth(4)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|k| k.len() == 33)
            .ok_or(LedgerError::Malformed("log signing key"))?;
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&seed[1..]);
        let signing = ed25519_dalek::SigningKey::from_bytes(&bytes);
        let vkey = signed_note::new_ed25519_verifier_key(&origin, &signing.verifying_key());
        Ok(Self {
            signer,
            skey: skey.trim().to_owned(),
            vkey,
            origin,
        })
    }

    /// The secret text form, for storing in a file readable by its owner only.
    pub fn skey(&self) -> &str {
        &self.skey
    }

    /// The public verifier key, `<origin>+<id>+<base64>`.
    pub fn verifier_key(&self) -> &str {
        &self.vkey
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Signs the checkpoint of a tree of `size` entries with root `root`.
    pub fn sign_checkpoint(&self, size: u64, root: Hash) -> Result<Vec<u8>, LedgerError> {
        let body = Checkpoint::new(&self.origin, size, root, "")
            .map_err(|_| LedgerError::Malformed("checkpoint"))?
            .to_bytes();
        let mut note = Note::new(&body, &[]).map_err(note_error)?;
        note.add_sigs(&[&self.signer as &dyn Signer])
            .map_err(note_error)?;
        Ok(note.to_bytes())
    }
}

fn note_error(e: NoteError) -> LedgerError {
    LedgerError::Signature(e.to_string())
}

/// Verifies a signed checkpoint against the log's verifier key, and returns it. The
/// checkpoint's origin must be the key's name.
pub fn open_checkpoint(signed: &[u8], vkey: &str) -> Result<Checkpoint, LedgerError> {
    let verifier =
        StandardVerifier::new(vkey.trim()).map_err(|_| LedgerError::Malformed("verifier key"))?;
    let origin = signed_note::Verifier::name(&verifier).to_owned();
    let note = Note::from_bytes(signed).map_err(note_error)?;
    let list = VerifierList::new(vec![Box::new(verifier)]);
    note.verify(&list).map_err(note_error)?;
    let checkpoint =
        Checkpoint::from_bytes(note.text()).map_err(|_| LedgerError::Malformed("checkpoint"))?;
    if checkpoint.origin() != origin {
        return Err(LedgerError::Mismatch(format!(
            "the checkpoint's origin {:?} is not the key's {origin:?}",
            checkpoint.origin()
        )));
    }
    Ok(checkpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> LogSigner {
        LogSigner::from_seed("example.org/log", [7; 32]).unwrap()
    }

    #[test]
    fn signs_and_opens() {
        let s = signer();
        let signed = s.sign_checkpoint(5, Hash([9; 32])).unwrap();
        let text = String::from_utf8(signed.clone()).unwrap();
        assert!(text.starts_with("example.org/log\n5\n"), "{text}");
        assert!(text.contains("\n\n\u{2014} example.org/log "), "{text}");
        let cp = open_checkpoint(&signed, s.verifier_key()).unwrap();
        assert_eq!((cp.size(), cp.hash().0), (5, [9; 32]));
    }

    #[test]
    fn any_flipped_byte_is_refused() {
        let s = signer();
        let signed = s.sign_checkpoint(5, Hash([9; 32])).unwrap();
        for i in 0..signed.len() {
            let mut bad = signed.clone();
            bad[i] ^= 0x01;
            assert!(open_checkpoint(&bad, s.verifier_key()).is_err(), "byte {i}");
        }
    }

    #[test]
    fn another_key_is_refused() {
        let signed = signer().sign_checkpoint(1, Hash([1; 32])).unwrap();
        let other = LogSigner::from_seed("example.org/log", [8; 32]).unwrap();
        assert!(open_checkpoint(&signed, other.verifier_key()).is_err());
    }

    /// The signed-note example of C2SP (and of Go's `sumdb/note`): our key handling derives
    /// the published verifier key from the published private key, and the signature over
    /// the example text is the published one (Ed25519 is deterministic).
    #[test]
    fn the_c2sp_signed_note_example() {
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let text = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
        let want = format!(
            "{text}\n\u{2014} PeterNeumann \
             x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        );
        let signer = LogSigner::from_skey(skey).unwrap();
        assert_eq!(signer.verifier_key(), vkey);
        let mut note = Note::new(text.as_bytes(), &[]).unwrap();
        note.add_sigs(&[&signer.signer as &dyn Signer]).unwrap();
        assert_eq!(String::from_utf8(note.to_bytes()).unwrap(), want);
        // Not a checkpoint: opened as one, it is refused after its signature verifies.
        assert!(matches!(
            open_checkpoint(want.as_bytes(), vkey),
            Err(LedgerError::Malformed("checkpoint"))
        ));
    }

    #[test]
    fn the_secret_form_round_trips() {
        // Seeds whose base64 forms hold '+' and '/' among them.
        for seed in 0..=255u8 {
            let s = LogSigner::from_seed("example.org/log", [seed; 32]).unwrap();
            let again = LogSigner::from_skey(s.skey()).unwrap();
            assert_eq!(again.verifier_key(), s.verifier_key());
        }
        let s = signer();
        assert!(!format!("{s:?}").contains(s.skey()));
        assert!(LogSigner::from_seed("has space", [1; 32]).is_err());
    }
}
