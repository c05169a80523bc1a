//! The bucket website configuration (`<WebsiteConfiguration>` of PutBucketWebsite): its typed
//! model, the parser that validates a request document the way AWS does, and the renderer of
//! GetBucketWebsite's answer.
//!
//! Owns: the shape rules (either `RedirectAllRequestsTo` alone, or an `IndexDocument` with an
//! optional `ErrorDocument` and at most 50 `RoutingRules`) and the value rules (suffix, protocol,
//! status codes). It does not store anything nor serve pages: `store::bucket_config` keeps the
//! rendered document and the website endpoint (`src/website/`) reads it back through [`parse`].
//! Invariant: a [`WebsiteConfig`] that exists is valid, and `parse(render(c)) == c`.

use crate::s3::error::S3Error;
use crate::s3::xml::{
    self, Element, XmlWriter, only_children, optional_text, required_text, single,
};
use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;

/// AWS's limit on the routing rules of one configuration.
pub const MAX_ROUTING_RULES: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebsiteConfig {
    /// `RedirectAllRequestsTo`: every request goes to another host.
    RedirectAll {
        host_name: String,
        protocol: Option<Protocol>,
    },
    /// A hosted site: index document, optional error document and routing rules.
    Site {
        index_suffix: String,
        error_key: Option<String>,
        routing_rules: Vec<RoutingRule>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Https,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    /// None = the rule applies to every request.
    pub condition: Option<Condition>,
    pub redirect: Redirect,
}

/// At least one of the two is set (an empty `<Condition/>` is refused, as on AWS).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Condition {
    pub key_prefix_equals: Option<String>,
    /// A 4xx or 5xx status.
    pub http_error_code_returned_equals: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Redirect {
    pub protocol: Option<Protocol>,
    pub host_name: Option<String>,
    pub replace_key: Option<ReplaceKey>,
    /// A 3xx status other than 300.
    pub http_redirect_code: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplaceKey {
    /// `ReplaceKeyPrefixWith`: the matched `KeyPrefixEquals` is replaced by this.
    Prefix(String),
    /// `ReplaceKeyWith`: the whole key is replaced by this.
    Key(String),
}

/// Parse and validate a PutBucketWebsite body.
pub fn parse(body: &[u8]) -> Result<WebsiteConfig, S3Error> {
    let root = xml::parse(body)?;
    if root.name != "WebsiteConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    only_children(
        &root,
        &[
            "RedirectAllRequestsTo",
            "IndexDocument",
            "ErrorDocument",
            "RoutingRules",
        ],
    )?;
    let redirect_all = single(&root, "RedirectAllRequestsTo")?;
    let index = single(&root, "IndexDocument")?;
    let error = single(&root, "ErrorDocument")?;
    let rules = single(&root, "RoutingRules")?;

    if let Some(redirect_all) = redirect_all {
        if index.is_some() || error.is_some() || rules.is_some() {
            return Err(S3Error::invalid_argument(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
            ));
        }
        only_children(redirect_all, &["HostName", "Protocol"])?;
        let host_name = required_text(redirect_all, "HostName")?;
        if host_name.is_empty() {
            return Err(S3Error::invalid_argument(
                "The HostName of RedirectAllRequestsTo is not well formed",
            ));
        }
        return Ok(WebsiteConfig::RedirectAll {
            host_name,
            protocol: protocol(redirect_all)?,
        });
    }

    let Some(index) = index else {
        return Err(S3Error::invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
        ));
    };
    only_children(index, &["Suffix"])?;
    let index_suffix = required_text(index, "Suffix")?;
    if index_suffix.is_empty() || index_suffix.contains('/') {
        return Err(S3Error::invalid_argument(
            "The IndexDocument Suffix is not well formed",
        ));
    }
    let error_key = match error {
        None => None,
        Some(error) => {
            only_children(error, &["Key"])?;
            let key = required_text(error, "Key")?;
            if key.is_empty() {
                return Err(S3Error::invalid_argument(
                    "The ErrorDocument Key is not well formed",
                ));
            }
            Some(key)
        }
    };
    let routing_rules = match rules {
        None => Vec::new(),
        Some(rules) => {
            only_children(rules, &["RoutingRule"])?;
            if rules.children.len() > MAX_ROUTING_RULES {
                return Err(S3Error::invalid_argument(format!(
                    "The number of routing rules must not exceed {MAX_ROUTING_RULES}"
                )));
            }
            rules
                .children
                .iter()
                .map(routing_rule)
                .collect::<Result<_, _>>()?
        }
    };
    Ok(WebsiteConfig::Site {
        index_suffix,
        error_key,
        routing_rules,
    })
}

fn routing_rule(rule: &Element) -> Result<RoutingRule, S3Error> {
    only_children(rule, &["Condition", "Redirect"])?;
    let condition = match single(rule, "Condition")? {
        None => None,
        Some(condition) => {
            only_children(
                condition,
                &["KeyPrefixEquals", "HttpErrorCodeReturnedEquals"],
            )?;
            let parsed = Condition {
                key_prefix_equals: optional_text(condition, "KeyPrefixEquals")?,
                http_error_code_returned_equals: optional_text(
                    condition,
                    "HttpErrorCodeReturnedEquals",
                )?
                .map(|code| error_code(&code))
                .transpose()?,
            };
            if parsed == Condition::default() {
                return Err(S3Error::invalid_argument(
                    "Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.",
                ));
            }
            Some(parsed)
        }
    };
    // The schema requires a Redirect in every rule: a rule without one is not a document AWS
    // accepts.
    let redirect = single(rule, "Redirect")?.ok_or_else(S3Error::malformed_xml)?;
    only_children(
        redirect,
        &[
            "Protocol",
            "HostName",
            "ReplaceKeyPrefixWith",
            "ReplaceKeyWith",
            "HttpRedirectCode",
        ],
    )?;
    let replace_key = match (
        optional_text(redirect, "ReplaceKeyPrefixWith")?,
        optional_text(redirect, "ReplaceKeyWith")?,
    ) {
        (Some(_), Some(_)) => {
            return Err(S3Error::invalid_argument(
                "You can only define ReplaceKeyPrefix or ReplaceKey but not both.",
            ));
        }
        (Some(prefix), None) => Some(ReplaceKey::Prefix(prefix)),
        (None, Some(key)) => Some(ReplaceKey::Key(key)),
        (None, None) => None,
    };
    Ok(RoutingRule {
        condition,
        redirect: Redirect {
            protocol: protocol(redirect)?,
            host_name: optional_text(redirect, "HostName")?,
            replace_key,
            http_redirect_code: optional_text(redirect, "HttpRedirectCode")?
                .map(|code| redirect_code(&code))
                .transpose()?,
        },
    })
}

fn protocol(parent: &Element) -> Result<Option<Protocol>, S3Error> {
    match optional_text(parent, "Protocol")?.as_deref() {
        None => Ok(None),
        Some("http") => Ok(Some(Protocol::Http)),
        Some("https") => Ok(Some(Protocol::Https)),
        Some(_) => Err(S3Error::invalid_argument(
            "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.",
        )),
    }
}

fn error_code(text: &str) -> Result<u16, S3Error> {
    match text.trim().parse::<u16>() {
        Ok(code) if (400..600).contains(&code) => Ok(code),
        _ => Err(S3Error::invalid_argument(format!(
            "The provided HTTP error code ({text}) is not valid. Valid codes are 4XX or 5XX."
        ))),
    }
}

fn redirect_code(text: &str) -> Result<u16, S3Error> {
    // AWS refuses 300 (Multiple Choices): a website redirect has one target.
    match text.trim().parse::<u16>() {
        Ok(code) if (301..400).contains(&code) => Ok(code),
        _ => Err(S3Error::invalid_argument(format!(
            "The provided HTTP redirect code ({text}) is not valid. Valid codes are 3XX except 300."
        ))),
    }
}

/// GetBucketWebsite's answer, elements in the order of AWS's API reference.
pub fn render(config: &WebsiteConfig) -> String {
    let mut out = XmlWriter::document();
    out.root("WebsiteConfiguration");
    match config {
        WebsiteConfig::RedirectAll {
            host_name,
            protocol,
        } => {
            out.open("RedirectAllRequestsTo");
            out.elem("HostName", host_name);
            out.elem_opt("Protocol", protocol.map(Protocol::as_str));
            out.close("RedirectAllRequestsTo");
        }
        WebsiteConfig::Site {
            index_suffix,
            error_key,
            routing_rules,
        } => {
            out.open("IndexDocument");
            out.elem("Suffix", index_suffix);
            out.close("IndexDocument");
            if let Some(key) = error_key {
                out.open("ErrorDocument");
                out.elem("Key", key);
                out.close("ErrorDocument");
            }
            if !routing_rules.is_empty() {
                out.open("RoutingRules");
                for rule in routing_rules {
                    render_rule(&mut out, rule);
                }
                out.close("RoutingRules");
            }
        }
    }
    out.close("WebsiteConfiguration");
    out.finish()
}

fn render_rule(out: &mut XmlWriter, rule: &RoutingRule) {
    out.open("RoutingRule");
    if let Some(condition) = &rule.condition {
        out.open("Condition");
        if let Some(code) = condition.http_error_code_returned_equals {
            out.elem("HttpErrorCodeReturnedEquals", &code.to_string());
        }
        out.elem_opt("KeyPrefixEquals", condition.key_prefix_equals.as_deref());
        out.close("Condition");
    }
    let redirect = &rule.redirect;
    out.open("Redirect");
    out.elem_opt("HostName", redirect.host_name.as_deref());
    if let Some(code) = redirect.http_redirect_code {
        out.elem("HttpRedirectCode", &code.to_string());
    }
    out.elem_opt("Protocol", redirect.protocol.map(Protocol::as_str));
    match &redirect.replace_key {
        Some(ReplaceKey::Prefix(prefix)) => out.elem("ReplaceKeyPrefixWith", prefix),
        Some(ReplaceKey::Key(key)) => out.elem("ReplaceKeyWith", key),
        None => {}
    }
    out.close("Redirect");
    out.close("RoutingRule");
}

impl StoredConfig for WebsiteConfig {
    const WHICH: BucketConfig = BucketConfig::Website;

    fn parse_stored(_bucket: &str, text: &str) -> Result<Self, String> {
        parse(text.as_bytes()).map_err(|err| err.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(inner: &str) -> String {
        format!(
            "<WebsiteConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{inner}</WebsiteConfiguration>"
        )
    }

    fn rule(inner: &str) -> String {
        doc(&format!(
            "<IndexDocument><Suffix>index.html</Suffix></IndexDocument><RoutingRules><RoutingRule>{inner}</RoutingRule></RoutingRules>"
        ))
    }

    #[test]
    fn valid_documents_parse() {
        let site =
            |suffix: &str, error: Option<&str>, rules: Vec<RoutingRule>| WebsiteConfig::Site {
                index_suffix: suffix.into(),
                error_key: error.map(str::to_string),
                routing_rules: rules,
            };
        let table: Vec<(String, WebsiteConfig)> = vec![
            (
                doc("<IndexDocument><Suffix>index.html</Suffix></IndexDocument>"),
                site("index.html", None, vec![]),
            ),
            (
                doc(
                    "<IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>errors/404.html</Key></ErrorDocument>",
                ),
                site("index.html", Some("errors/404.html"), vec![]),
            ),
            (
                doc(
                    "<RedirectAllRequestsTo><HostName>example.com</HostName></RedirectAllRequestsTo>",
                ),
                WebsiteConfig::RedirectAll {
                    host_name: "example.com".into(),
                    protocol: None,
                },
            ),
            (
                doc(
                    "<RedirectAllRequestsTo><HostName>example.com</HostName><Protocol>https</Protocol></RedirectAllRequestsTo>",
                ),
                WebsiteConfig::RedirectAll {
                    host_name: "example.com".into(),
                    protocol: Some(Protocol::Https),
                },
            ),
            (
                rule(
                    "<Condition><KeyPrefixEquals>docs/</KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition><Redirect><Protocol>http</Protocol><HostName>h.example</HostName><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith><HttpRedirectCode>302</HttpRedirectCode></Redirect>",
                ),
                site(
                    "index.html",
                    None,
                    vec![RoutingRule {
                        condition: Some(Condition {
                            key_prefix_equals: Some("docs/".into()),
                            http_error_code_returned_equals: Some(404),
                        }),
                        redirect: Redirect {
                            protocol: Some(Protocol::Http),
                            host_name: Some("h.example".into()),
                            replace_key: Some(ReplaceKey::Prefix("documents/".into())),
                            http_redirect_code: Some(302),
                        },
                    }],
                ),
            ),
            (
                rule("<Redirect><ReplaceKeyWith>moved.html</ReplaceKeyWith></Redirect>"),
                site(
                    "index.html",
                    None,
                    vec![RoutingRule {
                        condition: None,
                        redirect: Redirect {
                            replace_key: Some(ReplaceKey::Key("moved.html".into())),
                            ..Redirect::default()
                        },
                    }],
                ),
            ),
            (
                // An empty replacement prefix strips the matched prefix.
                rule(
                    "<Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition><Redirect><ReplaceKeyPrefixWith></ReplaceKeyPrefixWith></Redirect>",
                ),
                site(
                    "index.html",
                    None,
                    vec![RoutingRule {
                        condition: Some(Condition {
                            key_prefix_equals: Some("old/".into()),
                            http_error_code_returned_equals: None,
                        }),
                        redirect: Redirect {
                            replace_key: Some(ReplaceKey::Prefix(String::new())),
                            ..Redirect::default()
                        },
                    }],
                ),
            ),
        ];
        for (body, expected) in table {
            let parsed = parse(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e:?}"));
            assert_eq!(parsed, expected, "{body}");
            assert_eq!(
                parse(render(&parsed).as_bytes()).expect("rendered parses"),
                parsed,
                "round trip of {body}"
            );
        }
    }

    #[test]
    fn invalid_documents_are_refused_with_aws_codes() {
        let index = "<IndexDocument><Suffix>index.html</Suffix></IndexDocument>";
        let many_rules = doc(&format!(
            "{index}<RoutingRules>{}</RoutingRules>",
            "<RoutingRule><Redirect><HostName>x</HostName></Redirect></RoutingRule>".repeat(51)
        ));
        let table: Vec<(String, &str, &str)> = vec![
            ("not xml".into(), "MalformedXML", ""),
            ("<Other/>".into(), "MalformedXML", ""),
            (
                doc(""),
                "InvalidArgument",
                "IndexDocument Suffix must be provided",
            ),
            (
                doc("<IndexDocument><Suffix></Suffix></IndexDocument>"),
                "InvalidArgument",
                "The IndexDocument Suffix is not well formed",
            ),
            (
                doc("<IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>"),
                "InvalidArgument",
                "The IndexDocument Suffix is not well formed",
            ),
            (doc("<IndexDocument/>"), "MalformedXML", ""),
            (
                doc(&format!(
                    "{index}<RedirectAllRequestsTo><HostName>h</HostName></RedirectAllRequestsTo>"
                )),
                "InvalidArgument",
                "RedirectAllRequestsTo cannot be provided",
            ),
            (
                doc(
                    "<RedirectAllRequestsTo><HostName>h</HostName><Protocol>ftp</Protocol></RedirectAllRequestsTo>",
                ),
                "InvalidArgument",
                "Invalid protocol",
            ),
            (
                doc("<RedirectAllRequestsTo><Protocol>http</Protocol></RedirectAllRequestsTo>"),
                "MalformedXML",
                "",
            ),
            (doc(&format!("{index}{index}")), "MalformedXML", ""),
            (doc(&format!("{index}<Unknown/>")), "MalformedXML", ""),
            (many_rules, "InvalidArgument", "must not exceed 50"),
            (
                rule("<Condition><KeyPrefixEquals>a</KeyPrefixEquals></Condition>"),
                "MalformedXML",
                "",
            ),
            (
                rule("<Condition></Condition><Redirect><HostName>h</HostName></Redirect>"),
                "InvalidArgument",
                "Condition cannot be empty",
            ),
            (
                rule(
                    "<Condition><HttpErrorCodeReturnedEquals>302</HttpErrorCodeReturnedEquals></Condition><Redirect><HostName>h</HostName></Redirect>",
                ),
                "InvalidArgument",
                "Valid codes are 4XX or 5XX",
            ),
            (
                rule(
                    "<Condition><HttpErrorCodeReturnedEquals>abc</HttpErrorCodeReturnedEquals></Condition><Redirect><HostName>h</HostName></Redirect>",
                ),
                "InvalidArgument",
                "Valid codes are 4XX or 5XX",
            ),
            (
                rule("<Redirect><HttpRedirectCode>404</HttpRedirectCode></Redirect>"),
                "InvalidArgument",
                "Valid codes are 3XX except 300",
            ),
            (
                rule("<Redirect><HttpRedirectCode>300</HttpRedirectCode></Redirect>"),
                "InvalidArgument",
                "Valid codes are 3XX except 300",
            ),
            (
                rule("<Redirect><Protocol>gopher</Protocol></Redirect>"),
                "InvalidArgument",
                "Invalid protocol",
            ),
            (
                rule(
                    "<Redirect><ReplaceKeyPrefixWith>a</ReplaceKeyPrefixWith><ReplaceKeyWith>b</ReplaceKeyWith></Redirect>",
                ),
                "InvalidArgument",
                "not both",
            ),
        ];
        for (body, code, message) in table {
            let error = parse(body.as_bytes()).expect_err(&body);
            assert_eq!(error.code, code, "{body}: {error:?}");
            assert!(error.message.contains(message), "{body}: {}", error.message);
        }
    }

    #[test]
    fn render_escapes_and_keeps_aws_order() {
        let config = WebsiteConfig::Site {
            index_suffix: "index.html".into(),
            error_key: Some("a&b.html".into()),
            routing_rules: vec![RoutingRule {
                condition: Some(Condition {
                    key_prefix_equals: Some("x".into()),
                    http_error_code_returned_equals: Some(404),
                }),
                redirect: Redirect {
                    protocol: Some(Protocol::Https),
                    host_name: Some("h".into()),
                    replace_key: Some(ReplaceKey::Key("k".into())),
                    http_redirect_code: Some(301),
                },
            }],
        };
        let xml = render(&config);
        assert!(xml.contains("<Key>a&amp;b.html</Key>"), "{xml}");
        assert!(
            xml.contains("<Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals><KeyPrefixEquals>x</KeyPrefixEquals></Condition><Redirect><HostName>h</HostName><HttpRedirectCode>301</HttpRedirectCode><Protocol>https</Protocol><ReplaceKeyWith>k</ReplaceKeyWith></Redirect>"),
            "{xml}"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&body);
        }

        #[test]
        fn arbitrary_element_soup_never_panics(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("<IndexDocument>"), Just("</IndexDocument>"), Just("<Suffix>"),
                    Just("</Suffix>"), Just("<RoutingRules>"), Just("</RoutingRules>"),
                    Just("<RoutingRule>"), Just("</RoutingRule>"), Just("<Redirect>"),
                    Just("</Redirect>"), Just("<Condition>"), Just("</Condition>"),
                    Just("<HttpRedirectCode>"), Just("</HttpRedirectCode>"), Just("301"),
                    Just("index.html"), Just("a/b"),
                ],
                0..24,
            )
        ) {
            let body = doc(&parts.concat());
            if let Ok(config) = parse(body.as_bytes()) {
                prop_assert_eq!(parse(render(&config).as_bytes()).ok(), Some(config));
            }
        }
    }
}
