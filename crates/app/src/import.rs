//! Invitations from a CSV file.
