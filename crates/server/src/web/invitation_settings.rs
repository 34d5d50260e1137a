//! The business's settings on `/invitations`, below the invitation form: when its
//! invitations are mailed (`POST /invitations/mail-settings`), the shops that send it their
//! orders (`POST /invitations/shops`) and the secret of the links it signs itself
//! (`POST /invitations/link-secret`), with the store calls and rules of the API and of
//! `passaparola shop connect` / `business link-secret` (docs/shops.md,
//! docs/invitation-links.md). A secret made here is shown once, on the page that answers
//! the post (`no-store`, as every business page), and never logged nor shown again.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use domain::ids::BusinessId;
use domain::shop::ShopKind;
use serde::Deserialize;
use store::MailSettings;

use super::PageError;
use super::form::{Field, first_codes, message};
use super::i18n::Tr;
use super::invitations::{InvitationForm, invitations_page};
use super::parts::Choice;
use super::session::{CsrfField, CsrfForm, Posted};
use crate::AppState;

/// The shortest secret a shop may sign with (as `passaparola shop connect` requires).
const MIN_SHOP_SECRET: usize = 16;
/// The longest: far beyond any platform's key, short of anything absurd.
const MAX_SHOP_SECRET: usize = 256;

/// The mail settings form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MailSettingsForm {
    csrf: String,
    shop_delay_hours: String,
    /// Days, or empty for no reminder.
    reminder_days: String,
}

impl CsrfField for MailSettingsForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The form that connects a shop. The secret is never written back into a page, and its
/// `Debug` leaves it out.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ShopForm {
    csrf: String,
    kind: String,
    secret: String,
}

impl std::fmt::Debug for ShopForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopForm")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl CsrfField for ShopForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// What a settings post leaves for the page to show: a refused form as typed with its
/// errors, or what was done (with a secret shown this once).
#[derive(Debug, Default)]
pub(super) struct Shown {
    mail: Option<(MailSettingsForm, HashMap<String, String>)>,
    /// The platform chosen, and the errors, of a refused connection.
    shop: Option<(String, HashMap<String, String>)>,
    mail_notice: Option<String>,
    shop_notice: Option<Notice>,
    link_notice: Option<Notice>,
}

impl Shown {
    /// Whether a settings form was refused (the page then answers 422).
    pub(super) fn refused(&self) -> bool {
        self.mail.is_some() || self.shop.is_some()
    }
}

/// What a post did, and the secret it made, shown this once (its `Debug` leaves it out).
pub struct Notice {
    pub said: String,
    /// A connected shop's webhook address.
    pub address: Option<String>,
    pub secret: Option<String>,
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notice")
            .field("said", &self.said)
            .field("address", &self.address)
            .field("secret", &self.secret.as_ref().map(|_| "…"))
            .finish()
    }
}

/// A connected shop.
#[derive(Debug)]
pub struct ShopRow {
    pub platform: &'static str,
    pub since: String,
    /// Where the shop sends its orders.
    pub address: String,
}

/// The settings part of the invitations page, every string in the visitor's language.
#[derive(Debug)]
pub struct SettingsView {
    /// The mail settings in force, as the business's public invitations page words them.
    pub in_force: Vec<(String, String)>,
    /// The public page that shows them (`/b/{slug}/invitations`).
    pub public_page: String,
    pub delay: Field,
    pub reminder: Field,
    pub mail_notice: Option<String>,
    pub shops: Vec<ShopRow>,
    /// How to set up each platform's webhook, and the address to give it.
    pub how: Vec<(String, String)>,
    pub kind: Field,
    pub secret: Field,
    pub shop_notice: Option<Notice>,
    /// Whether the business has a link secret, in words (never the secret).
    pub link_state: String,
    pub has_link_secret: bool,
    pub link_notice: Option<Notice>,
}

/// The platform's own name.
fn platform(kind: ShopKind) -> &'static str {
    match kind {
        ShopKind::Shopify => "Shopify",
        ShopKind::WooCommerce => "WooCommerce",
    }
}

/// Where the shop of `kind` sends the business's orders.
fn webhook_address(state: &AppState, kind: ShopKind, slug: &str) -> String {
    state.link(&format!("/hooks/{}/{slug}", kind.as_str()))
}

fn field(name: &'static str, label: String, kind: &'static str, value: String) -> Field {
    Field {
        name,
        label,
        hint: None,
        kind,
        value,
        max: 0,
        required: false,
        options: Vec::new(),
        error: None,
    }
}

/// The settings as the page shows them: what is in force, and the forms (as typed after a
/// refused post).
pub(super) async fn view(
    state: &AppState,
    tr: &Tr,
    business: BusinessId,
    slug: &str,
    shown: Shown,
) -> Result<SettingsView, PageError> {
    let settings = state.store.mail_settings(business).await?;
    let shops = state.store.shops(business).await?;
    let generation = state.store.link_generation(business).await?;
    let (typed, mail_errors) = shown.mail.unwrap_or_else(|| {
        let form = MailSettingsForm {
            shop_delay_hours: settings.shop_delay_hours.to_string(),
            reminder_days: settings
                .reminder_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            ..MailSettingsForm::default()
        };
        (form, HashMap::new())
    });
    let (kind_typed, shop_errors) = shown.shop.unwrap_or_default();
    let error = |errors: &HashMap<String, String>, name: &str| {
        errors.get(name).map(|code| message(tr, code))
    };
    let mut reminders = vec![Choice {
        value: String::new(),
        label: tr.t("settings-reminder-none"),
        selected: typed.reminder_days.is_empty(),
    }];
    reminders.extend((1..=MailSettings::MAX_REMINDER_DAYS).map(|days| Choice {
        value: days.to_string(),
        label: tr.count("settings-reminder-after", days),
        selected: typed.reminder_days == days.to_string(),
    }));
    let kinds = ShopKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str().to_owned(),
            label: platform(k).to_owned(),
            selected: kind_typed == k.as_str(),
        })
        .collect();
    Ok(SettingsView {
        in_force: crate::web::parts::mail_settings_rows(tr, &settings),
        public_page: format!("/b/{slug}/invitations"),
        delay: Field {
            hint: Some(tr.t("settings-delay-hint")),
            max: MailSettings::MAX_SHOP_DELAY_HOURS as usize,
            required: true,
            error: error(&mail_errors, "shop_delay_hours"),
            ..field(
                "shop_delay_hours",
                tr.t("settings-delay"),
                "number",
                typed.shop_delay_hours.clone(),
            )
        },
        reminder: Field {
            hint: Some(tr.t("settings-reminder-hint")),
            options: reminders,
            error: error(&mail_errors, "reminder_days"),
            ..field(
                "reminder_days",
                tr.t("settings-reminder"),
                "select",
                String::new(),
            )
        },
        mail_notice: shown.mail_notice,
        shops: shops
            .into_iter()
            .map(|(kind, since)| ShopRow {
                platform: platform(kind),
                since: tr.with("settings-shop-since", "date", &tr.date(since.date_naive())),
                address: webhook_address(state, kind, slug),
            })
            .collect(),
        how: ShopKind::ALL
            .into_iter()
            .map(|k| {
                let how = tr.t(&format!("settings-shop-how-{}", k.as_str()));
                (how, webhook_address(state, k, slug))
            })
            .collect(),
        kind: Field {
            options: kinds,
            error: error(&shop_errors, "kind"),
            ..field("kind", tr.t("settings-shop-kind"), "select", String::new())
        },
        // What was typed into it is never written back: it is a secret.
        secret: Field {
            hint: Some(tr.t("settings-shop-secret-hint")),
            max: MAX_SHOP_SECRET,
            error: error(&shop_errors, "secret"),
            ..field(
                "secret",
                tr.t("settings-shop-secret"),
                "text",
                String::new(),
            )
        },
        shop_notice: shown.shop_notice,
        link_state: match generation {
            Some(_) => tr.t("settings-link-secret-exists"),
            None => tr.t("settings-link-secret-none"),
        },
        has_link_secret: generation.is_some(),
        link_notice: shown.link_notice,
    })
}

/// The invitations page with `shown`, its invitation form empty.
async fn page(
    state: &AppState,
    tr: Tr,
    s: &super::session::Session,
    shown: Shown,
) -> Result<Response, PageError> {
    invitations_page(
        state,
        tr,
        s,
        &InvitationForm::default(),
        &HashMap::new(),
        None,
        shown,
    )
    .await
}

/// Reads the mail settings form: each field's error code, or the settings (checked by the
/// API's own rule, `app::invitations::mail_settings`).
fn parse_mail_settings(typed: &MailSettingsForm) -> Result<MailSettings, HashMap<String, String>> {
    let mut errors = HashMap::new();
    let number = |v: &str| -> Result<u32, &'static str> {
        let v = v.trim();
        if v.is_empty() {
            return Err("required");
        }
        match v.parse::<i64>() {
            Ok(n) => u32::try_from(n).map_err(|_| "out_of_range"),
            Err(_) if v.bytes().all(|b| b.is_ascii_digit()) => Err("out_of_range"),
            Err(_) => Err("invalid"),
        }
    };
    let delay = number(&typed.shop_delay_hours)
        .map_err(|code| errors.insert("shop_delay_hours".to_owned(), code.to_owned()))
        .ok();
    let reminder = match typed.reminder_days.trim() {
        "" => Some(None),
        days => number(days)
            .map(Some)
            .map_err(|code| errors.insert("reminder_days".to_owned(), code.to_owned()))
            .ok(),
    };
    // What could not be read stands in as a valid value: its own error is already there.
    match app::invitations::mail_settings(delay.unwrap_or(0), reminder.unwrap_or(None)) {
        Ok(settings) if errors.is_empty() => Ok(settings),
        Ok(_) => Err(errors),
        Err(refused) => {
            for (field, code) in first_codes(refused) {
                errors.entry(field).or_insert(code);
            }
            Err(errors)
        }
    }
}

/// `POST /invitations/mail-settings`: the delay after a shop's order and the reminder.
pub async fn save_mail_settings(
    State(state): State<AppState>,
    tr: Tr,
    Posted {
        session: s,
        form: typed,
    }: Posted<MailSettingsForm>,
) -> Result<Response, PageError> {
    let shown = match parse_mail_settings(&typed) {
        Ok(settings) => {
            state
                .store
                .set_mail_settings(s.user.business.id, settings)
                .await?;
            tracing::info!(user = %s.user.id, "changed the mail settings");
            Shown {
                mail_notice: Some(tr.t("settings-mail-saved")),
                ..Shown::default()
            }
        }
        Err(errors) => Shown {
            mail: Some((typed, errors)),
            ..Shown::default()
        },
    };
    page(&state, tr, &s, shown).await
}

/// `POST /invitations/shops`: connects (or reconnects) a shop, with the secret given or a
/// new one, shown once.
pub async fn connect_shop(
    State(state): State<AppState>,
    tr: Tr,
    Posted {
        session: s,
        form: typed,
    }: Posted<ShopForm>,
) -> Result<Response, PageError> {
    let mut errors = HashMap::new();
    let kind = typed
        .kind
        .parse::<ShopKind>()
        .map_err(|e| errors.insert("kind".to_owned(), e.code.to_owned()))
        .ok();
    let given = typed.secret.trim();
    let length = given.chars().count();
    if length > 0 && length < MIN_SHOP_SECRET {
        errors.insert("secret".to_owned(), "too_short".to_owned());
    } else if length > MAX_SHOP_SECRET {
        errors.insert("secret".to_owned(), "too_long".to_owned());
    } else if given.chars().any(char::is_control) {
        errors.insert("secret".to_owned(), "invalid_character".to_owned());
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        let shown = Shown {
            shop: Some((typed.kind, errors)),
            ..Shown::default()
        };
        return page(&state, tr, &s, shown).await;
    };
    let made = given.is_empty();
    let secret = if made {
        app::shops::new_secret()
    } else {
        given.to_owned()
    };
    state
        .store
        .connect_shop(s.user.business.id, kind, secret.clone(), Utc::now())
        .await?;
    tracing::info!(user = %s.user.id, kind = kind.as_str(), "connected a shop");
    let said = if made {
        "settings-shop-connected-new"
    } else {
        "settings-shop-connected"
    };
    let notice = Notice {
        said: tr.with(said, "platform", platform(kind)),
        address: Some(webhook_address(&state, kind, &s.user.business.slug)),
        secret: made.then_some(secret),
    };
    let shown = Shown {
        shop_notice: Some(notice),
        ..Shown::default()
    };
    page(&state, tr, &s, shown).await
}

/// `POST /invitations/link-secret`: a new link secret, shown once; links signed with the
/// previous one stop working.
pub async fn new_link_secret(
    State(state): State<AppState>,
    tr: Tr,
    Posted { session: s, .. }: Posted<CsrfForm>,
) -> Result<Response, PageError> {
    let business = s.user.business.id;
    let generation = state.store.rotate_link_secret(business, Utc::now()).await?;
    let secret = state.instance_key.link_secret(business, generation);
    tracing::info!(user = %s.user.id, "made a new link secret");
    let shown = Shown {
        link_notice: Some(Notice {
            said: tr.t("settings-link-secret-made"),
            address: None,
            secret: Some(secret),
        }),
        ..Shown::default()
    };
    page(&state, tr, &s, shown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(delay: &str, reminder: &str) -> MailSettingsForm {
        MailSettingsForm {
            shop_delay_hours: delay.to_owned(),
            reminder_days: reminder.to_owned(),
            ..MailSettingsForm::default()
        }
    }

    fn refused(delay: &str, reminder: &str) -> Vec<(String, String)> {
        let mut errors: Vec<_> = parse_mail_settings(&form(delay, reminder))
            .unwrap_err()
            .into_iter()
            .collect();
        errors.sort();
        errors
    }

    fn pair(field: &str, code: &str) -> (String, String) {
        (field.to_owned(), code.to_owned())
    }

    #[test]
    fn the_mail_settings_form_is_read_with_the_apis_rule() {
        assert_eq!(
            parse_mail_settings(&form(" 24 ", "")),
            Ok(MailSettings {
                shop_delay_hours: 24,
                reminder_days: None
            })
        );
        assert_eq!(
            parse_mail_settings(&form("0", "60")),
            Ok(MailSettings {
                shop_delay_hours: 0,
                reminder_days: Some(60)
            })
        );
        assert_eq!(
            refused("721", "7"),
            [pair("shop_delay_hours", "out_of_range")]
        );
        assert_eq!(
            refused("-1", "0"),
            [
                pair("reminder_days", "out_of_range"),
                pair("shop_delay_hours", "out_of_range")
            ]
        );
        assert_eq!(
            refused("99999999999999999999", "61"),
            [
                pair("reminder_days", "out_of_range"),
                pair("shop_delay_hours", "out_of_range")
            ]
        );
        assert_eq!(
            refused("", "sette"),
            [
                pair("reminder_days", "invalid"),
                pair("shop_delay_hours", "required")
            ]
        );
    }
}
