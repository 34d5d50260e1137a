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

/// What sends e-mail: the SMTP transport (a pool of connections), the sender, DKIM, and the
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
    let failed = |why: String| MailConfigError::Dkim {
        path: d.key_file.clone(),
        why,
    };
    let pem = std::fs::read_to_string(&d.key_file).map_err(|e| failed(e.to_string()))?;
    let key = if pem.contains("RSA PRIVATE KEY") {
        DkimSigningKey::new(&pem, DkimSigningAlgorithm::Rsa)
    } else {
        DkimSigningKey::new(pem.trim(), DkimSigningAlgorithm::Ed25519)
    }
    .map_err(|e| failed(e.to_string()))?;
    Ok(DkimConfig::default_config(
        d.selector.clone(),
        d.domain.clone(),
        key,
    ))
}
