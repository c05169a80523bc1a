//! IAM's XML: the response envelope (`<XResponse><XResult>..</XResult><ResponseMetadata>`),
//! the error document, and the element groups several actions share (a user, a group, a
//! managed policy). Written with a small escaping builder, like the S3 responses.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::iam::manage::{Listing, ManagedPolicy};
use crate::iam::model::{AccessKeyRecord, GroupRecord, UserRecord};
use crate::s3::xml::escape_into;

pub const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// RFC 3986 unreserved characters stay; everything else is escaped, as AWS encodes policy
/// documents in GetUserPolicy, GetGroupPolicy and GetPolicyVersion (and as `strata admin`
/// encodes its form bodies).
pub(crate) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An escaping XML string builder.
#[derive(Default)]
pub struct Xml {
    out: String,
}

impl Xml {
    pub fn new() -> Self {
        Xml::default()
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name).text(text).close(name)
    }

    /// Escaped text.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.out, text);
        self
    }

    pub fn elem_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.elem(name, text);
        }
        self
    }

    /// `IsTruncated`, and `Marker` when there is more.
    pub fn truncation(&mut self, next_marker: Option<&str>) -> &mut Self {
        self.elem("IsTruncated", bool_text(next_marker.is_some()));
        self.elem_opt("Marker", next_marker)
    }

    pub fn user(&mut self, user: &UserRecord) -> &mut Self {
        self.elem("Path", &user.path)
            .elem("UserName", &user.name)
            .elem("UserId", &user.user_id)
            .elem("Arn", &user.arn())
            .elem("CreateDate", &iso8601(user.created_ms))
    }

    pub fn group(&mut self, group: &GroupRecord) -> &mut Self {
        self.elem("Path", &group.path)
            .elem("GroupName", &group.name)
            .elem("GroupId", &group.group_id)
            .elem("Arn", &group.arn())
            .elem("CreateDate", &iso8601(group.created_ms))
    }

    pub fn policy(&mut self, policy: &ManagedPolicy) -> &mut Self {
        self.elem("PolicyName", &policy.name)
            .elem("DefaultVersionId", "v1")
            .elem("PolicyId", &policy.policy_id)
            .elem("Path", &policy.path)
            .elem("Arn", &policy.arn)
            .elem("AttachmentCount", &policy.attachment_count.to_string())
            .elem("PermissionsBoundaryUsageCount", "0")
            .elem("IsAttachable", "true")
            .elem_opt("Description", policy.description.as_deref())
            .elem("CreateDate", &iso8601(policy.created_ms))
            .elem("UpdateDate", &iso8601(policy.updated_ms))
    }

    /// AccessKeyMetadata (no secret).
    pub fn key_metadata(&mut self, key: &AccessKeyRecord) -> &mut Self {
        self.elem_opt("UserName", key.user.as_deref())
            .elem("AccessKeyId", &key.access_key_id)
            .elem("Status", key.status.as_str())
            .elem("CreateDate", &iso8601(key.created_ms))
    }

    /// One page of a list, `<List><member>..</member>...</List>` with each member's content
    /// written by `member`, then `IsTruncated` and `Marker`.
    pub fn listing<T>(
        &mut self,
        list: &str,
        listing: &Listing<T>,
        mut member: impl for<'x> FnMut(&'x mut Self, &T) -> &'x mut Self,
    ) -> &mut Self {
        self.open(list);
        for item in &listing.items {
            self.open("member");
            member(self, item).close("member");
        }
        self.close(list).truncation(listing.next_marker.as_deref())
    }

    pub fn finish(self) -> String {
        self.out
    }
}

pub fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// `<ActionResponse xmlns=..>[<ActionResult>result</ActionResult>]<ResponseMetadata>..`.
pub fn envelope(action: &str, namespace: &str, result: Option<Xml>, request_id: &str) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    out.push_str(action);
    out.push_str("Response xmlns=\"");
    out.push_str(namespace);
    out.push_str("\">");
    if let Some(result) = result {
        out.push('<');
        out.push_str(action);
        out.push_str("Result>");
        out.push_str(&result.finish());
        out.push_str("</");
        out.push_str(action);
        out.push_str("Result>");
    }
    out.push_str("<ResponseMetadata><RequestId>");
    escape_into(&mut out, request_id);
    out.push_str("</RequestId></ResponseMetadata></");
    out.push_str(action);
    out.push_str("Response>");
    out
}

/// `<ErrorResponse><Error><Type>Sender</Type><Code>..</Code><Message>..</Message></Error>..`.
pub fn error_document(
    namespace: &str,
    sender: bool,
    code: &str,
    message: &str,
    request_id: &str,
) -> String {
    let mut xml = Xml::new();
    xml.open("Error")
        .elem("Type", if sender { "Sender" } else { "Receiver" })
        .elem("Code", code)
        .elem("Message", message)
        .close("Error")
        .elem("RequestId", request_id);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{namespace}\">{}</ErrorResponse>",
        xml.finish()
    )
}

/// `2026-11-26T01:02:03Z`: IAM's timestamps (UTC, whole seconds): S3's without the
/// milliseconds.
pub fn iso8601(ms: i64) -> String {
    let s3 = crate::s3::ops::iso8601(ms);
    match s3.rsplit_once('.') {
        Some((seconds, _)) => format!("{seconds}Z"),
        None => s3,
    }
}

/// A policy document as IAM returns it: percent-encoded.
pub fn encode_document(document: &str) -> String {
    utf8_percent_encode(document, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_wraps_the_result_and_request_id() {
        let mut result = Xml::new();
        result.open("User").elem("UserName", "a<b").close("User");
        assert_eq!(
            envelope("GetUser", IAM_NAMESPACE, Some(result), "RID"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult><User><UserName>a&lt;b</UserName></User></GetUserResult><ResponseMetadata><RequestId>RID</RequestId></ResponseMetadata></GetUserResponse>"
        );
        assert!(
            envelope("DeleteUser", IAM_NAMESPACE, None, "RID")
                .ends_with("<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata><RequestId>RID</RequestId></ResponseMetadata></DeleteUserResponse>")
        );
    }

    #[test]
    fn errors_say_who_is_at_fault() {
        let doc = error_document(IAM_NAMESPACE, true, "NoSuchEntity", "gone & lost", "RID");
        assert!(doc.contains("<Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>gone &amp; lost</Message></Error><RequestId>RID</RequestId></ErrorResponse>"), "{doc}");
    }

    #[test]
    fn timestamps_and_documents_are_formatted_like_aws() {
        assert_eq!(iso8601(1_795_654_923_999), "2026-11-26T01:02:03Z");
        assert_eq!(
            encode_document(r#"{"Version": "2012-10-17"}"#),
            "%7B%22Version%22%3A%20%222012-10-17%22%7D"
        );
    }
}
