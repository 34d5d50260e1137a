//! Invitation e-mail: rendering, SMTP, and the worker that drains the outbox.

pub mod render;
