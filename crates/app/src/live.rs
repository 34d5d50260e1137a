//! Live news for the business pages: every write that changes a business's inbox is
//! announced here, and each open inbox (`GET /inbox/events`, server-sent events) hears the
//! news of its own business only.

use std::sync::Arc;

use domain::ids::{BusinessId, ReviewId};
use tokio::sync::{broadcast, watch};

/// What changed in a business's inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    /// A review was published.
    Review(ReviewId),
    /// A review was answered (it leaves the inbox).
    Replied(ReviewId),
    /// A review was withdrawn or erased (it leaves the inbox too).
    Gone(ReviewId),
}

impl News {
    /// The server-sent event's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Review(_) => "review",
            Self::Replied(_) => "replied",
            Self::Gone(_) => "gone",
        }
    }

    /// What an inbox hears of an event recorded elsewhere (another server): a review
    /// published, first answered, withdrawn or erased; nothing of edits and follow-ups.
    pub fn of_event(kind: domain::lifecycle::EventKind, review: ReviewId) -> Option<Self> {
        use domain::lifecycle::EventKind as K;
        match kind {
            K::ReviewPublished => Some(Self::Review(review)),
            K::ReplyPublished => Some(Self::Replied(review)),
            K::ReviewWithdrawn | K::ContentErased => Some(Self::Gone(review)),
            // An import is the business's own doing, a file at a time: not news to it.
            K::ReviewEdited
            | K::ReplyEdited
            | K::FollowUpPublished
            | K::ReviewImported
            | K::InvitationTemplateChanged => None,
        }
    }

    pub fn review(self) -> ReviewId {
        match self {
            Self::Review(id) | Self::Replied(id) | Self::Gone(id) => id,
        }
    }
}

/// How many pieces of news a slow listener may fall behind before it is told to reload.
const BACKLOG: usize = 256;

/// The hub. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Live {
    news: broadcast::Sender<(BusinessId, News)>,
    closing: Arc<watch::Sender<bool>>,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            news: broadcast::channel(BACKLOG).0,
            closing: Arc::new(watch::channel(false).0),
        }
    }
}

/// What a listener hears next.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    News(News),
    /// Some news was missed (the listener was too slow): reload everything.
    Missed,
    /// The server is shutting down.
    Closed,
}

/// One business's listener.
#[derive(Debug)]
pub struct Listener {
    business: BusinessId,
    news: broadcast::Receiver<(BusinessId, News)>,
    closing: watch::Receiver<bool>,
}

impl Live {
    /// Tells the business's listeners. Nobody listening is fine.
    pub fn tell(&self, business: BusinessId, news: News) {
        let _ = self.news.send((business, news));
    }

    pub fn listen(&self, business: BusinessId) -> Listener {
        Listener {
            business,
            news: self.news.subscribe(),
            closing: self.closing.subscribe(),
        }
    }

    /// Ends every listener, so that a shutdown need not wait for open streams.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

impl Listener {
    /// The next news of this listener's business.
    pub async fn next(&mut self) -> Heard {
        loop {
            if *self.closing.borrow() {
                return Heard::Closed;
            }
            tokio::select! {
                received = self.news.recv() => match received {
                    Ok((business, news)) if business == self.business => return Heard::News(news),
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return Heard::Missed,
                    Err(broadcast::error::RecvError::Closed) => return Heard::Closed,
                },
                changed = self.closing.changed() => if changed.is_err() {
                    return Heard::Closed;
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_business_hears_its_own_news_until_closed() {
        let live = Live::default();
        let (a, b) = (BusinessId::generate(), BusinessId::generate());
        let mut heard_by_a = live.listen(a);
        let review = ReviewId::generate();
        live.tell(b, News::Review(ReviewId::generate()));
        live.tell(a, News::Review(review));
        assert_eq!(heard_by_a.next().await, Heard::News(News::Review(review)));
        live.close();
        assert_eq!(heard_by_a.next().await, Heard::Closed);
    }

    #[tokio::test]
    async fn a_slow_listener_is_told_to_reload() {
        let live = Live::default();
        let a = BusinessId::generate();
        let mut slow = live.listen(a);
        for _ in 0..BACKLOG + 1 {
            live.tell(a, News::Replied(ReviewId::generate()));
        }
        assert_eq!(slow.next().await, Heard::Missed);
    }
}
