//! The evaluation table: each group is one policy and the requests run against it, each row the
//! principal, action, resource, context and the expected verdict. Plus property tests that
//! generated policies and requests never panic and that an explicit deny always wins.

use proptest::prelude::*;

use super::*;
use crate::policy::condition::ConditionContext;
use crate::policy::document::PolicyDocument;

const ACCT_A: &str = "111122223333";
const CANON_A: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
const CANON_B: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The callers the table uses: account A (111122223333) with its root and users alice, bob and
/// eng/dave; account B (444455556666) with its root and user carol; and anonymous.
#[derive(Debug, Clone, Copy)]
enum Who {
    Alice,
    Bob,
    Dave,
    RootA,
    RootB,
    Carol,
    Anon,
}

impl Who {
    fn facts(self) -> PrincipalFacts<'static> {
        let user = |account, arn| PrincipalFacts {
            account_id: Some(account),
            arn: Some(arn),
            canonical_id: None,
            is_root: false,
            user_id: None,
        };
        match self {
            Who::Alice => user(ACCT_A, "arn:aws:iam::111122223333:user/alice"),
            Who::Bob => user(ACCT_A, "arn:aws:iam::111122223333:user/bob"),
            Who::Dave => user(ACCT_A, "arn:aws:iam::111122223333:user/eng/dave"),
            Who::Carol => user("444455556666", "arn:aws:iam::444455556666:user/carol"),
            Who::RootA => PrincipalFacts {
                account_id: Some(ACCT_A),
                arn: Some("arn:aws:iam::111122223333:root"),
                canonical_id: Some(CANON_A),
                is_root: true,
                user_id: None,
            },
            Who::RootB => PrincipalFacts {
                account_id: Some("444455556666"),
                arn: Some("arn:aws:iam::444455556666:root"),
                canonical_id: Some(CANON_B),
                is_root: true,
                user_id: None,
            },
            Who::Anon => PrincipalFacts::default(),
        }
    }
}

type Ctx = &'static [(&'static str, &'static [&'static str])];

struct Row {
    who: Who,
    action: &'static str,
    resource: &'static str,
    ctx: Ctx,
    want: Effect,
}

struct Group {
    name: &'static str,
    kind: PolicyKind,
    policy: &'static str,
    rows: &'static [Row],
}

const A: Effect = Effect::Allow;
const D: Effect = Effect::Deny;
const N: Effect = Effect::NotApplicable;
const B: PolicyKind = PolicyKind::Bucket;
const I: PolicyKind = PolicyKind::Identity;
const NO: Ctx = &[];

/// A full row.
const fn r(who: Who, action: &'static str, resource: &'static str, want: Effect) -> Row {
    Row {
        who,
        action,
        resource,
        ctx: NO,
        want,
    }
}

/// A full row with context.
const fn rc(who: Who, action: &'static str, resource: &'static str, ctx: Ctx, want: Effect) -> Row {
    Row {
        who,
        action,
        resource,
        ctx,
        want,
    }
}

/// Alice lists bucket b: the rows of the condition groups, where only the context varies.
const fn c(ctx: Ctx, want: Effect) -> Row {
    Row {
        who: Who::Alice,
        action: "s3:ListBucket",
        resource: "arn:aws:s3:::b",
        ctx,
        want,
    }
}

/// An object request on bucket b.
const fn o(who: Who, action: &'static str, key_arn: &'static str, want: Effect) -> Row {
    r(who, action, key_arn, want)
}

/// Identity policy allowing everything under a condition.
macro_rules! allow_if {
    ($c:literal) => {
        concat!(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"#, $c, "}}")
    };
}

/// Identity policy allowing everything and denying everything under a condition.
macro_rules! deny_if {
    ($c:literal) => {
        concat!(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":"#, $c, "}]}")
    };
}

use Who::*;

#[rustfmt::skip]
const GROUPS: &[Group] = &[
    // ---- Actions and resources -------------------------------------------------------------
    Group { name: "exact action and resource", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Alice, "s3:PutObject", "arn:aws:s3:::b/k", N),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k2", N),
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", A), // identity policies ignore the caller
            o(Alice, "S3:GETOBJECT", "arn:aws:s3:::b/k", A), // actions are case-insensitive
        ] },
    Group { name: "action wildcards", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List?ucket","iam:*User"],"Resource":"*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Alice, "s3:GetObjectAcl", "arn:aws:s3:::b/k", A),
            o(Alice, "s3:PutObject", "arn:aws:s3:::b/k", N),
            o(Alice, "s3:ListBucket", "arn:aws:s3:::b", A),
            o(Alice, "s3:ListBuckets", "arn:aws:s3:::b", N),
            o(Alice, "iam:CreateUser", "*", A),
            o(Alice, "iam:CreateUsers", "*", N),
            o(Alice, "sts:GetCallerIdentity", "*", N),
        ] },
    Group { name: "action star, deny in another case", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"S3:deleteOBJECT","Resource":"*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Alice, "iam:CreateUser", "*", A),
            o(Alice, "s3:DeleteObject", "arn:aws:s3:::b/k", D),
            o(Alice, "s3:DeleteObjects", "arn:aws:s3:::b/k", A),
        ] },
    Group { name: "NotAction", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:Delete*","Resource":"*"},{"Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"Resource":"arn:aws:s3:::b/readonly/*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Alice, "s3:DeleteObject", "arn:aws:s3:::b/k", N),
            o(Alice, "s3:PutObject", "arn:aws:s3:::b/readonly/x", D),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/readonly/x", A),
            o(Alice, "s3:DeleteObject", "arn:aws:s3:::b/readonly/x", D),
        ] },
    Group { name: "resource wildcards, case-sensitive", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b/home/*","arn:aws:s3:::b/??.txt","arn:aws:s3:::b/Exact","arn:aws:s3:::logs"]}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/home/x/y", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/homes", N),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/home/", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/ab.txt", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/abc.txt", N),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/Exact", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/exact", N),
            o(Alice, "s3:ListBucket", "arn:aws:s3:::logs", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::logs/x", N),
            o(Alice, "s3:ListAllMyBuckets", "*", N),
        ] },
    Group { name: "resource star", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#,
        rows: &[
            o(Alice, "s3:ListAllMyBuckets", "*", A),
            o(Alice, "s3:ListAllMyBuckets", "arn:aws:s3:::b", A),
        ] },
    Group { name: "NotResource", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","NotResource":["arn:aws:s3:::b/secret/*","arn:aws:s3:::private/*"]}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/public/x", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/secret/x", N),
            o(Alice, "s3:GetObject", "arn:aws:s3:::private/k", N),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/secretive", A),
        ] },
    Group { name: "deny beats allow", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},
            {"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"s3:Delete*","Resource":"arn:aws:s3:::b/*"},
            {"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/locked/*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Carol, "s3:DeleteObject", "arn:aws:s3:::b/k", D),
            o(Alice, "s3:DeleteObject", "arn:aws:s3:::b/k", A),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Anon, "s3:PutObject", "arn:aws:s3:::b/locked/x", D),
            o(Alice, "s3:PutObject", "arn:aws:s3:::b/open/x", A),
            o(RootA, "s3:PutObject", "arn:aws:s3:::b/locked/x", D),
            o(Anon, "s3:ListBucket", "arn:aws:s3:::b", A),
        ] },
    // ---- Principals ------------------------------------------------------------------------
    Group { name: "12-digit account principal", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Dave, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(RootB, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", N),
        ] },
    Group { name: "account root ARN principal", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", N),
        ] },
    Group { name: "user ARN principals", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:user/eng/dave"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Dave, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Bob, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", N),
        ] },
    Group { name: "wildcard principal", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        rows: &[
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(RootB, "s3:GetObject", "arn:aws:s3:::b/k", A),
        ] },
    Group { name: "AWS star principal", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        rows: &[
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", A),
        ] },
    Group { name: "canonical user principal", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        rows: &[
            o(RootB, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", N),
        ] },
    Group { name: "mixed principal list", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice","444455556666"],"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(RootB, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Bob, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", N),
        ] },
    Group { name: "Deny with NotPrincipal", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
            {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","444455556666"]},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Bob, "s3:GetObject", "arn:aws:s3:::b/k", D),
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/k", D),
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", D),
        ] },
    Group { name: "Allow with NotPrincipal", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        rows: &[
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(RootB, "s3:GetObject", "arn:aws:s3:::b/k", N),
        ] },
    // ---- String operators ------------------------------------------------------------------
    Group { name: "StringEquals", kind: I,
        policy: allow_if!(r#"{"StringEquals":{"s3:prefix":["home/","shared/"]}}"#),
        rows: &[
            c(&[("s3:prefix", &["home/"])], A),
            c(&[("s3:prefix", &["shared/"])], A),
            c(&[("s3:prefix", &["Home/"])], N),
            c(&[("s3:prefix", &["other/"])], N),
            c(NO, N),
        ] },
    Group { name: "StringNotEquals", kind: I,
        policy: allow_if!(r#"{"StringNotEquals":{"s3:prefix":["home/","shared/"]}}"#),
        rows: &[
            c(&[("s3:prefix", &["other/"])], A),
            c(&[("s3:prefix", &["home/"])], N),
            c(&[("s3:prefix", &["shared/"])], N),
            c(NO, A),
        ] },
    Group { name: "StringEqualsIgnoreCase", kind: I,
        policy: allow_if!(r#"{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/"}}"#),
        rows: &[
            c(&[("s3:prefix", &["home/"])], A),
            c(&[("s3:prefix", &["HoMe/"])], A),
            c(&[("s3:prefix", &["homes/"])], N),
            c(NO, N),
        ] },
    Group { name: "StringNotEqualsIgnoreCase", kind: I,
        policy: allow_if!(r#"{"StringNotEqualsIgnoreCase":{"s3:prefix":"HOME/"}}"#),
        rows: &[
            c(&[("s3:prefix", &["home/"])], N),
            c(&[("s3:prefix", &["work/"])], A),
            c(NO, A),
        ] },
    Group { name: "StringLike", kind: I,
        policy: allow_if!(r#"{"StringLike":{"s3:prefix":["home/*","?at"]}}"#),
        rows: &[
            c(&[("s3:prefix", &["home/a/b"])], A),
            c(&[("s3:prefix", &["home/"])], A),
            c(&[("s3:prefix", &["homes"])], N),
            c(&[("s3:prefix", &["cat"])], A),
            c(&[("s3:prefix", &["at"])], N),
            c(&[("s3:prefix", &["chat"])], N),
            c(NO, N),
        ] },
    Group { name: "StringLike star matches the empty string", kind: I,
        policy: allow_if!(r#"{"StringLike":{"s3:prefix":"*"}}"#),
        rows: &[
            c(&[("s3:prefix", &[""])], A),
            c(NO, N),
        ] },
    Group { name: "StringNotLike", kind: I,
        policy: allow_if!(r#"{"StringNotLike":{"s3:prefix":["tmp/*","*.bak"]}}"#),
        rows: &[
            c(&[("s3:prefix", &["tmp/x"])], N),
            c(&[("s3:prefix", &["x.bak"])], N),
            c(&[("s3:prefix", &["data/x"])], A),
            c(NO, A),
        ] },
    // ---- Numeric operators -----------------------------------------------------------------
    Group { name: "NumericEquals with a JSON number", kind: I,
        policy: allow_if!(r#"{"NumericEquals":{"s3:max-keys":10}}"#),
        rows: &[
            c(&[("s3:max-keys", &["10"])], A),
            c(&[("s3:max-keys", &["10.0"])], A),
            c(&[("s3:max-keys", &["11"])], N),
            c(&[("s3:max-keys", &["ten"])], N),
            c(NO, N),
        ] },
    Group { name: "NumericNotEquals", kind: I,
        policy: allow_if!(r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#),
        rows: &[
            c(&[("s3:max-keys", &["11"])], A),
            c(&[("s3:max-keys", &["10"])], N),
            c(NO, A),
        ] },
    Group { name: "NumericLessThan", kind: I,
        policy: allow_if!(r#"{"NumericLessThan":{"s3:max-keys":"100"}}"#),
        rows: &[
            c(&[("s3:max-keys", &["99"])], A),
            c(&[("s3:max-keys", &["100"])], N),
            c(&[("s3:max-keys", &["-5"])], A),
        ] },
    Group { name: "NumericLessThanEquals", kind: I,
        policy: allow_if!(r#"{"NumericLessThanEquals":{"s3:max-keys":"100"}}"#),
        rows: &[
            c(&[("s3:max-keys", &["100"])], A),
            c(&[("s3:max-keys", &["100.5"])], N),
        ] },
    Group { name: "NumericGreaterThan", kind: I,
        policy: allow_if!(r#"{"NumericGreaterThan":{"s3:max-keys":1.5}}"#),
        rows: &[
            c(&[("s3:max-keys", &["2"])], A),
            c(&[("s3:max-keys", &["1.5"])], N),
            c(&[("s3:max-keys", &["1"])], N),
        ] },
    Group { name: "NumericGreaterThanEquals", kind: I,
        policy: allow_if!(r#"{"NumericGreaterThanEquals":{"s3:max-keys":"1000"}}"#),
        rows: &[
            c(&[("s3:max-keys", &["1000"])], A),
            c(&[("s3:max-keys", &["999"])], N),
        ] },
    // ---- Date operators --------------------------------------------------------------------
    Group { name: "DateLessThan, ISO 8601 and epoch", kind: I,
        policy: allow_if!(r#"{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#),
        rows: &[
            c(&[("aws:CurrentTime", &["2029-12-31T23:59:59Z"])], A),
            c(&[("aws:CurrentTime", &["2030-01-01T00:00:00Z"])], N),
            c(&[("aws:CurrentTime", &["1700000000"])], A),
            c(&[("aws:CurrentTime", &["1893456000"])], N),
            c(&[("aws:CurrentTime", &["yesterday"])], N),
            c(NO, N),
        ] },
    Group { name: "DateGreaterThan with a bare date", kind: I,
        policy: allow_if!(r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}"#),
        rows: &[
            c(&[("aws:CurrentTime", &["2021-06-01T00:00:00Z"])], A),
            c(&[("aws:CurrentTime", &["2019-12-31T23:59:59Z"])], N),
        ] },
    Group { name: "DateEquals compares instants", kind: I,
        policy: allow_if!(r#"{"DateEquals":{"aws:CurrentTime":"2024-05-01T12:00:00Z"}}"#),
        rows: &[
            c(&[("aws:CurrentTime", &["2024-05-01T12:00:00Z"])], A),
            c(&[("aws:CurrentTime", &["2024-05-01T14:00:00+02:00"])], A),
            c(&[("aws:CurrentTime", &["1714564800"])], A),
            c(&[("aws:CurrentTime", &["2024-05-01T12:00:01Z"])], N),
        ] },
    Group { name: "DateNotEquals", kind: I,
        policy: allow_if!(r#"{"DateNotEquals":{"aws:CurrentTime":"2024-05-01T12:00:00Z"}}"#),
        rows: &[
            c(&[("aws:CurrentTime", &["2024-05-02T00:00:00Z"])], A),
            c(&[("aws:CurrentTime", &["2024-05-01T12:00:00Z"])], N),
        ] },
    Group { name: "DateLessThanEquals", kind: I,
        policy: allow_if!(r#"{"DateLessThanEquals":{"aws:CurrentTime":"2024-05-01T12:00:00Z"}}"#),
        rows: &[
            c(&[("aws:CurrentTime", &["2024-05-01T12:00:00Z"])], A),
            c(&[("aws:CurrentTime", &["2024-05-01T12:00:01Z"])], N),
        ] },
    Group { name: "DateGreaterThanEquals with an epoch number", kind: I,
        policy: allow_if!(r#"{"DateGreaterThanEquals":{"aws:CurrentTime":1714564800}}"#),
        rows: &[
            c(&[("aws:CurrentTime", &["2024-05-01T12:00:00Z"])], A),
            c(&[("aws:CurrentTime", &["2024-05-01T11:59:59Z"])], N),
        ] },
    // ---- Bool and Binary -------------------------------------------------------------------
    Group { name: "Bool", kind: I,
        policy: allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"}}"#),
        rows: &[
            c(&[("aws:SecureTransport", &["true"])], A),
            c(&[("aws:SecureTransport", &["TRUE"])], A),
            c(&[("aws:SecureTransport", &["false"])], N),
            c(NO, N),
        ] },
    Group { name: "Bool with a JSON false", kind: I,
        policy: allow_if!(r#"{"Bool":{"aws:MultiFactorAuthPresent":false}}"#),
        rows: &[
            c(&[("aws:MultiFactorAuthPresent", &["false"])], A),
            c(&[("aws:MultiFactorAuthPresent", &["true"])], N),
        ] },
    Group { name: "deny insecure transport", kind: I,
        policy: deny_if!(r#"{"Bool":{"aws:SecureTransport":"false"}}"#),
        rows: &[
            c(&[("aws:SecureTransport", &["false"])], D),
            c(&[("aws:SecureTransport", &["true"])], A),
            c(NO, A),
        ] },
    Group { name: "BinaryEquals", kind: I,
        policy: allow_if!(r#"{"BinaryEquals":{"s3:x-amz-meta-blob":"aGVsbG8="}}"#),
        rows: &[
            c(&[("s3:x-amz-meta-blob", &["aGVsbG8="])], A),
            c(&[("s3:x-amz-meta-blob", &["aGVsbG8"])], A),
            c(&[("s3:x-amz-meta-blob", &["d29ybGQ="])], N),
            c(&[("s3:x-amz-meta-blob", &["not base64!"])], N),
            c(NO, N),
        ] },
    // ---- IP addresses ----------------------------------------------------------------------
    Group { name: "IpAddress IPv4", kind: I,
        policy: allow_if!(r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.7"]}}"#),
        rows: &[
            c(&[("aws:SourceIp", &["10.1.2.3"])], A),
            c(&[("aws:SourceIp", &["11.0.0.1"])], N),
            c(&[("aws:SourceIp", &["192.0.2.7"])], A),
            c(&[("aws:SourceIp", &["192.0.2.8"])], N),
            c(&[("aws:SourceIp", &["::ffff:10.9.8.7"])], A),
            c(&[("aws:SourceIp", &["garbage"])], N),
            c(NO, N),
        ] },
    Group { name: "IpAddress IPv6", kind: I,
        policy: allow_if!(r#"{"IpAddress":{"aws:SourceIp":["2001:db8::/32","2600:1f18::5"]}}"#),
        rows: &[
            c(&[("aws:SourceIp", &["2001:db8:1::1"])], A),
            c(&[("aws:SourceIp", &["2001:db9::1"])], N),
            c(&[("aws:SourceIp", &["2600:1f18::5"])], A),
            c(&[("aws:SourceIp", &["2600:1f18::6"])], N),
            c(&[("aws:SourceIp", &["10.0.0.1"])], N),
        ] },
    Group { name: "IpAddress /0 covers one family", kind: I,
        policy: allow_if!(r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#),
        rows: &[
            c(&[("aws:SourceIp", &["8.8.8.8"])], A),
            c(&[("aws:SourceIp", &["::1"])], N),
        ] },
    Group { name: "NotIpAddress", kind: I,
        policy: allow_if!(r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
        rows: &[
            c(&[("aws:SourceIp", &["10.0.0.1"])], N),
            c(&[("aws:SourceIp", &["8.8.8.8"])], A),
            c(NO, A),
        ] },
    Group { name: "range with an exception", kind: I,
        policy: allow_if!(r#"{"IpAddress":{"aws:SourceIp":"54.240.143.0/24"},"NotIpAddress":{"aws:SourceIp":"54.240.143.188/32"}}"#),
        rows: &[
            c(&[("aws:SourceIp", &["54.240.143.1"])], A),
            c(&[("aws:SourceIp", &["54.240.143.188"])], N),
            c(&[("aws:SourceIp", &["54.240.144.1"])], N),
        ] },
    // ---- ARN operators ---------------------------------------------------------------------
    Group { name: "ArnEquals", kind: I,
        policy: allow_if!(r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::src-bucket"}}"#),
        rows: &[
            c(&[("aws:SourceArn", &["arn:aws:s3:::src-bucket"])], A),
            c(&[("aws:SourceArn", &["arn:aws:s3:::Src-Bucket"])], N),
            c(&[("aws:SourceArn", &["arn:aws:s3:::src-bucket2"])], N),
            c(&[("aws:SourceArn", &["src-bucket"])], N),
            c(NO, N),
        ] },
    Group { name: "ArnLike wildcards", kind: I,
        policy: allow_if!(r#"{"ArnLike":{"aws:SourceArn":["arn:aws:iam::*:user/*","arn:aws:s3:::logs-?"]}}"#),
        rows: &[
            c(&[("aws:SourceArn", &["arn:aws:iam::111122223333:user/x"])], A),
            c(&[("aws:SourceArn", &["arn:aws:iam::111122223333:role/x"])], N),
            c(&[("aws:SourceArn", &["arn:aws:s3:::logs-1"])], A),
            c(&[("aws:SourceArn", &["arn:aws:s3:::logs-12"])], N),
        ] },
    Group { name: "ArnLike matches part by part", kind: I,
        policy: allow_if!(r#"{"ArnLike":{"aws:SourceArn":["arn:aws:s3:::*","arn:aws:*"]}}"#),
        rows: &[
            c(&[("aws:SourceArn", &["arn:aws:s3:::b/k:with:colons"])], A),
            c(&[("aws:SourceArn", &["arn:aws:sqs:us-east-1:111122223333:q"])], N),
            c(&[("aws:SourceArn", &["arn:aws:s3:us-east-1::x"])], N),
        ] },
    Group { name: "ArnLike star stays inside its part", kind: I,
        policy: allow_if!(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sqs:*:111122223333:queue"}}"#),
        rows: &[
            c(&[("aws:SourceArn", &["arn:aws:sqs:us-east-1:111122223333:queue"])], A),
            c(&[("aws:SourceArn", &["arn:aws:sqs:us-east-1:extra:111122223333:queue"])], N),
        ] },
    Group { name: "ArnNotEquals", kind: I,
        policy: allow_if!(r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::src"}}"#),
        rows: &[
            c(&[("aws:SourceArn", &["arn:aws:s3:::other"])], A),
            c(&[("aws:SourceArn", &["arn:aws:s3:::src"])], N),
            c(NO, A),
        ] },
    Group { name: "ArnNotLike", kind: I,
        policy: allow_if!(r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::src*"}}"#),
        rows: &[
            c(&[("aws:SourceArn", &["arn:aws:s3:::src-1"])], N),
            c(&[("aws:SourceArn", &["arn:aws:s3:::dst"])], A),
        ] },
    // ---- Null and IfExists -----------------------------------------------------------------
    Group { name: "Null true: the key is absent", kind: I,
        policy: allow_if!(r#"{"Null":{"s3:x-amz-server-side-encryption":"true"}}"#),
        rows: &[
            c(NO, A),
            c(&[("s3:x-amz-server-side-encryption", &["AES256"])], N),
            c(&[("s3:x-amz-server-side-encryption", &[])], A),
        ] },
    Group { name: "Null false: the key is present", kind: I,
        policy: allow_if!(r#"{"Null":{"s3:x-amz-server-side-encryption":false}}"#),
        rows: &[
            c(&[("s3:x-amz-server-side-encryption", &["AES256"])], A),
            c(NO, N),
        ] },
    Group { name: "StringEqualsIfExists and NumericLessThanIfExists", kind: I,
        policy: allow_if!(r#"{"StringEqualsIfExists":{"s3:prefix":"home/"},"NumericLessThanIfExists":{"s3:max-keys":"100"}}"#),
        rows: &[
            c(NO, A),
            c(&[("s3:prefix", &["home/"])], A),
            c(&[("s3:prefix", &["x"])], N),
            c(&[("s3:max-keys", &["50"])], A),
            c(&[("s3:max-keys", &["500"])], N),
            c(&[("s3:prefix", &["home/"]), ("s3:max-keys", &["50"])], A),
        ] },
    Group { name: "StringNotEqualsIfExists", kind: I,
        policy: allow_if!(r#"{"StringNotEqualsIfExists":{"s3:prefix":"secret/"}}"#),
        rows: &[
            c(NO, A),
            c(&[("s3:prefix", &["secret/"])], N),
            c(&[("s3:prefix", &["other/"])], A),
        ] },
    Group { name: "IfExists on every family", kind: I,
        policy: allow_if!(r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"},"BoolIfExists":{"aws:SecureTransport":"true"},"DateLessThanIfExists":{"aws:CurrentTime":"2030-01-01"},"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::src*"},"BinaryEqualsIfExists":{"s3:x-bin":"aGk="}}"#),
        rows: &[
            c(NO, A),
            c(&[("aws:SourceIp", &["11.0.0.1"])], N),
            c(&[("aws:SecureTransport", &["false"])], N),
            c(&[("aws:CurrentTime", &["2031-01-01T00:00:00Z"])], N),
            c(&[("aws:SourceArn", &["arn:aws:s3:::other"])], N),
            c(&[("aws:SourceIp", &["10.0.0.9"]), ("aws:SecureTransport", &["true"]), ("aws:CurrentTime", &["2029-01-01T00:00:00Z"]), ("aws:SourceArn", &["arn:aws:s3:::src-x"]), ("s3:x-bin", &["aGk="])], A),
        ] },
    // ---- Set operators ---------------------------------------------------------------------
    Group { name: "ForAnyValue:StringEquals", kind: I,
        policy: allow_if!(r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}"#),
        rows: &[
            c(&[("aws:TagKeys", &["a", "z"])], A),
            c(&[("aws:TagKeys", &["y", "z"])], N),
            c(&[("aws:TagKeys", &["b"])], A),
            c(&[("aws:TagKeys", &[])], N),
            c(NO, N),
        ] },
    Group { name: "ForAnyValue:StringNotEquals", kind: I,
        policy: allow_if!(r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}"#),
        rows: &[
            c(&[("aws:TagKeys", &["a"])], N),
            c(&[("aws:TagKeys", &["a", "b"])], A),
            c(NO, N),
        ] },
    Group { name: "ForAnyValue:StringLike", kind: I,
        policy: allow_if!(r#"{"ForAnyValue:StringLike":{"aws:TagKeys":"team-*"}}"#),
        rows: &[
            c(&[("aws:TagKeys", &["x", "team-1"])], A),
            c(&[("aws:TagKeys", &["x"])], N),
        ] },
    Group { name: "ForAnyValue with IfExists", kind: I,
        policy: allow_if!(r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}}"#),
        rows: &[
            c(NO, A),
            c(&[("aws:TagKeys", &["b"])], N),
        ] },
    Group { name: "ForAllValues:StringEquals", kind: I,
        policy: allow_if!(r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}"#),
        rows: &[
            c(&[("aws:TagKeys", &["a"])], A),
            c(&[("aws:TagKeys", &["a", "b"])], A),
            c(&[("aws:TagKeys", &["a", "c"])], N),
            c(&[("aws:TagKeys", &[])], A),
            c(NO, A),
        ] },
    Group { name: "deny with ForAllValues:StringNotLike", kind: I,
        policy: deny_if!(r#"{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}"#),
        rows: &[
            c(&[("aws:TagKeys", &["key1:legal"])], A),
            c(&[("aws:TagKeys", &["key1:hr", "key1:personnel"])], A),
            c(&[("aws:TagKeys", &["key2:audit"])], D),
            c(&[("aws:TagKeys", &["key1:x", "key2:y"])], A),
            c(NO, D),
        ] },
    Group { name: "ForAllValues guarded by Null", kind: I,
        policy: allow_if!(r#"{"ForAllValues:StringLike":{"aws:TagKeys":"team-*"},"Null":{"aws:TagKeys":"false"}}"#),
        rows: &[
            c(&[("aws:TagKeys", &["team-a", "team-b"])], A),
            c(&[("aws:TagKeys", &["team-a", "ops"])], N),
            c(NO, N),
        ] },
    Group { name: "ForAllValues:NumericLessThan", kind: I,
        policy: allow_if!(r#"{"ForAllValues:NumericLessThan":{"s3:sizes":"10"}}"#),
        rows: &[
            c(&[("s3:sizes", &["1", "2"])], A),
            c(&[("s3:sizes", &["1", "20"])], N),
        ] },
    Group { name: "multi-valued key, positive operator without a set prefix", kind: I,
        policy: allow_if!(r#"{"StringEquals":{"aws:TagKeys":"a"}}"#),
        rows: &[
            c(&[("aws:TagKeys", &["a", "b"])], A),
            c(&[("aws:TagKeys", &["b", "c"])], N),
        ] },
    Group { name: "multi-valued key, negated operator without a set prefix", kind: I,
        policy: allow_if!(r#"{"StringNotEquals":{"aws:TagKeys":"a"}}"#),
        rows: &[
            c(&[("aws:TagKeys", &["a", "b"])], N),
            c(&[("aws:TagKeys", &["b", "c"])], A),
        ] },
    // ---- Combining conditions, keys ----------------------------------------------------------
    Group { name: "AND across operators and keys", kind: I,
        policy: allow_if!(r#"{"StringEquals":{"s3:prefix":"p/","s3:delimiter":"/"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
        rows: &[
            c(&[("s3:prefix", &["p/"]), ("s3:delimiter", &["/"]), ("aws:SourceIp", &["10.0.0.1"])], A),
            c(&[("s3:prefix", &["p/"]), ("aws:SourceIp", &["10.0.0.1"])], N),
            c(&[("s3:prefix", &["p/"]), ("s3:delimiter", &["/"]), ("aws:SourceIp", &["8.8.8.8"])], N),
            c(&[("s3:prefix", &["q/"]), ("s3:delimiter", &["/"]), ("aws:SourceIp", &["10.0.0.1"])], N),
        ] },
    Group { name: "condition key names are case-insensitive", kind: I,
        policy: allow_if!(r#"{"IpAddress":{"AWS:SOURCEIP":"10.0.0.0/8"}}"#),
        rows: &[
            c(&[("aws:SourceIp", &["10.0.0.1"])], A),
            c(&[("Aws:SourceIP", &["10.0.0.1"])], A),
        ] },
    Group { name: "aws:PrincipalAccount comes from the caller", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/k", A),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/k", N),
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/k", N),
        ] },
    Group { name: "aws:PrincipalType", kind: I,
        policy: allow_if!(r#"{"StringEquals":{"aws:PrincipalType":"Account"}}"#),
        rows: &[
            r(RootA, "s3:ListBucket", "arn:aws:s3:::b", A),
            r(Alice, "s3:ListBucket", "arn:aws:s3:::b", N),
        ] },
    Group { name: "the caller's context wins over derived keys", kind: I,
        policy: allow_if!(r#"{"StringEquals":{"aws:username":"mallory"}}"#),
        rows: &[
            c(&[("aws:username", &["mallory"])], A),
            c(NO, N),
        ] },
    // ---- Policy variables --------------------------------------------------------------------
    Group { name: "${aws:username} in Resource", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/home/bob/x", N),
            o(Bob, "s3:GetObject", "arn:aws:s3:::b/home/bob/x", A),
            o(Dave, "s3:GetObject", "arn:aws:s3:::b/home/dave/f", A),
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/home/root/x", N),
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/home/x", N),
        ] },
    Group { name: "${aws:PrincipalAccount} and ${aws:userid}", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b/acct/${aws:PrincipalAccount}/*","arn:aws:s3:::b/uid/${aws:userid}/*"]}]}"#,
        rows: &[
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/acct/111122223333/x", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/acct/111122223333/x", A),
            o(Carol, "s3:GetObject", "arn:aws:s3:::b/acct/111122223333/x", N),
            o(RootA, "s3:GetObject", "arn:aws:s3:::b/uid/111122223333/x", A),
            rc(Alice, "s3:GetObject", "arn:aws:s3:::b/uid/AIDAALICE/x", &[("aws:userid", &["AIDAALICE"])], A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/uid/x/y", N),
        ] },
    Group { name: "a context key as a variable", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/teams/${aws:PrincipalTag/team}/*"}]}"#,
        rows: &[
            rc(Alice, "s3:GetObject", "arn:aws:s3:::b/teams/red/x", &[("aws:PrincipalTag/team", &["red"])], A),
            rc(Alice, "s3:GetObject", "arn:aws:s3:::b/teams/blue/x", &[("aws:PrincipalTag/team", &["red"])], N),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/teams/red/x", N),
            rc(Alice, "s3:GetObject", "arn:aws:s3:::b/teams/red/x", &[("aws:PrincipalTag/team", &["red", "blue"])], N),
        ] },
    Group { name: "variables in StringLike values", kind: I,
        policy: allow_if!(r#"{"StringLike":{"s3:prefix":["home/${aws:username}/*","${aws:username}"]}}"#),
        rows: &[
            c(&[("s3:prefix", &["home/alice/docs"])], A),
            c(&[("s3:prefix", &["home/bob/"])], N),
            c(&[("s3:prefix", &["alice"])], A),
            rc(Anon, "s3:ListBucket", "arn:aws:s3:::b", &[("s3:prefix", &["home//x"])], N),
        ] },
    Group { name: "an unresolved variable in a negated operator matches nothing", kind: I,
        policy: allow_if!(r#"{"StringNotEquals":{"s3:prefix":"${aws:username}"}}"#),
        rows: &[
            c(&[("s3:prefix", &["alice"])], N),
            c(&[("s3:prefix", &["bob"])], A),
            rc(Anon, "s3:ListBucket", "arn:aws:s3:::b", &[("s3:prefix", &["x"])], A),
        ] },
    Group { name: "variable default value", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username, 'guest'}/*"}]}"#,
        rows: &[
            o(Anon, "s3:GetObject", "arn:aws:s3:::b/home/guest/x", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/home/guest/x", N),
        ] },
    Group { name: "escapes ${*} ${?} ${$}", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b/lit${*}star","arn:aws:s3:::b/q${?}","arn:aws:s3:::b/${$}{x}"]}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/lit*star", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/litXstar", N),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/q?", A),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/qx", N),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/${x}", A),
        ] },
    Group { name: "substituted values are literal", kind: I,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/t/${s3:x-val}"}]}"#,
        rows: &[
            rc(Alice, "s3:GetObject", "arn:aws:s3:::b/t/anything", &[("s3:x-val", &["*"])], N),
            rc(Alice, "s3:GetObject", "arn:aws:s3:::b/t/*", &[("s3:x-val", &["*"])], A),
        ] },
    Group { name: "variable in an ARN operator", kind: I,
        policy: allow_if!(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:user/*"}}"#),
        rows: &[
            r(Alice, "s3:ListBucket", "arn:aws:s3:::b", A),
            r(RootA, "s3:ListBucket", "arn:aws:s3:::b", N),
        ] },
    Group { name: "2008-10-17 does not substitute", kind: I,
        policy: r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}]}"#,
        rows: &[
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", N),
            o(Alice, "s3:GetObject", "arn:aws:s3:::b/home/${aws:username}/x", A),
        ] },
    Group { name: "no Version means 2008-10-17", kind: I,
        policy: r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}}}"#,
        rows: &[
            c(&[("s3:prefix", &["alice"])], N),
            c(&[("s3:prefix", &["${aws:username}"])], A),
        ] },
    Group { name: "bucket policy with principal and variable", kind: B,
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/${aws:username}/*"}]}"#,
        rows: &[
            o(Alice, "s3:PutObject", "arn:aws:s3:::b/alice/x", A),
            o(Alice, "s3:PutObject", "arn:aws:s3:::b/bob/x", N),
            o(Carol, "s3:PutObject", "arn:aws:s3:::b/carol/x", N),
        ] },
];

fn context_of(pairs: Ctx) -> ConditionContext {
    let mut context = ConditionContext::default();
    for (key, values) in pairs {
        context.insert(key, values.iter().map(|v| (*v).to_string()).collect());
    }
    context
}

#[test]
fn evaluation_table() {
    let mut cases = 0;
    let mut failures = Vec::new();
    for group in GROUPS {
        let bucket = (group.kind == PolicyKind::Bucket).then_some("b");
        let doc = PolicyDocument::parse(group.policy, group.kind, bucket)
            .unwrap_or_else(|e| panic!("{}: policy does not parse: {e}", group.name));
        for (i, row) in group.rows.iter().enumerate() {
            cases += 1;
            let facts = row.who.facts();
            let context = context_of(row.ctx);
            let got = doc.evaluate(&EvalRequest {
                principal: &facts,
                action: row.action,
                resource: row.resource,
                context: &context,
            });
            if got != row.want {
                failures.push(format!(
                    "{} #{i}: {:?} {} {} {:?}: got {got:?}, want {:?}",
                    group.name, row.who, row.action, row.resource, row.ctx, row.want
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cases >= 170, "only {cases} cases");
}

// ---- Property tests ------------------------------------------------------------------------

/// Condition values per operator family: each family's own pool, so most generated conditions
/// are valid and reach evaluation.
const STRING_VALUES: &[&str] = &[
    "home/*",
    "?",
    "*",
    "",
    "alice",
    "${aws:username}",
    "${aws:username, 'x''y'}",
    "${",
    "${*}${?}${$}",
    "${bad key}",
    "a${s3:prefix}b",
    "é*ü?",
];
const NUMBER_VALUES: &[&str] = &["10", "-1", "1.5", "1e3", "0"];
const DATE_VALUES: &[&str] = &[
    "2030-01-01T00:00:00Z",
    "2030-01-01",
    "1893456000",
    "2024-05-01T14:00:00+02:00",
];
const BOOL_VALUES: &[&str] = &["true", "FALSE", "false"];
const BINARY_VALUES: &[&str] = &["aGk=", "aGVsbG8"];
const IP_VALUES: &[&str] = &[
    "10.0.0.0/8",
    "::/0",
    "2001:db8::1",
    "0.0.0.0/0",
    "192.0.2.7",
];
const ARN_VALUES: &[&str] = &[
    "arn:aws:s3:::b/*",
    "arn:aws:iam::*:user/?x",
    "arn:::::",
    "*",
    "arn:aws:iam::${aws:PrincipalAccount}:user/*",
];
/// Anything, for request values and for the rare deliberately mistyped condition.
const ANY_VALUES: &[&str] = &[
    "10.0.0.1",
    "::ffff:10.0.0.1",
    "2001:db8::5",
    "300.1.1.1",
    "home/x",
    "alice",
    "",
    "*",
    "2029-01-01T00:00:00Z",
    "1893456000",
    "NaN",
    "1e308",
    "true",
    "aGk=",
    "arn:aws:s3:::b/k",
    "arn:aws:iam::111122223333:user/alice",
    "${aws:username}",
    "é",
];
const OPERATORS: &[(&str, &[&str])] = &[
    ("StringEquals", STRING_VALUES),
    ("StringNotEquals", STRING_VALUES),
    ("StringEqualsIgnoreCase", STRING_VALUES),
    ("StringNotEqualsIgnoreCase", STRING_VALUES),
    ("StringLike", STRING_VALUES),
    ("StringNotLike", STRING_VALUES),
    ("NumericEquals", NUMBER_VALUES),
    ("NumericNotEquals", NUMBER_VALUES),
    ("NumericLessThan", NUMBER_VALUES),
    ("NumericLessThanEquals", NUMBER_VALUES),
    ("NumericGreaterThan", NUMBER_VALUES),
    ("NumericGreaterThanEquals", NUMBER_VALUES),
    ("DateEquals", DATE_VALUES),
    ("DateNotEquals", DATE_VALUES),
    ("DateLessThan", DATE_VALUES),
    ("DateLessThanEquals", DATE_VALUES),
    ("DateGreaterThan", DATE_VALUES),
    ("DateGreaterThanEquals", DATE_VALUES),
    ("Bool", BOOL_VALUES),
    ("BinaryEquals", BINARY_VALUES),
    ("IpAddress", IP_VALUES),
    ("NotIpAddress", IP_VALUES),
    ("ArnEquals", ARN_VALUES),
    ("ArnNotEquals", ARN_VALUES),
    ("ArnLike", ARN_VALUES),
    ("ArnNotLike", ARN_VALUES),
    ("Null", BOOL_VALUES),
    ("StringFoo", STRING_VALUES),
];
const KEYS: &[&str] = &[
    "aws:SourceIp",
    "s3:prefix",
    "aws:TagKeys",
    "aws:CurrentTime",
    "aws:SourceArn",
    "aws:username",
    "s3:max-keys",
    "aws:SecureTransport",
    "s3:x-bin",
    "aws:PrincipalArn",
];
const BUCKET_PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"*"}"#,
    r#"{"AWS":"111122223333"}"#,
    r#"{"AWS":["arn:aws:iam::111122223333:user/alice","444455556666"]}"#,
    r#"{"AWS":"arn:aws:iam::444455556666:root"}"#,
    r#"{"CanonicalUser":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}"#,
    r#"{"Service":"logging.s3.amazonaws.com"}"#,
];
const ACTIONS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:?etObject",
    "s3:ListBucket",
    "s3:PutObject",
];
const BUCKET_RESOURCES: &[&str] = &[
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:s3:::b/${*}?",
    "arn:aws:s3:::b/${s3:prefix, 'd'}*",
    "arn:aws:s3:::b/k",
];
const IDENTITY_RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::b/*",
    "arn:aws:iam::111122223333:user/${aws:username}",
];
/// Mistakes spliced in now and then: each makes the document invalid in a different way.
const BROKEN_FIELDS: &[&str] = &[
    r#""Effect":"allow""#,
    r#""Action":[]"#,
    r#""Action":"bad""#,
    r#""Resource":"nope""#,
    r#""Principal":{"AWS":"bob"}"#,
    r#""Foo":1"#,
    r#""Condition":{"StringEquals":[]}"#,
];

fn values_for(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    prop_oneof![
        9 => prop::collection::vec(prop::sample::select(pool), 1..3),
        1 => prop::collection::vec(prop::sample::select(ANY_VALUES), 0..3),
    ]
}

fn condition_json() -> impl Strategy<Value = String> {
    let clause = (
        prop::sample::select(vec!["", "", "ForAnyValue:", "ForAllValues:"]),
        prop::sample::select(OPERATORS),
        any::<bool>(),
    )
        .prop_flat_map(|(set, (op, pool), if_exists)| {
            let name = format!(
                "{set}{op}{}",
                if if_exists && op != "Null" {
                    "IfExists"
                } else {
                    ""
                }
            );
            (
                Just(name),
                prop::collection::vec((prop::sample::select(KEYS), values_for(pool)), 1..3),
            )
        })
        .prop_map(|(name, keys)| {
            let keys: serde_json::Map<String, serde_json::Value> = keys
                .into_iter()
                .map(|(k, vs)| (k.to_string(), serde_json::json!(vs)))
                .collect();
            (name, serde_json::Value::Object(keys))
        });
    prop::collection::vec(clause, 0..3).prop_map(|clauses| {
        let map: serde_json::Map<String, serde_json::Value> = clauses.into_iter().collect();
        serde_json::Value::Object(map).to_string()
    })
}

fn statement_json(kind: PolicyKind) -> impl Strategy<Value = String> {
    let resources = match kind {
        PolicyKind::Bucket => BUCKET_RESOURCES,
        PolicyKind::Identity => IDENTITY_RESOURCES,
    };
    (
        any::<bool>(),
        (any::<bool>(), prop::sample::select(BUCKET_PRINCIPALS)),
        (
            any::<bool>(),
            prop::collection::vec(prop::sample::select(ACTIONS), 1..3),
        ),
        (
            any::<bool>(),
            prop::collection::vec(prop::sample::select(resources), 1..3),
        ),
        prop::option::of(condition_json()),
        prop::option::weighted(0.05, prop::sample::select(BROKEN_FIELDS)),
    )
        .prop_map(
            move |(
                deny,
                (not_p, principal),
                (not_a, actions),
                (not_r, resources),
                condition,
                broken,
            )| {
                let not = |b: bool| if b { "Not" } else { "" };
                let mut fields = vec![format!(
                    r#""Effect":"{}""#,
                    if deny { "Deny" } else { "Allow" }
                )];
                if kind == PolicyKind::Bucket {
                    fields.push(format!(r#""{}Principal":{principal}"#, not(not_p)));
                }
                fields.push(format!(
                    r#""{}Action":{}"#,
                    not(not_a),
                    serde_json::json!(actions)
                ));
                fields.push(format!(
                    r#""{}Resource":{}"#,
                    not(not_r),
                    serde_json::json!(resources)
                ));
                if let Some(condition) = condition {
                    fields.push(format!(r#""Condition":{condition}"#));
                }
                if let Some(broken) = broken {
                    // Replaces the field of the same name (or adds an unknown one).
                    let name = broken.split(':').next().unwrap_or("");
                    fields.retain(|f| !f.starts_with(name));
                    fields.push(broken.to_string());
                }
                format!("{{{}}}", fields.join(","))
            },
        )
}

/// A generated request: caller index into `WHO`, action, resource, context pairs.
type GenRequest = (
    usize,
    &'static str,
    &'static str,
    Vec<(&'static str, Vec<&'static str>)>,
);

fn request_strategy() -> impl Strategy<Value = GenRequest> {
    (
        0..7usize,
        prop::sample::select(vec![
            "s3:GetObject",
            "s3:ListBucket",
            "s3:PutObject",
            "S3:getobject",
        ]),
        prop::sample::select(vec![
            "arn:aws:s3:::b",
            "arn:aws:s3:::b/k",
            "arn:aws:s3:::b/alice/x",
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::b/home/x",
        ]),
        prop::collection::vec(
            (
                prop::sample::select(KEYS),
                prop::collection::vec(prop::sample::select(ANY_VALUES), 0..3),
            ),
            0..5,
        ),
    )
}

fn policy_strategy() -> impl Strategy<Value = (PolicyKind, String)> {
    (
        prop::sample::select(vec![PolicyKind::Bucket, PolicyKind::Identity]),
        prop::sample::select(vec!["2012-10-17", "2008-10-17"]),
    )
        .prop_flat_map(|(kind, version)| {
            prop::collection::vec(statement_json(kind), 1..4).prop_map(move |statements| {
                (
                    kind,
                    format!(
                        r#"{{"Version":"{version}","Statement":[{}]}}"#,
                        statements.join(",")
                    ),
                )
            })
        })
}

const WHO: [Who; 7] = [Alice, Bob, Dave, RootA, RootB, Carol, Anon];

/// A statement that denies every request the generator makes.
fn with_deny_all(kind: PolicyKind, policy: &str) -> String {
    let deny = match kind {
        PolicyKind::Identity => r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#,
        PolicyKind::Bucket => {
            r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#
        }
    };
    match policy.strip_suffix("]}") {
        Some(head) => format!("{head},{deny}]}}"),
        None => policy.to_string(),
    }
}

proptest! {
    /// Generated policies — valid or not — never panic in parse, evaluate or is_public;
    /// evaluation is deterministic, and an added deny-everything statement always wins.
    #[test]
    fn generated_policies_never_panic(
        (kind, policy) in policy_strategy(),
        requests in prop::collection::vec(request_strategy(), 1..4),
    ) {
        let Ok(doc) = PolicyDocument::parse(&policy, kind, Some("b")) else { return Ok(()) };
        let _ = doc.is_public();
        let denied = PolicyDocument::parse(&with_deny_all(kind, &policy), kind, Some("b"));
        prop_assert!(denied.is_ok(), "adding a valid statement broke parsing: {:?}", denied.err());
        for (who, action, resource, ctx) in &requests {
            let facts = WHO[*who].facts();
            let mut context = ConditionContext::default();
            for (k, vs) in ctx {
                context.insert(k, vs.iter().map(|v| (*v).to_string()).collect());
            }
            let request = EvalRequest { principal: &facts, action, resource, context: &context };
            let first = doc.evaluate(&request);
            prop_assert_eq!(first, doc.evaluate(&request));
            if let Ok(denied) = &denied {
                prop_assert_eq!(denied.evaluate(&request), Effect::Deny);
            }
        }
    }
}
