//! The invitations' public figures (see `store::invitation_figures`), as SQLite's.

use domain::ids::BusinessId;

use crate::db::{Db, corrupt};
use crate::{PostgresStore, StoreResult};

/// One pass over the business's invitations. The sources a shop connection writes are
/// `domain::invitation::InvitationSource::is_shop`'s; every other source is a person's.
const FIGURES: &str = "
    SELECT COUNT(*) FILTER (WHERE i.source IN ('shopify', 'woocommerce')),
           COUNT(*) FILTER (WHERE i.source NOT IN ('shopify', 'woocommerce')),
           COUNT(*) FILTER (WHERE i.mail_status IN ('sent', 'reminded')),
           COUNT(*) FILTER (WHERE i.mail_status = 'reminded'),
           (SELECT COUNT(*) FROM mail_suppressions s WHERE s.business_id = $1),
           COUNT(*) FILTER (WHERE i.mail_status = 'undeliverable'),
           COUNT(*) FILTER (WHERE EXISTS
               (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id))
    FROM invitations i
    WHERE i.business_id = $1";

#[async_trait::async_trait]
impl store::InvitationFigureReads for PostgresStore {
    async fn invitation_figures(
        &self,
        business: BusinessId,
    ) -> StoreResult<store::InvitationFigures> {
        let row = Db::query_one(&client!(self), FIGURES, &[&business.0]).await?;
        // COUNT is a bigint.
        let count = |i: usize| -> crate::db::Result<u64> {
            let n: i64 = row.try_get(i)?;
            u64::try_from(n).map_err(|_| corrupt("count", n))
        };
        Ok(store::InvitationFigures {
            by_shop: count(0)?,
            by_hand: count(1)?,
            sent: count(2)?,
            reminded: count(3)?,
            unsubscribed: count(4)?,
            undeliverable: count(5)?,
            answered: count(6)?,
        })
    }
}
