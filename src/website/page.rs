//! The website endpoint's own error pages: HTML, not XML, in the shape Amazon S3 sends —
//! `<h1>404 Not Found</h1>` and a list of Code, Message, the error's extra fields, RequestId and
//! HostId — plus the note AWS appends when the custom error document could not be read either.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};

use crate::s3::error::S3Error;

/// The HTML page of `err` (its status from the one S3 error table). `error_document_failed`
/// adds AWS's second section about the custom error document; HEAD gets the headers only.
pub fn error_page(
    err: &S3Error,
    request_id: &str,
    head: bool,
    error_document_failed: Option<&S3Error>,
) -> Response {
    let status = err.status();
    let mut html = String::from("<html>\n");
    let title = title(status);
    html.push_str(&format!(
        "<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
    ));
    push_items(&mut html, err);
    html.push_str(&format!(
        "<li>RequestId: {}</li>\n<li>HostId: {}</li>\n</ul>\n",
        escape(request_id),
        escape(request_id)
    ));
    if let Some(second) = error_document_failed {
        html.push_str(
            "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n",
        );
        push_items(&mut html, second);
        html.push_str("</ul>\n");
    }
    html.push_str("<hr/>\n</body>\n</html>\n");
    let length = html.len();
    let mut response = Response::new(if head {
        Body::empty()
    } else {
        Body::from(html)
    });
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
    for (name, value) in &err.headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(*name, value);
        }
    }
    response
}

fn push_items(html: &mut String, err: &S3Error) {
    html.push_str(&format!(
        "<li>Code: {}</li>\n<li>Message: {}</li>\n",
        escape(err.code),
        escape(&err.message)
    ));
    for (name, value) in &err.extra {
        html.push_str(&format!("<li>{name}: {}</li>\n", escape(value)));
    }
}

fn title(status: StatusCode) -> String {
    format!(
        "{} {}",
        status.as_str(),
        status.canonical_reason().unwrap_or("Error")
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn forbidden_page_has_aws_shape() {
        let response = error_page(&S3Error::access_denied(), "ABC", false, None);
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        let text = String::from_utf8(body.to_vec()).expect("utf-8");
        assert!(text.contains("<title>403 Forbidden</title>"), "{text}");
        assert!(text.contains("<h1>403 Forbidden</h1>"), "{text}");
        assert!(text.contains("<li>Code: AccessDenied</li>"), "{text}");
        assert!(text.contains("<li>Message: Access Denied</li>"), "{text}");
        assert!(text.contains("<li>RequestId: ABC</li>"), "{text}");
    }

    #[test]
    fn values_are_escaped() {
        assert_eq!(escape("<a&b>"), "&lt;a&amp;b&gt;");
    }
}
