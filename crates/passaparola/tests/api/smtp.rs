//! A real SMTP server for the e-mail tests: `tests/smtp/server.py` (Python's aiosmtpd),
//! delivering to a maildir in a temporary directory. Each message is read back as Python's
//! own e-mail parser decodes it (`NNNNNN.json` beside the raw `NNNNNN.eml`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The repository's `tests/smtp`.
fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/smtp")
}

/// The python3 that has aiosmtpd and dkimpy: `tests/smtp/setup.sh` makes it once (a virtual
/// environment from PyPI) and prints it.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let out = Command::new("bash")
            .arg(scripts().join("setup.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("running tests/smtp/setup.sh");
        assert!(
            out.status.success(),
            "tests/smtp/setup.sh failed: the e-mail tests need Python's aiosmtpd and dkimpy from PyPI"
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// A running SMTP server; stopped when dropped.
#[derive(Debug)]
pub struct Smtp {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Smtp {
    pub fn start() -> Self {
        Self::start_with_env(&[])
    }

    /// The server with extra environment, e.g. `DKIM_TXT` (see `tests/smtp/server.py`).
    pub fn start_with_env(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(python())
            .arg(scripts().join("server.py"))
            .arg(dir.path())
            .env("SLOW_SECONDS", "6")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting tests/smtp/server.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP server said {line:?}"));
        Self { child, port, dir }
    }

    /// `smtp://127.0.0.1:PORT`: plain SMTP, as to a local relay.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in order.
    pub fn messages(&self) -> Vec<Value> {
        let new = self.dir.path().join("new");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&new)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "json"));
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    /// The messages once there are at least `n` (panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                start.elapsed() < within,
                "{} message(s) after {within:?}, expected {n}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first link in `text` that starts with `prefix`.
pub fn link_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '>' || c == '"')
        .next()
        .unwrap()
        .to_owned()
}
