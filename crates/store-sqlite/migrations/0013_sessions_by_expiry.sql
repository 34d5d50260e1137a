-- Each log-in deletes the expired sessions in the writer: by index, not by a scan.
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
