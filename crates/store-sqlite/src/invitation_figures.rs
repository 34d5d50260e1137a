//! The invitations' public figures (see `store::invitation_figures`).

use domain::ids::BusinessId;

use crate::{SqliteStore, StoreResult, corrupt};

/// One pass over the business's invitations. The sources a shop connection writes are
/// `domain::invitation::InvitationSource::is_shop`'s; every other source is a person's.
const FIGURES: &str = "
    SELECT COUNT(CASE WHEN i.source IN ('shopify', 'woocommerce') THEN 1 END),
           COUNT(CASE WHEN i.source NOT IN ('shopify', 'woocommerce') THEN 1 END),
           COUNT(CASE WHEN i.mail_status IN ('sent', 'reminded') THEN 1 END),
           COUNT(CASE WHEN i.mail_status = 'reminded' THEN 1 END),
           (SELECT COUNT(*) FROM mail_suppressions s WHERE s.business_id = ?1),
           COUNT(CASE WHEN i.mail_status = 'undeliverable' THEN 1 END),
           COUNT(CASE WHEN EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id)
                      THEN 1 END)
    FROM invitations i
    WHERE i.business_id = ?1";

#[async_trait::async_trait]
impl store::InvitationFigureReads for SqliteStore {
    async fn invitation_figures(
        &self,
        business: BusinessId,
    ) -> StoreResult<store::InvitationFigures> {
        self.read(move |c| {
            let counts: [i64; 7] =
                c.prepare_cached(FIGURES)?
                    .query_row([business.to_string()], |r| {
                        Ok([
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                        ])
                    })?;
            let count =
                |i: usize| u64::try_from(counts[i]).map_err(|_| corrupt("count", counts[i]));
            Ok(store::InvitationFigures {
                by_shop: count(0)?,
                by_hand: count(1)?,
                sent: count(2)?,
                reminded: count(3)?,
                unsubscribed: count(4)?,
                undeliverable: count(5)?,
                answered: count(6)?,
            })
        })
        .await
    }
}
