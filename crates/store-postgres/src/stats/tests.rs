#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

use super::*;
use domain::plan::CellScope;
use domain::review::{Nps, Rating};
use domain::stats::{Period, day_of, month_start};
use store::{StatsFilter, TrendGrain};

fn rating(n: i64) -> Rating {
    Rating::new(n).unwrap()
}

fn scope(business: BusinessId, product: &str, verified: bool) -> CellScope {
    CellScope {
        business,
        product: product.into(),
        relationship: Relationship::Customer,
        verified,
    }
}

fn mv(scope: &CellScope, day: i64, delta: CellDelta) -> CellMove {
    CellMove {
        scope: scope.clone(),
        day,
        delta,
    }
}

fn at(day: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(day * 86_400 + 3_600, 0).unwrap()
}

#[test]
fn moves_are_summed_per_cell_in_key_order() {
    let b = BusinessId::generate();
    let s = scope(b, "", true);
    // 2026-11-25 (a Wednesday) and the day after: same week, month and all time.
    let day = day_of(DateTime::from_timestamp(1_795_600_000, 0).unwrap());
    assert_eq!(week_start(day), week_start(day + 1));
    assert_eq!(month_start(day), month_start(day + 1));
    let moves = [
        mv(&s, day, CellDelta::published(rating(4), None, at(day))),
        mv(&s, day, CellDelta::first_reply(rating(4), 600)),
        mv(
            &s,
            day + 1,
            CellDelta::published(rating(2), None, at(day + 1)),
        ),
        mv(&s, day + 1, CellDelta::default()),
    ];
    let cells = sum_moves(&moves);
    // Two day cells, one week, one month, one all time.
    assert_eq!(cells.len(), 5);
    let keys: Vec<_> = cells.keys().cloned().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let of = |span: Span, start: i64| {
        cells
            .iter()
            .find(|(k, _)| k.span == span_code(span) && k.start == start)
            .map(|(_, d)| d.clone())
            .unwrap()
    };
    let all = of(Span::All, 0);
    assert_eq!(all.tally.reviews, 2);
    assert_eq!(all.tally.stars, [0, 1, 0, 1, 0]);
    assert_eq!(all.tally.replied, 1);
    assert_eq!(all.delays.len(), 1);
    assert_eq!(of(Span::Week, week_start(day)), all);
    assert_eq!(of(Span::Month, month_start(day)), all);
    assert_eq!(of(Span::Day, day).tally.reviews, 1);
    assert_eq!(of(Span::Day, day + 1).tally.replied, 0);
    assert!(of(Span::Day, day + 1).delays.is_empty());
}

#[test]
fn moves_that_cancel_out_write_nothing() {
    let s = scope(BusinessId::generate(), "SKU", false);
    let day = 20_000;
    let moves = [
        mv(&s, day, CellDelta::first_reply(rating(1), 42)),
        mv(&s, day, CellDelta::invited()),
        mv(
            &s,
            day,
            CellDelta {
                tally: domain::summary::TallyDelta {
                    replied: -1,
                    ..Default::default()
                },
                replied_low: -1,
                invitations_sent: -1,
                delays: vec![domain::stats::DelayCount {
                    bucket: 42,
                    low: true,
                    by: -1,
                }],
                ..Default::default()
            },
        ),
        mv(&s, day, CellDelta::default()),
    ];
    assert!(sum_moves(&moves).is_empty());
    assert!(sum_moves(&[]).is_empty());
}

#[test]
fn rows_are_columns_in_key_order_with_their_delay_counts() {
    let (a, b) = (BusinessId::generate(), BusinessId::generate());
    let day = 20_000;
    let moves = [
        mv(&scope(b, "", true), day, CellDelta::invited()),
        mv(
            &scope(a, "Z", true),
            day,
            CellDelta::first_reply(rating(5), 7),
        ),
        mv(
            &scope(a, "Z", true),
            day,
            CellDelta::first_reply(rating(1), 7),
        ),
        mv(&scope(a, "", false), day, CellDelta::answered()),
    ];
    let (c, d) = rows_of(&sum_moves(&moves));
    assert_eq!(c.business.len(), 12);
    for column in c.counts.iter().chain([&c.start]) {
        assert_eq!(column.len(), 12);
    }
    for column in &c.scores {
        assert_eq!(column.len(), 12);
    }
    let keys: Vec<_> = (0..12)
        .map(|i| (c.business[i], c.product[i].clone(), c.span[i], c.start[i]))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Replied: column 9; invitations sent: 11; answered: 12.
    assert_eq!(c.counts[9].iter().sum::<i64>(), 8);
    assert_eq!(c.counts[10].iter().sum::<i64>(), 4, "replied_low");
    assert_eq!(c.counts[11].iter().sum::<i64>(), 4);
    assert_eq!(c.counts[12].iter().sum::<i64>(), 4);
    // Product Z's four cells, each with a low and a not low count, low last.
    assert_eq!(d.by, vec![1; 8]);
    assert_eq!(d.product, vec!["Z"; 8]);
    assert_eq!(d.low, [false, true].repeat(4));
    assert_eq!(d.bucket, vec![7; 8]);
}

#[test]
fn trend_starts_are_the_latest_weeks_or_months() {
    // 2026-11-25, a Wednesday.
    let today = day_of(DateTime::from_timestamp(1_795_600_000, 0).unwrap());
    let weeks = trend_starts(TrendGrain::Week, 3, today);
    let monday = week_start(today);
    assert_eq!(weeks, [monday - 14, monday - 7, monday]);
    let months = trend_starts(TrendGrain::Month, 13, today);
    assert_eq!(months.len(), 13);
    assert_eq!(domain::stats::date_of(months[0]).to_string(), "2025-11-01");
    assert_eq!(domain::stats::date_of(months[12]).to_string(), "2026-11-01");
    assert!(months.windows(2).all(|w| w[0] < w[1]));
    assert!(trend_starts(TrendGrain::Month, 0, today).is_empty());
    assert!(trend_starts(TrendGrain::Week, 0, today).is_empty());
}

/// A fresh, migrated database in the test cluster, if there is one.
async fn database() -> Option<deadpool_postgres::Pool> {
    if !crate::testing::configured() {
        eprintln!("{} not set: skipped", crate::testing::ENV);
        return None;
    }
    let admin = std::env::var(crate::testing::ENV).unwrap();
    let url = crate::testing::scratch_database(&admin).await.unwrap();
    let pool = crate::connect::pool(&crate::connect::parse(&url).unwrap()).unwrap();
    crate::migrations::apply(&mut pool.get().await.unwrap())
        .await
        .unwrap();
    Some(pool)
}

/// Moves written by several transactions add up, and every read finds them.
#[tokio::test]
async fn written_cells_read_back() {
    let Some(pool) = database().await else {
        return;
    };
    let b = BusinessId::generate();
    let now = Utc::now();
    let today = day_of(now);
    let (verified, unverified) = (scope(b, "", true), scope(b, "", false));
    let product = scope(b, "TAGL", true);
    let old = today - 200;
    let batches = [
        vec![
            mv(&verified, today, CellDelta::invited()),
            mv(&product, today, CellDelta::invited()),
            mv(
                &verified,
                today,
                CellDelta::published(rating(5), Nps::new(10).ok(), now),
            ),
            mv(&verified, today, CellDelta::answered()),
            mv(&product, today, CellDelta::published(rating(4), None, now)),
            mv(&product, today, CellDelta::answered()),
        ],
        vec![mv(
            &unverified,
            old,
            CellDelta::published(rating(1), None, at(old)),
        )],
        vec![mv(&unverified, old, CellDelta::first_reply(rating(1), 100))],
        vec![mv(
            &verified,
            today,
            CellDelta::first_reply(rating(5), 3_000),
        )],
        vec![mv(
            &verified,
            today - 1,
            CellDelta::published(rating(2), None, now),
        )],
        // Published and withdrawn in the same write: nothing.
        vec![
            mv(&verified, today, CellDelta::published(rating(3), None, now)),
            mv(
                &verified,
                today,
                CellDelta::removed(rating(3), None, None, now),
            ),
        ],
    ];
    for moves in &batches {
        let mut client = pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        apply(&tx, moves).await.unwrap();
        tx.commit().await.unwrap();
    }
    let client = pool.get().await.unwrap();
    let filter = |period, product: Option<&str>, verified_only| StatsFilter {
        period,
        relationship: Relationship::Customer,
        product: product.map(Into::into),
        verified_only,
    };
    let all = figures_of(&client, b, &filter(Period::All, None, false), now)
        .await
        .unwrap();
    assert_eq!(all.summary.review_count, 3);
    assert_eq!(all.summary.distribution.0, [1, 1, 0, 0, 1]);
    assert_eq!(all.summary.reply_rate, Some(0.6667));
    assert_eq!(all.summary.median_reply_seconds, Some(1_550));
    assert_eq!(all.median_reply_seconds_low, Some(100));
    assert_eq!((all.low_count, all.reply_rate_low), (2, Some(0.5)));
    assert_eq!((all.invitations_sent, all.invitations_answered), (1, 1));
    assert_eq!(all.reviews_per_invitation, Some(2.0));
    assert_eq!(all.promoters, 1);
    let week = figures_of(&client, b, &filter(Period::Days(7), None, false), now)
        .await
        .unwrap();
    assert_eq!(week.summary.distribution.0, [0, 1, 0, 0, 1]);
    assert_eq!(week.summary.median_reply_seconds, Some(3_000));
    assert_eq!(week.median_reply_seconds_low, None);
    let year = figures_of(&client, b, &filter(Period::Days(365), None, true), now)
        .await
        .unwrap();
    assert_eq!(year.summary.review_count, 2, "verified only");
    let of_product = figures_of(
        &client,
        b,
        &filter(Period::Days(30), Some("TAGL"), true),
        now,
    )
    .await
    .unwrap();
    assert_eq!(of_product.summary.distribution.0, [0, 0, 0, 1, 0]);
    assert_eq!(of_product.invitations_sent, 1);
    let nothing = figures_of(
        &client,
        b,
        &filter(Period::Days(90), Some("NOPE"), false),
        now,
    )
    .await
    .unwrap();
    assert_eq!(nothing.summary.review_count, 0);
    assert_eq!(nothing.summary.median_reply_seconds, None);

    let weeks = trend(
        &client,
        b,
        &filter(Period::All, None, false),
        TrendGrain::Week,
        40,
        now,
    )
    .await
    .unwrap();
    assert_eq!(weeks.len(), 40);
    assert_eq!(weeks.iter().map(|p| p.reviews).sum::<u64>(), 3);
    let last = weeks.last().unwrap();
    assert_eq!(last.start, domain::stats::date_of(week_start(today)));
    let this_week = u64::from(week_start(today - 1) == week_start(today));
    assert_eq!(last.reviews, 1 + this_week);
    assert_eq!(last.median_reply_seconds, Some(3_000));
    let months = trend(
        &client,
        b,
        &filter(Period::All, None, true),
        TrendGrain::Month,
        3,
        now,
    )
    .await
    .unwrap();
    assert_eq!(months.len(), 3);
    assert_eq!(
        months.iter().map(|p| p.reviews).sum::<u64>(),
        2,
        "verified only"
    );
    assert!(
        trend(
            &client,
            b,
            &filter(Period::All, None, true),
            TrendGrain::Month,
            0,
            now
        )
        .await
        .unwrap()
        .is_empty()
    );
}

/// The summary's tallies come from the all-time cells, its median from `reply_delays`;
/// the products from the products' all-time cells.
#[tokio::test]
async fn summary_and_products_read_back() {
    let Some(pool) = database().await else {
        return;
    };
    let b = BusinessId::generate();
    let now = Utc::now();
    let today = day_of(now);
    let mut client = pool.get().await.unwrap();
    client
        .execute(
            "INSERT INTO businesses (id, slug, name, created_at) VALUES ($1, 'b', 'B', 0)",
            &[&b.0],
        )
        .await
        .unwrap();
    for (sku, name) in [
        ("A", "Zuppa"),
        ("B", "Arancini"),
        ("C", "Cannoli"),
        ("D", "Dolce"),
    ] {
        client
            .execute(
                "INSERT INTO products (business_id, sku, name) VALUES ($1, $2, $3)",
                &[&b.0, &sku, &name],
            )
            .await
            .unwrap();
    }
    let s = scope(b, "", true);
    let mut moves = Vec::new();
    for (i, (stars, delay)) in [(5, Some(10)), (4, Some(30)), (1, Some(1_000)), (3, None)]
        .into_iter()
        .enumerate()
    {
        moves.push(mv(
            &s,
            today,
            CellDelta::published(rating(stars), None, now),
        ));
        let review = uuid::Uuid::now_v7();
        client
            .execute(
                "INSERT INTO reviews (id, business_id, relationship, verified, status, rating,
                     title, body, author_name, language, edit_token_hash, created_at)
                 VALUES ($1, $2, 'customer', true, 'published', $3, '', '', 'x', 'it',
                     '\\x00', 0)",
                &[&review, &b.0, &(stars as i32)],
            )
            .await
            .unwrap();
        if let Some(delay) = delay {
            moves.push(mv(&s, today, CellDelta::first_reply(rating(stars), delay)));
            client
                .execute(
                    "INSERT INTO reply_delays (review_id, business_id, relationship, seconds)
                     VALUES ($1, $2, 'customer', $3)",
                    &[&review, &b.0, &delay],
                )
                .await
                .unwrap();
        }
        let sku = ["A", "B", "C", "B"][i];
        moves.push(mv(
            &scope(b, sku, true),
            today,
            CellDelta::published(rating(stars), None, now),
        ));
    }
    moves.push(mv(&scope(b, "D", true), today, CellDelta::invited()));
    let tx = client.transaction().await.unwrap();
    apply(&tx, &moves).await.unwrap();
    tx.commit().await.unwrap();

    let summary = summary(&mut client, b, Relationship::Customer)
        .await
        .unwrap();
    assert_eq!(summary.review_count, 4);
    assert_eq!(summary.distribution.0, [1, 0, 1, 1, 1]);
    assert_eq!(summary.rating_average, Some(3.25));
    assert_eq!(summary.reply_rate, Some(0.75));
    assert_eq!(
        summary.median_reply_seconds,
        Some(30),
        "exact, not bucketed"
    );
    let other = summary_of(&mut client, b, Relationship::Supplier).await;
    assert_eq!(other.review_count, 0);
    assert_eq!(other.median_reply_seconds, None);

    let rated = products(&client, b, Relationship::Customer).await.unwrap();
    let rated: Vec<_> = rated
        .iter()
        .map(|p| (p.sku.as_str(), p.name.as_str(), p.reviews, p.rating_average))
        .collect();
    assert_eq!(
        rated,
        [
            ("B", "Arancini", 2, Some(3.5)),
            ("C", "Cannoli", 1, Some(1.0)),
            ("A", "Zuppa", 1, Some(5.0)),
        ]
    );
    assert!(
        products(&client, b, Relationship::Supplier)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        product(&client, b, "D").await.unwrap().map(|p| p.name),
        Some("Dolce".to_owned())
    );
    assert_eq!(product(&client, b, "E").await.unwrap(), None);
}

async fn summary_of(
    client: &mut deadpool_postgres::Client,
    b: BusinessId,
    relationship: Relationship,
) -> domain::summary::Summary {
    summary(client, b, relationship).await.unwrap()
}
