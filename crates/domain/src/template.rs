//! A business's invitation template: the words of its invitation e-mail that it may choose,
//! one template per locale. Every customer gets the same template whatever they are expected
//! to say, every change to it is a public log event (`invitation_template_changed`), and the
//! public invitations page shows it with its history: no gating, provably.
//!
//! The business chooses the subject and the opening paragraph. Everything that makes the
//! invitation fair stays Passaparola's own and cannot be changed: the link, that the review
//! is published whatever it says, that writing one is optional, that every customer gets this
//! same text, and how to unsubscribe.

use serde_json::json;

use crate::ValidationErrors;
use crate::error::Invalid;
use crate::invitation::Locale;
use crate::log_entry::canonical_content;
use crate::text::{Lines, bounded_text};

bounded_text!(
    /// The invitation's subject line.
    TemplateSubject,
    1,
    150,
    Lines::Single
);
bounded_text!(
    /// The invitation's opening paragraph(s), after the greeting.
    TemplateIntro,
    1,
    1500,
    Lines::Multi
);

/// What a template may name, each replaced by the invitation's value.
pub const PLACEHOLDERS: [&str; 2] = ["{business}", "{reference}"];

/// One locale's template, as the business wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationTemplate {
    pub locale: Locale,
    pub subject: TemplateSubject,
    pub intro: TemplateIntro,
}

impl InvitationTemplate {
    pub fn parse(locale: Locale, subject: &str, intro: &str) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let subject = errors.check(
            "subject",
            TemplateSubject::parse(subject).and_then(|s| placeholders(s.as_str()).map(|()| s)),
        );
        let intro = errors.check(
            "intro",
            TemplateIntro::parse(intro).and_then(|s| placeholders(s.as_str()).map(|()| s)),
        );
        errors.into_result()?;
        match (subject, intro) {
            (Some(subject), Some(intro)) => Ok(Self {
                locale,
                subject,
                intro,
            }),
            _ => Err(ValidationErrors::single(
                "template",
                "invalid",
                "invalid template",
            )),
        }
    }

    /// What the log commits to: `{"intro", "locale", "subject"}`, canonical.
    pub fn content(&self) -> Vec<u8> {
        canonical_content(&self.snapshot())
    }

    pub fn snapshot(&self) -> serde_json::Value {
        json!({
            "locale": self.locale.as_str(),
            "subject": self.subject.as_str(),
            "intro": self.intro.as_str(),
        })
    }

    /// The subject and the opening with the invitation's values in place of the
    /// placeholders.
    pub fn fill(&self, business: &str, reference: &str) -> (String, String) {
        // One pass, so that a value holding a placeholder's text is left as it is.
        let fill = |s: &str| {
            let mut out = String::with_capacity(s.len() + business.len());
            let mut rest = s;
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let tail = &rest[open..];
                let (value, skip) = if tail.starts_with(PLACEHOLDERS[0]) {
                    (business, PLACEHOLDERS[0].len())
                } else if tail.starts_with(PLACEHOLDERS[1]) {
                    (reference, PLACEHOLDERS[1].len())
                } else {
                    ("{", 1)
                };
                out.push_str(value);
                rest = &tail[skip..];
            }
            out.push_str(rest);
            out
        };
        (fill(self.subject.as_str()), fill(self.intro.as_str()))
    }
}

/// Braces only around a known placeholder: a typo (`{busines}`) is refused rather than
/// mailed to every customer as it stands.
fn placeholders(text: &str) -> Result<(), Invalid> {
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        let tail = &rest[open..];
        match PLACEHOLDERS.iter().find(|p| tail.starts_with(*p)) {
            Some(p) => rest = &tail[p.len()..],
            None => {
                return Err(Invalid::new(
                    "unknown_placeholder",
                    format!(
                        "braces may only hold a placeholder: {} (no other braces)",
                        PLACEHOLDERS.join(" or ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_fills_its_placeholders_and_commits_to_its_words() {
        let t = InvitationTemplate::parse(
            Locale::It,
            "Com'è andato l'ordine {reference}?",
            "Grazie per aver scelto {business}.\nCi racconti com'è andata?",
        )
        .unwrap();
        let (subject, intro) = t.fill("Trattoria Gino", "ORD-7");
        assert_eq!(subject, "Com'è andato l'ordine ORD-7?");
        assert!(intro.starts_with("Grazie per aver scelto Trattoria Gino.\n"));
        // A value that reads like a placeholder stays as it is.
        let (subject, _) = t.fill("Gino {reference}", "{business}");
        assert_eq!(subject, "Com'è andato l'ordine {business}?");
        let (_, intro) = t.fill("Gino {reference}", "R");
        assert!(intro.starts_with("Grazie per aver scelto Gino {reference}."));
        assert_eq!(
            String::from_utf8(t.content()).unwrap(),
            r#"{"intro":"Grazie per aver scelto {business}.\nCi racconti com'è andata?","locale":"it","subject":"Com'è andato l'ordine {reference}?"}"#
        );
    }

    #[test]
    fn unknown_placeholders_and_stray_braces_are_refused() {
        for bad in [
            "Ciao {name}",
            "Ordine {reference",
            "Ordine }",
            "{}",
            "{{business}}",
        ] {
            let e = InvitationTemplate::parse(Locale::En, bad, "Ok").unwrap_err();
            assert_eq!(e.0[0].field, "subject", "{bad}");
            assert_eq!(e.0[0].code, "unknown_placeholder", "{bad}");
        }
        let e = InvitationTemplate::parse(Locale::En, "", "{busines}").unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["subject", "intro"]);
        assert!(InvitationTemplate::parse(Locale::En, "{business}{reference}", "x").is_ok());
    }
}
