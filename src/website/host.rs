//! Which requests the website endpoint answers, from the Host header: `<bucket>.s3-website.<domain>`,
//! `<bucket>.s3-website-<region>.<domain>` and `<bucket>.s3-website.<region>.<domain>` (AWS's two
//! spellings of website endpoints), where `<domain>` is `--domain` or, when none is configured,
//! `localhost` (browsers resolve `*.localhost` to loopback, so a site works with no DNS set-up).
//! On the `--website-listen` listener, a Host equal to a bucket name selects that bucket too
//! (a CNAME-style site). REST addressing is not changed by any of this.

use crate::http::addressing::strip_port;

/// The website domain when `--domain` is not set.
pub const DEFAULT_DOMAIN: &str = "localhost";

/// The bucket a website request is for, or None when `host` is not a website endpoint host
/// (then it is a REST request — except on the website listener, where any host is a bucket).
pub fn website_bucket(host: &str, domain: Option<&str>, website_listener: bool) -> Option<String> {
    let host = strip_port(host);
    let domain = domain.unwrap_or(DEFAULT_DOMAIN);
    let endpoint = host
        .strip_suffix(domain)
        .and_then(|rest| rest.strip_suffix('.'))
        .and_then(endpoint_bucket);
    match endpoint {
        Some(bucket) => Some(bucket),
        None if website_listener && !host.is_empty() => Some(host.to_string()),
        None => None,
    }
}

/// `<bucket>.s3-website`, `<bucket>.s3-website-<region>` or `<bucket>.s3-website.<region>` →
/// the bucket (which may itself contain dots).
fn endpoint_bucket(name: &str) -> Option<String> {
    const MARK: &str = ".s3-website";
    let at = name.rfind(MARK)?;
    let (bucket, tail) = (&name[..at], &name[at + MARK.len()..]);
    let region_ok = |region: &str| {
        !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let tail_ok = tail.is_empty()
        || tail.strip_prefix('-').is_some_and(region_ok)
        || tail.strip_prefix('.').is_some_and(region_ok);
    (tail_ok && !bucket.is_empty()).then(|| bucket.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn website_hosts_table() {
        let table = [
            ("site.s3-website.localhost:9000", None, false, Some("site")),
            ("site.s3-website.localhost", None, false, Some("site")),
            (
                "site.s3-website-us-east-1.localhost",
                None,
                false,
                Some("site"),
            ),
            (
                "site.s3-website.eu-west-1.localhost",
                None,
                false,
                Some("site"),
            ),
            ("my.site.s3-website.localhost", None, false, Some("my.site")),
            (
                "site.s3-website.example.com",
                Some("example.com"),
                false,
                Some("site"),
            ),
            (
                "site.s3-website.localhost",
                Some("example.com"),
                false,
                None,
            ),
            ("site.localhost:9000", None, false, None),
            ("127.0.0.1:9000", None, false, None),
            (".s3-website.localhost", None, false, None),
            ("site.s3-website.a.b.localhost", None, false, None),
            ("www.example.org:8080", None, true, Some("www.example.org")),
            ("site.s3-website.localhost", None, true, Some("site")),
        ];
        for (host, domain, listener, expected) in table {
            assert_eq!(
                website_bucket(host, domain, listener).as_deref(),
                expected,
                "{host} {domain:?} {listener}"
            );
        }
    }
}
