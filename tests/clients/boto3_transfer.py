"""boto3 managed transfer: upload_file of a file above a small multipart threshold (so it goes
up as CreateMultipartUpload + parallel UploadPart + CompleteMultipartUpload with CRC32 part
checksums), then download_file (parallel ranged GETs) and a byte compare.

Env (besides strata_env's): STRATA_SOURCE, the file to upload (made by the Rust test).
"""

import base64
import filecmp
import hashlib
import os
import zlib

from boto3.s3.transfer import TransferConfig

import strata_env as s

MiB = 1024 * 1024

s.versions()
source = s.env("STRATA_SOURCE")
size = os.path.getsize(source)
s3 = s.client()
s3.create_bucket(Bucket=s.BUCKET)

config = TransferConfig(
    multipart_threshold=5 * MiB,
    multipart_chunksize=5 * MiB,
    max_concurrency=4,
    use_threads=True,
)
key = "transfer/big.bin"
s3.upload_file(source, s.BUCKET, key, Config=config)

head = s3.head_object(Bucket=s.BUCKET, Key=key)
s.check(head["ContentLength"] == size, f"HeadObject ContentLength {head['ContentLength']} != {size}")
parts = -(-size // (5 * MiB))
etag = head["ETag"].strip('"')
s.check(etag.endswith(f"-{parts}"), f"multipart ETag {etag!r} should end with -{parts}")
# The multipart ETag is the MD5 of the concatenated part MD5s.
digests = b""
with open(source, "rb") as f:
    while chunk := f.read(5 * MiB):
        digests += hashlib.md5(chunk).digest()
expected_etag = f"{hashlib.md5(digests).hexdigest()}-{parts}"
s.check(etag == expected_etag, f"ETag {etag!r} != {expected_etag!r}")

target = os.path.join(s.WORK, "downloaded.bin")
s3.download_file(s.BUCKET, key, target, Config=config)
s.check(os.path.getsize(target) == size, f"downloaded {os.path.getsize(target)} bytes, want {size}")
s.check(filecmp.cmp(source, target, shallow=False), "download_file bytes differ from the upload")
# botocore sent a CRC32 with every part (x-amz-checksum-algorithm: CRC32 on
# CreateMultipartUpload): asked with x-amz-checksum-mode, the object's composite checksum
# (CRC32 of the concatenated part CRC32s, "-N") must come back.
part_crcs = b""
with open(source, "rb") as f:
    while chunk := f.read(5 * MiB):
        part_crcs += zlib.crc32(chunk).to_bytes(4, "big")
composite = base64.b64encode(zlib.crc32(part_crcs).to_bytes(4, "big")).decode() + f"-{parts}"
head = s3.head_object(Bucket=s.BUCKET, Key=key, ChecksumMode="ENABLED")
s.check(
    head.get("ChecksumCRC32") == composite,
    f"HeadObject(ChecksumMode=ENABLED) ChecksumCRC32 {head.get('ChecksumCRC32')!r}, want {composite!r}"
    f" (response headers: {head['ResponseMetadata']['HTTPHeaders']})",
)
print(f"OK upload_file/download_file {size} bytes in {parts} parts, ETag {etag}")
