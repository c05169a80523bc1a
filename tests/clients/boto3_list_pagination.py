"""boto3 list_objects_v2 paginator over 2,500 keys (three pages of 1,000 / 1,000 / 500 with
continuation tokens), a smaller PageSize, and a delimiter listing. The keys are created with a
thread pool of PutObject calls.

Env: strata_env's only.
"""

from concurrent.futures import ThreadPoolExecutor

import strata_env as s

s.versions()
COUNT = 2500
s3 = s.client(max_pool_connections=16)
s3.create_bucket(Bucket=s.BUCKET)

keys = [f"dir{i % 5}/key-{i:05d}" for i in range(COUNT)]


def put(key):
    s3.put_object(Bucket=s.BUCKET, Key=key, Body=key.encode())


with ThreadPoolExecutor(max_workers=16) as pool:
    list(pool.map(put, keys))

paginator = s3.get_paginator("list_objects_v2")

pages = list(paginator.paginate(Bucket=s.BUCKET))
counts = [page["KeyCount"] for page in pages]
s.check(counts == [1000, 1000, 500], f"default pages should hold 1000/1000/500 keys, got {counts}")
s.check(
    [page["IsTruncated"] for page in pages] == [True, True, False],
    f"IsTruncated per page: {[page['IsTruncated'] for page in pages]}",
)
s.check(
    all("NextContinuationToken" in page for page in pages[:-1]) and "NextContinuationToken" not in pages[-1],
    "NextContinuationToken on every page but the last",
)
listed = [obj["Key"] for page in pages for obj in page["Contents"]]
s.check(listed == sorted(keys), "pagination lists every key once, in UTF-8 binary order")
sizes = {obj["Key"]: obj["Size"] for page in pages for obj in page["Contents"]}
s.check(all(sizes[k] == len(k) for k in keys), "every listed Size matches the body")

pages = list(paginator.paginate(Bucket=s.BUCKET, Prefix="dir3/", PaginationConfig={"PageSize": 150}))
counts = [page["KeyCount"] for page in pages]
s.check(counts == [150, 150, 150, 50], f"Prefix dir3/ with PageSize 150: {counts}")
listed = [obj["Key"] for page in pages for obj in page["Contents"]]
s.check(listed == sorted(k for k in keys if k.startswith("dir3/")), "prefix listing")

pages = list(paginator.paginate(Bucket=s.BUCKET, StartAfter="dir4/key-02000"))
listed = [obj["Key"] for page in pages for obj in page["Contents"]]
s.check(listed == sorted(k for k in keys if k > "dir4/key-02000"), f"StartAfter listing: {len(listed)} keys")

page = s3.list_objects_v2(Bucket=s.BUCKET, Delimiter="/")
prefixes = [p["Prefix"] for p in page.get("CommonPrefixes", [])]
s.check(prefixes == [f"dir{i}/" for i in range(5)], f"CommonPrefixes with Delimiter '/': {prefixes}")
s.check("Contents" not in page, "no keys at the top level")
print(f"OK list_objects_v2 over {COUNT} keys")
