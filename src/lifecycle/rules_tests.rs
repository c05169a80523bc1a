use super::*;
use crate::lifecycle::evaluate::*;
use proptest::prelude::*;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// 2025-01-01T00:00:00Z.
const JAN_1_2025: i64 = 1_735_689_600_000;

fn doc(rules: &str) -> String {
    format!("<LifecycleConfiguration xmlns=\"{NS}\">{rules}</LifecycleConfiguration>")
}

/// One enabled V2 rule with an empty filter around `inner`.
fn rule(inner: &str) -> String {
    doc(&format!(
        "<Rule><ID>r</ID><Filter/><Status>Enabled</Status>{inner}</Rule>"
    ))
}

/// One enabled V2 rule with `filter` and an expiration after 365 days.
fn filtered(filter: &str) -> String {
    doc(&format!(
        "<Rule><ID>r</ID><Filter>{filter}</Filter><Status>Enabled</Status><Expiration><Days>365</Days></Expiration></Rule>"
    ))
}

fn parsed(body: &str) -> LifecycleConfiguration {
    parse(body.as_bytes(), None).unwrap_or_else(|e| panic!("{body}: {e:?}"))
}

fn filter(shape: FilterShape) -> Filter {
    Filter {
        shape,
        prefix: None,
        tags: Vec::new(),
        size_gt: None,
        size_lt: None,
    }
}

fn base_rule(id: &str, filter: Filter) -> Rule {
    Rule {
        id: id.into(),
        status: Status::Enabled,
        filter,
        expiration: None,
        transitions: Vec::new(),
        noncurrent_expiration: None,
        noncurrent_transitions: Vec::new(),
        abort_incomplete_multipart_days: None,
    }
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn invalid_documents_are_refused_with_aws_codes() {
    let many_rules = doc(&(0..1001)
        .map(|i| {
            format!(
                "<Rule><ID>r{i}</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
            )
        })
        .collect::<String>());
    let expire = "<Expiration><Days>1</Days></Expiration>";
    let table: Vec<(String, &str, &str)> = vec![
        // Schema.
        ("not xml".into(), "MalformedXML", ""),
        ("<WebsiteConfiguration/>".into(), "MalformedXML", ""),
        (doc("<Other/>"), "MalformedXML", ""),
        (
            doc("<Rule><ID>a</ID><Filter/><Expiration><Days>1</Days></Expiration></Rule>"),
            "MalformedXML",
            "",
        ),
        (
            doc(
                "<Rule><Filter/><Status>enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
            ),
            "MalformedXML",
            "",
        ),
        (
            doc("<Rule><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"),
            "MalformedXML",
            "",
        ),
        (rule("<Expiration><Days>1.5</Days></Expiration>"), "MalformedXML", ""),
        (rule("<Expiration><Days>ten</Days></Expiration>"), "MalformedXML", ""),
        (rule("<Expiration></Expiration>"), "MalformedXML", ""),
        (
            rule("<Expiration><Days>1</Days><Date>2025-01-01T00:00:00Z</Date></Expiration>"),
            "MalformedXML",
            "",
        ),
        (rule("<Expiration><Date>tomorrow</Date></Expiration>"), "MalformedXML", ""),
        (
            rule("<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker></Expiration>"),
            "MalformedXML",
            "",
        ),
        (rule(&format!("{expire}{expire}")), "MalformedXML", ""),
        (
            rule("<Transition><StorageClass>GLACIER</StorageClass></Transition>"),
            "MalformedXML",
            "",
        ),
        (
            rule("<Transition><Days>1</Days><Date>2025-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition>"),
            "MalformedXML",
            "",
        ),
        (
            rule("<Transition><Days>40</Days><StorageClass>STANDARD</StorageClass></Transition>"),
            "MalformedXML",
            "",
        ),
        (
            rule("<Transition><Days>40</Days><StorageClass>COLD</StorageClass></Transition>"),
            "MalformedXML",
            "",
        ),
        (
            rule("<Transition><Days>40</Days></Transition>"),
            "MalformedXML",
            "",
        ),
        (
            rule("<NoncurrentVersionExpiration><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
            "MalformedXML",
            "",
        ),
        (
            rule("<AbortIncompleteMultipartUpload></AbortIncompleteMultipartUpload>"),
            "MalformedXML",
            "",
        ),
        (
            filtered("<Prefix>a</Prefix><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan>"),
            "MalformedXML",
            "",
        ),
        (filtered("<And><Prefix>a</Prefix></And>"), "MalformedXML", ""),
        (
            filtered("<And><Prefix>a</Prefix><Prefix>b</Prefix></And>"),
            "MalformedXML",
            "",
        ),
        (filtered("<Tag><Key>k</Key></Tag>"), "MalformedXML", ""),
        (filtered("<Color>red</Color>"), "MalformedXML", ""),
        (rule(&format!("{expire}<Unknown/>")), "MalformedXML", ""),
        // Header.
        // (checked separately below, with its header)
        // Counts and IDs.
        (doc(""), "InvalidRequest", "At least one lifecycle rule"),
        (many_rules, "InvalidRequest", "must not exceed the allowed limit of 1000 rules"),
        (
            doc(&format!(
                "<Rule><ID>{}</ID><Filter/><Status>Enabled</Status>{expire}</Rule>",
                "a".repeat(256)
            )),
            "InvalidArgument",
            "ID length should not exceed allowed limit of 255",
        ),
        (
            doc(&format!(
                "<Rule><ID>same</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status>{expire}</Rule><Rule><ID>same</ID><Filter><Prefix>b/</Prefix></Filter><Status>Disabled</Status>{expire}</Rule>"
            )),
            "InvalidArgument",
            "Rule ID must be unique. Found same ID for more than one rule",
        ),
        // Lifecycle V1 / V2.
        (
            doc(&format!(
                "<Rule><ID>a</ID><Prefix>x</Prefix><Filter/><Status>Enabled</Status>{expire}</Rule>"
            )),
            "InvalidRequest",
            "Base level prefix cannot be used in Lifecycle V2",
        ),
        (
            doc(&format!(
                "<Rule><ID>a</ID><Filter/><Status>Enabled</Status>{expire}</Rule><Rule><ID>b</ID><Prefix>x</Prefix><Status>Enabled</Status>{expire}</Rule>"
            )),
            "InvalidRequest",
            "Base level prefix cannot be used in Lifecycle V2",
        ),
        (
            doc(&format!(
                "<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status>{expire}</Rule><Rule><ID>b</ID><Filter/><Status>Enabled</Status>{expire}</Rule>"
            )),
            "InvalidRequest",
            "Filter element can only be used in Lifecycle V2.",
        ),
        (
            doc(
                "<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>",
            ),
            "InvalidRequest",
            "NewerNoncurrentVersions element can only be used in Lifecycle V2.",
        ),
        (
            doc(&format!(
                "<Rule><ID>a</ID><Prefix></Prefix><Status>Enabled</Status>{expire}</Rule><Rule><ID>b</ID><Prefix>logs</Prefix><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>"
            )),
            "InvalidRequest",
            "Found overlapping prefixes 'logs' and '' for same action type 'Expiration'",
        ),
        // Actions.
        (rule(""), "InvalidRequest", "At least one action needs to be specified in a rule"),
        (
            rule("<Expiration><Days>0</Days></Expiration>"),
            "InvalidArgument",
            "'Days' for Expiration action must be a positive integer",
        ),
        (
            rule("<Expiration><Days>-3</Days></Expiration>"),
            "InvalidArgument",
            "'Days' for Expiration action must be a positive integer",
        ),
        (
            rule("<Expiration><Date>2025-01-01T10:00:00Z</Date></Expiration>"),
            "InvalidArgument",
            "'Date' must be at midnight GMT",
        ),
        (
            rule("<Expiration><Days>3</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
            "InvalidArgument",
            "ExpiredObjectDeleteMarker cannot be specified with Days or Date",
        ),
        (
            doc(
                "<Rule><ID>r</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>",
            ),
            "InvalidRequest",
            "ExpiredObjectDeleteMarker cannot be specified with Tags.",
        ),
        (
            doc(
                "<Rule><ID>r</ID><Filter><ObjectSizeLessThan>10</ObjectSizeLessThan></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>",
            ),
            "InvalidRequest",
            "ExpiredObjectDeleteMarker cannot be specified with Object Size.",
        ),
        // Filters.
        (
            filtered("<And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And>"),
            "InvalidRequest",
            "Duplicate Tag Keys are not allowed.",
        ),
        (
            filtered("<And><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan><ObjectSizeLessThan>100</ObjectSizeLessThan></And>"),
            "InvalidRequest",
            "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.",
        ),
        (
            filtered("<ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan>"),
            "InvalidRequest",
            "'ObjectSizeGreaterThan' should be between 0 and 1099511627776000.",
        ),
        (
            filtered("<ObjectSizeLessThan>0</ObjectSizeLessThan>"),
            "InvalidRequest",
            "'ObjectSizeLessThan' should be between 1 and 1099511627776000.",
        ),
        (
            filtered(&format!("<Prefix>{}</Prefix>", "p".repeat(1025))),
            "InvalidRequest",
            "The maximum size of a prefix is 1024",
        ),
        (
            filtered("<Tag><Key></Key><Value>v</Value></Tag>"),
            "InvalidRequest",
            "A Tag's Key must be a length between 1 and 128",
        ),
        // Transitions.
        (
            rule("<Transition><Days>29</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"),
            "InvalidArgument",
            "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'",
        ),
        (
            rule("<Transition><Days>0</Days><StorageClass>ONEZONE_IA</StorageClass></Transition>"),
            "InvalidArgument",
            "greater than or equal to 30 for storageClass 'ONEZONE_IA'",
        ),
        (
            rule("<Transition><Days>-1</Days><StorageClass>GLACIER</StorageClass></Transition>"),
            "InvalidArgument",
            "'Days' for Transition action must be a nonnegative integer",
        ),
        (
            rule("<Transition><Date>2025-01-01T00:00:01Z</Date><StorageClass>GLACIER</StorageClass></Transition>"),
            "InvalidArgument",
            "'Date' must be at midnight GMT",
        ),
        (
            rule("<Transition><Days>40</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition>"),
            "InvalidRequest",
            "'StorageClass' must be different for 'Transition' actions in same 'Rule' with filter '(prefix=)'",
        ),
        (
            rule("<Transition><Days>40</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>DEEP_ARCHIVE</StorageClass></Transition>"),
            "InvalidRequest",
            "Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule for filter '(prefix=)'",
        ),
        (
            rule("<Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition><Expiration><Days>400</Days></Expiration>"),
            "InvalidRequest",
            "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for filter '(prefix=)'",
        ),
        (
            rule("<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Days>60</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"),
            "InvalidArgument",
            "'Days' in the Transition action for StorageClass 'GLACIER' for filter '(prefix=)' must be greater than 'Days' in the Transition action for StorageClass 'STANDARD_IA' for filter '(prefix=)'",
        ),
        (
            rule("<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition><Transition><Days>45</Days><StorageClass>GLACIER</StorageClass></Transition>"),
            "InvalidArgument",
            "must be 30 days more than 'filter '(prefix=)'' in the Transition action for StorageClass 'STANDARD_IA'",
        ),
        (
            rule("<Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition><Expiration><Days>90</Days></Expiration>"),
            "InvalidArgument",
            "'Days' in the Expiration action for filter '(prefix=)' must be greater than 'Days' in the Transition action",
        ),
        (
            filtered("<Prefix>logs/</Prefix>")
                .replace("<Expiration><Days>365</Days></Expiration>", "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition><Expiration><Days>30</Days></Expiration>"),
            "InvalidArgument",
            "'Days' in the Expiration action for filter '(prefix=logs/)' must be greater",
        ),
        (
            rule("<Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition><Expiration><Date>2029-01-01T00:00:00Z</Date></Expiration>"),
            "InvalidArgument",
            "'Date' in the Expiration action for filter '(prefix=)' must be greater than 'Date' in the Transition action",
        ),
        // Noncurrent versions.
        (
            rule("<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>"),
            "InvalidArgument",
            "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
        ),
        (
            rule("<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
            "InvalidArgument",
            "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer",
        ),
        (
            rule("<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
            "InvalidArgument",
            "must not exceed 100",
        ),
        (
            rule("<NoncurrentVersionTransition><NoncurrentDays>10</NoncurrentDays><StorageClass>STANDARD_IA</StorageClass></NoncurrentVersionTransition>"),
            "InvalidArgument",
            "greater than or equal to 30 for storageClass 'STANDARD_IA'",
        ),
        (
            rule("<NoncurrentVersionTransition><NoncurrentDays>10</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition><NoncurrentVersionTransition><NoncurrentDays>20</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"),
            "InvalidRequest",
            "'StorageClass' must be different for 'NoncurrentVersionTransition' actions",
        ),
        (
            rule("<NoncurrentVersionTransition><NoncurrentDays>50</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition><NoncurrentVersionTransition><NoncurrentDays>20</NoncurrentDays><StorageClass>DEEP_ARCHIVE</StorageClass></NoncurrentVersionTransition>"),
            "InvalidArgument",
            "'NoncurrentDays' in the NoncurrentVersionTransition action for StorageClass 'DEEP_ARCHIVE'",
        ),
        (
            rule("<NoncurrentVersionTransition><NoncurrentDays>50</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition><NoncurrentVersionExpiration><NoncurrentDays>50</NoncurrentDays></NoncurrentVersionExpiration>"),
            "InvalidArgument",
            "'NoncurrentDays' in the NoncurrentVersionExpiration action for filter '(prefix=)' must be greater",
        ),
        // Multipart uploads.
        (
            rule("<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>"),
            "InvalidArgument",
            "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
        ),
        (
            doc(
                "<Rule><ID>r</ID><Filter><And><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
            ),
            "InvalidRequest",
            "AbortIncompleteMultipartUpload cannot be specified with Tags.",
        ),
        (
            doc(
                "<Rule><ID>r</ID><Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
            ),
            "InvalidRequest",
            "AbortIncompleteMultipartUpload cannot be specified with Object Size.",
        ),
    ];
    for (body, code, message) in table {
        let error = parse(body.as_bytes(), None).expect_err(&body);
        assert_eq!(error.code, code, "{body}: {error:?}");
        assert_eq!(error.status().as_u16(), 400, "{body}");
        assert!(error.message.contains(message), "{body}: {}", error.message);
    }
}

#[test]
fn minimum_transition_size_header_is_validated() {
    let body = rule("<Expiration><Days>1</Days></Expiration>");
    let table = [
        (None, Some(MinTransitionSize::AllStorageClasses128K)),
        (
            Some("all_storage_classes_128K"),
            Some(MinTransitionSize::AllStorageClasses128K),
        ),
        (
            Some("varies_by_storage_class"),
            Some(MinTransitionSize::VariesByStorageClass),
        ),
        (Some("ALL_STORAGE_CLASSES_128K"), None),
        (Some(""), None),
    ];
    for (header, expected) in table {
        match (parse(body.as_bytes(), header), expected) {
            (Ok(config), Some(expected)) => {
                assert_eq!(config.min_transition_size, expected, "{header:?}");
                assert_eq!(
                    MinTransitionSize::parse(Some(expected.as_str())).ok(),
                    Some(expected)
                );
            }
            (Err(error), None) => {
                assert_eq!(error.code, "InvalidRequest", "{header:?}");
                assert!(error.message.contains("TransitionDefaultMinimumObjectSize"));
            }
            (other, _) => panic!("{header:?}: {other:?}"),
        }
    }
}

#[test]
fn valid_documents_parse_to_the_model() {
    let with = |rule: Rule| LifecycleConfiguration {
        rules: vec![rule],
        min_transition_size: MinTransitionSize::AllStorageClasses128K,
    };
    let prefix_filter = |shape, prefix: &str| Filter {
        prefix: Some(prefix.into()),
        ..filter(shape)
    };
    let table: Vec<(String, LifecycleConfiguration)> = vec![
        (
            doc(
                "<Rule><ID>v1</ID><Prefix>logs/</Prefix><Status>Disabled</Status><Expiration><Days>365</Days></Expiration></Rule>",
            ),
            with(Rule {
                status: Status::Disabled,
                expiration: Some(Expiration::Days(365)),
                ..base_rule("v1", prefix_filter(FilterShape::LegacyPrefix, "logs/"))
            }),
        ),
        (
            doc(
                "<Rule><ID>empty</ID><Filter></Filter><Status>Enabled</Status><Expiration><Date>2025-01-01T00:00:00.000Z</Date></Expiration></Rule>",
            ),
            with(Rule {
                expiration: Some(Expiration::Date(JAN_1_2025)),
                ..base_rule("empty", filter(FilterShape::Empty))
            }),
        ),
        (
            doc(
                "<Rule><ID>p</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration><NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
            ),
            with(Rule {
                expiration: Some(Expiration::ExpiredObjectDeleteMarker(true)),
                noncurrent_expiration: Some(NoncurrentExpiration {
                    noncurrent_days: 7,
                    newer_noncurrent_versions: Some(3),
                }),
                abort_incomplete_multipart_days: Some(2),
                ..base_rule("p", prefix_filter(FilterShape::Prefix, ""))
            }),
        ),
        (
            doc(
                "<Rule><ID>tag</ID><Filter><Tag><Key>class</Key><Value>temp</Value></Tag></Filter><Status>Enabled</Status><Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>",
            ),
            with(Rule {
                transitions: vec![Transition {
                    timing: Timing::Days(0),
                    storage_class: TransitionClass::Glacier,
                }],
                ..base_rule(
                    "tag",
                    Filter {
                        tags: tags(&[("class", "temp")]),
                        ..filter(FilterShape::Tag)
                    },
                )
            }),
        ),
        (
            doc(
                "<Rule><ID>and</ID><Filter><And><Prefix>tax/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag><ObjectSizeGreaterThan>500</ObjectSizeGreaterThan><ObjectSizeLessThan>64000</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition><Transition><Days>60</Days><StorageClass>INTELLIGENT_TIERING</StorageClass></Transition><Transition><Days>365</Days><StorageClass>DEEP_ARCHIVE</StorageClass></Transition><Expiration><Days>3650</Days></Expiration></Rule>",
            ),
            with(Rule {
                transitions: vec![
                    Transition {
                        timing: Timing::Days(30),
                        storage_class: TransitionClass::StandardIa,
                    },
                    Transition {
                        timing: Timing::Days(60),
                        storage_class: TransitionClass::IntelligentTiering,
                    },
                    Transition {
                        timing: Timing::Days(365),
                        storage_class: TransitionClass::DeepArchive,
                    },
                ],
                expiration: Some(Expiration::Days(3650)),
                ..base_rule(
                    "and",
                    Filter {
                        shape: FilterShape::And,
                        prefix: Some("tax/".into()),
                        tags: tags(&[("a", "1"), ("b", "")]),
                        size_gt: Some(500),
                        size_lt: Some(64000),
                    },
                )
            }),
        ),
        (
            doc(
                "<Rule><ID>sizes</ID><Filter><And><ObjectSizeGreaterThan>0</ObjectSizeGreaterThan><ObjectSizeLessThan>1</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Transition><Date>2025-01-01</Date><StorageClass>GLACIER_IR</StorageClass></Transition><Transition><Date>2025-01-02T00:00:00+00:00</Date><StorageClass>GLACIER</StorageClass></Transition><Expiration><Date>2025-01-03T00:00:00</Date></Expiration></Rule>",
            ),
            with(Rule {
                transitions: vec![
                    Transition {
                        timing: Timing::Date(JAN_1_2025),
                        storage_class: TransitionClass::GlacierIr,
                    },
                    Transition {
                        timing: Timing::Date(JAN_1_2025 + DAY_MS),
                        storage_class: TransitionClass::Glacier,
                    },
                ],
                expiration: Some(Expiration::Date(JAN_1_2025 + 2 * DAY_MS)),
                ..base_rule(
                    "sizes",
                    Filter {
                        shape: FilterShape::And,
                        size_gt: Some(0),
                        size_lt: Some(1),
                        ..filter(FilterShape::And)
                    },
                )
            }),
        ),
        (
            doc(
                "<Rule><ID>nc</ID><Filter><ObjectSizeLessThan>131072</ObjectSizeLessThan></Filter><Status>Enabled</Status><NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>ONEZONE_IA</StorageClass></NoncurrentVersionTransition><NoncurrentVersionTransition><NoncurrentDays>60</NoncurrentDays><NewerNoncurrentVersions>100</NewerNoncurrentVersions><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition><NoncurrentVersionExpiration><NoncurrentDays>61</NoncurrentDays></NoncurrentVersionExpiration></Rule>",
            ),
            with(Rule {
                noncurrent_transitions: vec![
                    NoncurrentTransition {
                        noncurrent_days: 30,
                        newer_noncurrent_versions: None,
                        storage_class: TransitionClass::OnezoneIa,
                    },
                    NoncurrentTransition {
                        noncurrent_days: 60,
                        newer_noncurrent_versions: Some(100),
                        storage_class: TransitionClass::Glacier,
                    },
                ],
                noncurrent_expiration: Some(NoncurrentExpiration {
                    noncurrent_days: 61,
                    newer_noncurrent_versions: None,
                }),
                ..base_rule(
                    "nc",
                    Filter {
                        size_lt: Some(131_072),
                        ..filter(FilterShape::ObjectSizeLessThan)
                    },
                )
            }),
        ),
    ];
    for (body, expected) in table {
        let config = parsed(&body);
        assert_eq!(config, expected, "{body}");
        let rendered = render(&config);
        assert_eq!(
            parse(
                rendered.as_bytes(),
                Some(config.min_transition_size.as_str())
            )
            .ok(),
            Some(config),
            "round trip of {rendered}"
        );
    }
}

#[test]
fn v1_rules_with_disjoint_prefixes_or_other_actions_are_accepted() {
    let config = parsed(&doc(
        "<Rule><ID>a</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><ID>b</ID><Prefix>tmp/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><ID>c</ID><Prefix></Prefix><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
    ));
    assert_eq!(config.rules.len(), 3);
    // V2 lets overlapping prefixes share an action: S3 resolves them when it runs.
    let v2 = parsed(&doc(
        "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>365</Days></Expiration></Rule>\
         <Rule><ID>b</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>",
    ));
    assert_eq!(v2.rules.len(), 2);
}

#[test]
fn missing_ids_are_generated_unique_and_kept_by_render() {
    let body = doc(
        "<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><ID></ID><Filter><Prefix>a</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>\
         <Rule><ID>given</ID><Filter><Prefix>b</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>",
    );
    let config = parsed(&body);
    let ids: Vec<&str> = config.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids[2], "given");
    for id in &ids[..2] {
        assert_eq!(id.len(), 48, "{id}");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(id)
            .expect("base64");
        assert_eq!(decoded.len(), 36, "a UUID's text");
        assert_eq!(decoded[14], b'4', "version 4");
    }
    assert_ne!(ids[0], ids[1]);
    assert_eq!(
        parse(render(&config).as_bytes(), None).expect("rendered parses"),
        config
    );
}

#[test]
fn render_keeps_the_filter_shape_and_aws_order() {
    let config = parsed(&doc(
        "<Rule><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload><Status>Enabled</Status><ID>a&amp;b</ID><Filter><Prefix>x&lt;y</Prefix></Filter><Expiration><Days>90</Days></Expiration><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition><NoncurrentVersionExpiration><NewerNoncurrentVersions>2</NewerNoncurrentVersions><NoncurrentDays>5</NoncurrentDays></NoncurrentVersionExpiration></Rule>\
         <Rule><ID>v</ID><Filter/><Status>Disabled</Status><Expiration><Date>2025-01-01T00:00:00Z</Date></Expiration></Rule>",
    ));
    let xml = render(&config);
    assert!(
        xml.contains(&format!("<LifecycleConfiguration xmlns=\"{NS}\">")),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<Rule><ID>a&amp;b</ID><Filter><Prefix>x&lt;y</Prefix></Filter><Status>Enabled</Status>\
             <Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>\
             <Expiration><Days>90</Days></Expiration>\
             <NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>\
             <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
        ),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<Rule><ID>v</ID><Filter></Filter><Status>Disabled</Status><Expiration><Date>2025-01-01T00:00:00.000Z</Date></Expiration></Rule>"
        ),
        "{xml}"
    );
    let v1 = render(&parsed(&doc(
        "<Rule><ID>old</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
    )));
    assert!(
        v1.contains("<Rule><ID>old</ID><Prefix>logs/</Prefix><Status>Enabled</Status>"),
        "{v1}"
    );
    assert!(!v1.contains("<Filter>"), "{v1}");
}

// ---- evaluation ----

fn facts<'a>(key: &'a str, size: u64, tags: &'a [(String, String)]) -> ObjectFacts<'a> {
    ObjectFacts {
        key,
        size,
        tags,
        created_ms: 0,
        storage_class: "STANDARD",
        is_latest: true,
        is_delete_marker: false,
        sole_version: false,
        noncurrent_since_ms: None,
        newer_noncurrent_count: 0,
        versioned: false,
    }
}

#[test]
fn filters_select_objects_by_prefix_tags_and_size() {
    let config = parsed(&doc(
        "<Rule><ID>p</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><ID>t</ID><Filter><And><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><ID>s</ID><Filter><And><Prefix>big/</Prefix><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>20</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><ID>off</ID><Filter/><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
    ));
    let [p, t, s, off] = &config.rules[..] else {
        panic!("four rules");
    };
    let both = tags(&[("a", "1"), ("b", "2"), ("c", "3")]);
    let one = tags(&[("a", "1")]);
    let wrong = tags(&[("a", "1"), ("b", "x")]);
    let none: Vec<(String, String)> = Vec::new();
    let table: Vec<(&Rule, ObjectFacts<'_>, bool)> = vec![
        (p, facts("logs/x", 1, &none), true),
        (p, facts("logs/", 1, &none), true),
        (p, facts("log/x", 1, &none), false),
        (p, facts("x/logs/", 1, &none), false),
        (t, facts("k", 1, &both), true),
        (t, facts("k", 1, &one), false),
        (t, facts("k", 1, &wrong), false),
        (s, facts("big/k", 11, &none), true),
        (s, facts("big/k", 19, &none), true),
        (s, facts("big/k", 10, &none), false),
        (s, facts("big/k", 20, &none), false),
        (s, facts("small/k", 15, &none), false),
        (off, facts("anything", 1, &none), false),
    ];
    for (rule, object, expected) in table {
        assert_eq!(
            rule.applies_to(&object),
            expected,
            "{} on {} size {} tags {:?}",
            rule.id,
            object.key,
            object.size,
            object.tags
        );
    }
}

#[test]
fn days_round_up_to_the_next_day_boundary() {
    let table = [
        // (start, days, day_ms, due)
        (0, 1, 1000, 1000),
        (1, 1, 1000, 2000),
        (1500, 1, 1000, 3000),
        (999, 0, 1000, 1000),
        (1000, 0, 1000, 1000),
        (-1, 0, 1000, 0),
        // 2025-01-01 10:30 UTC + 3 days → 2025-01-05 00:00 UTC.
        (JAN_1_2025 + 37_800_000, 3, DAY_MS, JAN_1_2025 + 4 * DAY_MS),
        (JAN_1_2025, 3, DAY_MS, JAN_1_2025 + 3 * DAY_MS),
        (i64::MAX - 5, 1, 1000, i64::MAX),
    ];
    for (start, days, day_ms, due) in table {
        assert_eq!(
            due_after(start, days, day_ms),
            due,
            "{start} + {days} × {day_ms}"
        );
    }
}

#[test]
fn next_action_for_current_versions() {
    let config = parsed(&rule(
        "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition><Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition><Expiration><Days>365</Days></Expiration>",
    ));
    let none = Vec::new();
    let big = 1 << 20;
    let at = |created_ms, class| ObjectFacts {
        created_ms,
        storage_class: class,
        ..facts("k", big, &none)
    };
    let table = [
        (
            at(0, "STANDARD"),
            1000,
            Some((30_000, Action::Transition(TransitionClass::StandardIa))),
        ),
        (
            at(500, "STANDARD"),
            1000,
            Some((31_000, Action::Transition(TransitionClass::StandardIa))),
        ),
        (
            at(0, "STANDARD_IA"),
            1000,
            Some((90_000, Action::Transition(TransitionClass::Glacier))),
        ),
        (at(0, "GLACIER"), 1000, Some((365_000, Action::Expire))),
        (at(0, "DEEP_ARCHIVE"), 1000, Some((365_000, Action::Expire))),
        (
            at(JAN_1_2025 + 1, "STANDARD"),
            DAY_MS,
            Some((
                JAN_1_2025 + 31 * DAY_MS,
                Action::Transition(TransitionClass::StandardIa),
            )),
        ),
    ];
    for (object, day_ms, expected) in table {
        assert_eq!(
            config.next_action(&object, day_ms),
            expected,
            "{} created {}",
            object.storage_class,
            object.created_ms
        );
    }
    // A disabled rule schedules nothing.
    let disabled =
        parsed(&rule("<Expiration><Days>1</Days></Expiration>").replace("Enabled", "Disabled"));
    assert_eq!(disabled.next_action(&at(0, "STANDARD"), 1000), None);
}

#[test]
fn dates_are_absolute() {
    let config = parsed(&rule(
        "<Transition><Date>2025-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition><Expiration><Date>2025-01-03T00:00:00Z</Date></Expiration>",
    ));
    let none = Vec::new();
    let object = ObjectFacts {
        created_ms: JAN_1_2025 + 5 * DAY_MS,
        ..facts("k", 1 << 20, &none)
    };
    // Already past: due at the configured date, i.e. now for the engine.
    assert_eq!(
        config.next_action(&object, 1000),
        Some((JAN_1_2025, Action::Transition(TransitionClass::Glacier)))
    );
    let glacier = ObjectFacts {
        storage_class: "GLACIER",
        ..object
    };
    assert_eq!(
        config.next_action(&glacier, 1000),
        Some((JAN_1_2025 + 2 * DAY_MS, Action::Expire))
    );
    assert_eq!(
        config.expiration_header(&object, 1000),
        Some((JAN_1_2025 + 2 * DAY_MS, "r"))
    );
}

#[test]
fn precedence_when_actions_fall_due_together() {
    let none = Vec::new();
    let object = facts("logs/a", 1 << 20, &none);
    let config = parsed(&doc(
        "<Rule><ID>ia</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>\
         <Rule><ID>glacier</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>\
         <Rule><ID>it</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>INTELLIGENT_TIERING</StorageClass></Transition></Rule>",
    ));
    // The cheaper class, GLACIER over INTELLIGENT_TIERING over STANDARD_IA.
    assert_eq!(
        config.next_action(&object, 1000),
        Some((30_000, Action::Transition(TransitionClass::Glacier)))
    );
    let other = facts("data/a", 1 << 20, &none);
    assert_eq!(
        config.next_action(&other, 1000),
        Some((
            30_000,
            Action::Transition(TransitionClass::IntelligentTiering)
        ))
    );

    let expire_and_move = parsed(&doc(
        "<Rule><ID>move</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>\
         <Rule><ID>expire</ID><Filter/><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>",
    ));
    // Permanent deletion beats transition; creating a delete marker does not.
    assert_eq!(
        expire_and_move.next_action(&object, 1000),
        Some((30_000, Action::Expire))
    );
    let versioned = ObjectFacts {
        versioned: true,
        ..object
    };
    assert_eq!(
        expire_and_move.next_action(&versioned, 1000),
        Some((30_000, Action::Transition(TransitionClass::Glacier)))
    );
    // The earliest wins whatever its kind.
    let early = parsed(&doc(
        "<Rule><ID>move</ID><Filter/><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>\
         <Rule><ID>expire</ID><Filter/><Status>Enabled</Status><Expiration><Days>20</Days></Expiration></Rule>",
    ));
    assert_eq!(
        early.next_action(&object, 1000),
        Some((10_000, Action::Transition(TransitionClass::Glacier)))
    );
}

#[test]
fn shorter_expiration_is_the_header() {
    let config = parsed(&doc(
        "<Rule><ID>year</ID><Filter/><Status>Enabled</Status><Expiration><Days>365</Days></Expiration></Rule>\
         <Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>\
         <Rule><ID>moves</ID><Filter/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>",
    ));
    let none = Vec::new();
    let log = ObjectFacts {
        created_ms: 10,
        ..facts("logs/1", 5, &none)
    };
    assert_eq!(config.expiration_header(&log, 1000), Some((31_000, "logs")));
    assert_eq!(
        config.expiration_header(&facts("data/1", 5, &none), DAY_MS),
        Some((365 * DAY_MS, "year"))
    );
    let marker = ObjectFacts {
        is_delete_marker: true,
        ..log
    };
    assert_eq!(config.expiration_header(&marker, 1000), None);
    let old = ObjectFacts {
        is_latest: false,
        noncurrent_since_ms: Some(0),
        ..log
    };
    assert_eq!(config.expiration_header(&old, 1000), None);
}

#[test]
fn noncurrent_versions_expire_and_transition() {
    let config = parsed(&rule(
        "<NoncurrentVersionTransition><NoncurrentDays>5</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition><NoncurrentVersionExpiration><NoncurrentDays>10</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>",
    ));
    let none = Vec::new();
    let noncurrent = |since, newer, class| ObjectFacts {
        is_latest: false,
        noncurrent_since_ms: Some(since),
        newer_noncurrent_count: newer,
        storage_class: class,
        versioned: true,
        ..facts("k", 1 << 20, &none)
    };
    let table = [
        (
            noncurrent(0, 0, "STANDARD"),
            Some((
                5_000,
                Action::TransitionNoncurrent(TransitionClass::Glacier),
            )),
        ),
        (
            noncurrent(2500, 0, "STANDARD"),
            Some((
                8_000,
                Action::TransitionNoncurrent(TransitionClass::Glacier),
            )),
        ),
        // The two newest noncurrent versions are kept.
        (noncurrent(0, 1, "GLACIER"), None),
        (
            noncurrent(0, 2, "GLACIER"),
            Some((10_000, Action::ExpireNoncurrent)),
        ),
        (
            noncurrent(2500, 7, "GLACIER"),
            Some((13_000, Action::ExpireNoncurrent)),
        ),
    ];
    for (object, expected) in table {
        assert_eq!(
            config.next_action(&object, 1000),
            expected,
            "since {:?} newer {} in {}",
            object.noncurrent_since_ms,
            object.newer_noncurrent_count,
            object.storage_class
        );
    }
    // The current version is untouched by noncurrent actions.
    assert_eq!(config.next_action(&facts("k", 1 << 20, &none), 1000), None);
    // A noncurrent delete marker expires but never transitions.
    let marker = ObjectFacts {
        is_delete_marker: true,
        size: 0,
        ..noncurrent(0, 3, "STANDARD")
    };
    assert_eq!(
        config.next_action(&marker, 1000),
        Some((10_000, Action::ExpireNoncurrent))
    );
}

#[test]
fn expired_delete_markers_are_removed() {
    let none = Vec::new();
    let marker = |sole| ObjectFacts {
        is_delete_marker: true,
        sole_version: sole,
        created_ms: 1500,
        size: 0,
        versioned: true,
        ..facts("k", 0, &none)
    };
    let flag = parsed(&rule(
        "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>",
    ));
    assert_eq!(
        flag.next_action(&marker(true), 1000),
        Some((2000, Action::RemoveExpiredDeleteMarker))
    );
    assert_eq!(flag.next_action(&marker(false), 1000), None);
    let off = parsed(&rule(
        "<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>",
    ));
    assert_eq!(off.next_action(&marker(true), 1000), None);
    // Days cleans expired delete markers once they are old enough.
    let days = parsed(&rule("<Expiration><Days>3</Days></Expiration>"));
    assert_eq!(
        days.next_action(&marker(true), 1000),
        Some((5000, Action::RemoveExpiredDeleteMarker))
    );
    let date = parsed(&rule(
        "<Expiration><Date>2025-01-01T00:00:00Z</Date></Expiration>",
    ));
    assert_eq!(date.next_action(&marker(true), 1000), None);
}

#[test]
fn small_objects_follow_the_minimum_transition_size() {
    let body = rule(
        "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition><Transition><Days>60</Days><StorageClass>GLACIER</StorageClass></Transition>",
    );
    let default = parse(body.as_bytes(), None).expect("parses");
    let varies = parse(body.as_bytes(), Some("varies_by_storage_class")).expect("parses");
    let none = Vec::new();
    let small = facts("k", DEFAULT_MIN_TRANSITION_SIZE - 1, &none);
    let exact = facts("k", DEFAULT_MIN_TRANSITION_SIZE, &none);
    assert_eq!(default.next_action(&small, 1000), None);
    assert_eq!(
        default.next_action(&exact, 1000),
        Some((30_000, Action::Transition(TransitionClass::StandardIa)))
    );
    assert_eq!(
        varies.next_action(&small, 1000),
        Some((60_000, Action::Transition(TransitionClass::Glacier)))
    );
    // A size filter replaces the default minimum.
    let custom = parsed(&doc(
        "<Rule><ID>r</ID><Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>",
    ));
    assert_eq!(
        custom.next_action(&small, 1000),
        Some((30_000, Action::Transition(TransitionClass::StandardIa)))
    );
    assert_eq!(custom.next_action(&facts("k", 1, &none), 1000), None);
}

#[test]
fn transitions_only_go_down_the_waterfall() {
    let table = [
        (TransitionClass::StandardIa, "STANDARD", true),
        (TransitionClass::StandardIa, "REDUCED_REDUNDANCY", true),
        (TransitionClass::StandardIa, "STANDARD_IA", false),
        (TransitionClass::StandardIa, "INTELLIGENT_TIERING", false),
        (TransitionClass::IntelligentTiering, "STANDARD_IA", true),
        (TransitionClass::OnezoneIa, "INTELLIGENT_TIERING", true),
        (TransitionClass::GlacierIr, "ONEZONE_IA", false),
        (TransitionClass::Glacier, "ONEZONE_IA", true),
        (TransitionClass::Glacier, "GLACIER_IR", true),
        (TransitionClass::Glacier, "DEEP_ARCHIVE", false),
        (TransitionClass::DeepArchive, "GLACIER", true),
    ];
    for (target, current, expected) in table {
        assert_eq!(
            target.reachable_from(current),
            expected,
            "{current} → {}",
            target.as_str()
        );
    }
}

#[test]
fn abort_due_uses_the_earliest_matching_rule() {
    let config = parsed(&doc(
        "<Rule><ID>all</ID><Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
         <Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
         <Rule><ID>off</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
    ));
    assert_eq!(config.abort_due("tmp/x", 100, 1000), Some((2000, "tmp")));
    assert_eq!(config.abort_due("data/x", 100, 1000), Some((8000, "all")));
    assert_eq!(
        config.abort_due("data/x", JAN_1_2025 + 1, DAY_MS),
        Some((JAN_1_2025 + 8 * DAY_MS, "all"))
    );
    let none = parsed(&rule("<Expiration><Days>1</Days></Expiration>"));
    assert_eq!(none.abort_due("tmp/x", 0, 1000), None);
}

proptest! {
    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&body, None);
    }

    #[test]
    fn arbitrary_element_soup_round_trips(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("<Expiration><Days>400</Days></Expiration>"),
                Just("<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
                Just("<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"),
                Just("<Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition>"),
                Just("<Transition><Days>0</Days><StorageClass>GLACIER_IR</StorageClass></Transition>"),
                Just("<NoncurrentVersionExpiration><NoncurrentDays>100</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
                Just("<NoncurrentVersionTransition><NoncurrentDays>40</NoncurrentDays><StorageClass>ONEZONE_IA</StorageClass></NoncurrentVersionTransition>"),
                Just("<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>"),
                Just("<Filter><Prefix>a/</Prefix></Filter>"),
                Just("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"),
                Just("<Filter><And><Prefix>p</Prefix><ObjectSizeGreaterThan>3</ObjectSizeGreaterThan></And></Filter>"),
                Just("<Filter/>"),
                Just("<Prefix>old/</Prefix>"),
                Just("<ID>x</ID>"),
                Just("<Status>Enabled</Status>"),
                Just("<Status>Disabled</Status>"),
                Just("</Rule><Rule>"),
            ],
            0..12,
        )
    ) {
        let body = doc(&format!("<Rule>{}</Rule>", parts.concat()));
        if let Ok(config) = parse(body.as_bytes(), Some("varies_by_storage_class")) {
            prop_assert_eq!(
                parse(render(&config).as_bytes(), Some(config.min_transition_size.as_str())).ok(),
                Some(config)
            );
        }
    }
}
