//! The HTTP side of `strata admin`: one SigV4-signed (service `iam`) form post per call over
//! hyper's client connection, plain or TLS, and the credentials to sign with.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use percent_encoding::utf8_percent_encode;

use super::{AdminArgs, Failure};
use crate::iam::api::xml::UNRESERVED;
use crate::s3::xml::Element;

pub(super) struct Client {
    endpoint: http::Uri,
    access_key: String,
    secret_key: String,
    region: String,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Client {
    pub(super) fn new(args: &AdminArgs) -> Result<Client, String> {
        let endpoint: http::Uri = args
            .endpoint
            .parse()
            .map_err(|e| format!("--endpoint {}: {e}", args.endpoint))?;
        let tls = match endpoint.scheme_str() {
            Some("http") => None,
            Some("https") => Some(tls_connector(args.ca_bundle.as_deref())?),
            _ => {
                return Err(format!(
                    "--endpoint {}: use http:// or https://",
                    args.endpoint
                ));
            }
        };
        let (access_key, secret_key) = credentials(args)?;
        Ok(Client {
            endpoint,
            access_key,
            secret_key,
            region: args.region.clone(),
            tls,
        })
    }

    /// Sends one action; on success returns the `<ActionResult>` element (or the root when
    /// the action has none).
    pub(super) async fn call(&self, params: &[(String, String)]) -> Result<Element, Failure> {
        let text = self.call_raw(params).await?;
        let root = crate::s3::xml::parse(text.as_bytes())
            .map_err(|e| format!("the server's answer is not XML: {}", e.message))?;
        let action = params
            .iter()
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        let result = format!("{action}Result");
        Ok(root.child(&result).cloned().unwrap_or(root))
    }

    /// Every `member` of the list element `list`, following `Marker` across pages.
    pub(super) async fn list(
        &self,
        params: &[(String, String)],
        list: &str,
    ) -> Result<Vec<Element>, Failure> {
        let mut members = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut page = params.to_vec();
            if let Some(marker) = marker.take() {
                page.push(("Marker".to_string(), marker));
            }
            let result = self.call(&page).await?;
            if let Some(list) = result.child(list) {
                members.extend(list.children_named("member").cloned());
            }
            match (
                result.child_text("IsTruncated"),
                result.child_text("Marker"),
            ) {
                (Some("true"), Some(next)) => marker = Some(next.to_string()),
                _ => return Ok(members),
            }
        }
    }

    /// Sends one signed request and returns the body of a 2xx answer.
    pub(super) async fn call_raw(&self, params: &[(String, String)]) -> Result<String, Failure> {
        let mut body = String::new();
        let with_version = params.iter().any(|(k, _)| k == "Version");
        let version = [("Version".to_string(), "2010-05-08".to_string())];
        let all = params
            .iter()
            .chain(if with_version { &[][..] } else { &version[..] });
        for (i, (name, value)) in all.enumerate() {
            if i > 0 {
                body.push('&');
            }
            body.push_str(&utf8_percent_encode(name, UNRESERVED).to_string());
            body.push('=');
            body.push_str(&utf8_percent_encode(value, UNRESERVED).to_string());
        }
        let (status, text) = self.send(body).await?;
        if (200..300).contains(&status) {
            return Ok(text);
        }
        let error = crate::s3::xml::parse(text.as_bytes())
            .ok()
            .and_then(|root| root.child("Error").cloned());
        let field = |name: &str| {
            error
                .as_ref()
                .and_then(|e| e.child_text(name))
                .map(str::to_string)
        };
        Err(Failure::Iam {
            code: field("Code").unwrap_or_else(|| format!("HTTP {status}")),
            message: field("Message").unwrap_or(text),
        })
    }

    async fn send(&self, body: String) -> Result<(u16, String), String> {
        let host = self.endpoint.host().ok_or("the endpoint has no host")?;
        let https = self.tls.is_some();
        let port = self
            .endpoint
            .port_u16()
            .unwrap_or(if https { 443 } else { 80 });
        let authority = self
            .endpoint
            .authority()
            .map(|a| a.as_str().to_string())
            .unwrap_or_else(|| host.to_string());
        let headers = self.sign(&authority, body.as_bytes())?;
        let mut request = http::Request::builder().method("POST").uri("/");
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| format!("{}: {e}", self.endpoint))?;
        match &self.tls {
            None => exchange(tcp, request).await,
            Some(connector) => {
                let name = rustls::pki_types::ServerName::try_from(
                    host.trim_matches(['[', ']']).to_string(),
                )
                .map_err(|e| format!("{host}: {e}"))?;
                let stream = connector
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("{}: {e}", self.endpoint))?;
                exchange(stream, request).await
            }
        }
    }

    /// SigV4 for service `iam` over the whole body; returns every header to send.
    fn sign(&self, authority: &str, body: &[u8]) -> Result<Vec<(String, String)>, String> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        use aws_sigv4::sign::v4;
        let identity = aws_credential_types::Credentials::new(
            &self.access_key,
            &self.secret_key,
            None,
            None,
            "strata-admin",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("iam")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let mut headers = vec![
            ("host".to_string(), authority.to_string()),
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
        ];
        let url = format!(
            "{}://{authority}/",
            self.endpoint.scheme_str().unwrap_or("http")
        );
        let signable = SignableRequest::new(
            "POST",
            url,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        let (signed, _) = instructions.into_parts();
        for header in signed {
            headers.push((header.name().to_string(), header.value().to_string()));
        }
        Ok(headers)
    }
}

async fn exchange<S>(
    stream: S,
    request: http::Request<Full<Bytes>>,
) -> Result<(u16, String), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    driver.abort();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Flags, then the AWS_* environment, then the server root's credentials file.
fn credentials(args: &AdminArgs) -> Result<(String, String), String> {
    if let (Some(key), Some(secret)) = (&args.access_key, &args.secret_key) {
        return Ok((key.clone(), secret.clone()));
    }
    if let (Ok(key), Ok(secret)) = (
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) && !key.is_empty()
    {
        return Ok((key, secret));
    }
    let path = args.data_dir.join(crate::iam::CREDENTIALS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "no credentials: pass --access-key/--secret-key, set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data ({}: {e})",
            path.display()
        )
    })?;
    let creds: crate::iam::RootCredentials =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((creds.access_key, creds.secret_key))
}

/// Trusts `ca_bundle`, else `SSL_CERT_FILE`, else the usual system bundle locations.
fn tls_connector(ca_bundle: Option<&Path>) -> Result<tokio_rustls::TlsConnector, String> {
    let candidates: Vec<PathBuf> = match ca_bundle {
        Some(path) => vec![path.to_path_buf()],
        None => std::env::var_os("SSL_CERT_FILE")
            .map(PathBuf::from)
            .into_iter()
            .chain(
                [
                    "/etc/ssl/certs/ca-certificates.crt",
                    "/etc/pki/tls/certs/ca-bundle.crt",
                    "/etc/ssl/cert.pem",
                ]
                .map(PathBuf::from),
            )
            .collect(),
    };
    let path = candidates
        .iter()
        .find(|p| p.exists())
        .ok_or("no CA bundle found: pass --ca-bundle")?;
    let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.map_err(|e| format!("{}: {e}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}
