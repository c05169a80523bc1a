//! SigV2 through `verify_request`: AWS's documented "johnsmith" examples (both generations of
//! the page: the current example credentials and the original ones), requests signed by
//! botocore's SigV2 signer (captured once with a pinned clock, committed as data), and the
//! refusals: skew, expiry, tampering, sub-resources, virtual-hosted vs path-style.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Method, Uri};

use super::{AK, Keys, SECRET, doc_time, headers};
use crate::auth::sigv2::{parse_date, sign};
use crate::auth::{AuthError, PayloadCheck, Verified, verify_request};

/// The credentials of the original RESTAuthentication page.
const OLD_AK: &str = "0PN5J17HBGZHT7JJ3X82";
const OLD_SECRET: &str = "uV3F3YluFJax1cknvbcGwgjvx4QpvB+leU8dUj2o";

fn keys() -> Keys {
    Keys(vec![(AK, SECRET), (OLD_AK, OLD_SECRET)])
}

fn at(date: &str) -> SystemTime {
    parse_date(date).expect("date")
}

fn check(
    method: &str,
    uri: &str,
    h: &HeaderMap,
    host_bucket: Option<&str>,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    verify_request(
        &Method::from_bytes(method.as_bytes()).unwrap(),
        &uri.parse::<Uri>().unwrap(),
        h,
        &keys(),
        "us-east-1",
        host_bucket,
        now,
    )
}

fn with_v2(mut h: HeaderMap, access_key: &str, signature: &str) -> HeaderMap {
    h.insert(
        "authorization",
        format!("AWS {access_key}:{signature}").parse().unwrap(),
    );
    h
}

fn string_to_sign(err: &AuthError) -> String {
    err.details()
        .into_iter()
        .find(|(k, _)| *k == "StringToSign")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// AWS's documented examples ("Signing and authenticating REST requests", SigV2).

/// (access key, GET, PUT, list, acl, upload, list all, unicode, presigned GET) signatures of the
/// two generations of the page; the requests and strings to sign are the same.
const DOC_SIGNATURES: [(&str, [&str; 8]); 2] = [
    (
        AK,
        [
            "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
            "MyyxeRY7whkBe+bq8fHCL/2kKUg=",
            "htDYFYduRNen8P9ZfE/s9SuKy0U=",
            "c2WLPFtWHVgbEmeEG93a4cG37dM=",
            "ilyl83RwaSoYIEdixDQcA4OnAnc=",
            "qGdzdERIC03wnaRNKh6OqZehG9s=",
            "DNEZGsoieTZ92F3bUfSPQcbGmlM=",
            "NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
        ],
    ),
    (
        OLD_AK,
        [
            "xXjDGYUmKxnwqr5KXNPGldn5LbA=",
            "hcicpDDvL9SsO6AkvxqmIWkmOuQ=",
            "jsRt/rhG+Vtp88HrYL706QhE4w4=",
            "thdUi9VAkzhkniLj96JIrOPGi0g=",
            "C0FlOtU8Ylb9KDTpZqYkZPX91iI=",
            "Db+gepJSUbZKwpx1FR0DLtEYoZA=",
            "dxhSBHoI6eVSPcXJqEghlUzZMnY=",
            "rucSbH0yNEcP9oM2XNlouVI3BH4%3D",
        ],
    ),
];

#[test]
fn aws_examples_object_get_put_list_and_acl() {
    for (ak, sigs) in DOC_SIGNATURES {
        let date = "Tue, 27 Mar 2007 19:36:42 +0000";
        let h = headers(&[("host", "johnsmith.s3.amazonaws.com"), ("date", date)]);
        let v = check(
            "GET",
            "/photos/puppy.jpg",
            &with_v2(h, ak, sigs[0]),
            Some("johnsmith"),
            at(date),
        )
        .unwrap();
        assert_eq!(v.access_key.as_deref(), Some(ak));
        assert!(!v.presigned);
        assert!(matches!(v.payload, PayloadCheck::Unsigned));

        let date = "Tue, 27 Mar 2007 21:15:45 +0000";
        let h = headers(&[
            ("host", "johnsmith.s3.amazonaws.com"),
            ("content-type", "image/jpeg"),
            ("content-length", "94328"),
            ("date", date),
        ]);
        check(
            "PUT",
            "/photos/puppy.jpg",
            &with_v2(h, ak, sigs[1]),
            Some("johnsmith"),
            at(date),
        )
        .unwrap();

        // The query parameters of a listing are not signed; the trailing slash is.
        let date = "Tue, 27 Mar 2007 19:42:41 +0000";
        let h = headers(&[
            ("user-agent", "Mozilla/5.0"),
            ("host", "johnsmith.s3.amazonaws.com"),
            ("date", date),
        ]);
        check(
            "GET",
            "/?prefix=photos&max-keys=50&marker=puppy",
            &with_v2(h, ak, sigs[2]),
            Some("johnsmith"),
            at(date),
        )
        .unwrap();

        let date = "Tue, 27 Mar 2007 19:44:46 +0000";
        let h = headers(&[("host", "johnsmith.s3.amazonaws.com"), ("date", date)]);
        check(
            "GET",
            "/?acl",
            &with_v2(h, ak, sigs[3]),
            Some("johnsmith"),
            at(date),
        )
        .unwrap();
    }
}

#[test]
fn aws_examples_cname_upload_with_metadata_service_listing_and_unicode_keys() {
    for (ak, sigs) in DOC_SIGNATURES {
        let date = "Tue, 27 Mar 2007 21:06:08 +0000";
        let h = headers(&[
            ("user-agent", "curl/7.15.5"),
            ("host", "static.johnsmith.net:8080"),
            ("date", date),
            ("x-amz-acl", "public-read"),
            ("content-type", "application/x-download"),
            ("content-md5", "4gJE4saaMU4BqNR0kLY+lw=="),
            ("x-amz-meta-reviewedby", "joe@johnsmith.net"),
            ("x-amz-meta-reviewedby", "jane@johnsmith.net"),
            ("x-amz-meta-filechecksum", "0x02661779"),
            ("x-amz-meta-checksumalgorithm", "crc32"),
            ("content-disposition", "attachment; filename=database.dat"),
            ("content-encoding", "gzip"),
            ("content-length", "5913339"),
        ]);
        // A CNAME: the whole host is the bucket.
        check(
            "PUT",
            "/db-backup.dat.gz",
            &with_v2(h, ak, sigs[4]),
            Some("static.johnsmith.net"),
            at(date),
        )
        .unwrap();

        let date = "Wed, 28 Mar 2007 01:29:59 +0000";
        let h = headers(&[("host", "s3.amazonaws.com"), ("date", date)]);
        check("GET", "/", &with_v2(h, ak, sigs[5]), None, at(date)).unwrap();

        // The path is signed as sent, percent-encoding and its case included.
        let date = "Wed, 28 Mar 2007 01:49:49 +0000";
        let h = with_v2(
            headers(&[("host", "s3.amazonaws.com"), ("date", date)]),
            ak,
            sigs[6],
        );
        let path = "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re";
        check("GET", path, &h, None, at(date)).unwrap();
        let err = check(
            "GET",
            "/dictionary/fran%C3%A7ais/pr%C3%A9f%C3%A8re",
            &h,
            None,
            at(date),
        )
        .unwrap_err();
        assert_eq!(err.code(), "SignatureDoesNotMatch");
    }
}

#[test]
fn aws_example_query_string_authentication() {
    for (ak, sigs) in DOC_SIGNATURES {
        let uri = format!(
            "/photos/puppy.jpg?AWSAccessKeyId={ak}&Signature={}&Expires=1175139620",
            sigs[7]
        );
        let h = headers(&[("host", "johnsmith.s3.amazonaws.com")]);
        let expires = UNIX_EPOCH + Duration::from_secs(1_175_139_620);
        let v = check("GET", &uri, &h, Some("johnsmith"), expires).unwrap();
        assert_eq!(v.access_key.as_deref(), Some(ak));
        assert!(v.presigned);
        assert!(matches!(v.payload, PayloadCheck::Unsigned));
        // Any time before `Expires` is fine, however long before: SigV2 has no 7-day cap.
        check(
            "GET",
            &uri,
            &h,
            Some("johnsmith"),
            expires - Duration::from_secs(365 * 86_400),
        )
        .unwrap();
        let err = check(
            "GET",
            &uri,
            &h,
            Some("johnsmith"),
            expires + Duration::from_secs(1),
        )
        .unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            ("AccessDenied", "Request has expired")
        );
        assert_eq!(
            err.details(),
            vec![
                ("Expires", "2007-03-29T03:40:20Z".to_owned()),
                ("ServerTime", "2007-03-29T03:40:21Z".to_owned()),
            ]
        );
    }
}

#[test]
fn x_amz_date_replaces_date_and_is_signed_as_an_amz_header() {
    // The original page's Delete example follows the documented rule: with x-amz-date present
    // the date line is empty and the timestamp is signed among the amz headers.
    let h = headers(&[
        ("user-agent", "dotnet"),
        ("host", "s3.amazonaws.com"),
        ("date", "Tue, 27 Mar 2007 21:20:27 +0000"),
        ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
    ]);
    let now = at("Tue, 27 Mar 2007 21:20:26 +0000");
    let path = "/johnsmith/photos/puppy.jpg";
    let old = with_v2(h.clone(), OLD_AK, "k3nL7gH3+PadhTEVn5Ip83xlYzk=");
    check("DELETE", path, &old, None, now).unwrap();
    // The current page kept the old request but shows a string to sign with the x-amz-date value
    // in the Date line and no amz header, contradicting its own rule; its signature is refused,
    // and the error shows what S3 signs instead.
    let current = with_v2(h, AK, "lx3byBScXR6KzyMaifNkardMwNk=");
    let err = check("DELETE", path, &current, None, now).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(
        string_to_sign(&err),
        "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg"
    );
    assert_eq!(
        sign(SECRET, string_to_sign(&err).as_bytes()),
        "R4dJ53KECjStyBO5iTBJZ4XVOaI="
    );
    let fixed = with_v2(current.clone(), AK, "R4dJ53KECjStyBO5iTBJZ4XVOaI=");
    check("DELETE", path, &fixed, None, now).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Requests signed by botocore 1.43 (`signature_version="s3"`), its clock pinned to
// 2013-05-24T00:00:00Z (doc_time), captured from the client: method, URL, signed headers.

struct Captured {
    method: &'static str,
    path_style: &'static str,
    virtual_hosted: &'static str,
    headers: &'static [(&'static str, &'static str)],
    signature: &'static str,
}

const BOTO_DATE: (&str, &str) = ("date", "Fri, 24 May 2013 00:00:00 GMT");

const BOTOCORE: &[Captured] = &[
    Captured {
        method: "GET",
        path_style: "/bucket/photos/puppy.jpg",
        virtual_hosted: "/photos/puppy.jpg",
        headers: &[("x-amz-checksum-mode", "ENABLED")],
        signature: "7F10fHOtCittNIRRKQh93Frl9hw=",
    },
    Captured {
        method: "PUT",
        path_style: "/bucket/dir/a%20b%2Bc%25.txt",
        virtual_hosted: "/dir/a%20b%2Bc%25.txt",
        headers: &[
            ("content-type", "text/plain"),
            ("x-amz-meta-reviewedby", "joe"),
            ("x-amz-acl", "public-read"),
            ("expect", "100-continue"),
            ("x-amz-checksum-crc32", "NhCmhg=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("content-length", "5"),
        ],
        signature: "1dpstTAhQ+xcdCh9qtrgP7gIg4A=",
    },
    Captured {
        method: "GET",
        path_style: "/bucket?prefix=photos%2F&max-keys=50&encoding-type=url",
        virtual_hosted: "/?prefix=photos%2F&max-keys=50&encoding-type=url",
        headers: &[],
        signature: "R7CYrorpG0j9EGZmEqFcUpWkwpo=",
    },
    Captured {
        method: "GET",
        path_style: "/bucket?acl",
        virtual_hosted: "/?acl",
        headers: &[],
        signature: "8MOGT6YmtVnQ3xtixATH9Nq+MWY=",
    },
    Captured {
        method: "POST",
        path_style: "/bucket?delete",
        virtual_hosted: "/?delete",
        headers: &[
            ("x-amz-checksum-crc32", "CEaAGw=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("content-length", "94"),
        ],
        signature: "2KtrSPeEXztsGyuXTgXtH3HxK24=",
    },
    Captured {
        method: "POST",
        path_style: "/bucket/big?uploads",
        virtual_hosted: "/big?uploads",
        headers: &[("content-length", "0")],
        signature: "dUBLbbeVU9Y4O03/z1DO1B/cRlM=",
    },
    Captured {
        method: "PUT",
        path_style: "/bucket/big?uploadId=abc%2Fdef%3D&partNumber=2",
        virtual_hosted: "/big?uploadId=abc%2Fdef%3D&partNumber=2",
        headers: &[
            ("expect", "100-continue"),
            ("x-amz-checksum-crc32", "jNwWgw=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("content-length", "1"),
        ],
        signature: "nGXVkhrb0hQOSE1iMpVwmRKVUrg=",
    },
    Captured {
        method: "GET",
        path_style: "/bucket/k?versionId=v1&response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22&response-content-type=text%2Fplain",
        virtual_hosted: "/k?versionId=v1&response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22&response-content-type=text%2Fplain",
        headers: &[("x-amz-checksum-mode", "ENABLED")],
        signature: "Esj41gc+C75UvZhn0CEnngmWqWY=",
    },
    Captured {
        method: "GET",
        path_style: "/bucket/k",
        virtual_hosted: "/k",
        headers: &[
            ("x-amz-checksum-mode", "ENABLED"),
            ("x-amz-security-token", "SESSIONTOKEN/abc+="),
        ],
        signature: "LwrGf/RxPQO2UTQVe7yYr17S+9M=",
    },
];

fn boto_headers(c: &Captured, host: &str) -> HeaderMap {
    let mut pairs = vec![("host", host), ("user-agent", "Boto3/1.43.11"), BOTO_DATE];
    pairs.extend_from_slice(c.headers);
    with_v2(headers(&pairs), AK, c.signature)
}

#[test]
fn botocore_requests_verify_path_style_and_virtual_hosted() {
    for c in BOTOCORE {
        let path = boto_headers(c, "127.0.0.1:9000");
        let v = check(c.method, c.path_style, &path, None, doc_time())
            .unwrap_or_else(|e| panic!("{}: {e}: {:?}", c.path_style, e.details()));
        assert_eq!(v.access_key.as_deref(), Some(AK));
        let vhost = boto_headers(c, "bucket.s3.example.com");
        check(
            c.method,
            c.virtual_hosted,
            &vhost,
            Some("bucket"),
            doc_time(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}: {:?}", c.virtual_hosted, e.details()));
        // The bucket is part of what was signed: another one, or none, does not verify.
        for (uri, bucket) in [
            (c.virtual_hosted, Some("other")),
            (c.virtual_hosted, None),
            (c.path_style, Some("bucket")),
        ] {
            let err = check(c.method, uri, &vhost, bucket, doc_time()).unwrap_err();
            assert_eq!(err.code(), "SignatureDoesNotMatch", "{uri} {bucket:?}");
        }
    }
}

#[test]
fn botocore_presigned_urls_with_headers_in_the_query() {
    let expires_get = UNIX_EPOCH + Duration::from_secs(1_369_357_200);
    let get = "/bucket/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=w1YYhplKYPhhXKonmM0AVtkoh5k%3D&Expires=1369357200";
    let h = headers(&[("host", "127.0.0.1:9000")]);
    let v = check("GET", get, &h, None, doc_time()).unwrap();
    assert!(v.presigned);
    check(
        "GET",
        "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=w1YYhplKYPhhXKonmM0AVtkoh5k%3D&Expires=1369357200",
        &headers(&[("host", "bucket.s3.example.com")]),
        Some("bucket"),
        expires_get,
    )
    .unwrap();
    // Headers sent alongside a presigned URL do not matter unless they are signed ones: Date
    // and x-amz-date are replaced by Expires.
    let noisy = headers(&[
        ("host", "127.0.0.1:9000"),
        ("date", "Mon, 01 Jan 2001 00:00:00 GMT"),
        ("x-amz-date", "20010101T000000Z"),
        ("range", "bytes=0-9"),
    ]);
    check("GET", get, &noisy, None, doc_time()).unwrap();

    // put_object with ContentType and ACL: botocore moves both into the query string. The PUT
    // verifies whether the client repeats Content-Type as a header or not.
    let put = "/bucket/up.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=G%2FuHQd4EkNAGdeA3nsz2NtIz2y8%3D&content-type=text%2Fplain&x-amz-acl=public-read&Expires=1369354200";
    check("PUT", put, &h, None, doc_time()).unwrap();
    let same_type = headers(&[("host", "h"), ("content-type", "text/plain")]);
    check("PUT", put, &same_type, None, doc_time()).unwrap();
    let other_type = headers(&[("host", "h"), ("content-type", "image/png")]);
    assert_eq!(
        check("PUT", put, &other_type, None, doc_time())
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
    // The ACL in the query is signed: it cannot be changed, nor one added to another URL.
    for (method, tampered) in [
        (
            "PUT",
            put.replace("x-amz-acl=public-read", "x-amz-acl=public-read-write"),
        ),
        ("GET", format!("{get}&x-amz-acl=public-read")),
    ] {
        assert_eq!(
            check(method, &tampered, &h, None, doc_time())
                .unwrap_err()
                .code(),
            "SignatureDoesNotMatch",
            "{tampered}"
        );
    }
    // A session token rides in the query too.
    let token = "/bucket/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=JZFJ08c%2BVe24upKvErv3I%2FblJtg%3D&x-amz-security-token=SESSIONTOKEN%2Fabc%2B%3D&Expires=1369353660";
    check("GET", token, &h, None, doc_time()).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Sub-resources, clock, expiry, tampering.

#[test]
fn signed_subresources_cannot_be_added_removed_or_changed() {
    let acl = &BOTOCORE[3];
    let h = boto_headers(acl, "127.0.0.1:9000");
    for uri in [
        "/bucket",
        "/bucket/",
        "/bucket?acl&versioning",
        "/bucket?policy",
    ] {
        assert_eq!(
            check("GET", uri, &h, None, doc_time()).unwrap_err().code(),
            "SignatureDoesNotMatch",
            "{uri}"
        );
    }
    // Other parameters are not signed by SigV2 (on S3 as here).
    check("GET", "/bucket?acl&x-id=GetBucketAcl", &h, None, doc_time()).unwrap();
    let get = &BOTOCORE[7];
    let h = boto_headers(get, "127.0.0.1:9000");
    let tampered = get.path_style.replace("versionId=v1", "versionId=v2");
    let err = check("GET", &tampered, &h, None, doc_time()).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert!(string_to_sign(&err).ends_with(
        "/bucket/k?response-content-disposition=attachment; filename=\"a b.txt\"&response-content-type=text/plain&versionId=v2"
    ));
}

#[test]
fn clock_skew_is_fifteen_minutes_either_way() {
    let c = &BOTOCORE[0];
    let h = boto_headers(c, "h");
    let quarter = Duration::from_secs(15 * 60);
    check("GET", c.path_style, &h, None, doc_time() + quarter).unwrap();
    check("GET", c.path_style, &h, None, doc_time() - quarter).unwrap();
    for now in [
        doc_time() + quarter + Duration::from_secs(1),
        doc_time() - quarter - Duration::from_secs(1),
    ] {
        let err = check("GET", c.path_style, &h, None, now).unwrap_err();
        assert_eq!(err.code(), "RequestTimeTooSkewed");
        assert_eq!(
            err.details()[0],
            ("RequestTime", "Fri, 24 May 2013 00:00:00 GMT".to_owned())
        );
    }
    // x-amz-date, when present, is the timestamp that counts (and the one signed).
    let sts = "GET\n\n\n\nx-amz-date:Fri, 24 May 2013 00:00:00 GMT\n/bucket/k";
    let h = with_v2(
        headers(&[
            ("host", "h"),
            ("date", "Mon, 01 Jan 2001 00:00:00 GMT"),
            ("x-amz-date", "Fri, 24 May 2013 00:00:00 GMT"),
        ]),
        AK,
        &sign(SECRET, sts.as_bytes()),
    );
    check("GET", "/bucket/k", &h, None, doc_time()).unwrap();
    // Missing or unreadable timestamps.
    for pairs in [
        vec![("host", "h")],
        vec![("host", "h"), ("date", "")],
        vec![("host", "h"), ("date", "yesterday")],
        vec![("host", "h"), ("date", "Tue, 07 Jul 1950 21:53:04 GMT")],
        vec![
            ("host", "h"),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-date", "garbage"),
        ],
    ] {
        let err = check(
            "GET",
            "/bucket/k",
            &with_v2(headers(&pairs), AK, "x"),
            None,
            doc_time(),
        )
        .unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            (
                "AccessDenied",
                "AWS authentication requires a valid Date or x-amz-date header"
            ),
            "{pairs:?}"
        );
    }
    let far = with_v2(
        headers(&[("host", "h"), ("date", "Tue, 07 Jul 9999 21:53:04 GMT")]),
        AK,
        "x",
    );
    assert_eq!(
        check("GET", "/bucket/k", &far, None, doc_time())
            .unwrap_err()
            .code(),
        "RequestTimeTooSkewed"
    );
}

#[test]
fn presigned_parameters_and_lifetime() {
    let h = headers(&[("host", "h")]);
    for uri in [
        "/b/k?AWSAccessKeyId=AK&Signature=x",
        "/b/k?AWSAccessKeyId=AK&Expires=1",
        "/b/k?Signature=x&Expires=1",
    ] {
        let err = check("GET", uri, &h, None, doc_time()).unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            (
                "AccessDenied",
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
            ),
            "{uri}"
        );
    }
    for expires in ["soon", "-5", "1369357200000", "1e9", ""] {
        let uri = format!("/b/k?AWSAccessKeyId={AK}&Signature=x&Expires={expires}");
        let err = check("GET", &uri, &h, None, doc_time()).unwrap_err();
        assert_eq!(
            (err.code(), err.to_string()),
            (
                "AccessDenied",
                format!("Invalid date (should be seconds since epoch): {expires}")
            )
        );
    }
    // No 7-day cap: a URL valid for a year verifies, until its last second.
    let expires = 1_369_353_600 + 365 * 86_400;
    let sig = sign(SECRET, format!("GET\n\n\n{expires}\n/b/k").as_bytes());
    let uri = format!(
        "/b/k?AWSAccessKeyId={AK}&Expires={expires}&Signature={}",
        percent_encoding::utf8_percent_encode(&sig, percent_encoding::NON_ALPHANUMERIC)
    );
    check("GET", &uri, &h, None, doc_time()).unwrap();
    let end = UNIX_EPOCH + Duration::from_secs(expires);
    check("GET", &uri, &h, None, end).unwrap();
    assert_eq!(
        check("GET", &uri, &h, None, end + Duration::from_millis(1))
            .unwrap_err()
            .to_string(),
        "Request has expired"
    );
    // Expiry is checked before the key and the signature.
    let unknown = format!("/b/k?AWSAccessKeyId=NOBODY&Expires=1&Signature={sig}");
    assert_eq!(
        check("GET", &unknown, &h, None, doc_time())
            .unwrap_err()
            .to_string(),
        "Request has expired"
    );
    let unknown = format!("/b/k?AWSAccessKeyId=NOBODY&Expires={expires}&Signature=x");
    assert_eq!(
        check("GET", &unknown, &h, None, doc_time())
            .unwrap_err()
            .code(),
        "InvalidAccessKeyId"
    );
}

#[test]
fn tampered_requests_are_refused_with_what_was_signed() {
    let put = &BOTOCORE[1];
    let good = boto_headers(put, "h");
    check("PUT", put.path_style, &good, None, doc_time()).unwrap();
    type Change<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);
    let changes: [Change<'_>; 6] = [
        ("POST", put.path_style, None),
        ("PUT", "/bucket/dir/a%20b%2Bc%25.txt2", None),
        (
            "PUT",
            put.path_style,
            Some(("x-amz-acl", "public-read-write")),
        ),
        ("PUT", put.path_style, Some(("content-type", "text/html"))),
        (
            "PUT",
            put.path_style,
            Some(("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==")),
        ),
        ("PUT", put.path_style, Some(("x-amz-meta-extra", "1"))),
    ];
    for (method, uri, header) in changes {
        let mut h = good.clone();
        if let Some((k, v)) = header {
            h.insert(k, v.parse().unwrap());
        }
        let err = check(method, uri, &h, None, doc_time()).unwrap_err();
        assert_eq!(
            err.code(),
            "SignatureDoesNotMatch",
            "{method} {uri} {header:?}"
        );
    }
    let mut h = good.clone();
    h.insert(
        "authorization",
        format!("AWS {AK}:AAAAhOtCittNIRRKQh93Frl9hw=")
            .parse()
            .unwrap(),
    );
    let err = check("PUT", put.path_style, &h, None, doc_time()).unwrap_err();
    let details = err.details();
    let names: Vec<&str> = details.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        names,
        [
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes"
        ]
    );
    let sts = "PUT\n\ntext/plain\nFri, 24 May 2013 00:00:00 GMT\nx-amz-acl:public-read\nx-amz-checksum-crc32:NhCmhg==\nx-amz-meta-reviewedby:joe\nx-amz-sdk-checksum-algorithm:CRC32\n/bucket/dir/a%20b%2Bc%25.txt";
    assert_eq!(details[1].1, sts);
    assert_eq!(details[2].1, "AAAAhOtCittNIRRKQh93Frl9hw=");
    assert!(details[3].1.starts_with("50 55 54 0a 0a 74 65 78 74")); // "PUT\n\ntext"
    // An unknown key, and a wrong secret.
    let h = with_v2(good.clone(), "NOBODY", put.signature);
    let err = check("PUT", put.path_style, &h, None, doc_time()).unwrap_err();
    assert_eq!(err.code(), "InvalidAccessKeyId");
    assert_eq!(err.details(), vec![("AWSAccessKeyId", "NOBODY".to_owned())]);
    let h = with_v2(good, OLD_AK, put.signature);
    assert_eq!(
        check("PUT", put.path_style, &h, None, doc_time())
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn bucket_root_accepts_both_slash_forms() {
    // botocore signs `/bucket/` for `GET /bucket?acl` and for `GET http://bucket.host/?acl`;
    // others sign `/bucket`. Both name the bucket, in either addressing style.
    let date = ("date", "Fri, 24 May 2013 00:00:00 GMT");
    for resource in ["/bucket", "/bucket/"] {
        let sig = sign(
            SECRET,
            format!("GET\n\n\nFri, 24 May 2013 00:00:00 GMT\n{resource}?acl").as_bytes(),
        );
        let vhost = with_v2(headers(&[("host", "bucket.h"), date]), AK, &sig);
        check("GET", "/?acl", &vhost, Some("bucket"), doc_time()).unwrap();
        let path = with_v2(headers(&[("host", "h"), date]), AK, &sig);
        check("GET", "/bucket?acl", &path, None, doc_time()).unwrap();
        check("GET", "/bucket/?acl", &path, None, doc_time()).unwrap();
        // Only at a bucket's root: an object is not its own directory.
        assert!(check("GET", "/x?acl", &vhost, Some("bucket"), doc_time()).is_err());
        assert!(check("GET", "/bucket/x?acl", &path, None, doc_time()).is_err());
        assert!(check("GET", "/?acl", &path, None, doc_time()).is_err());
    }
    let sig = sign(
        SECRET,
        b"GET\n\n\nFri, 24 May 2013 00:00:00 GMT\n/bucket/x/",
    );
    let h = with_v2(headers(&[("host", "h"), date]), AK, &sig);
    check("GET", "/bucket/x/", &h, None, doc_time()).unwrap();
    assert!(check("GET", "/bucket/x", &h, None, doc_time()).is_err());
}

#[test]
fn declared_payload_framing_is_honoured_and_signed() {
    // x-amz-content-sha256 is an amz header, hence signed in SigV2; an unsigned aws-chunked
    // body it declares must still be decoded rather than stored with its framing.
    let sts = "PUT\n\n\nFri, 24 May 2013 00:00:00 GMT\nx-amz-content-sha256:STREAMING-UNSIGNED-PAYLOAD-TRAILER\nx-amz-decoded-content-length:3\nx-amz-trailer:x-amz-checksum-crc32\n/b/k";
    let h = with_v2(
        headers(&[
            ("host", "h"),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("x-amz-decoded-content-length", "3"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
            ("content-encoding", "aws-chunked"),
        ]),
        AK,
        &sign(SECRET, sts.as_bytes()),
    );
    let v = check("PUT", "/b/k", &h, None, doc_time()).unwrap();
    assert_eq!(v.payload.decoded_content_length(), Some(3));
    // Signed chunks chain from a SigV4 seed that a SigV2 request does not have.
    let mut h = h;
    h.insert(
        "x-amz-content-sha256",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".parse().unwrap(),
    );
    assert_eq!(
        check("PUT", "/b/k", &h, None, doc_time())
            .unwrap_err()
            .code(),
        "InvalidRequest"
    );
}
