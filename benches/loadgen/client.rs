//! A minimal S3 client for load generation: one keep-alive hyper connection pool, every request
//! signed with the aws-sigv4 crate's signer, bodies handed to hyper as `Bytes` (reference-counted,
//! so a pre-generated body is never copied), and response bodies counted frame by frame instead of
//! collected unless the caller needs them (errors, XML answers).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::args::Payload;

/// SHA-256 of the empty string: the payload hash of a body-less signed request.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Longest error body text kept for the report, in characters.
const ERROR_BODY_LIMIT: usize = 300;
/// A request that takes longer than this is counted as an error instead of hanging the run.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// A request body generated once and sent many times.
#[derive(Clone)]
pub struct Body {
    pub data: Bytes,
    /// Hex SHA-256, computed once here so the signed-payload mode does not hash on every request.
    sha256: Option<Arc<str>>,
}

impl Body {
    pub fn new(data: Bytes, payload: Payload) -> Body {
        let sha256 = match payload {
            Payload::Sha256 => {
                use sha2::Digest;
                Some(Arc::from(hex::encode(sha2::Sha256::digest(&data)).as_str()))
            }
            Payload::Unsigned => None,
        };
        Body { data, sha256 }
    }

    pub fn len(&self) -> u64 {
        self.data.len() as u64
    }
}

#[derive(Debug, Clone)]
pub enum OpError {
    /// The server answered with a non-2xx status (or an S3 error document inside a 200).
    Status { status: u16, body: String },
    /// Connection, timeout or protocol failure.
    Transport(String),
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpError::Status { status, body } => write!(f, "HTTP {status}: {body}"),
            OpError::Transport(message) => write!(f, "transport: {message}"),
        }
    }
}

pub struct Response {
    pub headers: HeaderMap,
    /// Bytes of body received.
    pub bytes: u64,
    /// The body itself, only when asked for.
    pub body: Option<Bytes>,
}

#[derive(Clone)]
pub struct S3 {
    http: Client<HttpConnector, Full<Bytes>>,
    /// "http://127.0.0.1:9000"
    base: Arc<str>,
    /// "127.0.0.1:9000": the Host header, which is signed.
    host: Arc<str>,
    identity: Arc<Identity>,
    region: Arc<str>,
    payload: Payload,
    /// Ask for SSE-S3 on every request with a body (`--sse`).
    sse: bool,
}

/// The header (signed, as S3 wants every `x-amz-*` header) that asks for SSE-S3.
const SSE_HEADER: (&str, &str) = ("x-amz-server-side-encryption", "AES256");

impl S3 {
    pub fn new(
        endpoint: &str,
        access_key: &str,
        secret_key: &str,
        region: &str,
        payload: Payload,
    ) -> Result<S3, String> {
        let uri: http::Uri = endpoint
            .parse()
            .map_err(|e| format!("bad endpoint {endpoint:?}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "endpoint {endpoint:?}: only http:// is supported (TLS would measure rustls, not the store)"
            ));
        }
        let host = uri
            .authority()
            .ok_or_else(|| format!("endpoint {endpoint:?} has no host"))?
            .to_string();
        let mut connector = HttpConnector::new();
        // Small requests must not wait for Nagle's algorithm.
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new())
            // Keep every connection we open: the pool is the "keep-alive" of the tool.
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        let identity =
            aws_credential_types::Credentials::new(access_key, secret_key, None, None, "loadgen")
                .into();
        Ok(S3 {
            http,
            base: Arc::from(format!("http://{host}").as_str()),
            host: Arc::from(host.as_str()),
            identity: Arc::new(identity),
            region: Arc::from(region),
            payload,
            sse: false,
        })
    }

    /// Every PUT asks for SSE-S3.
    pub fn with_sse(mut self) -> S3 {
        self.sse = true;
        self
    }

    pub fn payload(&self) -> Payload {
        self.payload
    }

    /// The headers SigV4 adds (x-amz-date, x-amz-content-sha256, authorization).
    fn sign(
        &self,
        method: &Method,
        url: &str,
        payload_hash: &str,
        extra: &[(&str, &str)],
    ) -> Result<Vec<(&'static str, String)>, OpError> {
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        // S3 signs the path as sent: no double encoding, no normalisation.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| OpError::Transport(format!("signing params: {e}")))?
            .into();
        let body = if payload_hash == "UNSIGNED-PAYLOAD" {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Precomputed(payload_hash.to_string())
        };
        let signable = SignableRequest::new(
            method.as_str(),
            url,
            std::iter::once(("host", &*self.host)).chain(extra.iter().copied()),
            body,
        )
        .map_err(|e| OpError::Transport(format!("signable request: {e}")))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| OpError::Transport(format!("signing: {e}")))?
            .into_parts();
        let (headers, _query) = instructions.into_parts();
        Ok(headers
            .into_iter()
            .map(|h| (h.name(), h.value().to_string()))
            .collect())
    }

    /// Send one signed request. `path_and_query` must already be URI-encoded. The response body
    /// is counted, and kept only when `keep_body` (or when the status is an error).
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Body>,
        keep_body: bool,
    ) -> Result<Response, OpError> {
        match tokio::time::timeout(
            REQUEST_TIMEOUT,
            self.send_inner(method, path_and_query, body, keep_body),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(OpError::Transport(format!(
                "no complete response within {REQUEST_TIMEOUT:?}"
            ))),
        }
    }

    async fn send_inner(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Body>,
        keep_body: bool,
    ) -> Result<Response, OpError> {
        let url = format!("{}{}", self.base, path_and_query);
        let payload_hash: &str = match (self.payload, body) {
            (Payload::Unsigned, _) => "UNSIGNED-PAYLOAD",
            (Payload::Sha256, None) => EMPTY_SHA256,
            (Payload::Sha256, Some(body)) => body.sha256.as_deref().unwrap_or(EMPTY_SHA256),
        };
        let extra: &[(&str, &str)] = if self.sse && body.is_some() {
            &[SSE_HEADER]
        } else {
            &[]
        };
        let signed = self.sign(&method, &url, payload_hash, extra)?;
        let is_head = method == Method::HEAD;
        let mut builder = Request::builder()
            .method(method)
            .uri(&url)
            .header("host", &*self.host);
        for (name, value) in extra {
            builder = builder.header(*name, *value);
        }
        for (name, value) in signed {
            builder = builder.header(name, value);
        }
        let data = match body {
            Some(body) => {
                builder = builder.header("content-length", body.data.len());
                body.data.clone()
            }
            None => Bytes::new(),
        };
        let request = builder
            .body(Full::new(data))
            .map_err(|e| OpError::Transport(format!("request: {e}")))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| OpError::Transport(error_chain(&e)))?;
        let status = response.status();
        let (parts, mut incoming) = response.into_parts();
        let failed = !status.is_success();
        let mut kept = if keep_body || failed {
            Some(BytesMut::new())
        } else {
            None
        };
        let mut bytes = 0u64;
        if !is_head {
            while let Some(frame) = incoming.frame().await {
                let frame = frame.map_err(|e| OpError::Transport(error_chain(&e)))?;
                if let Ok(chunk) = frame.into_data() {
                    bytes += chunk.len() as u64;
                    if let Some(kept) = kept.as_mut() {
                        kept.extend_from_slice(&chunk);
                    }
                }
            }
        }
        if failed {
            let text = kept.map(|b| body_excerpt(&b)).unwrap_or_default();
            return Err(OpError::Status {
                status: status.as_u16(),
                body: text,
            });
        }
        Ok(Response {
            headers: parts.headers,
            bytes,
            body: kept.map(BytesMut::freeze),
        })
    }
}

/// An error body for the report: "Code: Message" for an S3 error document, else its start as
/// one line of text.
pub fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Some(code) = xml_value(&text, "Code") {
        let message = xml_value(&text, "Message").unwrap_or_default();
        return format!("{code}: {message}");
    }
    let end = text
        .char_indices()
        .nth(ERROR_BODY_LIMIT)
        .map_or(text.len(), |(i, _)| i);
    text[..end].replace(['\n', '\r'], " ").trim().to_string()
}

/// hyper's errors say little at the top level; the cause chain says what happened.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Percent-encode a query value with the S3 unreserved set (everything else escaped).
pub fn encode_query_value(value: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, SET).to_string()
}

/// The text of the first `<tag>...</tag>` in an XML document, entities decoded.
pub fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(xml_unescape(&xml[start..end]))
}

fn xml_unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}
