//! The invitation message, rendered from the Fluent catalogues.
//!
//! Every word is in `locales/<lang>/mail.ftl` (compiled in); this file only lays the
//! messages out, as plain text and as a minimal single-column HTML page. Every customer gets
//! the same words whatever they are expected to say, and the public invitations page shows
//! them to everyone, so [`template_hash`] lets a message say which version it was.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use domain::invitation::Locale;
use domain::template::InvitationTemplate;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use sha2::{Digest, Sha256};
use store::ProductRecord;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would end up in the subject and the text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static IT: LanguageIdentifier = langid!("it");
static EN: LanguageIdentifier = langid!("en");

/// Every message of the invitation, in the fixed order [`template_hash`] reads them.
const MESSAGES: &[&str] = &[
    "mail-subject",
    "mail-subject-reminder",
    "mail-greeting-name",
    "mail-greeting",
    "mail-intro",
    "mail-intro-reminder",
    "mail-subject-reminder-custom",
    "mail-reminder-note",
    "mail-products",
    "mail-button",
    "mail-link-text",
    "mail-link-fallback",
    "mail-expires",
    "mail-published",
    "mail-optional",
    "mail-same-invitation",
    "mail-sent-for",
    "mail-unsubscribe",
    "mail-unsubscribe-link",
    "mail-unsubscribe-text",
    "mail-date",
    "mail-month-1",
    "mail-month-2",
    "mail-month-3",
    "mail-month-4",
    "mail-month-5",
    "mail-month-6",
    "mail-month-7",
    "mail-month-8",
    "mail-month-9",
    "mail-month-10",
    "mail-month-11",
    "mail-month-12",
];

/// The layout's version: the order of the parts and the HTML around them, which live in this
/// file rather than in the catalogues. Bump it whenever they change, so the hash changes too.
const LAYOUT: &str = "invitation-layout-1";

/// An invitation, or its one reminder, to render.
#[derive(Debug, Clone, Copy)]
pub struct InvitationMail<'a> {
    pub locale: Locale,
    pub business_name: &'a str,
    pub customer_name: Option<&'a str>,
    pub reference: &'a str,
    pub products: &'a [ProductRecord],
    /// The single-use link to the review form.
    pub review_link: &'a str,
    /// The one-click unsubscribe page.
    pub unsubscribe_link: &'a str,
    /// The public page showing this template to everyone: the proof that nobody is filtered.
    pub invitations_page: &'a str,
    pub expires_at: DateTime<Utc>,
    /// The one reminder: a different subject and first line, the same content otherwise.
    pub reminder: bool,
    /// The business's own subject and opening for this locale (`domain::template`), if it
    /// set them; the catalogue's otherwise. The rest is the same for every business.
    pub template: Option<&'a InvitationTemplate>,
}

/// A rendered message: its subject (one line) and its two alternative bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The invitation in its locale: subject, plain text and HTML.
pub fn render(mail: &InvitationMail<'_>) -> Rendered {
    let tr = Tr(mail.locale);
    let both = [
        ("business", mail.business_name),
        ("reference", mail.reference),
    ];
    let custom = mail
        .template
        .map(|t| t.fill(mail.business_name, mail.reference));
    let subject = one_line(&match (&custom, mail.reminder) {
        (Some((subject, _)), false) => subject.clone(),
        (Some((subject, _)), true) => {
            tr.args("mail-subject-reminder-custom", &[("subject", subject)])
        }
        (None, reminder) => tr.args(
            if reminder {
                "mail-subject-reminder"
            } else {
                "mail-subject"
            },
            &both,
        ),
    });
    let greeting = match mail.customer_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => tr.args("mail-greeting-name", &[("name", name)]),
        None => tr.t("mail-greeting"),
    };
    let intro = match (custom, mail.reminder) {
        (Some((_, intro)), false) => intro,
        (Some((_, intro)), true) => format!("{}\n{intro}", tr.t("mail-reminder-note")),
        (None, reminder) => tr.args(
            if reminder {
                "mail-intro-reminder"
            } else {
                "mail-intro"
            },
            &both,
        ),
    };
    let products: Vec<&str> = mail
        .products
        .iter()
        .map(|p| p.name.trim())
        .filter(|n| !n.is_empty())
        .collect();
    let date = tr.date(mail.expires_at);
    let parts = Parts {
        lang: mail.locale.as_str(),
        greeting,
        intro,
        products_label: tr.t("mail-products"),
        products,
        button: tr.t("mail-button"),
        link_text: tr.t("mail-link-text"),
        link_fallback: tr.t("mail-link-fallback"),
        review_link: mail.review_link,
        expires: tr.args("mail-expires", &[("date", &date)]),
        published: tr.args("mail-published", &both),
        optional: tr.t("mail-optional"),
        same_invitation: tr.args("mail-same-invitation", &both),
        invitations_page: mail.invitations_page,
        sent_for: tr.args("mail-sent-for", &both),
        unsubscribe: tr.t("mail-unsubscribe"),
        unsubscribe_label: tr.t("mail-unsubscribe-link"),
        unsubscribe_text: tr.t("mail-unsubscribe-text"),
        unsubscribe_link: mail.unsubscribe_link,
    };
    Rendered {
        text: text(&parts),
        html: html(&subject, &parts),
        subject,
    }
}

/// SHA-256 (hex) of the template for a locale: the layout's version, then the source of each
/// of the catalogue's invitation messages, in the fixed order of `MESSAGES`.
pub fn template_hash(locale: Locale) -> String {
    let source = source(locale);
    let mut hasher = Sha256::new();
    hasher.update(LAYOUT.as_bytes());
    hasher.update(b"\n");
    for id in MESSAGES {
        // A message missing from the catalogue hashes as its bare id; a test makes sure none is.
        hasher.update(
            entry(source, id)
                .unwrap_or_else(|| (*id).to_owned())
                .as_bytes(),
        );
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A catalogue's source text, as compiled in.
fn source(locale: Locale) -> &'static str {
    match locale {
        Locale::It => include_str!("../../locales/it/mail.ftl"),
        Locale::En => include_str!("../../locales/en/mail.ftl"),
    }
}

/// A message's source in a catalogue: its `id = ...` line and any indented continuation
/// lines, each without trailing white space.
fn entry(source: &str, id: &str) -> Option<String> {
    let mut lines = source.lines();
    let first = lines.find(|l| {
        l.strip_prefix(id)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    })?;
    let mut out = first.trim_end().to_owned();
    for line in lines.take_while(|l| l.starts_with([' ', '\t', '}'])) {
        out.push('\n');
        out.push_str(line.trim_end());
    }
    Some(out)
}

/// The catalogue of one locale.
#[derive(Debug, Clone, Copy)]
struct Tr(Locale);

impl Tr {
    fn langid(self) -> &'static LanguageIdentifier {
        match self.0 {
            Locale::It => &IT,
            Locale::En => &EN,
        }
    }

    fn t(self, id: &str) -> String {
        debug_assert!(MESSAGES.contains(&id), "{id} is missing from MESSAGES");
        LOCALES.lookup(self.langid(), id)
    }

    fn args(self, id: &str, args: &[(&'static str, &str)]) -> String {
        debug_assert!(MESSAGES.contains(&id), "{id} is missing from MESSAGES");
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from((*v).to_owned())))
            .collect();
        LOCALES.lookup_with_args(self.langid(), id, &map)
    }

    /// "7 marzo 2027" / "7 March 2027": the day in UTC, as the business's pages show it.
    fn date(self, at: DateTime<Utc>) -> String {
        let d = at.date_naive();
        let month = self.t(&format!("mail-month-{}", d.month()));
        self.args(
            "mail-date",
            &[
                ("day", &d.day().to_string()),
                ("month", &month),
                ("year", &d.year().to_string()),
            ],
        )
    }
}

/// The message's words, ready to lay out; nothing is escaped yet.
struct Parts<'a> {
    lang: &'static str,
    greeting: String,
    intro: String,
    products_label: String,
    products: Vec<&'a str>,
    button: String,
    link_text: String,
    link_fallback: String,
    review_link: &'a str,
    expires: String,
    published: String,
    optional: String,
    same_invitation: String,
    invitations_page: &'a str,
    sent_for: String,
    unsubscribe: String,
    unsubscribe_label: String,
    unsubscribe_text: String,
    unsubscribe_link: &'a str,
}

/// The plain-text body: paragraphs separated by blank lines, links on lines of their own, and
/// the footer after the conventional "-- " signature separator.
fn text(p: &Parts<'_>) -> String {
    let mut blocks = vec![p.greeting.clone(), p.intro.clone()];
    if !p.products.is_empty() {
        let mut list = p.products_label.clone();
        for name in &p.products {
            list.push_str("\n- ");
            list.push_str(name);
        }
        blocks.push(list);
    }
    blocks.extend([
        format!("{}\n{}", p.link_text, p.review_link),
        p.expires.clone(),
        p.published.clone(),
        p.optional.clone(),
        format!("{}\n{}", p.same_invitation, p.invitations_page),
        format!(
            "-- \n{}\n{}\n{}",
            p.sent_for, p.unsubscribe_text, p.unsubscribe_link
        ),
    ]);
    let mut out = blocks.join("\n\n");
    out.push('\n');
    out
}

const BODY_STYLE: &str = "margin:0;padding:0;background:#ffffff;color:#1c1917;\
font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;\
font-size:16px;line-height:1.5";
const COLUMN_STYLE: &str = "max-width:560px;margin:0 auto;padding:24px 16px";
const P_STYLE: &str = "margin:0 0 16px";
const BUTTON_STYLE: &str = "display:inline-block;padding:12px 24px;background:#1d4ed8;\
color:#ffffff;font-weight:600;text-decoration:none;border-radius:6px";
const LINK_STYLE: &str = "color:#1d4ed8;text-decoration:underline;word-break:break-all";
const SMALL_STYLE: &str = "margin:0 0 16px;font-size:14px;color:#44403c";
const RULE_STYLE: &str = "border:0;border-top:1px solid #d6d3d1;margin:24px 0";
const FOOTER_STYLE: &str = "margin:0 0 8px;font-size:13px;color:#57534e";

/// The HTML body: one column, inline styles, no tables, every piece of text escaped.
fn html(subject: &str, p: &Parts<'_>) -> String {
    let para = |style: &str, content: &str| format!("<p style=\"{style}\">{content}</p>\n");
    let link = |url: &str, label: &str| {
        format!(
            "<a href=\"{}\" style=\"{LINK_STYLE}\">{}</a>",
            escape(url),
            escape(label)
        )
    };
    let subject = escape(subject);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"color-scheme\" content=\"light\">\n<title>{subject}</title>\n</head>\n\
<body style=\"{BODY_STYLE}\">\n\
<div role=\"article\" aria-roledescription=\"email\" aria-label=\"{subject}\" lang=\"{lang}\" \
style=\"{COLUMN_STYLE}\">\n",
        lang = p.lang,
    );
    out.push_str(&para(P_STYLE, &escape(&p.greeting)));
    // A business's opening may run over several lines: each kept, as in the text part.
    out.push_str(&para(P_STYLE, &escape(&p.intro).replace('\n', "<br>\n")));
    if !p.products.is_empty() {
        out.push_str(&format!(
            "<p style=\"margin:0 0 4px\">{}</p>\n<ul style=\"margin:0 0 16px;padding-left:24px\">\n",
            escape(&p.products_label)
        ));
        for name in &p.products {
            out.push_str(&format!("<li>{}</li>\n", escape(name)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&para(
        "margin:24px 0",
        &format!(
            "<a href=\"{}\" style=\"{BUTTON_STYLE}\">{}</a>",
            escape(p.review_link),
            escape(&p.button)
        ),
    ));
    out.push_str(&para(
        SMALL_STYLE,
        &format!(
            "{}<br>\n{}",
            escape(&p.link_fallback),
            link(p.review_link, p.review_link)
        ),
    ));
    out.push_str(&para(P_STYLE, &escape(&p.expires)));
    out.push_str(&para(P_STYLE, &escape(&p.published)));
    out.push_str(&para(P_STYLE, &escape(&p.optional)));
    out.push_str(&para(
        P_STYLE,
        &format!(
            "{}<br>\n{}",
            escape(&p.same_invitation),
            link(p.invitations_page, p.invitations_page)
        ),
    ));
    out.push_str(&format!("<hr style=\"{RULE_STYLE}\">\n"));
    out.push_str(&para(FOOTER_STYLE, &escape(&p.sent_for)));
    out.push_str(&para(
        FOOTER_STYLE,
        &format!(
            "{} {}",
            escape(&p.unsubscribe),
            link(p.unsubscribe_link, &p.unsubscribe_label)
        ),
    ));
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

/// Text made safe for HTML content and for double- or single-quoted attributes.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A header-safe subject: CR, LF and every other control or line-separator character become
/// spaces, and runs of white space collapse to one.
fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
