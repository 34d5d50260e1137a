//! Where a page may send a browser back to: a path on this site and nothing else. Every
//! redirect target that comes from a request (`?next=` of the language switch and of the
//! log-in) goes through [`safe_local_path`].

use url::Url;

/// An origin no request can name: the target is resolved against it, and must stay on it.
const PROBE: &str = "http://passaparola.invalid/";

/// `raw` as a path (with its query) on this site, percent-encoded for a `Location` header;
/// `None` for anything a browser could take elsewhere.
///
/// Refused: anything not starting with one `/` (schemes, `//host`), backslashes (browsers
/// read them as `/`), and control and white-space characters anywhere (browsers drop tabs
/// and new lines, so `/\t/host` becomes `//host`). What is left is resolved against a probe
/// origin and must still be on it: a second check that does not depend on the first.
pub fn safe_local_path(raw: &str) -> Option<String> {
    let refused = !raw.starts_with('/')
        || raw.starts_with("//")
        || raw
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    if refused {
        return None;
    }
    let probe = Url::parse(PROBE).ok()?;
    let url = probe.join(raw).ok()?;
    let same_site = url.scheme() == probe.scheme()
        && url.host_str() == probe.host_str()
        && url.port() == probe.port()
        && url.username().is_empty()
        && url.password().is_none();
    if !same_site {
        return None;
    }
    let mut local = url.path().to_owned();
    if let Some(query) = url.query() {
        local.push('?');
        local.push_str(query);
    }
    Some(local)
}

#[cfg(test)]
mod tests {
    use super::safe_local_path;

    #[test]
    fn only_paths_on_this_site_pass() {
        for (raw, expected) in [
            ("/", Some("/")),
            ("/inbox", Some("/inbox")),
            (
                "/b/trattoria?sort=lowest&rating=1",
                Some("/b/trattoria?sort=lowest&rating=1"),
            ),
            ("/b/caffè/p/tè", Some("/b/caff%C3%A8/p/t%C3%A8")),
            ("/a/../inbox", Some("/inbox")),
            ("//host", None),
            ("/\t/host", None),
            ("/\n/host", None),
            ("/\r/host", None),
            ("/\u{0}/host", None),
            ("/\u{7f}/host", None),
            ("/\u{85}/host", None),
            ("/\u{2028}/host", None),
            ("/ /host", None),
            (" //host", None),
            ("/\\host", None),
            ("\\\\host", None),
            ("http://host/", None),
            ("https:host", None),
            ("javascript:alert(1)", None),
            ("host", None),
            ("", None),
        ] {
            assert_eq!(safe_local_path(raw).as_deref(), expected, "{raw:?}");
        }
    }
}
