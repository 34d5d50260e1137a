//! The public figures of a business's invitations, for `/b/{slug}/invitations`: how many a
//! shop connection created and how many a person did, where their e-mails stand, and how
//! many were answered. All time, numbers only: nothing about any one invitee.

use async_trait::async_trait;
use domain::ids::BusinessId;

use crate::Result;

/// A business's invitations, counted over all time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvitationFigures {
    /// Created by a shop connection (Shopify, WooCommerce).
    pub by_shop: u64,
    /// Created by a person: the API, the pages, a CSV import, a link the business signed.
    pub by_hand: u64,
    /// Whose e-mail went out (its mail status is sent or reminded).
    pub sent: u64,
    /// Whose one reminder went out too.
    pub reminded: u64,
    /// Addresses that asked for no more mail from the business (each counted once, however
    /// many invitations it had).
    pub unsubscribed: u64,
    /// Whose address the receiving server refused for good.
    pub undeliverable: u64,
    /// From which a review was written.
    pub answered: u64,
}

/// The invitations' public figures.
#[async_trait]
pub trait InvitationFigureReads: Send + Sync {
    /// The business's invitation figures, all time (zeros for a business without any).
    async fn invitation_figures(&self, business: BusinessId) -> Result<InvitationFigures>;
}
