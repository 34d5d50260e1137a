//! Black-box tests: every test starts the real server on port 0 with a fresh database and
//! talks HTTP to it (or runs the real binary). One test binary, organised by topic.

#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

mod auditors;
mod backup;
mod bad_inputs;
mod cli;
mod connections;
mod copy;
mod crash;
mod embed;
mod health;
mod helpers;
mod import;
mod invitations_page;
mod lifecycle;
mod limits;
mod listing;
mod log;
mod logins;
mod mail;
mod mail_crash;
mod mail_dkim;
mod metrics;
mod people;
mod permissions;
mod products;
mod redirects;
mod review_import;
mod scoring;
mod servers;
mod shops;
mod shutdown;
mod smtp;
mod sql;
mod stats;
mod templates;
mod text_edges;
mod web;
mod web_errors;
mod web_mail_settings;
mod web_sessions;
