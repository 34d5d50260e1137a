//! Orders from shops: verifying their webhooks' signatures.
