//! The pieces that several pages show: a review as a card, and the choices of a form's
//! select. Plain view models, every string already in the visitor's language.

use domain::review::ReviewStatus;
use store::Review;

use super::i18n::{Tr, stars};

/// A review as a card: everything already in words.
#[derive(Debug)]
pub struct Card {
    pub id: String,
    pub verified: bool,
    /// For an imported review: where and when it was written, in words.
    pub imported: Option<String>,
    pub content: Option<CardContent>,
    pub tombstone: Option<String>,
    pub reply: Option<CardReply>,
    pub follow_up: Option<String>,
    pub permalink: Option<String>,
}

#[derive(Debug)]
pub struct CardContent {
    pub stars: String,
    pub stars_label: String,
    pub title: String,
    pub author: String,
    pub meta: Vec<String>,
    pub body: String,
}

#[derive(Debug)]
pub struct CardReply {
    pub heading: String,
    pub body: String,
}

pub(super) fn card(tr: &Tr, r: &Review, link: bool) -> Card {
    let content = r.content.as_ref().map(|c| {
        let mut meta = vec![tr.relationship(r.relationship)];
        if let Some(d) = c.experience_date {
            meta.push(tr.with("experienced-on", "date", &tr.date(d)));
        }
        if r.imported.is_some() {
            meta.push(tr.with("imported-on", "date", &tr.date(r.created_at.date_naive())));
        } else {
            meta.push(tr.with("written-on", "date", &tr.date(r.created_at.date_naive())));
        }
        if r.edit_count > 0 {
            meta.push(tr.count("edited", r.edit_count));
        }
        CardContent {
            stars: stars(c.rating),
            stars_label: tr.count("rated", c.rating),
            title: c.title.clone(),
            author: c.author_name.clone(),
            meta,
            body: c.body.clone(),
        }
    });
    let tombstone = match (r.status, r.erased_at, r.withdrawn_at) {
        (ReviewStatus::Erased, Some(at), _) => {
            Some(tr.with("erased", "date", &tr.date(at.date_naive())))
        }
        (ReviewStatus::Withdrawn | ReviewStatus::Erased, _, Some(at)) => {
            Some(tr.with("withdrawn", "date", &tr.date(at.date_naive())))
        }
        _ => None,
    };
    let reply = r.reply.as_ref().map(|p| CardReply {
        heading: match &p.responder_role {
            Some(role) => tr.args(
                "reply-from-role",
                &[
                    ("name", p.responder_name.clone().into()),
                    ("role", role.clone().into()),
                ],
            ),
            None => tr.with("reply-from", "name", &p.responder_name),
        },
        body: p.body.clone(),
    });
    Card {
        id: r.id.to_string(),
        verified: r.verified,
        imported: r.imported.as_ref().map(|i| {
            tr.args(
                "imported-from",
                &[
                    ("source", i.source.clone().into()),
                    ("date", tr.date(i.original_date).into()),
                ],
            )
        }),
        content,
        tombstone,
        reply,
        follow_up: r.follow_up.as_ref().map(|f| f.body.clone()),
        permalink: link.then(|| format!("/b/{}/r/{}", r.business.slug, r.id)),
    }
}

#[derive(Debug)]
pub struct Select {
    pub name: &'static str,
    pub label: String,
    pub options: Vec<Choice>,
}

#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A business's mail settings in words, as its public invitations page and its own
/// settings say them: the delay after a shop's order, and the reminder.
pub(super) fn mail_settings_rows(tr: &Tr, s: &store::MailSettings) -> Vec<(String, String)> {
    let delay = match s.shop_delay_hours {
        0 => tr.t("invitations-page-shop-delay-none"),
        hours => tr.with(
            "invitations-page-shop-delay-value",
            "after",
            &tr.count("duration-hours", hours),
        ),
    };
    let reminder = match s.reminder_days {
        Some(days) => tr.with(
            "invitations-page-reminder-one",
            "after",
            &tr.count("duration-days", days),
        ),
        None => tr.t("invitations-page-reminder-none"),
    };
    vec![
        (tr.t("invitations-page-shop-delay"), delay),
        (tr.t("invitations-page-reminder"), reminder),
    ]
}
