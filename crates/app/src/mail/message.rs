//! An invitation's e-mail as it goes on the wire: rendered in the invitation's locale, with
//! a `Message-ID` made from the outbox job's id (the same on every attempt, so a resend is
//! recognisable), the one-click unsubscribe headers of RFC 8058, and a DKIM signature if
//! configured.

use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use store::{Invitation, Job, JobKind, TemplateRevision};

use super::Mailer;
use super::render::{InvitationMail, render};
use crate::App;

/// `List-Unsubscribe: <https://…>`.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `Content-Language: it` (RFC 3282), for clients that offer to translate.
#[derive(Debug, Clone)]
struct ContentLanguage(&'static str);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Err("not parsed".into())
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.to_owned())
    }
}

/// `X-Passaparola-Template: revision 3; log entry 1234` (or `default; <fingerprint>`).
#[derive(Debug, Clone)]
struct TemplateUsed(String);

impl Header for TemplateUsed {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Passaparola-Template")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// Why a message could not be built (a stored address that no longer parses): permanent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(String);

/// The `Message-ID` of a job's e-mail: the same on every attempt.
pub fn message_id(job: &Job, mailer: &Mailer) -> String {
    format!("<{}@{}>", job.id, mailer.domain)
}

/// The e-mail of `job` about `invitation`, to `to`, from the business's `template` for the
/// invitation's locale if it set one.
pub fn build(
    app: &App,
    mailer: &Mailer,
    job: &Job,
    invitation: &Invitation,
    template: Option<&TemplateRevision>,
    to: &str,
) -> Result<Message, BuildError> {
    let to: Mailbox = match &invitation.customer_name {
        Some(name) => format!("{} <{to}>", quote(name)).parse(),
        None => to.parse(),
    }
    .or_else(|_| to.parse())
    .map_err(|_| BuildError("the stored address is not valid".into()))?;
    let token = app.instance_key.invitation_token(invitation.id);
    let review_link = app.link(&format!("/r/{}", token.expose()));
    let unsubscribe_link = app.link(&format!(
        "/u/{}",
        app.instance_key.unsubscribe_token(invitation.id)
    ));
    let invitations_page = app.link(&format!("/b/{}/invitations", invitation.business_slug));
    let custom = template.and_then(TemplateRevision::template);
    let rendered = render(&InvitationMail {
        locale: invitation.locale,
        business_name: &invitation.business_name,
        customer_name: invitation.customer_name.as_deref(),
        reference: &invitation.reference,
        products: &invitation.products,
        review_link: &review_link,
        unsubscribe_link: &unsubscribe_link,
        invitations_page: &invitations_page,
        expires_at: invitation.expires_at,
        reminder: job.kind == JobKind::Reminder,
        template: custom.as_ref(),
    });
    // Which template it was, for anyone to find on the public invitations page and in the
    // log: the business's revision and its entry, or the instance's default.
    let which = match template {
        Some(t) => match t.log_index {
            Some(index) => format!("revision {}; log entry {index}", t.revision),
            None => format!("revision {}", t.revision),
        },
        None => format!(
            "default; {}",
            super::render::template_hash(invitation.locale)
        ),
    };
    let mut message = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(rendered.subject)
        .message_id(Some(message_id(job, mailer)))
        .header(ContentLanguage(invitation.locale.as_str()))
        .header(ListUnsubscribe(unsubscribe_link))
        .header(ListUnsubscribePost)
        .header(TemplateUsed(which))
        .multipart(MultiPart::alternative_plain_html(
            rendered.text,
            rendered.html,
        ))
        .map_err(|e| BuildError(e.to_string()))?;
    if let Some(dkim) = &mailer.dkim {
        message.sign(dkim);
    }
    Ok(message)
}

/// A display name as an RFC 5322 quoted string (a name may hold commas or quotes).
fn quote(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
        .collect();
    format!("\"{cleaned}\"")
}
