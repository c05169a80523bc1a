"""boto3 generate_presigned_post, uploaded as a browser would: a multipart/form-data POST to the
bucket URL (hand-built body, plain urllib), then read back with the SDK. Also checks that the
POST policy is enforced (content-length-range, key condition, signature).

Env (besides strata_env's): STRATA_SIGNATURE = "default" (botocore's default: SigV2 form fields
AWSAccessKeyId / policy / signature) or "s3v4" (x-amz-algorithm / x-amz-credential / x-amz-date /
policy / x-amz-signature).
"""

import uuid

import strata_env as s

s.versions()
mode = s.env("STRATA_SIGNATURE")
signature_version = {"default": None, "s3v4": "s3v4"}[mode]

s3 = s.client()
s3.create_bucket(Bucket=s.BUCKET)
presigner = s.client(signature_version=signature_version)


def form_body(fields, filename, content):
    """multipart/form-data with the policy fields first and the file last (S3 ignores fields after
    the file)."""
    boundary = "----strata-" + uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n"
        ).encode()
    out += (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    out += content + f"\r\n--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def post(url, fields, content, filename="upload.bin"):
    body, content_type = form_body(fields, filename, content)
    return s.http("POST", url, body=body, headers={"Content-Type": content_type})


content = bytes((i * 7 + 3) % 251 for i in range(300_000))

if mode == "default":
    # 204 No Content is S3's default answer to a successful POST upload.
    key = "uploads/form-default.bin"
    presigned = presigner.generate_presigned_post(
        s.BUCKET,
        key,
        Conditions=[["content-length-range", 1, 1024 * 1024]],
        ExpiresIn=600,
    )
    print(f"presigned POST: {presigned}")
    fields = presigned["fields"]
    s.check(
        {"AWSAccessKeyId", "policy", "signature"} <= set(fields),
        f"botocore's default presigned POST should carry SigV2 fields: {fields}",
    )
    status, headers, got = post(presigned["url"], fields, content)
    s.check(status == 204, f"POST form upload ({mode}): {s.describe(status, got)}")
    expected_type = None
else:
    # ${filename} substitution, a starts-with condition, Content-Type from the form,
    # success_action_status 201 with an XML answer.
    key = "uploads/${filename}"
    presigned = presigner.generate_presigned_post(
        s.BUCKET,
        key,
        Fields={"success_action_status": "201", "Content-Type": "text/x-strata"},
        Conditions=[
            ["starts-with", "$key", "uploads/"],
            {"success_action_status": "201"},
            {"Content-Type": "text/x-strata"},
            ["content-length-range", 1, 1024 * 1024],
        ],
        ExpiresIn=600,
    )
    print(f"presigned POST: {presigned}")
    fields = presigned["fields"]
    s.check(
        fields.get("x-amz-algorithm") == "AWS4-HMAC-SHA256" and "x-amz-signature" in fields,
        f"s3v4 presigned POST should carry SigV4 fields: {fields}",
    )
    status, headers, got = post(presigned["url"], fields, content, filename="form-s3v4.bin")
    key = "uploads/form-s3v4.bin"
    s.check(status == 201, f"POST form upload ({mode}): {s.describe(status, got)}")
    text = got.decode("utf-8", "replace")
    s.check(
        f"<Key>{key}</Key>" in text and f"<Bucket>{s.BUCKET}</Bucket>" in text and "<ETag>" in text,
        f"201 answer should be a PostResponse with Bucket, Key, ETag: {text}",
    )
    expected_type = "text/x-strata"

stored = s3.get_object(Bucket=s.BUCKET, Key=key)
data = stored["Body"].read()
s.check(data == content, f"read back {len(data)} bytes that differ from the {len(content)} posted")
if expected_type:
    s.check(
        stored["ContentType"] == expected_type,
        f"Content-Type from the form: got {stored['ContentType']!r}, want {expected_type!r}",
    )

# Policy enforcement.
too_big = b"x" * (1024 * 1024 + 1)
status, headers, got = post(presigned["url"], fields, too_big)
s.check(
    status == 400 and b"<Code>EntityTooLarge</Code>" in got,
    f"a file above content-length-range must be 400 EntityTooLarge: {s.describe(status, got)}",
)
wrong_key = dict(fields, key="elsewhere/sneaky.bin")
status, headers, got = post(presigned["url"], wrong_key, content)
s.check(
    status == 403 and b"<Code>AccessDenied</Code>" in got,
    f"a key outside the policy must be 403 AccessDenied: {s.describe(status, got)}",
)
sig = "signature" if mode == "default" else "x-amz-signature"
tampered = dict(fields, **{sig: ("A" if fields[sig][0] != "A" else "B") + fields[sig][1:]})
status, headers, got = post(presigned["url"], tampered, content)
s.check(
    status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in got,
    f"a tampered form signature must be 403 SignatureDoesNotMatch: {s.describe(status, got)}",
)
for refused in ["elsewhere/sneaky.bin"]:
    try:
        s3.head_object(Bucket=s.BUCKET, Key=refused)
        raise AssertionError(f"{refused} was stored by a refused POST")
    except s3.exceptions.ClientError as error:
        s.check(error.response["Error"]["Code"] == "404", f"HeadObject {refused}: {error}")
print(f"OK presigned POST ({mode})")
