//! The static website endpoint (Amazon S3's `<bucket>.s3-website-<region>.amazonaws.com`):
//! anonymous GET and HEAD of a bucket that has a website configuration, answered with pages
//! rather than S3 API responses.
//!
//! Owns: choosing the website endpoint from the Host header (`host`), the parsed
//! configurations (`cache`), the HTML error pages (`page`) and the request flow below. It does
//! not authenticate: as on AWS, credentials sent to the website endpoint are ignored and every
//! request is `Principal::Anonymous`, authorized by `policy::authorize` (through
//! `s3::check_access`) for `s3:GetObject` on the object it reads. Objects are served by the
//! REST GetObject code path (`s3::ops::object::ReadInput`): ranges, conditionals, stored
//! headers and streaming bodies are the same.
//!
//! The flow of a GET, in AWS's order: RedirectAllRequestsTo → 301; routing rules whose
//! condition is only a key prefix → redirect before any lookup; the key (`/` and `dir/` get the
//! index suffix); 403 when anonymous may not read it; a missing `dir` whose `dir/<suffix>`
//! exists → 302 `/dir/`; an object with a website redirect → 301; otherwise the object. A 403
//! or 404 then goes through the routing rules with `HttpErrorCodeReturnedEquals`, else the
//! error document (with the error's status), else AWS's HTML error page.
//!
//! One divergence from AWS: a missing key answers 404 even when anonymous may not
//! `s3:ListBucket` (AWS answers 403 then), so a public-read site gets the 404 its error
//! document expects.

mod host;
mod page;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

pub use host::{DEFAULT_DOMAIN, website_bucket};

use crate::http::AppState;
use crate::iam::Principal;
use crate::meta::model::ObjectVersion;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::ops::bucket_config::missing;
use crate::s3::ops::object::ReadInput;
use crate::s3::request::S3Request;
use crate::s3::route::Operation;
use crate::s3::website::{Redirect, ReplaceKey, RoutingRule, WebsiteConfig};
use crate::store::StoreError;
use crate::store::bucket_config::BucketConfig;
use crate::store::versions::VersionSelector;

/// Characters escaped when a key goes back into a `Location` path (`/` stays a separator).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Answer one website request for `bucket`. Never fails: errors become HTML pages.
pub async fn serve(app: &AppState, request: Request, bucket: &str, request_id: &str) -> Response {
    let (parts, _body) = request.into_parts();
    let head = parts.method == Method::HEAD;
    let site = Site::new(app, &parts, bucket, request_id);
    match site.respond(&parts).await {
        Ok(response) => response,
        Err(Failure::Plain(err)) => page::error_page(&err, request_id, head, None),
        Err(Failure::Page(response)) => response,
    }
}

/// An answer that is not the requested object.
enum Failure {
    /// An error with no custom page: AWS's HTML page.
    Plain(S3Error),
    /// A finished response (a redirect, the error document).
    Page(Response),
}

impl From<S3Error> for Failure {
    fn from(err: S3Error) -> Failure {
        Failure::Plain(err)
    }
}

/// One request's view of the site.
struct Site<'a> {
    app: &'a AppState,
    bucket: &'a str,
    request_id: &'a str,
    head: bool,
    /// The request's Host, port included: the default host of redirects.
    host: String,
    /// `http`, or `https` on a TLS listener: the default protocol of redirects.
    protocol: &'static str,
}

impl<'a> Site<'a> {
    fn new(app: &'a AppState, parts: &Parts, bucket: &'a str, request_id: &'a str) -> Site<'a> {
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or(bucket)
            .to_string();
        Site {
            app,
            bucket,
            request_id,
            head: parts.method == Method::HEAD,
            host,
            protocol: if app.secure { "https" } else { "http" },
        }
    }

    async fn respond(&self, parts: &Parts) -> Result<Response, Failure> {
        match parts.method {
            Method::GET | Method::HEAD => {}
            Method::OPTIONS => {
                let request = self.s3_request(parts, None, Operation::CorsPreflight);
                return Ok(crate::s3::ops::cors::preflight(self.app, &request).await?);
            }
            ref other => {
                return Err(S3Error::new(
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                )
                .with("Method", other.as_str())
                .with("ResourceType", "OBJECT")
                .into());
            }
        }
        let record = self.app.store.bucket(self.bucket).map_err(S3Error::from)?;
        let Some(config) = self
            .app
            .bucket_websites
            .get(&self.app.store, &record)
            .map_err(S3Error::from)?
        else {
            return Err(missing(BucketConfig::Website, self.bucket).into());
        };
        let path = percent_decode_str(parts.uri.path())
            .decode_utf8()
            .map_err(|_| S3Error::new("InvalidURI", "Couldn't parse the specified URI."))?;
        let requested = path.strip_prefix('/').unwrap_or(&path);
        match config.as_ref() {
            WebsiteConfig::RedirectAll {
                host_name,
                protocol,
            } => {
                let protocol = protocol.map_or(self.protocol, |p| p.as_str());
                Err(Failure::Page(redirect(
                    StatusCode::MOVED_PERMANENTLY,
                    &format!("{protocol}://{host_name}{}", parts.uri.path()),
                )))
            }
            WebsiteConfig::Site {
                index_suffix,
                error_key,
                routing_rules,
            } => {
                // Rules without an error-code condition apply before the lookup.
                if let Some(rule) = routing_rules.iter().find(|rule| {
                    rule.condition.as_ref().is_none_or(|c| {
                        c.http_error_code_returned_equals.is_none()
                            && c.key_prefix_equals
                                .as_deref()
                                .is_none_or(|p| requested.starts_with(p))
                    })
                }) {
                    return Err(Failure::Page(self.rule_redirect(rule, requested)));
                }
                let err = match self.page(parts, requested, index_suffix).await {
                    Ok(response) => return Ok(response),
                    Err(Failure::Page(response)) => return Err(Failure::Page(response)),
                    Err(Failure::Plain(err)) => err,
                };
                let status = err.status().as_u16();
                if matches!(status, 403 | 404) {
                    if let Some(rule) = routing_rules.iter().find(|rule| {
                        rule.condition.as_ref().is_some_and(|c| {
                            c.http_error_code_returned_equals == Some(status)
                                && c.key_prefix_equals
                                    .as_deref()
                                    .is_none_or(|p| requested.starts_with(p))
                        })
                    }) {
                        return Err(Failure::Page(self.rule_redirect(rule, requested)));
                    }
                    if let Some(error_key) = error_key {
                        return Err(self.error_document(parts, error_key, err));
                    }
                }
                Err(Failure::Plain(err))
            }
        }
    }

    /// The page at `requested` (a path without its leading `/`).
    async fn page(
        &self,
        parts: &Parts,
        requested: &str,
        index_suffix: &str,
    ) -> Result<Response, Failure> {
        let directory = requested.is_empty() || requested.ends_with('/');
        let key = if directory {
            format!("{requested}{index_suffix}")
        } else {
            requested.to_string()
        };
        let request = self.s3_request(parts, Some(&key), Operation::GetObject);
        let version = match self.readable(&request, &key)? {
            Some(version) => version,
            None => {
                // `dir` names no object, but `dir/<suffix>` exists: send the browser to `dir/`
                // so relative links in the index resolve inside the directory.
                let index = format!("{requested}/{index_suffix}");
                if !directory && self.exists(&index) {
                    return Err(Failure::Page(redirect(
                        StatusCode::FOUND,
                        &format!("/{}/", utf8_percent_encode(requested, PATH)),
                    )));
                }
                return Err(S3Error::no_such_key(&key).into());
            }
        };
        if let Some(location) = &version.attrs.website_redirect {
            return Err(Failure::Page(redirect(
                StatusCode::MOVED_PERMANENTLY,
                location,
            )));
        }
        let read = ReadInput::parse(&request)?;
        Ok(read.respond(self.app, &request, &version, self.head)?)
    }

    /// The latest version of `key` if anonymous may read it: 403 AccessDenied when not (whether
    /// or not it exists), None when it does not exist.
    fn readable(&self, request: &S3Request, key: &str) -> S3Result<Option<ObjectVersion>> {
        crate::s3::check_access(
            self.app,
            &Principal::Anonymous,
            "s3:GetObject",
            Some(self.bucket),
            Some(key),
            request,
        )?;
        match self
            .app
            .store
            .version(self.bucket, key, VersionSelector::Latest)
        {
            Ok(version) => Ok(Some(version)),
            Err(StoreError::NoSuchKey(_) | StoreError::DeleteMarker { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    fn exists(&self, key: &str) -> bool {
        self.app
            .store
            .version(self.bucket, key, VersionSelector::Latest)
            .is_ok()
    }

    /// The error document with the status of `err`, or AWS's page for `err` when it cannot be
    /// read (with a second section saying why).
    fn error_document(&self, parts: &Parts, error_key: &str, err: S3Error) -> Failure {
        let request = self.s3_request(parts, Some(error_key), Operation::GetObject);
        let served = self
            .readable(&request, error_key)
            .and_then(|version| version.ok_or_else(|| S3Error::no_such_key(error_key)))
            .and_then(|version| {
                ReadInput::whole().respond(self.app, &request, &version, self.head)
            });
        match served {
            Ok(mut response) => {
                *response.status_mut() = err.status();
                Failure::Page(response)
            }
            Err(second) => Failure::Page(page::error_page(
                &err,
                self.request_id,
                self.head,
                Some(&second),
            )),
        }
    }

    fn rule_redirect(&self, rule: &RoutingRule, requested: &str) -> Response {
        let Redirect {
            protocol,
            host_name,
            replace_key,
            http_redirect_code,
        } = &rule.redirect;
        let key = match replace_key {
            None => requested.to_string(),
            Some(ReplaceKey::Key(key)) => key.clone(),
            Some(ReplaceKey::Prefix(prefix)) => {
                let matched = rule
                    .condition
                    .as_ref()
                    .and_then(|c| c.key_prefix_equals.as_deref())
                    .unwrap_or("");
                format!(
                    "{prefix}{}",
                    requested.strip_prefix(matched).unwrap_or(requested)
                )
            }
        };
        let protocol = protocol.map_or(self.protocol, |p| p.as_str());
        let host = host_name.as_deref().unwrap_or(&self.host);
        let status = http_redirect_code
            .and_then(|code| StatusCode::from_u16(code).ok())
            .unwrap_or(StatusCode::MOVED_PERMANENTLY);
        redirect(
            status,
            &format!("{protocol}://{host}/{}", utf8_percent_encode(&key, PATH)),
        )
    }

    /// The request as the S3 layer's authorization and GetObject code see it: anonymous
    /// whatever credentials it carries, no query (website URLs have no S3 subresources).
    fn s3_request(&self, parts: &Parts, key: Option<&str>, operation: Operation) -> S3Request {
        let mut headers = parts.headers.clone();
        headers.remove(http::header::AUTHORIZATION);
        S3Request {
            operation,
            method: parts.method.clone(),
            bucket: Some(self.bucket.to_string()),
            key: key.map(str::to_string),
            query: Vec::new(),
            headers,
            principal: Principal::Anonymous,
            client_ip: parts
                .extensions
                .get::<crate::http::ClientAddr>()
                .map(|addr| addr.0.ip()),
            secure: self.app.secure,
            received: std::time::SystemTime::now(),
            policy_keys: Default::default(),
            bucket_record: Default::default(),
            request_id: self.request_id.to_string(),
            trailer_algorithm: None,
        }
    }
}

fn redirect(status: StatusCode, location: &str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(http::header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(0));
    response
}
