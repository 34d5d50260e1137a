//! Orders as shops send them in their webhooks.
