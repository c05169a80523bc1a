//! Accounts and IAM for tests: create accounts with the server root's keys, send signed IAM
//! and STS Query API calls as anyone, and S3 clients for other identities.

use std::time::SystemTime;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

use super::{ACCESS_KEY, REGION, SECRET_KEY, TestServer, raw_exchange, raw_request, xml_value};

/// An account made by [`create_account`], with its root user's keys.
#[derive(Debug, Clone)]
pub struct TestAccount {
    /// 12 digits (`000000000002`, ...).
    pub number: String,
    /// 64 hex digits: what `Owner/ID` shows.
    pub canonical_id: String,
    pub access_key: String,
    pub secret_key: String,
}

/// Creates an account through the strata `CreateAccount` action, signed with the server
/// root's keys.
pub async fn create_account(server: &TestServer, name: &str) -> TestAccount {
    let (status, body) = iam_call(
        server,
        ACCESS_KEY,
        SECRET_KEY,
        &[("Action", "CreateAccount"), ("AccountName", name)],
    )
    .await;
    assert_eq!(status, 200, "CreateAccount {name}: {body}");
    let field = |name: &str| {
        xml_value(&body, name).unwrap_or_else(|| panic!("no {name} in CreateAccount: {body}"))
    };
    TestAccount {
        number: field("AccountId"),
        canonical_id: field("CanonicalUserId"),
        access_key: field("AccessKeyId"),
        secret_key: field("SecretAccessKey"),
    }
}

/// One IAM Query API call (`Version=2010-05-08` is added unless given), signed for service
/// `iam`; returns the status and the XML body.
pub async fn iam_call(
    server: &TestServer,
    access_key: &str,
    secret_key: &str,
    params: &[(&str, &str)],
) -> (u16, String) {
    service_call(server, "iam", access_key, secret_key, params).await
}

/// Like [`iam_call`] for `service` `iam` or `sts` (`Version=2011-06-15`).
pub async fn service_call(
    server: &TestServer,
    service: &str,
    access_key: &str,
    secret_key: &str,
    params: &[(&str, &str)],
) -> (u16, String) {
    let version = if service == "sts" {
        "2011-06-15"
    } else {
        "2010-05-08"
    };
    let mut all: Vec<(&str, &str)> = params.to_vec();
    if !all.iter().any(|(k, _)| *k == "Version") {
        all.push(("Version", version));
    }
    let body = form_body(&all);
    let request = signed_form_request(&server.addr, service, access_key, secret_key, &body);
    send(server, request).await
}

/// Sends raw request bytes off the async runtime; returns the status and body text.
pub async fn send(server: &TestServer, request: Vec<u8>) -> (u16, String) {
    let addr = server.addr.clone();
    let response = tokio::task::spawn_blocking(move || raw_exchange(&addr, &request))
        .await
        .expect("request thread");
    (response.status, response.body_text())
}

/// `application/x-www-form-urlencoded`, every reserved character escaped.
pub fn form_body(params: &[(&str, &str)]) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, SET),
                utf8_percent_encode(v, SET)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `POST /` with a form body, signed with SigV4 for `service` the way botocore signs IAM
/// calls: over the body's hash, without `x-amz-content-sha256`.
pub fn signed_form_request(
    addr: &str,
    service: &str,
    access_key: &str,
    secret_key: &str,
    body: &str,
) -> Vec<u8> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let identity = Credentials::new(access_key, secret_key, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let mut headers: Vec<(String, String)> = vec![
        ("host".to_string(), addr.to_string()),
        (
            "content-type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        ),
    ];
    let signable = SignableRequest::new(
        "POST",
        format!("http://{addr}/"),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let (signed, _) = instructions.into_parts();
    for header in signed {
        headers.push((header.name().to_string(), header.value().to_string()));
    }
    raw_request("POST", "/", &headers, body.as_bytes())
}

/// An aws-sdk-s3 client for `server` that signs with these keys.
pub fn s3_client_as(server: &TestServer, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&server.endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "test"))
        .http_client(http_client)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// An IAM user of `account` with one access key and the given inline policy (none if empty).
pub async fn user_with_policy(
    server: &TestServer,
    account: &TestAccount,
    name: &str,
    policy: &str,
) -> (String, String) {
    let call = |params: &[(&str, &str)]| {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        async move {
            let borrowed: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            iam_call(server, &account.access_key, &account.secret_key, &borrowed).await
        }
    };
    let (status, body) = call(&[("Action", "CreateUser"), ("UserName", name)]).await;
    assert_eq!(status, 200, "{body}");
    if !policy.is_empty() {
        let (status, body) = call(&[
            ("Action", "PutUserPolicy"),
            ("UserName", name),
            ("PolicyName", "access"),
            ("PolicyDocument", policy),
        ])
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = call(&[("Action", "CreateAccessKey"), ("UserName", name)]).await;
    assert_eq!(status, 200, "{body}");
    let key = xml_value(&body, "AccessKeyId").expect("AccessKeyId");
    let secret = xml_value(&body, "SecretAccessKey").expect("SecretAccessKey");
    (key, secret)
}
