//! `passaparola serve`'s e-mail options.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::Args;

/// How invitations are mailed (none of it: they are not).
#[derive(Debug, Args)]
pub struct MailArgs {
    /// The SMTP server invitations are sent through: `smtp://[user:pass@]host[:port]`
    /// (add `?tls=required` for STARTTLS) or `smtps://…` (TLS from the start). Without it,
    /// invitations are created but not mailed.
    #[arg(long, env = "PASSAPAROLA_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of invitations, e.g. `Recensioni <recensioni@example.it>`.
    #[arg(long, env = "PASSAPAROLA_MAIL_FROM")]
    mail_from: Option<String>,
    /// Sign messages with DKIM using this private key (PEM: RSA PKCS#1, or an Ed25519
    /// seed in base64); needs --dkim-selector and --dkim-domain.
    #[arg(long, env = "PASSAPAROLA_DKIM_KEY", requires_all = ["dkim_selector", "dkim_domain"])]
    dkim_key: Option<PathBuf>,
    #[arg(long, env = "PASSAPAROLA_DKIM_SELECTOR")]
    dkim_selector: Option<String>,
    #[arg(long, env = "PASSAPAROLA_DKIM_DOMAIN")]
    dkim_domain: Option<String>,
    /// How long a message being sent stays reserved for its server, in seconds (10 to
    /// 3600): after a crash it is sent again (with the same Message-ID) once this has
    /// passed. A send that takes half of it is given up and tried again later.
    #[arg(long, env = "PASSAPAROLA_OUTBOX_LEASE", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=3600))]
    outbox_lease: u64,
}

impl MailArgs {
    pub fn config(&self) -> anyhow::Result<Option<app::mail::MailConfig>> {
        let Some(smtp_url) = self.smtp_url.clone() else {
            if self.mail_from.is_some() || self.dkim_key.is_some() {
                bail!("--mail-from and --dkim-key need --smtp-url");
            }
            return Ok(None);
        };
        let Some(from) = self.mail_from.clone() else {
            bail!("--smtp-url needs --mail-from, the address invitations come from");
        };
        let dkim = match (&self.dkim_key, &self.dkim_selector, &self.dkim_domain) {
            (Some(key), Some(selector), Some(domain)) => Some(app::mail::DkimSettings {
                selector: selector.clone(),
                domain: domain.clone(),
                key_file: key.clone(),
            }),
            _ => None,
        };
        Ok(Some(app::mail::MailConfig {
            smtp_url,
            from,
            dkim,
            lease: Duration::from_secs(self.outbox_lease),
        }))
    }
}
