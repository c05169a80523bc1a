use super::*;
use proptest::prelude::*;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// A configuration document with Id `it` around `inner`.
fn doc(inner: &str) -> String {
    format!(
        "<IntelligentTieringConfiguration xmlns=\"{NS}\"><Id>it</Id>{inner}</IntelligentTieringConfiguration>"
    )
}

/// An enabled configuration with `filter` (may be empty) and `tierings`.
fn config_doc(filter: &str, tierings: &str) -> String {
    doc(&format!("{filter}<Status>Enabled</Status>{tierings}"))
}

fn tiering(tier: &str, days: &str) -> String {
    format!("<Tiering><Days>{days}</Days><AccessTier>{tier}</AccessTier></Tiering>")
}

fn parsed(body: &str) -> IntelligentTieringConfiguration {
    parse(body.as_bytes(), "it").unwrap_or_else(|e| panic!("{body}: {e:?}"))
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn config(
    filter: TieringFilter,
    status: Status,
    tierings: &[(ArchiveTier, u32)],
) -> IntelligentTieringConfiguration {
    IntelligentTieringConfiguration {
        id: "it".into(),
        filter,
        status,
        tierings: tierings
            .iter()
            .map(|&(access_tier, days)| Tiering { days, access_tier })
            .collect(),
    }
}

#[test]
fn parses_a_full_document() {
    let body = config_doc(
        "<Filter><And><Prefix>logs/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag></And></Filter>",
        &format!(
            "{}{}",
            tiering("ARCHIVE_ACCESS", "90"),
            tiering("DEEP_ARCHIVE_ACCESS", " 180 ")
        ),
    );
    assert_eq!(
        parsed(&body),
        IntelligentTieringConfiguration {
            id: "it".into(),
            filter: TieringFilter {
                shape: FilterShape::And,
                prefix: Some("logs/".into()),
                tags: tags(&[("a", "1"), ("b", "")]),
            },
            status: Status::Enabled,
            tierings: vec![
                Tiering {
                    days: 90,
                    access_tier: ArchiveTier::ArchiveAccess
                },
                Tiering {
                    days: 180,
                    access_tier: ArchiveTier::DeepArchiveAccess
                },
            ],
        }
    );
}

#[test]
fn parses_each_filter_shape_and_element_order() {
    // Elements in any order, no namespace, as clients disagree.
    let body = "<IntelligentTieringConfiguration><Tiering><AccessTier>DEEP_ARCHIVE_ACCESS</AccessTier><Days>730</Days></Tiering><Status>Disabled</Status><Id>it</Id></IntelligentTieringConfiguration>";
    let c = parsed(body);
    assert_eq!(c.filter, TieringFilter::whole_bucket());
    assert_eq!(c.status, Status::Disabled);
    assert_eq!(
        c.tierings,
        vec![Tiering {
            days: 730,
            access_tier: ArchiveTier::DeepArchiveAccess
        }]
    );

    let one = tiering("ARCHIVE_ACCESS", "100");
    let filter = |shape, prefix: Option<&str>, pairs: &[(&str, &str)]| TieringFilter {
        shape,
        prefix: prefix.map(str::to_string),
        tags: tags(pairs),
    };
    let cases = [
        ("<Filter/>", filter(FilterShape::Empty, None, &[])),
        (
            "<Filter><Prefix>a/b</Prefix></Filter>",
            filter(FilterShape::Prefix, Some("a/b"), &[]),
        ),
        (
            "<Filter><Prefix></Prefix></Filter>",
            filter(FilterShape::Prefix, Some(""), &[]),
        ),
        (
            "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>",
            filter(FilterShape::Tag, None, &[("k", "v")]),
        ),
    ];
    for (given, want) in cases {
        assert_eq!(parsed(&config_doc(given, &one)).filter, want, "{given}");
    }
}

#[test]
fn refuses_invalid_documents_as_aws_does() {
    let a90 = tiering("ARCHIVE_ACCESS", "90");
    let d180 = tiering("DEEP_ARCHIVE_ACCESS", "180");
    let malformed = "The XML you provided was not well-formed";
    let long_prefix = format!("<Filter><Prefix>{}</Prefix></Filter>", "p".repeat(1025));
    let long_key = format!(
        "<Filter><Tag><Key>{}</Key><Value>v</Value></Tag></Filter>",
        "k".repeat(129)
    );
    let long_value = format!(
        "<Filter><Tag><Key>k</Key><Value>{}</Value></Tag></Filter>",
        "v".repeat(257)
    );
    let long_id = "i".repeat(65);
    let cases: Vec<(String, &str, u16, &str, &str)> = vec![
        // Schema faults.
        ("not xml".into(), "it", 400, "MalformedXML", malformed),
        (
            format!(
                "<LifecycleConfiguration><Id>it</Id><Status>Enabled</Status>{a90}</LifecycleConfiguration>"
            ),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            doc(&format!("<Status>Enabled</Status>{a90}<Extra/>")),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            format!(
                "<IntelligentTieringConfiguration><Status>Enabled</Status>{a90}</IntelligentTieringConfiguration>"
            ),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (doc(&a90), "it", 400, "MalformedXML", malformed),
        (
            doc(&format!("<Status>enabled</Status>{a90}")),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            doc(&format!(
                "<Status>Enabled</Status><Status>Enabled</Status>{a90}"
            )),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        // No Tiering (aws/aws-cdk#20937).
        (config_doc("", ""), "it", 400, "MalformedXML", malformed),
        (
            config_doc("<Filter><Prefix>a</Prefix></Filter>", ""),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc("", &tiering("GLACIER", "90")),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc("", &tiering("archive_access", "90")),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc("", &tiering("ARCHIVE_ACCESS", "ninety")),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc("", &tiering("ARCHIVE_ACCESS", "99999999999999999999")),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc("", "<Tiering><Days>90</Days></Tiering>"),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc(
                "",
                "<Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering>",
            ),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc(
                "",
                "<Tiering><Days>90</Days><Days>91</Days><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering>",
            ),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc(
                "",
                "<Tiering><Days>90</Days><AccessTier>ARCHIVE_ACCESS</AccessTier><StorageClass>X</StorageClass></Tiering>",
            ),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc(
                "<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>",
                &a90,
            ),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc("<Filter><And><Prefix>a</Prefix></And></Filter>", &a90),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc("<Filter><And/></Filter>", &a90),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc(
                "<Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan></Filter>",
                &a90,
            ),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc("<Filter><Tag><Key>k</Key></Tag></Filter>", &a90),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            config_doc("<Filter/><Filter/>", &a90),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        // Body Id other than the query's (aws/aws-sdk#336), ill-formed Ids.
        (
            config_doc("", &a90),
            "other",
            400,
            "MalformedXML",
            malformed,
        ),
        (config_doc("", &a90), "IT", 400, "MalformedXML", malformed),
        (
            format!(
                "<IntelligentTieringConfiguration><Id></Id><Status>Enabled</Status>{a90}</IntelligentTieringConfiguration>"
            ),
            "",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            format!(
                "<IntelligentTieringConfiguration><Id>my config</Id><Status>Enabled</Status>{a90}</IntelligentTieringConfiguration>"
            ),
            "my config",
            400,
            "MalformedXML",
            malformed,
        ),
        (
            format!(
                "<IntelligentTieringConfiguration><Id>{long_id}</Id><Status>Enabled</Status>{a90}</IntelligentTieringConfiguration>"
            ),
            long_id.as_str(),
            400,
            "MalformedXML",
            malformed,
        ),
        // A schema fault wins over a value fault.
        (
            config_doc("<Bogus/>", &tiering("ARCHIVE_ACCESS", "1")),
            "it",
            400,
            "MalformedXML",
            malformed,
        ),
        // Days out of range.
        (
            config_doc("", &tiering("ARCHIVE_ACCESS", "89")),
            "it",
            400,
            "InvalidArgument",
            "Days specified in ARCHIVE_ACCESS tier should not be less than 90",
        ),
        (
            config_doc("", &tiering("ARCHIVE_ACCESS", "1")),
            "it",
            400,
            "InvalidArgument",
            "Days specified in ARCHIVE_ACCESS tier should not be less than 90",
        ),
        (
            config_doc("", &tiering("ARCHIVE_ACCESS", "-5")),
            "it",
            400,
            "InvalidArgument",
            "Days specified in ARCHIVE_ACCESS tier should not be less than 90",
        ),
        (
            config_doc("", &tiering("DEEP_ARCHIVE_ACCESS", "179")),
            "it",
            400,
            "InvalidArgument",
            "Days specified in DEEP_ARCHIVE_ACCESS tier should not be less than 180",
        ),
        (
            config_doc("", &tiering("DEEP_ARCHIVE_ACCESS", "90")),
            "it",
            400,
            "InvalidArgument",
            "Days specified in DEEP_ARCHIVE_ACCESS tier should not be less than 180",
        ),
        (
            config_doc("", &tiering("ARCHIVE_ACCESS", "731")),
            "it",
            400,
            "InvalidArgument",
            "Days specified in ARCHIVE_ACCESS tier should not be more than 730",
        ),
        (
            config_doc("", &tiering("DEEP_ARCHIVE_ACCESS", "1000000")),
            "it",
            400,
            "InvalidArgument",
            "Days specified in DEEP_ARCHIVE_ACCESS tier should not be more than 730",
        ),
        // The first offending Tiering in document order.
        (
            config_doc(
                "",
                &format!(
                    "{}{}",
                    tiering("DEEP_ARCHIVE_ACCESS", "100"),
                    tiering("ARCHIVE_ACCESS", "10")
                ),
            ),
            "it",
            400,
            "InvalidArgument",
            "DEEP_ARCHIVE_ACCESS tier should not be less than 180",
        ),
        // One Tiering per tier.
        (
            config_doc("", &format!("{a90}{}", tiering("ARCHIVE_ACCESS", "120"))),
            "it",
            400,
            "InvalidArgument",
            "More than one Tiering specified for ARCHIVE_ACCESS tier",
        ),
        (
            config_doc("", &format!("{d180}{a90}{d180}")),
            "it",
            400,
            "InvalidArgument",
            "More than one Tiering specified for DEEP_ARCHIVE_ACCESS tier",
        ),
        // Filter values.
        (
            config_doc(&long_prefix, &a90),
            "it",
            400,
            "InvalidArgument",
            "The maximum size of a prefix is 1024",
        ),
        (
            config_doc(&long_key, &a90),
            "it",
            400,
            "InvalidArgument",
            "A Tag's Key must be a length between 1 and 128",
        ),
        (
            config_doc(
                "<Filter><Tag><Key></Key><Value>v</Value></Tag></Filter>",
                &a90,
            ),
            "it",
            400,
            "InvalidArgument",
            "A Tag's Key must be a length between 1 and 128",
        ),
        (
            config_doc(&long_value, &a90),
            "it",
            400,
            "InvalidArgument",
            "A Tag's Value must be a length between 0 and 256",
        ),
        (
            config_doc(
                "<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter>",
                &a90,
            ),
            "it",
            400,
            "InvalidArgument",
            "Duplicate Tag Keys are not allowed.",
        ),
    ];
    for (body, id, status, code, message) in cases {
        let err = parse(body.as_bytes(), id)
            .map(|c| panic!("accepted {body}: {c:?}"))
            .unwrap_err();
        assert_eq!(err.status().as_u16(), status, "{body}: {err:?}");
        assert_eq!(err.code, code, "{body}: {err:?}");
        assert!(err.message.contains(message), "{body}: {err:?}");
    }
}

#[test]
fn accepts_the_day_bounds() {
    for (tier, days) in [
        ("ARCHIVE_ACCESS", 90),
        ("ARCHIVE_ACCESS", 730),
        ("DEEP_ARCHIVE_ACCESS", 180),
        ("DEEP_ARCHIVE_ACCESS", 730),
    ] {
        let c = parsed(&config_doc("", &tiering(tier, &days.to_string())));
        assert_eq!(c.tierings[0].days, days);
        assert_eq!(c.tierings[0].access_tier.as_str(), tier);
    }
    // No ordering between the two tiers is required (AWS documents none).
    let c = parsed(&config_doc(
        "",
        &format!(
            "{}{}",
            tiering("ARCHIVE_ACCESS", "400"),
            tiering("DEEP_ARCHIVE_ACCESS", "180")
        ),
    ));
    assert_eq!(c.tierings.len(), 2);
    // Ids of 64 characters of the allowed set.
    let id = format!("{}.-_", "a".repeat(61));
    let body = format!(
        "<IntelligentTieringConfiguration><Id>{id}</Id><Status>Enabled</Status>{}</IntelligentTieringConfiguration>",
        tiering("ARCHIVE_ACCESS", "90")
    );
    assert_eq!(parse(body.as_bytes(), &id).expect("parses").id, id);
}

#[test]
fn renders_get_with_the_configuration_as_root() {
    let c = config(
        TieringFilter {
            shape: FilterShape::And,
            prefix: Some("a&b/".into()),
            tags: tags(&[("k", "v")]),
        },
        Status::Enabled,
        &[
            (ArchiveTier::ArchiveAccess, 90),
            (ArchiveTier::DeepArchiveAccess, 180),
        ],
    );
    assert_eq!(
        render(&c),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<IntelligentTieringConfiguration xmlns=\"{NS}\"><Id>it</Id><Filter><And><Prefix>a&amp;b/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status><Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier><Days>90</Days></Tiering><Tiering><AccessTier>DEEP_ARCHIVE_ACCESS</AccessTier><Days>180</Days></Tiering></IntelligentTieringConfiguration>"
        )
    );
    let whole = config(
        TieringFilter::whole_bucket(),
        Status::Disabled,
        &[(ArchiveTier::DeepArchiveAccess, 365)],
    );
    assert_eq!(
        render(&whole),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<IntelligentTieringConfiguration xmlns=\"{NS}\"><Id>it</Id><Status>Disabled</Status><Tiering><AccessTier>DEEP_ARCHIVE_ACCESS</AccessTier><Days>365</Days></Tiering></IntelligentTieringConfiguration>"
        )
    );
}

#[test]
fn renders_list_pages() {
    let a = config(
        TieringFilter {
            shape: FilterShape::Prefix,
            prefix: Some("cold/".into()),
            tags: Vec::new(),
        },
        Status::Enabled,
        &[(ArchiveTier::ArchiveAccess, 90)],
    );
    let mut b = config(
        TieringFilter {
            shape: FilterShape::Empty,
            prefix: None,
            tags: Vec::new(),
        },
        Status::Disabled,
        &[(ArchiveTier::DeepArchiveAccess, 200)],
    );
    b.id = "b".into();
    assert_eq!(
        render_list(&[a.clone(), b], Some("tok1"), Some("tok2"), true),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketIntelligentTieringConfigurationsOutput xmlns=\"{NS}\"><IsTruncated>true</IsTruncated><ContinuationToken>tok1</ContinuationToken><NextContinuationToken>tok2</NextContinuationToken><IntelligentTieringConfiguration><Id>it</Id><Filter><Prefix>cold/</Prefix></Filter><Status>Enabled</Status><Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier><Days>90</Days></Tiering></IntelligentTieringConfiguration><IntelligentTieringConfiguration><Id>b</Id><Filter></Filter><Status>Disabled</Status><Tiering><AccessTier>DEEP_ARCHIVE_ACCESS</AccessTier><Days>200</Days></Tiering></IntelligentTieringConfiguration></ListBucketIntelligentTieringConfigurationsOutput>"
        )
    );
    assert_eq!(
        render_list(&[], None, None, false),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketIntelligentTieringConfigurationsOutput xmlns=\"{NS}\"><IsTruncated>false</IsTruncated></ListBucketIntelligentTieringConfigurationsOutput>"
        )
    );
    // Each listed entry parses back as a Put body.
    let listed = render_list(std::slice::from_ref(&a), None, None, false);
    let root = xml::parse(listed.as_bytes()).expect("parses");
    let entry = root
        .child("IntelligentTieringConfiguration")
        .expect("entry");
    let mut again = XmlWriter::document();
    again.root("IntelligentTieringConfiguration");
    render_body(&mut again, &a);
    again.close("IntelligentTieringConfiguration");
    assert_eq!(
        xml::parse(again.finish().as_bytes())
            .expect("parses")
            .children,
        entry.children
    );
}

fn filter_strategy() -> impl Strategy<Value = TieringFilter> {
    let text = "[a-z0-9/&<>' ]{0,12}";
    let tag = ("[a-zA-Z][a-z0-9&<]{0,8}", "[a-z0-9 &]{0,8}");
    prop_oneof![
        Just(TieringFilter::whole_bucket()),
        Just(TieringFilter {
            shape: FilterShape::Empty,
            prefix: None,
            tags: Vec::new()
        }),
        text.prop_map(|p| TieringFilter {
            shape: FilterShape::Prefix,
            prefix: Some(p),
            tags: Vec::new()
        }),
        tag.prop_map(|(k, v)| TieringFilter {
            shape: FilterShape::Tag,
            prefix: None,
            tags: vec![(k, v)]
        }),
        (
            proptest::option::of(text),
            proptest::collection::btree_map("[a-z]{1,6}", "[a-z0-9]{0,6}", 0..4)
        )
            .prop_filter("And holds two predicates", |(p, t)| {
                usize::from(p.is_some()) + t.len() >= 2
            })
            .prop_map(|(prefix, tags)| TieringFilter {
                shape: FilterShape::And,
                prefix,
                tags: tags.into_iter().collect()
            }),
    ]
}

fn tierings_strategy() -> impl Strategy<Value = Vec<Tiering>> {
    let archive = (90u32..=730).prop_map(|days| Tiering {
        days,
        access_tier: ArchiveTier::ArchiveAccess,
    });
    let deep = (180u32..=730).prop_map(|days| Tiering {
        days,
        access_tier: ArchiveTier::DeepArchiveAccess,
    });
    prop_oneof![
        archive.clone().prop_map(|a| vec![a]),
        deep.clone().prop_map(|d| vec![d]),
        (archive.clone(), deep.clone()).prop_map(|(a, d)| vec![a, d]),
        (archive, deep).prop_map(|(a, d)| vec![d, a]),
    ]
}

proptest! {
    #[test]
    fn parse_of_render_is_identity(
        id in "[a-zA-Z0-9._-]{1,64}",
        filter in filter_strategy(),
        enabled in any::<bool>(),
        tierings in tierings_strategy(),
    ) {
        let c = IntelligentTieringConfiguration {
            id: id.clone(),
            filter,
            status: if enabled { Status::Enabled } else { Status::Disabled },
            tierings,
        };
        prop_assert_eq!(parse(render(&c).as_bytes(), &id).expect("round trip"), c);
    }
}

#[test]
fn filters_match_prefix_and_every_tag() {
    let and = TieringFilter {
        shape: FilterShape::And,
        prefix: Some("logs/".into()),
        tags: tags(&[("a", "1"), ("b", "2")]),
    };
    let object_tags = tags(&[("b", "2"), ("a", "1"), ("c", "3")]);
    assert!(and.matches("logs/x", &object_tags));
    assert!(!and.matches("log/x", &object_tags));
    assert!(!and.matches("logs/x", &tags(&[("a", "1")])));
    assert!(!and.matches("logs/x", &tags(&[("a", "1"), ("b", "3")])));
    assert!(TieringFilter::whole_bucket().matches("anything", &[]));
    let empty_prefix = TieringFilter {
        shape: FilterShape::Prefix,
        prefix: Some(String::new()),
        tags: Vec::new(),
    };
    assert!(empty_prefix.matches("", &[]));
    let disabled = config(and, Status::Disabled, &[(ArchiveTier::ArchiveAccess, 90)]);
    // Matching is the filter's alone; the status gates the thresholds.
    assert!(disabled.matches("logs/x", &object_tags));
    let set = BucketTieringConfigurations {
        configs: vec![disabled],
    };
    assert_eq!(set.thresholds("logs/x", &object_tags).count(), 0);
}

const DAY: i64 = 1000;

/// next_move of an object last read at 0, now at `idle` days, under the AWS automatic tiers
/// plus `archive`.
fn move_after(
    current: AccessTier,
    idle_days: i64,
    archive: &[(u32, AccessTier)],
) -> Option<(i64, AccessTier)> {
    let automatic = [
        (30, AccessTier::Infrequent),
        (90, AccessTier::ArchiveInstant),
    ];
    next_move(
        current,
        0,
        idle_days * DAY,
        DAY,
        automatic.into_iter().chain(archive.iter().copied()),
    )
}

#[test]
fn next_move_goes_to_the_coldest_tier_arrived_or_the_next_to_come() {
    use AccessTier::*;
    let none: &[(u32, AccessTier)] = &[];
    let cases = [
        (Frequent, 0, none, Some((30 * DAY, Infrequent))),
        (Frequent, 29, none, Some((30 * DAY, Infrequent))),
        (Frequent, 30, none, Some((30 * DAY, Infrequent))),
        (Infrequent, 30, none, Some((90 * DAY, ArchiveInstant))),
        // Idle past both: straight to the colder.
        (Frequent, 95, none, Some((90 * DAY, ArchiveInstant))),
        (ArchiveInstant, 10_000, none, None),
    ];
    for (current, idle, archive, want) in cases {
        assert_eq!(
            move_after(current, idle, archive),
            want,
            "{current:?} {idle}"
        );
    }
    let both = [(90, ArchiveAccess), (180, DeepArchiveAccess)];
    // Archive Access at 90 days beats Archive Instant's 90: the colder tier wins.
    assert_eq!(
        move_after(Infrequent, 90, &both),
        Some((90 * DAY, ArchiveAccess))
    );
    assert_eq!(
        move_after(ArchiveInstant, 100, &both),
        Some((90 * DAY, ArchiveAccess))
    );
    assert_eq!(
        move_after(ArchiveAccess, 100, &both),
        Some((180 * DAY, DeepArchiveAccess))
    );
    assert_eq!(
        move_after(Frequent, 400, &both),
        Some((180 * DAY, DeepArchiveAccess))
    );
    assert_eq!(move_after(DeepArchiveAccess, 10_000, &both), None);
}

#[test]
fn thresholds_come_from_enabled_configurations_that_select_the_object() {
    let logs = TieringFilter {
        shape: FilterShape::Prefix,
        prefix: Some("logs/".into()),
        tags: Vec::new(),
    };
    let mut set = BucketTieringConfigurations::default();
    set.put(IntelligentTieringConfiguration {
        id: "b".into(),
        ..config(
            logs,
            Status::Enabled,
            &[(ArchiveTier::DeepArchiveAccess, 200)],
        )
    })
    .expect("put");
    set.put(IntelligentTieringConfiguration {
        id: "a".into(),
        ..config(
            TieringFilter::whole_bucket(),
            Status::Enabled,
            &[(ArchiveTier::ArchiveAccess, 120)],
        )
    })
    .expect("put");
    let mut logs_thresholds: Vec<_> = set.thresholds("logs/1", &[]).collect();
    logs_thresholds.sort();
    assert_eq!(
        logs_thresholds,
        vec![
            (120, AccessTier::ArchiveAccess),
            (200, AccessTier::DeepArchiveAccess)
        ]
    );
    assert_eq!(
        set.thresholds("data/1", &[]).collect::<Vec<_>>(),
        vec![(120, AccessTier::ArchiveAccess)]
    );
    // Sorted by ID; the stored form parses back to the same set.
    assert_eq!(set.configs[0].id, "a");
    let stored = set.to_stored();
    assert_eq!(
        BucketTieringConfigurations::parse_stored("b", &stored).expect("parses"),
        set
    );
    set.remove("a").expect("removed");
    assert_eq!(
        set.remove("a").expect_err("gone").code,
        "NoSuchConfiguration"
    );
    assert!(set.get("b").is_some());
}

#[test]
fn list_pages_continue_after_the_token() {
    let mut set = BucketTieringConfigurations::default();
    for i in 0..(LIST_PAGE + 5) {
        set.put(IntelligentTieringConfiguration {
            id: format!("id-{i:04}"),
            ..config(
                TieringFilter::whole_bucket(),
                Status::Enabled,
                &[(ArchiveTier::ArchiveAccess, 90)],
            )
        })
        .expect("put");
    }
    let (first, next) = set.page(None);
    assert_eq!(first.len(), LIST_PAGE);
    let next = next.expect("a token");
    assert_eq!(next, "id-0099");
    let (second, last) = set.page(Some(next));
    assert_eq!(second.len(), 5);
    assert_eq!(second[0].id, "id-0100");
    assert_eq!(last, None);
}

#[test]
fn access_tier_names() {
    let names: Vec<_> = [
        AccessTier::Frequent,
        AccessTier::Infrequent,
        AccessTier::ArchiveInstant,
        AccessTier::ArchiveAccess,
        AccessTier::DeepArchiveAccess,
    ]
    .iter()
    .map(|t| (t.as_str(), t.archive_status(), t.needs_restore()))
    .collect();
    assert_eq!(
        names,
        vec![
            ("FREQUENT_ACCESS", None, false),
            ("INFREQUENT_ACCESS", None, false),
            ("ARCHIVE_INSTANT_ACCESS", None, false),
            ("ARCHIVE_ACCESS", Some("ARCHIVE_ACCESS"), true),
            ("DEEP_ARCHIVE_ACCESS", Some("DEEP_ARCHIVE_ACCESS"), true),
        ]
    );
    assert!(AccessTier::Frequent < AccessTier::DeepArchiveAccess);
    assert_eq!(
        ArchiveTier::from_name("ARCHIVE_ACCESS"),
        Some(ArchiveTier::ArchiveAccess)
    );
    assert_eq!(ArchiveTier::from_name("FREQUENT_ACCESS"), None);
    assert_eq!(
        (
            ArchiveTier::ArchiveAccess.min_days(),
            ArchiveTier::DeepArchiveAccess.min_days()
        ),
        (90, 180)
    );
}

#[test]
fn configuration_limit() {
    assert!(check_limit(0, false).is_ok());
    assert!(check_limit(MAX_CONFIGURATIONS - 1, false).is_ok());
    assert!(check_limit(MAX_CONFIGURATIONS, true).is_ok());
    let err = check_limit(MAX_CONFIGURATIONS, false).unwrap_err();
    assert_eq!(err.code, "TooManyConfigurations");
    assert!(err.message.contains("1,000-configuration limit"), "{err:?}");
    assert_eq!(no_such_configuration().code, "NoSuchConfiguration");
}

#[test]
fn id_rules() {
    assert!(valid_id("a"));
    assert!(valid_id(&"a".repeat(64)));
    assert!(valid_id("Archive-2024_v1.0"));
    assert!(!valid_id(""));
    assert!(!valid_id(&"a".repeat(65)));
    assert!(!valid_id("a b"));
    assert!(!valid_id("a/b"));
    assert!(!valid_id("é"));
}
