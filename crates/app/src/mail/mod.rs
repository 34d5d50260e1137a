//! Invitation e-mail: rendering ([`render`]), the message with its headers ([`message`]),
//! SMTP through `lettre`, and the worker that drains the outbox ([`worker`]).
//!
//! Without `--smtp-url` there is no [`Mailer`]: invitations are created as before, nothing
//! is scheduled, and the pages say that no e-mail is configured.

pub mod message;
pub mod render;
pub mod unsubscribe;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// How e-mail leaves this instance (the command line's `--smtp-url`, `--mail-from`,
/// `--dkim-*`).
#[derive(Clone)]
pub struct MailConfig {
    /// `smtp://[user:pass@]host[:port][?tls=required|opportunistic]` (STARTTLS) or
    /// `smtps://…` (TLS from the start), as `lettre` reads it.
    pub smtp_url: String,
    /// The sender, e.g. `Passaparola <recensioni@example.it>`.
    pub from: String,
    /// DKIM signing, if configured.
    pub dkim: Option<DkimSettings>,
    /// How long a claimed job is reserved for the worker that claimed it: after a crash, the
    /// job is sent again once this has passed.
    pub lease: Duration,
}

impl std::fmt::Debug for MailConfig {
    // The SMTP URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &crate::backend::redacted(&self.smtp_url))
            .field("dkim", &self.dkim.is_some())
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

/// DKIM: the selector and domain to sign as, and the private key's PEM file (RSA, PKCS#1,
/// or Ed25519 as base64 of its 32-byte seed, as `lettre` reads them).
#[derive(Debug, Clone)]
pub struct DkimSettings {
    pub selector: String,
    pub domain: String,
    pub key_file: std::path::PathBuf,
}

/// Why the mail configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("--smtp-url {url}: {why}")]
    Url { url: String, why: String },
    #[error("--mail-from {0:?} is not an address such as \"Passaparola <reviews@example.com>\"")]
    From(String),
    #[error("the DKIM key {path}: {why}")]
    Dkim {
        path: std::path::PathBuf,
        why: String,
    },
}

/// What sends e-mail: the SMTP transport (a connection per message), the sender, DKIM, and the
/// bell that wakes the worker when a job is due now.
#[derive(Clone)]
pub struct Mailer(Arc<MailerInner>);

pub struct MailerInner {
    pub transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
    /// The domain of `Message-ID`s: the sender's.
    pub domain: String,
    pub dkim: Option<DkimConfig>,
    pub lease: Duration,
    pub wake: tokio::sync::Notify,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Debug for MailerInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("domain", &self.domain)
            .field("dkim", &self.dkim.is_some())
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for Mailer {
    type Target = MailerInner;

    fn deref(&self) -> &MailerInner {
        &self.0
    }
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Self, MailConfigError> {
        let url_error = |why: String| MailConfigError::Url {
            url: crate::backend::redacted(&config.smtp_url),
            why,
        };
        if !(config.smtp_url.starts_with("smtp://") || config.smtp_url.starts_with("smtps://")) {
            return Err(url_error("must start with smtp:// or smtps://".into()));
        }
        // Connecting may take this long (lettre's timeout); the whole send is bounded by
        // the same in the worker, well under the lease, so a live worker's job is never
        // claimed by another.
        let timeout = (config.lease / 2).min(Duration::from_secs(60));
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| url_error(e.to_string()))?
            .timeout(Some(timeout))
            .build();
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| MailConfigError::From(config.from.clone()))?;
        let domain = from.email.domain().to_owned();
        let dkim = match &config.dkim {
            None => None,
            Some(d) => Some(dkim_config(d)?),
        };
        Ok(Self(Arc::new(MailerInner {
            transport,
            from,
            domain,
            dkim,
            lease: config.lease,
            wake: tokio::sync::Notify::new(),
        })))
    }
}

fn dkim_config(d: &DkimSettings) -> Result<DkimConfig, MailConfigError> {
    use lettre::message::dkim::{DkimCanonicalization, DkimCanonicalizationType};
    use lettre::message::header::HeaderName;

    let failed = |why: String| MailConfigError::Dkim {
        path: d.key_file.clone(),
        why,
    };
    // What `lettre` reads: RSA in PKCS#1 PEM, Ed25519 as the base64 of its 32-byte seed.
    const FORMS: &str = "an RSA key must be PKCS#1 PEM, unencrypted (\"BEGIN RSA PRIVATE KEY\"; \
        `openssl rsa -in KEY -traditional` converts a \"BEGIN PRIVATE KEY\" one), an Ed25519 \
        key the base64 of its 32-byte seed (`openssl pkey -in KEY -outform DER | tail -c 32 | \
        base64`)";
    let pem = std::fs::read_to_string(&d.key_file).map_err(|e| failed(e.to_string()))?;
    let key = if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
        DkimSigningKey::new(&pem, DkimSigningAlgorithm::Rsa).map_err(|e| {
            let cause = std::error::Error::source(&e).map_or(String::new(), |c| format!(": {c}"));
            failed(format!(
                "not a readable RSA private key ({e}{cause}); {FORMS}"
            ))
        })?
    } else if let Some(begin) = pem.find("-----BEGIN ") {
        let label = pem[begin + 11..].split("-----").next().unwrap_or_default();
        return Err(failed(format!(
            "a PEM \"{label}\" cannot be used for DKIM: {FORMS}"
        )));
    } else {
        DkimSigningKey::new(pem.trim(), DkimSigningAlgorithm::Ed25519)
            .map_err(|e| failed(format!("not an RSA or Ed25519 private key ({e}); {FORMS}")))?
    };
    // Not `DkimConfig::default_config`: its "simple" header canonicalization fails every
    // verifier, because lettre folds the DKIM-Signature header differently once `b=` is
    // filled in than when it hashed it (empty); "relaxed" ignores folding. And RFC 8058
    // one-click unsubscribe counts only if the signature covers both List-Unsubscribe
    // headers.
    let headers = [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ]
    .map(HeaderName::new_from_ascii_str)
    .to_vec();
    Ok(DkimConfig::new(
        d.selector.clone(),
        d.domain.clone(),
        key,
        headers,
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `dkim_config` of a key file holding `contents`: the error's text, or `None` if read.
    fn dkim_error(contents: &str) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("dkim.key");
        std::fs::write(&key_file, contents).unwrap();
        let settings = DkimSettings {
            selector: "s".into(),
            domain: "example.com".into(),
            key_file: key_file.clone(),
        };
        match dkim_config(&settings) {
            Ok(_) => None,
            Err(e @ MailConfigError::Dkim { .. }) => {
                let text = e.to_string();
                assert!(text.contains(&key_file.display().to_string()), "{text}");
                Some(text)
            }
            Err(e) => panic!("not a DKIM error: {e}"),
        }
    }

    #[test]
    fn an_ed25519_seed_in_base64_is_a_key() {
        assert_eq!(dkim_error(&format!("{}\n", "A".repeat(43) + "=")), None);
    }

    #[test]
    fn a_bad_key_file_is_a_dkim_error_that_says_what_is_read() {
        let pkcs8 =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        let e = dkim_error(pkcs8).unwrap();
        assert!(e.contains("\"PRIVATE KEY\" cannot be used"), "{e}");
        assert!(e.contains("-traditional"), "{e}");
        let e = dkim_error("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").unwrap();
        assert!(e.contains("\"PUBLIC KEY\" cannot be used"), "{e}");
        let rsa = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        let e = dkim_error(rsa).unwrap();
        assert!(e.contains("not a readable RSA private key"), "{e}");
        assert!(e.contains("PKCS#1"), "{e}");
        for junk in ["", "not a key", "AAAA"] {
            let e = dkim_error(junk).unwrap();
            assert!(e.contains("not an RSA or Ed25519 private key"), "{e}");
        }
        let missing = DkimSettings {
            selector: "s".into(),
            domain: "example.com".into(),
            key_file: "/nonexistent/dkim.key".into(),
        };
        assert!(matches!(
            dkim_config(&missing),
            Err(MailConfigError::Dkim { .. })
        ));
    }
}
