//! The JSON shapes of the API's responses, built from store records.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::summary::Summary;
use serde::Serialize;
use utoipa::ToSchema;

/// A business as the public sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessView {
    pub slug: String,
    pub name: String,
    pub website: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The summary of the customers' reviews.
    pub summary: SummaryView,
}

impl BusinessView {
    pub fn new(b: store::Business, summary: Summary) -> Self {
        Self {
            slug: b.slug,
            name: b.name,
            website: b.website,
            created_at: b.created_at,
            summary: summary.into(),
        }
    }
}

/// Satisfaction figures for one relationship, kept up to date as reviews arrive.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryView {
    /// Published reviews; withdrawn ones do not count.
    pub review_count: u64,
    /// Mean stars, two decimals; `null` without reviews.
    #[schema(minimum = 1, maximum = 5)]
    pub rating_average: Option<f64>,
    /// Reviews per star value, `{"1": n, …, "5": n}`.
    pub distribution: BTreeMap<String, u64>,
    /// Net Promoter Score (−100 to 100) over the reviews that answered the question.
    #[schema(minimum = -100, maximum = 100)]
    pub nps: Option<f64>,
    pub nps_responses: u64,
    /// Share of published reviews with a reply, 0 to 1.
    #[schema(minimum = 0, maximum = 1)]
    pub reply_rate: Option<f64>,
    /// Median seconds from a review to the business's first reply.
    pub median_reply_seconds: Option<i64>,
    /// The published score: a Bayesian average with recency weighting (`docs/scoring.md`),
    /// reproducible from `ratings.csv`; `null` without reviews.
    pub score: Option<ScoreView>,
}

/// The score, its interval, the moment its weights were taken, and its parameters.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreView {
    /// Stars, three decimals.
    #[schema(example = 4.412, minimum = 1, maximum = 5)]
    pub value: f64,
    /// An approximate 95% interval, within 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub low: f64,
    #[schema(minimum = 1, maximum = 5)]
    pub high: f64,
    /// The instant each review's age is measured to.
    pub as_of: DateTime<Utc>,
    pub prior_weight: f64,
    pub prior_mean: f64,
    pub prior_sd: f64,
    pub half_life_days: f64,
}

/// A business's (or product's) figures for one period and filter.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    #[schema(value_type = crate::api::schema::Period)]
    pub period: &'static str,
    /// The period's first day (UTC), `null` for all time; it ends today.
    pub from: Option<chrono::NaiveDate>,
    pub to: chrono::NaiveDate,
    #[schema(value_type = crate::api::schema::Relationship)]
    pub relationship: &'static str,
    /// The product's SKU, `null` for the whole business.
    pub product: Option<String>,
    pub verified_only: bool,
    #[serde(flatten)]
    pub summary: SummaryView,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// Published reviews of 1–2 stars.
    pub low_count: u64,
    /// Share of the 1–2 star reviews with a reply, 0 to 1.
    #[schema(minimum = 0, maximum = 1)]
    pub reply_rate_low: Option<f64>,
    /// Median seconds to the first reply of 1–2 star reviews (two significant digits).
    pub median_reply_seconds_low: Option<i64>,
    /// Invitations sent in the period.
    pub invitations_sent: u64,
    /// Of those, how many led to a review.
    pub invitations_answered: u64,
    /// Verified reviews published in the period per invitation sent in it.
    pub reviews_per_invitation: Option<f64>,
    /// Share of the period's invitations without a review (yet), 0 to 1.
    #[schema(minimum = 0, maximum = 1)]
    pub non_response_rate: Option<f64>,
}

impl StatsView {
    pub fn new(filter: &store::StatsFilter, now: DateTime<Utc>, f: domain::stats::Figures) -> Self {
        let today = domain::stats::day_of(now);
        Self {
            period: filter.period.as_str(),
            from: filter.period.first_day(today).map(domain::stats::date_of),
            to: domain::stats::date_of(today),
            relationship: filter.relationship.as_str(),
            product: filter.product.clone(),
            verified_only: filter.verified_only,
            summary: f.summary.into(),
            promoters: f.promoters,
            passives: f.passives,
            detractors: f.detractors,
            low_count: f.low_count,
            reply_rate_low: f.reply_rate_low,
            median_reply_seconds_low: f.median_reply_seconds_low,
            invitations_sent: f.invitations_sent,
            invitations_answered: f.invitations_answered,
            reviews_per_invitation: f.reviews_per_invitation,
            non_response_rate: f.non_response_rate,
        }
    }
}

/// A weekly or monthly series, oldest first, empty weeks or months included.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendView {
    #[schema(value_type = crate::api::schema::Grain)]
    pub grain: &'static str,
    #[schema(value_type = crate::api::schema::Relationship)]
    pub relationship: &'static str,
    pub product: Option<String>,
    pub verified_only: bool,
    pub points: Vec<TrendPointView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPointView {
    /// The week's Monday or the month's first day (UTC).
    pub start: chrono::NaiveDate,
    /// Reviews published in it (and still published).
    pub reviews: u64,
    #[schema(minimum = 1, maximum = 5)]
    pub rating_average: Option<f64>,
    /// Of those, how many have a reply.
    pub replied: u64,
    /// Median seconds to the first reply, two significant digits.
    pub median_reply_seconds: Option<i64>,
}

impl TrendView {
    pub fn new(
        grain: store::TrendGrain,
        filter: &store::StatsFilter,
        points: Vec<store::TrendPoint>,
    ) -> Self {
        Self {
            grain: match grain {
                store::TrendGrain::Week => "week",
                store::TrendGrain::Month => "month",
            },
            relationship: filter.relationship.as_str(),
            product: filter.product.clone(),
            verified_only: filter.verified_only,
            points: points
                .into_iter()
                .map(|p| TrendPointView {
                    start: p.start,
                    reviews: p.reviews,
                    rating_average: p.rating_average,
                    replied: p.replied,
                    median_reply_seconds: p.median_reply_seconds,
                })
                .collect(),
        }
    }
}

impl From<Summary> for SummaryView {
    fn from(s: Summary) -> Self {
        Self {
            review_count: s.review_count,
            rating_average: s.rating_average,
            distribution: (1..=5)
                .zip(s.distribution.0)
                .map(|(stars, n)| (stars.to_string(), n))
                .collect(),
            nps: s.nps,
            nps_responses: s.nps_responses,
            reply_rate: s.reply_rate,
            median_reply_seconds: s.median_reply_seconds,
            score: s.score.map(|score| {
                let p = domain::score::PARAMETERS;
                ScoreView {
                    value: score.value,
                    low: score.low,
                    high: score.high,
                    as_of: score.as_of,
                    prior_weight: p.prior_weight,
                    prior_mean: p.prior_mean,
                    prior_sd: p.prior_sd,
                    half_life_days: p.half_life_days,
                }
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessRefView {
    pub slug: String,
    pub name: String,
}

/// A product an invitation lists; its page, picture and GTIN only when the invitation gave
/// them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub sku: String,
    pub name: String,
    /// The product's own page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", nullable = false)]
    pub url: Option<String>,
    /// A picture of the product.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", nullable = false)]
    pub image: Option<String>,
    /// Its GTIN: 8, 12, 13 or 14 digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(examples("4006381333931"), nullable = false)]
    pub gtin: Option<String>,
}

/// What the business receives when it creates an invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationCreated {
    pub id: String,
    /// The single-use token; the same one again if the same reference is invited again.
    pub token: String,
    /// The link to send to the invitee.
    pub url: String,
    pub expires_at: DateTime<Utc>,
    pub reference: String,
    #[schema(value_type = crate::api::schema::Relationship)]
    pub relationship: domain::invitation::Relationship,
    #[schema(value_type = crate::api::schema::Locale)]
    pub locale: domain::invitation::Locale,
    pub products: Vec<ProductView>,
    pub created_at: DateTime<Utc>,
    /// When a review was written with it.
    pub used_at: Option<DateTime<Utc>>,
    /// Who asked for it: `api`, `page`, `csv`, `link`, `shopify` or `woocommerce`.
    #[schema(example = "api")]
    pub source: &'static str,
    /// When its e-mail goes out; absent when none is sent (no address, or this instance
    /// sends no e-mail).
    pub send_at: Option<DateTime<Utc>>,
    /// Where its e-mail stands: `none` (no address, or no e-mail configured), `scheduled`,
    /// `sent`, `reminded`, `failed`, `undeliverable` or `unsubscribed`.
    #[schema(example = "scheduled")]
    pub mail: &'static str,
}

/// What a review form needs to know about an invitation. Nothing private: not the
/// reference, not the invitee's name or address.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationPublic {
    pub business: BusinessRefView,
    #[schema(value_type = crate::api::schema::Relationship)]
    pub relationship: domain::invitation::Relationship,
    #[schema(value_type = crate::api::schema::Locale)]
    pub locale: domain::invitation::Locale,
    pub products: Vec<ProductView>,
    pub expires_at: DateTime<Utc>,
}

pub fn products(p: Vec<store::ProductRecord>) -> Vec<ProductView> {
    p.into_iter()
        .map(|p| ProductView {
            sku: p.sku,
            name: p.name,
            url: p.url,
            image: p.image,
            gtin: p.gtin,
        })
        .collect()
}

/// A reviewer's rating of one product.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductReviewView {
    pub sku: String,
    /// The product's name, as the business's latest invitation gave it.
    pub name: String,
    /// 1 to 5 stars.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: u8,
    pub body: Option<String>,
}

/// A review. A withdrawn review is a tombstone: its content fields, reply and follow-up are
/// `null`, and `withdrawn_at` says when.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub id: String,
    pub business: BusinessRefView,
    #[schema(value_type = crate::api::schema::Relationship)]
    pub relationship: domain::invitation::Relationship,
    /// `true` when written from an invitation the business sent.
    pub verified: bool,
    /// Set for a review the business collected elsewhere and imported: never verified,
    /// counted in no figure, left out of structured data. `created_at` is when it was
    /// imported; `imported.original_date` when it was written at its source.
    pub imported: Option<ImportedView>,
    #[schema(value_type = crate::api::schema::ReviewStatus)]
    pub status: domain::review::ReviewStatus,
    /// 1 to 5 stars (`null` for a tombstone).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<u8>,
    pub title: Option<String>,
    pub body: Option<String>,
    /// 0 to 10, if the reviewer answered.
    #[schema(maximum = 10)]
    pub nps: Option<u8>,
    pub experience_date: Option<NaiveDate>,
    pub author_name: Option<String>,
    pub language: Option<String>,
    /// The invitation's products the reviewer rated (empty for a tombstone).
    pub products: Vec<ProductReviewView>,
    pub created_at: DateTime<Utc>,
    /// The last edit by the author.
    pub updated_at: Option<DateTime<Utc>>,
    pub edit_count: u32,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// When its personal content was erased (status `erased`).
    pub erased_at: Option<DateTime<Utc>>,
    pub reply: Option<ReplyView>,
    pub follow_up: Option<FollowUpView>,
    /// The review's latest event in the public log, and what opens its commitment.
    pub log: Option<LogRefView>,
}

/// Where and when an imported review was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedView {
    /// Where it was collected, as the business named it ("Google", "paper cards").
    pub source: String,
    pub original_date: NaiveDate,
}

/// An event's place in the public log. With `salt` and `content`, anyone can recompute the
/// entry's commitment: `SHA-256("passaparola/commitment/v1" ‖ 0x00 ‖ salt ‖ content)`
/// (see `docs/log-format.md`). Both are `null` once the review is withdrawn or erased.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogRefView {
    pub index: u64,
    /// 32 bytes, base64.
    pub salt: Option<String>,
    /// The canonical content (compact JSON with sorted keys), exactly as committed.
    pub content: Option<String>,
}

impl LogRefView {
    pub fn new(index: Option<u64>, opening: Option<store::Opening>) -> Option<Self> {
        use base64::Engine;
        let index = index?;
        let (salt, content) = match opening {
            Some(o) => (
                Some(base64::engine::general_purpose::STANDARD.encode(o.salt)),
                Some(String::from_utf8_lossy(&o.content).into_owned()),
            ),
            None => (None, None),
        };
        Some(Self {
            index,
            salt,
            content,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyView {
    pub body: String,
    pub responder_name: String,
    pub responder_role: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub edit_count: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpView {
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<store::Review> for ReviewView {
    fn from(r: store::Review) -> Self {
        let c = r.content;
        Self {
            id: r.id.to_string(),
            business: BusinessRefView {
                slug: r.business.slug,
                name: r.business.name,
            },
            relationship: r.relationship,
            verified: r.verified,
            imported: r.imported.map(|i| ImportedView {
                source: i.source,
                original_date: i.original_date,
            }),
            status: r.status,
            rating: c.as_ref().map(|c| c.rating),
            title: c.as_ref().map(|c| c.title.clone()),
            body: c.as_ref().map(|c| c.body.clone()),
            nps: c.as_ref().and_then(|c| c.nps),
            experience_date: c.as_ref().and_then(|c| c.experience_date),
            author_name: c.as_ref().map(|c| c.author_name.clone()),
            products: c.as_ref().map_or_else(Vec::new, |c| {
                c.products
                    .iter()
                    .map(|p| ProductReviewView {
                        sku: p.sku.clone(),
                        name: p.name.clone(),
                        rating: p.rating,
                        body: p.body.clone(),
                    })
                    .collect()
            }),
            language: c.map(|c| c.language),
            created_at: r.created_at,
            updated_at: r.updated_at,
            edit_count: r.edit_count,
            withdrawn_at: r.withdrawn_at,
            erased_at: r.erased_at,
            reply: r.reply.map(|p| ReplyView {
                body: p.body,
                responder_name: p.responder_name,
                responder_role: p.responder_role,
                created_at: p.created_at,
                updated_at: p.updated_at,
                edit_count: p.edit_count,
            }),
            follow_up: r.follow_up.map(|f| FollowUpView {
                body: f.body,
                created_at: f.created_at,
            }),
            log: LogRefView::new(r.log_index, r.opening),
        }
    }
}

/// The response to a submission: the review, and the reviewer's edit token, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedReview {
    #[serde(flatten)]
    pub review: ReviewView,
    /// Keep it: it is the only way to edit, answer or withdraw this review. Shown once.
    pub edit_token: String,
    /// The review's receipt (`c2sp.org/tlog-proof@v1`): proof that the log accepted it as
    /// written. Also at `GET /api/v1/reviews/{id}/receipt`.
    pub receipt: Option<String>,
}

/// One page of reviews.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewPage {
    pub items: Vec<ReviewView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A review's history: every event, oldest first, each with what it published. For a
/// withdrawn review only the kinds and times are shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub review_id: String,
    pub events: Vec<EventView>,
    /// Pass as `cursor` for the next events; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    #[schema(value_type = crate::api::schema::EventKind)]
    pub kind: domain::lifecycle::EventKind,
    pub at: DateTime<Utc>,
    /// What the event published (a snapshot), or `null` for a withdrawn review.
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    /// The event's entry in the public log.
    pub log: Option<LogRefView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}
