//! Which bucket and key a request names: virtual-hosted style (`<bucket>.<domain>/<key>`) when
//! the Host header ends with the configured domain, path style (`/<bucket>/<key>`) otherwise.
//! The key is the rest of the path after the bucket, percent-decoded, with every slash kept
//! (`a//b/` is a different key from `a/b/`).

use percent_encoding::percent_decode_str;

use crate::s3::error::S3Error;

#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// The bucket came from the Host header (SigV2 signs it into the resource then).
    pub virtual_hosted: bool,
}

/// Longest key AWS accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

pub fn resolve(
    host: Option<&str>,
    domain: Option<&str>,
    raw_path: &str,
) -> Result<Target, S3Error> {
    let path = decode(raw_path)?;
    let path = path.strip_prefix('/').unwrap_or(&path);
    let virtual_bucket = match (host, domain) {
        (Some(host), Some(domain)) => {
            let host = strip_port(host);
            host.strip_suffix(domain)
                .and_then(|rest| rest.strip_suffix('.'))
                .filter(|bucket| !bucket.is_empty())
                .map(str::to_string)
        }
        _ => None,
    };
    let virtual_hosted = virtual_bucket.is_some();
    let (bucket, key) = match virtual_bucket {
        Some(bucket) => (Some(bucket), non_empty(path)),
        None => match path.split_once('/') {
            Some((bucket, key)) => (non_empty(bucket), non_empty(key)),
            None => (non_empty(path), None),
        },
    };
    if let Some(key) = &key
        && key.len() > MAX_KEY_BYTES
    {
        return Err(S3Error::new("KeyTooLongError", "Your key is too long")
            .with("MaxSizeAllowed", MAX_KEY_BYTES.to_string())
            .with("Size", key.len().to_string()));
    }
    Ok(Target {
        bucket,
        key,
        virtual_hosted,
    })
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

pub(crate) fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // An IPv6 literal: the port, if any, follows the closing bracket.
        return host
            .split_once("]:")
            .map_or(host, |(addr, _)| &host[..addr.len() + 1]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn decode(raw: &str) -> Result<String, S3Error> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| S3Error::new("InvalidURI", "Couldn't parse the specified URI."))
}

/// Decoded query parameters in order; a keyword without `=` has an empty value.
pub fn parse_query(raw: Option<&str>) -> Result<Vec<(String, String)>, S3Error> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            // Query strings from form encoders use '+' for space; S3 clients percent-encode
            // spaces, so a literal '+' here is a space.
            let k = decode(&k.replace('+', " "))?;
            let v = decode(&v.replace('+', " "))?;
            Ok((k, v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(bucket: Option<&str>, key: Option<&str>) -> Target {
        Target {
            bucket: bucket.map(str::to_string),
            key: key.map(str::to_string),
            virtual_hosted: false,
        }
    }

    #[test]
    fn addressing_table() {
        let domain = Some("s3.local");
        let table = [
            (Some("127.0.0.1:9000"), "/", target(None, None)),
            (Some("127.0.0.1:9000"), "/bkt", target(Some("bkt"), None)),
            (Some("127.0.0.1:9000"), "/bkt/", target(Some("bkt"), None)),
            (
                Some("127.0.0.1:9000"),
                "/bkt/a//b/",
                target(Some("bkt"), Some("a//b/")),
            ),
            (
                Some("127.0.0.1:9000"),
                "/bkt/caf%C3%A9%20x",
                target(Some("bkt"), Some("café x")),
            ),
            (
                Some("bkt.s3.local:9000"),
                "/dir/key",
                Target {
                    virtual_hosted: true,
                    ..target(Some("bkt"), Some("dir/key"))
                },
            ),
            (
                Some("bkt.s3.local"),
                "/",
                Target {
                    virtual_hosted: true,
                    ..target(Some("bkt"), None)
                },
            ),
            (Some("s3.local"), "/bkt/k", target(Some("bkt"), Some("k"))),
            (Some("[::1]:9000"), "/bkt/k", target(Some("bkt"), Some("k"))),
        ];
        for (host, path, expected) in table {
            assert_eq!(
                resolve(host, domain, path).expect("resolves"),
                expected,
                "{host:?} {path}"
            );
        }
    }

    #[test]
    fn keys_longer_than_1024_bytes_are_refused() {
        let long = format!("/b/{}", "k".repeat(1025));
        assert_eq!(
            resolve(None, None, &long).unwrap_err().code,
            "KeyTooLongError"
        );
        let max = format!("/b/{}", "k".repeat(1024));
        assert!(resolve(None, None, &max).is_ok());
    }

    #[test]
    fn query_keywords_and_values_are_decoded() {
        let query =
            parse_query(Some("uploads&prefix=a%2Fb&max-keys=5&x-id=PutObject")).expect("parses");
        assert_eq!(query[0], ("uploads".to_string(), String::new()));
        assert_eq!(query[1], ("prefix".to_string(), "a/b".to_string()));
    }
}
