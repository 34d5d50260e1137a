//! Shops and link secrets (see `store::shops`).

use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::shop::ShopKind;
use rusqlite::{OptionalExtension, params};

use crate::{SqliteStore, StoreResult, corrupt, from_ms, to_ms};

#[async_trait::async_trait]
impl store::Shops for SqliteStore {
    async fn connect_shop(
        &self,
        business: BusinessId,
        kind: ShopKind,
        secret: String,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.writer
            .write(move |c, _| {
                c.prepare_cached(
                    "INSERT INTO shop_connections (business_id, kind, secret, created_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (business_id, kind) DO UPDATE SET secret = excluded.secret,
                         created_at = excluded.created_at",
                )?
                .execute(params![
                    business.to_string(),
                    kind.as_str(),
                    secret,
                    to_ms(at)
                ])?;
                Ok(())
            })
            .await
    }

    async fn shop_secret(
        &self,
        business: BusinessId,
        kind: ShopKind,
    ) -> StoreResult<Option<String>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT secret FROM shop_connections WHERE business_id = ?1 AND kind = ?2",
            )?
            .query_row(params![business.to_string(), kind.as_str()], |r| r.get(0))
            .optional()?)
        })
        .await
    }

    async fn shops(&self, business: BusinessId) -> StoreResult<Vec<(ShopKind, DateTime<Utc>)>> {
        self.read(move |c| {
            let rows = c
                .prepare_cached(
                    "SELECT kind, created_at FROM shop_connections WHERE business_id = ?1
                     ORDER BY kind",
                )?
                .query_map([business.to_string()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(kind, at)| {
                    Ok((
                        kind.parse().map_err(|_| corrupt("shop kind", &kind))?,
                        from_ms(at)?,
                    ))
                })
                .collect()
        })
        .await
    }

    async fn delivery_seen(
        &self,
        business: BusinessId,
        kind: ShopKind,
        delivery: &str,
    ) -> StoreResult<bool> {
        let delivery = delivery.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT 1 FROM shop_deliveries
                 WHERE business_id = ?1 AND kind = ?2 AND delivery_id = ?3",
            )?
            .query_row(
                params![business.to_string(), kind.as_str(), delivery],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
        })
        .await
    }

    async fn record_delivery(
        &self,
        business: BusinessId,
        kind: ShopKind,
        delivery: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let delivery = delivery.to_owned();
        self.writer
            .write(move |c, _| {
                c.prepare_cached(
                    "INSERT INTO shop_deliveries (business_id, kind, delivery_id, received_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    business.to_string(),
                    kind.as_str(),
                    delivery,
                    to_ms(at)
                ])?;
                Ok(())
            })
            .await
    }

    async fn link_generation(&self, business: BusinessId) -> StoreResult<Option<u32>> {
        self.read(move |c| {
            let g: Option<i64> = c
                .prepare_cached("SELECT generation FROM link_secrets WHERE business_id = ?1")?
                .query_row([business.to_string()], |r| r.get(0))
                .optional()?;
            g.map(|g| u32::try_from(g).map_err(|_| corrupt("generation", g)))
                .transpose()
        })
        .await
    }

    async fn rotate_link_secret(
        &self,
        business: BusinessId,
        at: DateTime<Utc>,
    ) -> StoreResult<u32> {
        self.writer
            .write(move |c, _| {
                let g: i64 = c
                    .prepare_cached(
                        "INSERT INTO link_secrets (business_id, generation, created_at)
                         VALUES (?1, 1, ?2)
                         ON CONFLICT (business_id) DO UPDATE SET
                             generation = link_secrets.generation + 1,
                             created_at = excluded.created_at
                         RETURNING generation",
                    )?
                    .query_row(params![business.to_string(), to_ms(at)], |r| r.get(0))?;
                u32::try_from(g).map_err(|_| corrupt("generation", g))
            })
            .await
    }
}
