"""s3util.py - an independent S3 client (boto3) for the e2e tests.

Usage: s3util.py CMD ARGS...   (endpoint, bucket and keys from E2E_S3_* variables)
  ls [PREFIX]          keys under PREFIX, one per line, byte order
  lsz [PREFIX]         "key size" under PREFIX, one per line, byte order
  putmany LISTFILE     upload every key named in LISTFILE (one a line) with the key as body
  get KEY DEST         download KEY to DEST (exit 1 if missing)
  sha KEY              sha256 of the object, or "missing"
  count [PREFIX]       number of keys under PREFIX
  put KEY SRC          upload SRC as KEY
  meta KEY             "md5 sha256 creator" of the object as S3 holds them (HEAD): the ETag
                       when it is an MD5 (else x-amz-meta-md5), x-amz-meta-sha256,
                       x-amz-meta-creator; "-" for each one missing, "missing" if no object
"""
import hashlib
import os
import sys

import boto3
from botocore.config import Config


def client(secret=None):
    return boto3.client(
        "s3",
        endpoint_url=os.environ["E2E_S3_ENDPOINT"],
        aws_access_key_id=os.environ.get("E2E_S3_KEY", "S3RVER"),
        aws_secret_access_key=secret or os.environ.get("E2E_S3_SECRET", "S3RVER"),
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 2}, max_pool_connections=16),
    )


def objects(c, bucket, prefix=""):
    out = []
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [(o["Key"], o["Size"]) for o in page.get("Contents", [])]
    return sorted(out, key=lambda o: o[0].encode())


def keys(c, bucket, prefix=""):
    return [k for k, _ in objects(c, bucket, prefix)]


def putmany(c, bucket, listfile):
    from concurrent.futures import ThreadPoolExecutor

    with open(listfile) as f:
        names = [line.rstrip("\n") for line in f if line.strip()]
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda k: c.put_object(Bucket=bucket, Key=k, Body=k.encode()), names))


def main():
    os.environ.pop("AWS_CA_BUNDLE", None)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    bucket = os.environ["E2E_S3_BUCKET"]
    c = client()
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ls":
        for k in keys(c, bucket, args[0] if args else ""):
            print(k)
    elif cmd == "lsz":
        for k, n in objects(c, bucket, args[0] if args else ""):
            print(k, n)
    elif cmd == "putmany":
        putmany(c, bucket, args[0])
    elif cmd == "count":
        print(len(keys(c, bucket, args[0] if args else "")))
    elif cmd == "get":
        try:
            c.download_file(bucket, args[0], args[1])
        except Exception as e:  # noqa: BLE001 - report and fail
            print("s3util get %s: %s" % (args[0], e), file=sys.stderr)
            sys.exit(1)
    elif cmd == "meta":
        try:
            h = c.head_object(Bucket=bucket, Key=args[0])
        except Exception:  # noqa: BLE001 - a 404 has no NoSuchKey code on HEAD
            print("missing")
            return
        etag, m = h.get("ETag", "").strip('"'), h.get("Metadata", {})
        md5 = etag if len(etag) == 32 and "-" not in etag else m.get("md5", "")
        print(md5 or "-", m.get("sha256") or "-", m.get("creator") or "-")
    elif cmd == "sha":
        try:
            body = c.get_object(Bucket=bucket, Key=args[0])["Body"]
        except c.exceptions.NoSuchKey:
            print("missing")
            return
        h = hashlib.sha256()
        for chunk in iter(lambda: body.read(1 << 20), b""):
            h.update(chunk)
        print(h.hexdigest())
    elif cmd == "shas":  # NAME SHA256 of every object under the prefix (NAME without it)
        out = []
        for k in keys(c, bucket, args[0]):
            h = hashlib.sha256()
            body = c.get_object(Bucket=bucket, Key=k)["Body"]
            for chunk in iter(lambda: body.read(1 << 20), b""):
                h.update(chunk)
            out.append("%s %s" % (k[len(args[0]):], h.hexdigest()))
        for line in sorted(out):
            print(line)
    elif cmd == "put":
        c.upload_file(args[1], bucket, args[0])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
