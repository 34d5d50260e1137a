//! `/invitations`: the form to invite someone, the latest invitations with their links, and
//! the business's settings (`web::invitation_settings`: mail, shops, the link secret).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use domain::invitation::{InvitationInput, NewInvitation, Relationship};
use serde::Deserialize;

use super::form::{Field, first_codes, message};
use super::i18n::Tr;
use super::invitation_settings::{SettingsView, Shown};
use super::parts::Choice;
use super::session::{CsrfField, Posted, Session};
use super::{Meta, PageError, private_page};
use crate::AppState;

#[derive(Debug)]
pub struct InvitationRow {
    pub reference: String,
    pub relationship: String,
    pub status: String,
    /// Where its e-mail stands, with the failure if any.
    pub mail: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    tr: Tr,
    meta: Meta,
    csrf: String,
    /// (what happened, the link to send)
    notice: Option<(String, String)>,
    error: Option<String>,
    fields: Vec<Field>,
    rows: Vec<InvitationRow>,
    /// Whether this instance sends e-mail (`--smtp-url`).
    mail_configured: bool,
    settings: SettingsView,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InvitationForm {
    csrf: String,
    reference: String,
    relationship: String,
    customer_name: String,
    customer_email: String,
    locale: String,
}

impl CsrfField for InvitationForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

const INVITATIONS_SHOWN: u32 = 50;

/// The page: the invitation form (as typed, with its errors), the latest invitations and the
/// settings (with what a settings post left to show).
pub(super) async fn invitations_page(
    state: &AppState,
    tr: Tr,
    s: &Session,
    typed: &InvitationForm,
    errors: &HashMap<String, String>,
    notice: Option<(String, String)>,
    shown: Shown,
) -> Result<Response, PageError> {
    let latest = state
        .store
        .latest_invitations(s.user.business.id, INVITATIONS_SHOWN)
        .await?;
    let now = Utc::now();
    let rows = latest
        .into_iter()
        .map(|i| InvitationRow {
            link: state.link(&format!(
                "/r/{}",
                state.instance_key.invitation_token(i.id).expose()
            )),
            status: match i.used_at {
                Some(at) => tr.with("invitation-status-used", "date", &tr.date(at.date_naive())),
                None if i.expires_at <= now => tr.with(
                    "invitation-status-expired",
                    "date",
                    &tr.date(i.expires_at.date_naive()),
                ),
                None => tr.with(
                    "invitation-status-open",
                    "date",
                    &tr.date(i.expires_at.date_naive()),
                ),
            },
            mail: mail_status(&tr, &i),
            relationship: tr.relationship(i.relationship),
            reference: i.reference,
        })
        .collect();
    let error = |field: &str| errors.get(field).map(|code| message(&tr, code));
    let choice = |value: &str, label: String, selected: bool| Choice {
        value: value.to_owned(),
        label,
        selected,
    };
    let field =
        |name: &'static str, label: String, kind: &'static str, value: &str, max: usize| Field {
            name,
            label,
            hint: None,
            kind,
            value: value.to_owned(),
            max,
            required: false,
            options: Vec::new(),
            error: error(name),
        };
    let fields = vec![
        Field {
            required: true,
            ..field(
                "reference",
                tr.t("invitation-reference"),
                "text",
                &typed.reference,
                100,
            )
        },
        Field {
            options: Relationship::ALL
                .iter()
                .map(|r| {
                    choice(
                        r.as_str(),
                        tr.relationship(*r),
                        typed.relationship == r.as_str(),
                    )
                })
                .collect(),
            ..field("relationship", tr.t("filter-relationship"), "select", "", 0)
        },
        field(
            "customer_name",
            tr.t("invitation-name"),
            "text",
            &typed.customer_name,
            100,
        ),
        field(
            "customer_email",
            tr.t("invitation-email"),
            "email",
            &typed.customer_email,
            254,
        ),
        Field {
            options: vec![
                choice("it", tr.t("locale-it"), typed.locale != "en"),
                choice("en", tr.t("locale-en"), typed.locale == "en"),
            ],
            ..field("locale", tr.t("invitation-locale"), "select", "", 0)
        },
    ];
    let refused = !errors.is_empty() || shown.refused();
    let settings = super::invitation_settings::view(
        state,
        &tr,
        s.user.business.id,
        &s.user.business.slug,
        shown,
    )
    .await?;
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = InvitationsPage {
        meta: Meta::private(
            tr.t("invitations-title"),
            tr.t("invitations-intro"),
            "/invitations".into(),
        ),
        csrf: s.csrf(),
        notice,
        error: (!errors.is_empty()).then(|| tr.t("form-errors")),
        fields,
        rows,
        mail_configured: state.mail.is_some(),
        settings,
        tr,
    };
    private_page(status, &page)
}

/// `GET /invitations`: the form to invite someone, and the latest invitations with their links.
pub async fn invitations(
    State(state): State<AppState>,
    tr: Tr,
    s: Session,
) -> Result<Response, PageError> {
    invitations_page(
        &state,
        tr,
        &s,
        &InvitationForm::default(),
        &HashMap::new(),
        None,
        Shown::default(),
    )
    .await
}

/// `POST /invitations`: invites (or finds the invitation of the same reference).
pub async fn invite(
    State(state): State<AppState>,
    tr: Tr,
    Posted {
        session: s,
        form: typed,
    }: Posted<InvitationForm>,
) -> Result<Response, PageError> {
    let optional = |v: &str| (!v.trim().is_empty()).then(|| v.to_owned());
    let (name, email) = (
        optional(&typed.customer_name),
        optional(&typed.customer_email),
    );
    let now = Utc::now();
    let parsed = NewInvitation::parse(
        InvitationInput {
            reference: &typed.reference,
            relationship: optional(&typed.relationship).as_deref(),
            customer_name: name.as_deref(),
            customer_email: email.as_deref(),
            locale: optional(&typed.locale).as_deref(),
            ..Default::default()
        },
        now,
    );
    let invitation = match parsed {
        Ok(invitation) => domain::invitation::NewInvitation {
            source: domain::invitation::InvitationSource::Page,
            ..invitation
        },
        Err(errors) => {
            let by_field = first_codes(errors);
            return invitations_page(&state, tr, &s, &typed, &by_field, None, Shown::default())
                .await;
        }
    };
    let app::invitations::Invited { write, token } =
        app::invitations::invite(&state.app, s.user.business.id, invitation, now).await?;
    let inv = write.invitation;
    let link = state.link(&format!("/r/{}", token.expose()));
    let said = if write.created {
        tr.with("invitation-created", "reference", &inv.reference)
    } else {
        tr.t("invitation-existing")
    };
    invitations_page(
        &state,
        tr,
        &s,
        &InvitationForm::default(),
        &HashMap::new(),
        Some((said, link)),
        Shown::default(),
    )
    .await
}

/// An invitation's e-mail, as its row says it.
fn mail_status(tr: &Tr, i: &store::Invitation) -> String {
    use store::MailStatus::*;
    let date = |at: chrono::DateTime<Utc>| tr.date(at.date_naive());
    let said = match i.mail {
        None => return tr.t("invitation-mail-none"),
        Scheduled => match i.send_at {
            Some(at) => tr.with("invitation-mail-scheduled", "date", &date(at)),
            Option::None => tr.t("invitation-mail-none"),
        },
        Sent => tr.t("invitation-mail-sent"),
        Reminded => tr.t("invitation-mail-reminded"),
        Failed => tr.t("invitation-mail-failed"),
        Undeliverable => tr.t("invitation-mail-undeliverable"),
        Unsubscribed => tr.t("invitation-mail-unsubscribed"),
    };
    match &i.mail_error {
        Some(why) if matches!(i.mail, Failed | Undeliverable) => format!("{said} ({why})"),
        _ => said,
    }
}
