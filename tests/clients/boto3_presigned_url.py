"""boto3 generate_presigned_url for GetObject, fetched with plain urllib (no SDK, no headers).

Env (besides strata_env's): STRATA_SIGNATURE = "default" (botocore's default presigner, which is
SigV2 query auth: AWSAccessKeyId / Signature / Expires) or "s3v4" (X-Amz-Algorithm, ...).
"""

import urllib.parse

import strata_env as s

s.versions()
mode = s.env("STRATA_SIGNATURE")
signature_version = {"default": None, "s3v4": "s3v4"}[mode]

# The object goes up with an ordinary (SigV4 header-signed) client.
s3 = s.client()
s3.create_bucket(Bucket=s.BUCKET)
key = "presigned/hello world+ünï.txt"
body = ("presigned GET via " + mode + "\n").encode() * 1000
s3.put_object(Bucket=s.BUCKET, Key=key, Body=body)

presigner = s.client(signature_version=signature_version)
url = presigner.generate_presigned_url(
    "get_object", Params={"Bucket": s.BUCKET, "Key": key}, ExpiresIn=600
)
print(f"presigned URL: {url}")
query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
if mode == "default":
    s.check(
        {"AWSAccessKeyId", "Signature", "Expires"} <= set(query),
        f"botocore's default presigner should produce SigV2 query auth: {url}",
    )
else:
    s.check(query.get("X-Amz-Algorithm") == ["AWS4-HMAC-SHA256"], f"not a SigV4 URL: {url}")

status, headers, got = s.http("GET", url)
s.check(status == 200, f"GET presigned URL ({mode}): {s.describe(status, got)}")
s.check(got == body, f"presigned GET returned {len(got)} bytes that differ from the {len(body)} uploaded")

# Same URL with a range: the signature covers no headers but Host, so this must work too.
status, headers, got = s.http("GET", url, headers={"Range": "bytes=5-14"})
s.check(status == 206, f"ranged GET of presigned URL ({mode}): {s.describe(status, got)}")
s.check(got == body[5:15], f"ranged presigned GET returned {got!r}")

# A tampered signature must be refused: 403 SignatureDoesNotMatch.
param = "Signature" if mode == "default" else "X-Amz-Signature"
parts = urllib.parse.urlsplit(url)
pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
original = dict(pairs)[param]
flipped = ("A" if original[0] != "A" else "B") + original[1:]
bad_query = urllib.parse.urlencode([(k, flipped if k == param else v) for k, v in pairs])
bad_url = urllib.parse.urlunsplit(parts._replace(query=bad_query))
status, headers, got = s.http("GET", bad_url)
s.check(
    status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in got,
    f"tampered presigned URL ({mode}) must be 403 SignatureDoesNotMatch: {s.describe(status, got)}",
)

# And a URL presigned for another key must not open this one.
other_url = presigner.generate_presigned_url(
    "get_object", Params={"Bucket": s.BUCKET, "Key": "presigned/other.txt"}, ExpiresIn=600
)
swapped = other_url.replace("presigned/other.txt", urllib.parse.quote(key))
status, headers, got = s.http("GET", swapped)
s.check(
    status == 403,
    f"presigned URL reused for another key ({mode}) must be refused: {s.describe(status, got)}",
)
print(f"OK presigned GET ({mode})")
