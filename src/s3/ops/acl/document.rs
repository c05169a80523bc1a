//! The `AccessControlPolicy` document of Put/GetBucketAcl and Put/GetObjectAcl: parsed
//! against AWS's schema (anything else is `MalformedACLError`, never a panic — property-tested
//! below) and rendered for GetXAcl. Grantees come out as the request names them; resolving
//! e-mail addresses and checking ids is `ops::acl`'s job.

use quick_xml::events::Event;

use super::{MAX_GRANTS, NamedGrantee, malformed_acl};
use crate::http::AppState;
use crate::policy::acl::{Acl, Grantee, GroupGrantee, Permission};
use crate::s3::error::S3Result;
use crate::s3::xml::XmlWriter;

/// An element of a request document, with the `xsi:type` attribute ACL grantees carry (the
/// shared `xml::parse` keeps no attributes).
#[derive(Debug, Default)]
struct Node {
    name: String,
    xsi_type: Option<String>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
}

/// Parse a document into [`Node`]s; any syntax error is MalformedACLError, as AWS answers for
/// an ACL body.
fn parse_nodes(body: &[u8]) -> S3Result<Node> {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut buf = Vec::new();
    let open = |start: &quick_xml::events::BytesStart<'_>| -> S3Result<Node> {
        let mut node = Node {
            name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
            ..Node::default()
        };
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|_| malformed_acl())?;
            if attribute.key.local_name().as_ref() == b"type" {
                let value = attribute.unescape_value().map_err(|_| malformed_acl())?;
                node.xsi_type = Some(value.into_owned());
            }
        }
        Ok(node)
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|_| malformed_acl())?;
        match event {
            Event::Start(start) if root.is_none() => stack.push(open(&start)?),
            Event::Empty(start) if root.is_none() => {
                let node = open(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Start(_) | Event::Empty(_) => return Err(malformed_acl()),
            Event::End(_) => {
                let node = stack.pop().ok_or_else(malformed_acl)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(text) => {
                let text = text.unescape().map_err(|_| malformed_acl())?;
                match stack.last_mut() {
                    Some(node) => node.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(malformed_acl()),
                }
            }
            Event::CData(data) => {
                let node = stack.last_mut().ok_or_else(malformed_acl)?;
                node.text.push_str(&String::from_utf8_lossy(&data));
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(malformed_acl());
    }
    root.ok_or_else(malformed_acl)
}

/// An `AccessControlPolicy` as sent: its owner's id and grants, grantees not yet resolved.
#[derive(Debug, PartialEq)]
pub(super) struct PolicyDocument {
    pub(super) owner: String,
    pub(super) grants: Vec<(NamedGrantee, Permission)>,
}

/// Validate the document against AWS's schema: MalformedACLError for anything else (another
/// root, no `Owner/ID`, no `AccessControlList`, an unknown permission, grantee type or group).
pub(super) fn parse_policy(body: &[u8]) -> S3Result<PolicyDocument> {
    let root = parse_nodes(body)?;
    if root.name != "AccessControlPolicy" {
        return Err(malformed_acl());
    }
    let owner = root
        .child("Owner")
        .and_then(|owner| owner.child_text("ID"))
        .filter(|id| !id.is_empty())
        .ok_or_else(malformed_acl)?
        .to_string();
    let list = root.child("AccessControlList").ok_or_else(malformed_acl)?;
    if list.children.len() > MAX_GRANTS {
        return Err(malformed_acl());
    }
    let grants = list
        .children
        .iter()
        .map(|grant| {
            if grant.name != "Grant" {
                return Err(malformed_acl());
            }
            let grantee = grant.child("Grantee").ok_or_else(malformed_acl)?;
            let permission = grant
                .child_text("Permission")
                .and_then(Permission::parse)
                .ok_or_else(malformed_acl)?;
            Ok((named_grantee(grantee)?, permission))
        })
        .collect::<S3Result<Vec<_>>>()?;
    Ok(PolicyDocument { owner, grants })
}

/// A `Grantee` element: its `xsi:type` says which child names it (clients that leave the type
/// out are understood by the child they send).
fn named_grantee(grantee: &Node) -> S3Result<NamedGrantee> {
    let value = |name: &str| {
        grantee
            .child_text(name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let kind = match grantee.xsi_type.as_deref() {
        Some(kind) => kind,
        None if grantee.child("ID").is_some() => "CanonicalUser",
        None if grantee.child("EmailAddress").is_some() => "AmazonCustomerByEmail",
        None if grantee.child("URI").is_some() => "Group",
        None => return Err(malformed_acl()),
    };
    match kind {
        "CanonicalUser" => value("ID").map(NamedGrantee::Id),
        "AmazonCustomerByEmail" => value("EmailAddress").map(NamedGrantee::Email),
        "Group" => value("URI")
            .and_then(|uri| GroupGrantee::from_uri(&uri))
            .map(NamedGrantee::Group),
        _ => None,
    }
    .ok_or_else(malformed_acl)
}

/// The `AccessControlPolicy` GetXAcl answers.
pub(super) fn policy_xml(app: &AppState, acl: &Acl) -> String {
    let mut out = XmlWriter::document();
    out.root("AccessControlPolicy");
    out.open("Owner");
    canonical_user(app, &mut out, &acl.owner);
    out.close("Owner");
    out.open("AccessControlList");
    for grant in &acl.grants {
        out.open("Grant");
        match &grant.grantee {
            Grantee::CanonicalUser(id) => {
                out.raw(concat!(
                    "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"",
                    " xsi:type=\"CanonicalUser\">"
                ));
                canonical_user(app, &mut out, id);
            }
            Grantee::Group(group) => {
                out.raw(concat!(
                    "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"",
                    " xsi:type=\"Group\">"
                ));
                out.elem("URI", group.uri());
            }
        }
        out.close("Grantee");
        out.elem("Permission", grant.permission.as_str());
        out.close("Grant");
    }
    out.close("AccessControlList");
    out.close("AccessControlPolicy");
    out.finish()
}

fn canonical_user(app: &AppState, out: &mut XmlWriter, id: &str) {
    out.elem("ID", id);
    let name = app.identities.display_name(id);
    if !name.is_empty() {
        out.elem("DisplayName", &name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";
    const OWNER: &str = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

    fn document(grants: &str) -> String {
        format!(
            r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>{OWNER}</ID></Owner><AccessControlList>{grants}</AccessControlList></AccessControlPolicy>"#
        )
    }

    fn grant(grantee: &str, permission: &str) -> String {
        format!(
            r#"<Grant><Grantee xmlns:xsi="{XSI_NAMESPACE}" {grantee}</Grantee><Permission>{permission}</Permission></Grant>"#
        )
    }

    #[test]
    fn policy_documents_parse_every_grantee_kind() {
        let body = document(&[
            grant(
                &format!(r#"xsi:type="CanonicalUser"><ID>{OWNER}</ID><DisplayName>x</DisplayName>"#),
                "FULL_CONTROL",
            ),
            grant(
                r#"xsi:type="AmazonCustomerByEmail"><EmailAddress>a@example.com</EmailAddress>"#,
                "READ",
            ),
            grant(
                r#"xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"#,
                "READ_ACP",
            ),
            // No xsi:type: understood by its child.
            "<Grant><Grantee><URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI></Grantee><Permission>WRITE</Permission></Grant>".to_string(),
        ]
        .concat());
        let parsed = parse_policy(body.as_bytes()).expect("valid");
        assert_eq!(parsed.owner, OWNER);
        assert_eq!(
            parsed.grants,
            vec![
                (NamedGrantee::Id(OWNER.into()), Permission::FullControl),
                (
                    NamedGrantee::Email("a@example.com".into()),
                    Permission::Read
                ),
                (
                    NamedGrantee::Group(GroupGrantee::AllUsers),
                    Permission::ReadAcp
                ),
                (
                    NamedGrantee::Group(GroupGrantee::LogDelivery),
                    Permission::Write
                ),
            ]
        );
        let empty = parse_policy(document("").as_bytes()).expect("an empty list is valid");
        assert!(empty.grants.is_empty());
    }

    #[test]
    fn malformed_policy_documents_are_malformed_acl_errors() {
        let user = |permission: &str| {
            grant(
                &format!(r#"xsi:type="CanonicalUser"><ID>{OWNER}</ID>"#),
                permission,
            )
        };
        let table: Vec<(&str, String)> = vec![
            ("not XML", "this is not xml".into()),
            ("empty", String::new()),
            ("unclosed", document(&user("READ")).replace("</AccessControlPolicy>", "")),
            ("wrong root", "<Policy><Owner><ID>x</ID></Owner></Policy>".into()),
            (
                "no owner",
                "<AccessControlPolicy><AccessControlList/></AccessControlPolicy>".into(),
            ),
            (
                "owner without id",
                "<AccessControlPolicy><Owner><DisplayName>x</DisplayName></Owner><AccessControlList/></AccessControlPolicy>".into(),
            ),
            (
                "no list",
                format!("<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner></AccessControlPolicy>"),
            ),
            ("unknown permission", document(&user("ALL"))),
            ("lower-case permission", document(&user("read"))),
            ("no permission", document(&user("READ").replace("<Permission>READ</Permission>", ""))),
            (
                "no grantee",
                document("<Grant><Permission>READ</Permission></Grant>"),
            ),
            (
                "unknown grantee type",
                document(&grant(r#"xsi:type="Robot"><ID>x</ID>"#, "READ")),
            ),
            (
                "type without its child",
                document(&grant(r#"xsi:type="CanonicalUser"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"#, "READ")),
            ),
            (
                "unknown group",
                document(&grant(r#"xsi:type="Group"><URI>http://example.com/everyone</URI>"#, "READ")),
            ),
            ("empty id", document(&grant(r#"xsi:type="CanonicalUser"><ID></ID>"#, "READ"))),
            (
                "not a grant",
                document("<Permission>READ</Permission>"),
            ),
            ("two roots", format!("{}{}", document(""), document(""))),
            ("too many grants", document(&user("READ").repeat(MAX_GRANTS + 1))),
        ];
        for (what, body) in table {
            let err = parse_policy(body.as_bytes()).expect_err(what);
            assert_eq!(err.code, "MalformedACLError", "{what}: {body}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Err(err) = parse_policy(&body) {
                prop_assert_eq!(err.code, "MalformedACLError");
            }
        }

        #[test]
        fn mangled_documents_never_panic(cut in 0usize..400, insert in "[<>/=\"a-zA-Z &;:]{0,8}") {
            let mut body = document(&grant(r#"xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"#, "READ"));
            let at = cut.min(body.len());
            if body.is_char_boundary(at) {
                body.insert_str(at, &insert);
            }
            let _ = parse_policy(body.as_bytes());
        }
    }
}
