//! DKIM (`--dkim-key`, `--dkim-selector`, `--dkim-domain`): an invitation's e-mail is signed
//! as `d=passaparola.test; s=pp2026`, and the signature is checked by an implementation that
//! is not ours (dkimpy, in the SMTP test server, `smtp.rs`) against the public key as DNS
//! would publish it: valid with the signing key's, invalid with another key's.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::smtp::{Smtp, python};

const WAIT: Duration = Duration::from_secs(10);
const SELECTOR: &str = "pp2026";
const DOMAIN: &str = "passaparola.test";

/// An RSA-2048 key: the private key as `--dkim-key` reads it (PKCS#1 PEM, `BEGIN RSA
/// PRIVATE KEY`), and the DNS TXT record that publishes its public key.
struct Key {
    _dir: tempfile::TempDir,
    file: PathBuf,
    txt: String,
}

impl Key {
    /// With `openssl` if there is one, else in Python (the SMTP server's virtual
    /// environment; the standard library only).
    fn generate() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dkim.pem");
        let openssl = Command::new("openssl")
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let public_der = if openssl {
            run(Command::new("openssl")
                .args(["genrsa", "-traditional", "-out"])
                .arg(&file)
                .arg("2048"));
            STANDARD.encode(run(Command::new("openssl")
                .args(["rsa", "-pubout", "-outform", "DER", "-in"])
                .arg(&file)))
        } else {
            let out = run(Command::new(python())
                .args(["-c", PYTHON_RSA_KEY])
                .arg(&file));
            String::from_utf8(out).unwrap().trim().to_owned()
        };
        let pem = std::fs::read_to_string(&file).unwrap();
        assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{pem}");
        Self {
            _dir: dir,
            file,
            txt: format!("v=DKIM1; k=rsa; p={public_der}"),
        }
    }
}

/// The standard output of `command`, which must succeed.
fn run(command: &mut Command) -> Vec<u8> {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An RSA-2048 key in Python's standard library: writes the private key (PKCS#1 PEM) to
/// `argv[1]`, prints the public key (SubjectPublicKeyInfo DER) in base64.
const PYTHON_RSA_KEY: &str = r#"
import base64, secrets, sys

SMALL = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p ** 0.5) + 1))]

def probably_prime(n):
    if any(n % p == 0 for p in SMALL):
        return False
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(40):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True

def prime(bits, e):
    while True:
        c = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if (c - 1) % e and probably_prime(c):
            return c

def tlv(tag, body):
    n = len(body)
    size = bytes([n]) if n < 0x80 else (lambda b: bytes([0x80 | len(b)]) + b)(n.to_bytes((n.bit_length() + 7) // 8, "big"))
    return bytes([tag]) + size + body

def integer(v):
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))

def sequence(*items):
    return tlv(0x30, b"".join(items))

e = 65537
p, q = prime(1024, e), prime(1024, e)
n, d = p * q, pow(e, -1, (p - 1) * (q - 1))
private = sequence(*map(integer, (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))))
rsa_encryption = tlv(0x06, bytes.fromhex("2a864886f70d010101")) + tlv(0x05, b"")
public = sequence(sequence(rsa_encryption), tlv(0x03, b"\x00" + sequence(integer(n), integer(e))))
text = base64.b64encode(private).decode()
with open(sys.argv[1], "w") as f:
    f.write("-----BEGIN RSA PRIVATE KEY-----\n")
    f.writelines(text[i:i + 64] + "\n" for i in range(0, len(text), 64))
    f.write("-----END RSA PRIVATE KEY-----\n")
print(base64.b64encode(public).decode())
"#;

/// The e-mail of one invitation from a server that signs with `key`, as `smtp` received it.
async fn signed_invitation(smtp: &Smtp, key: &Key) -> Value {
    let app = TestApp::spawn_with_mail_config(app::mail::MailConfig {
        smtp_url: smtp.url(),
        from: "Trattoria Test <inviti@passaparola.test>".to_owned(),
        dkim: Some(app::mail::DkimSettings {
            selector: SELECTOR.to_owned(),
            domain: DOMAIN.to_owned(),
            key_file: key.file.clone(),
        }),
        lease: Duration::from_secs(300),
    })
    .await;
    app.invite("DKIM-1").await;
    let mut messages = smtp.wait_for(1, WAIT).await;
    assert_eq!(messages.len(), 1);
    messages.remove(0)
}

#[tokio::test]
async fn an_invitation_is_signed_and_verifies_against_the_published_key() {
    let key = Key::generate();
    let smtp = Smtp::start_with_env(&[("DKIM_TXT", &key.txt)]);
    let message = signed_invitation(&smtp, &key).await;
    let signature = message["dkim_signature"].as_str().unwrap_or_else(|| {
        panic!("no DKIM-Signature: {message:#}");
    });
    // Tags as `name=value` without the folding whitespace.
    let tags: Vec<String> = signature
        .split(';')
        .map(|t| t.split_whitespace().collect())
        .collect();
    for tag in [
        format!("d={DOMAIN}"),
        format!("s={SELECTOR}"),
        "a=rsa-sha256".to_owned(),
    ] {
        assert!(tags.contains(&tag), "{tag} not in {signature}");
    }
    // RFC 8058: one-click unsubscribe needs both headers under the signature.
    let signed = tags.iter().find_map(|t| t.strip_prefix("h=")).unwrap();
    let signed: Vec<String> = signed.split(':').map(str::to_ascii_lowercase).collect();
    for header in [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ] {
        assert!(
            signed.iter().any(|h| h == header),
            "{header} not signed: {signature}"
        );
    }
    assert_eq!(message["dkim_valid"], true, "{message:#}");
}

#[tokio::test]
async fn a_signature_does_not_verify_against_another_key() {
    let key = Key::generate();
    let other = Key::generate();
    assert_ne!(key.txt, other.txt);
    let smtp = Smtp::start_with_env(&[("DKIM_TXT", &other.txt)]);
    let message = signed_invitation(&smtp, &key).await;
    assert!(message["dkim_signature"].is_string(), "{message:#}");
    assert_eq!(message["dkim_valid"], false, "{message:#}");
}
