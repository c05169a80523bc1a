"""Shared set-up for the boto3 end-to-end scripts (run by tests/clients.rs).

Everything comes from the environment, so the scripts never talk to anything but the test server:
  STRATA_ENDPOINT        http://127.0.0.1:PORT
  AWS_ACCESS_KEY_ID      the server's root access key
  AWS_SECRET_ACCESS_KEY  the server's root secret key
  AWS_DEFAULT_REGION     us-east-1
  STRATA_BUCKET          the bucket this script creates and uses
  STRATA_WORK            a private temp dir for files
"""

import os
import sys
import urllib.error
import urllib.request

import boto3
import botocore
from botocore.config import Config


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"missing environment variable {name}")
    return value


ENDPOINT = env("STRATA_ENDPOINT")
BUCKET = env("STRATA_BUCKET")
WORK = env("STRATA_WORK")
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def client(signature_version=None, **config):
    """A boto3 S3 client for the test server, path-style. `signature_version=None` keeps
    botocore's default (which for presigning is SigV2 'query' auth in this botocore)."""
    options = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1}}
    options.update(config)
    if signature_version is not None:
        options["signature_version"] = signature_version
    return boto3.session.Session().client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=env("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env("AWS_SECRET_ACCESS_KEY"),
        config=Config(**options),
    )


def http(method, url, body=None, headers=None):
    """Plain urllib: (status, headers dict with lower-case names, body bytes); HTTP errors are
    returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def describe(status, body):
    """An S3 error response, for assertion messages: status, Code, Message."""
    text = body.decode("utf-8", "replace")
    return f"HTTP {status}: {text[:2000]}"


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def versions():
    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}", file=sys.stderr)
