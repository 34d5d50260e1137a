//! The figures and trend charts as the business page, the product pages and the inbox show
//! them: every number already in words, every chart with its table as a text alternative.

use chrono::{Datelike, NaiveDate};
use domain::stats::{Figures, Period};
use serde::Deserialize;
use store::{StatsFilter, TrendGrain, TrendPoint};

use super::charts::{self, Chart, Point, Style};
use super::i18n::Tr;
use super::parts::{Choice, Select};

/// A chart with its caption and its data as a table.
#[derive(Debug)]
pub struct ChartView {
    /// The SVG, every text in it escaped by `charts::svg`.
    pub svg: String,
    pub caption: String,
    pub head: (String, String),
    pub rows: Vec<(String, String)>,
}

/// The figures' query on a page: a period, verified-only or not, and the trend's grain.
#[derive(Debug, Default, Deserialize)]
pub struct FiguresQuery {
    pub period: Option<String>,
    pub verified: Option<String>,
    pub grain: Option<String>,
}

/// What a page's figures query asks for; anything unknown falls back to the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiguresChoice {
    pub period: Period,
    pub verified_only: bool,
    pub grain: TrendGrain,
}

impl FiguresQuery {
    pub fn choice(&self) -> FiguresChoice {
        FiguresChoice {
            period: self
                .period
                .as_deref()
                .and_then(|p| p.parse().ok())
                .unwrap_or(Period::Days(365)),
            verified_only: self.verified.as_deref() == Some("true"),
            grain: match self.grain.as_deref() {
                Some("week") => TrendGrain::Week,
                _ => TrendGrain::Month,
            },
        }
    }
}

impl FiguresChoice {
    pub fn filter(
        &self,
        relationship: domain::invitation::Relationship,
        product: Option<String>,
    ) -> StatsFilter {
        StatsFilter {
            period: self.period,
            relationship,
            product,
            verified_only: self.verified_only,
        }
    }

    /// The selects of the figures' form.
    pub fn selects(&self, tr: &Tr) -> Vec<Select> {
        let choice = |value: &str, label: String, selected: bool| Choice {
            value: value.to_owned(),
            label,
            selected,
        };
        vec![
            Select {
                name: "period",
                label: tr.t("period-label"),
                options: Period::CHOICES
                    .iter()
                    .map(|&p| {
                        choice(
                            p.as_str(),
                            tr.t(&format!("period-{}", p.as_str())),
                            p == self.period,
                        )
                    })
                    .collect(),
            },
            Select {
                name: "verified",
                label: tr.t("verified-label"),
                options: vec![
                    choice("false", tr.t("verified-all"), !self.verified_only),
                    choice("true", tr.t("verified-only"), self.verified_only),
                ],
            },
            Select {
                name: "grain",
                label: tr.t("grain-label"),
                options: vec![
                    choice(
                        "month",
                        tr.t("grain-month"),
                        self.grain == TrendGrain::Month,
                    ),
                    choice("week", tr.t("grain-week"), self.grain == TrendGrain::Week),
                ],
            },
        ]
    }
}

fn percent(tr: &Tr, share: Option<f64>) -> Option<String> {
    share.map(|r| tr.with("percent", "value", &tr.decimal(r * 100.0, 0)))
}

/// The figures as (term, value) pairs, "no data yet" where a figure has none.
pub fn rows(tr: &Tr, f: &Figures) -> Vec<(String, String)> {
    let s = &f.summary;
    let or_none = |v: Option<String>| v.unwrap_or_else(|| tr.t("not-yet"));
    vec![
        (
            tr.t("score-label-bayes"),
            or_none(s.score.map(|sc| {
                tr.args(
                    "score-value",
                    &[
                        ("value", tr.decimal(sc.value, 2).into()),
                        ("low", tr.decimal(sc.low, 2).into()),
                        ("high", tr.decimal(sc.high, 2).into()),
                    ],
                )
            })),
        ),
        (tr.t("figure-reviews"), s.review_count.to_string()),
        (
            tr.t("score-label"),
            or_none(s.rating_average.map(|a| tr.decimal(a, 2))),
        ),
        (
            tr.t("nps-label"),
            or_none(s.nps.map(|n| {
                tr.args(
                    "nps-value",
                    &[
                        ("nps", tr.decimal(n, 0).into()),
                        ("count", i64::try_from(s.nps_responses).unwrap_or(0).into()),
                    ],
                )
            })),
        ),
        (tr.t("reply-rate"), or_none(percent(tr, s.reply_rate))),
        (
            tr.t("reply-rate-low"),
            or_none(percent(tr, f.reply_rate_low)),
        ),
        (
            tr.t("median-reply"),
            or_none(s.median_reply_seconds.map(|d| tr.duration(d))),
        ),
        (
            tr.t("median-reply-low"),
            or_none(f.median_reply_seconds_low.map(|d| tr.duration(d))),
        ),
        (tr.t("invitations-sent"), f.invitations_sent.to_string()),
        (
            tr.t("reviews-per-invitation"),
            or_none(f.reviews_per_invitation.map(|r| tr.decimal(r, 2))),
        ),
        (
            tr.t("non-response"),
            or_none(percent(tr, f.non_response_rate)),
        ),
    ]
}

/// A point's label: "3 nov" for a week, "nov 26" for a month.
fn label(tr: &Tr, start: NaiveDate, grain: TrendGrain) -> String {
    let month: String = tr
        .t(&format!("month-{}", start.month()))
        .chars()
        .take(3)
        .collect();
    match grain {
        TrendGrain::Week => format!("{} {month}", start.day()),
        TrendGrain::Month => format!("{month} {:02}", start.year() % 100),
    }
}

/// The three trend charts: mean rating, volume and median reply time.
pub fn charts(tr: &Tr, id: &str, points: &[TrendPoint], grain: TrendGrain) -> Vec<ChartView> {
    let grain_name = match grain {
        TrendGrain::Week => "week",
        TrendGrain::Month => "month",
    };
    let labels: Vec<String> = points.iter().map(|p| label(tr, p.start, grain)).collect();
    let full: Vec<String> = points
        .iter()
        .map(|p| match grain {
            TrendGrain::Week => tr.with("week-of", "date", &tr.date(p.start)),
            TrendGrain::Month => format!(
                "{} {}",
                tr.t(&format!("month-{}", p.start.month())),
                p.start.year()
            ),
        })
        .collect();
    let series = |values: Vec<Option<f64>>| -> Vec<Point> {
        labels
            .iter()
            .zip(values)
            .map(|(label, value)| Point {
                label: label.clone(),
                value,
            })
            .collect()
    };
    let not_yet = tr.t("not-yet");
    let mut out = Vec::new();
    let mut add = |which: &str,
                   style: Style,
                   y_min: f64,
                   y_max: Option<f64>,
                   values: Vec<Option<f64>>,
                   format: &dyn Fn(f64) -> String,
                   cell: &dyn Fn(&TrendPoint) -> Option<String>| {
        let title = tr.t(&format!("chart-{which}-{grain_name}"));
        let points_of = series(values);
        let svg = charts::svg(&Chart {
            id: &format!("{id}-{which}"),
            title: &title,
            points: &points_of,
            style,
            y_min,
            y_max,
            format,
        });
        out.push(ChartView {
            svg,
            caption: title,
            head: (
                tr.t(&format!("chart-{grain_name}")),
                tr.t(&format!("chart-{which}-value")),
            ),
            rows: points
                .iter()
                .zip(&full)
                .map(|(p, name)| (name.clone(), cell(p).unwrap_or_else(|| not_yet.clone())))
                .collect(),
        });
    };
    add(
        "rating",
        Style::Line,
        1.0,
        Some(5.0),
        points.iter().map(|p| p.rating_average).collect(),
        &|v| tr.decimal(v, 0),
        &|p| p.rating_average.map(|a| tr.decimal(a, 2)),
    );
    add(
        "volume",
        Style::Bars,
        0.0,
        None,
        points.iter().map(|p| Some(p.reviews as f64)).collect(),
        &|v| tr.decimal(v, 0),
        &|p| Some(p.reviews.to_string()),
    );
    add(
        "reply",
        Style::Line,
        0.0,
        None,
        points
            .iter()
            .map(|p| p.median_reply_seconds.map(|s| s as f64 / 3600.0))
            .collect(),
        &|hours| tr.duration((hours * 3600.0).round() as i64),
        &|p| p.median_reply_seconds.map(|s| tr.duration(s)),
    );
    out
}

/// How many weeks or months a page's trend charts show.
pub(super) fn points(grain: store::TrendGrain) -> usize {
    match grain {
        store::TrendGrain::Week => 26,
        store::TrendGrain::Month => 12,
    }
}
