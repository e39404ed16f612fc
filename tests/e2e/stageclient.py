"""stageclient.py - an independent Python client of the stage service.

Built only from proto/stage/v1/stage.proto (messages generated with protoc at
run time) and grpcio's generic calls, so it shares no code with stagectl or
the server. Run it with Debian's /usr/bin/python3 (python3-grpcio,
python3-protobuf); a pyenv python3 on PATH lacks grpc.

Library:
    c = StageClient("127.0.0.1:7070")
    c.login("root", "pw")                 # keeps the token for later calls
    job = c.upload("@~/a.csv", b"data")   # bytes, a path, or an iterator of chunks
    info, data = c.download("@~/a.csv", offset=0, length=0)
    files = c.list("@~/dir/", pattern=".*[.]csv")

Command line (every result is one JSON document on stdout; errors print
{"error": {"code": "NOT_FOUND", "message": ...}} and exit 1):
    stageclient.py --server H:P [--token T | --user U --password P] COMMAND ...
    commands: health, login USER PASSWORD, upload FILE LOC, download LOC FILE,
    list LOC, stat LOC, remove LOC, job ID, wait-job ID, call METHOD

Generated modules go to $STAGE_PB_DIR if set (made once by tests/e2e/lib.sh),
else to a temp dir. health.proto is compiled from a top-level copy, so the
module is `health_pb2`; generated as grpc/health/v1/health_pb2 it would be
shadowed by grpcio's own `grpc` package (docs/grpc-core.md §9).
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import grpc

SERVICE = "/stage.v1.StageService/"
CHUNK = 1 << 20
HERE = os.path.dirname(os.path.abspath(__file__))
SRC_DIR = os.environ.get("STAGE_SRC_DIR") or os.path.dirname(os.path.dirname(HERE))


def _generate(out):
    proto = os.path.join(SRC_DIR, "proto")
    subprocess.run(["protoc", "-I", proto, "--python_out=" + out, "stage/v1/stage.proto"],
                   check=True)
    shutil.copy(os.path.join(proto, "grpc/health/v1/health.proto"),
                os.path.join(out, "health.proto"))
    subprocess.run(["protoc", "-I", out, "--python_out=" + out, "health.proto"], check=True)


def _load_modules():
    out = os.environ.get("STAGE_PB_DIR")
    if not out:
        out = tempfile.mkdtemp(prefix="stage-pb-")
    if not os.path.exists(os.path.join(out, "stage", "v1", "stage_pb2.py")):
        os.makedirs(out, exist_ok=True)
        _generate(out)
    if out not in sys.path:
        sys.path.insert(0, out)
    from stage.v1 import stage_pb2 as pb  # noqa: E402
    import health_pb2 as hpb  # noqa: E402
    return pb, hpb


pb, health_pb = _load_modules()

STATE = {v: k for k, v in pb.JobState.items()}
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


class StageError(Exception):
    """A call that ended with a non-OK status."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code  # "NOT_FOUND"
        self.message = message


def _wrap(fn):
    def call(*a, **kw):
        try:
            return fn(*a, **kw)
        except grpc.RpcError as e:
            raise StageError(e.code().name, e.details()) from None
    return call


def msg_dict(m):
    """A message as a dict: proto field names, enum names, int64 as ints, defaults
    included (the same shape as stagectl --json)."""
    out = {}
    for f in m.DESCRIPTOR.fields:
        v = getattr(m, f.name)
        if f.containing_oneof is not None and m.WhichOneof(f.containing_oneof.name) != f.name:
            continue
        if f.label == f.LABEL_REPEATED:
            out[f.name] = [msg_dict(x) if f.type == f.TYPE_MESSAGE else x for x in v]
        elif f.type == f.TYPE_MESSAGE:
            out[f.name] = msg_dict(v) if m.HasField(f.name) else None
        elif f.type == f.TYPE_ENUM:
            out[f.name] = f.enum_type.values_by_number[v].name \
                if v in f.enum_type.values_by_number else v
        elif f.type == f.TYPE_BYTES:
            out[f.name] = base64.b64encode(v).decode()
        else:
            out[f.name] = v
    return out


job_dict = msg_dict


def _chunks_of(data, chunk):
    if isinstance(data, (bytes, bytearray, memoryview)):
        for i in range(0, len(data), chunk):
            yield bytes(data[i:i + chunk])
    elif isinstance(data, str):  # a path
        with open(data, "rb") as f:
            while True:
                b = f.read(chunk)
                if not b:
                    return
                yield b
    else:
        yield from data


class StageClient:
    def __init__(self, target, token=None, user=None, password=None, timeout=120):
        options = [("grpc.max_receive_message_length", 64 << 20),
                   ("grpc.max_send_message_length", 64 << 20)]
        ca = os.environ.get("STAGE_TLS_CA")  # the same settings as stagectl
        if ca:
            read = lambda v: open(os.environ[v], "rb").read() if os.environ.get(v) else None
            creds = grpc.ssl_channel_credentials(open(ca, "rb").read(), read("STAGE_TLS_KEY"),
                                                 read("STAGE_TLS_CERT"))
            self.channel = grpc.secure_channel(target, creds, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.token = token
        self.basic = None
        if user is not None and password is not None:
            self.basic = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.timeout = timeout

    def close(self):
        self.channel.close()

    # -- plumbing
    def metadata(self):
        if self.token:
            return (("authorization", "Bearer " + self.token),)
        if self.basic:
            return (("authorization", "Basic " + self.basic),)
        return ()

    def _unary(self, name, req, resp_cls, timeout=None):
        fn = self.channel.unary_unary(SERVICE + name, request_serializer=req.SerializeToString,
                                      response_deserializer=resp_cls.FromString)
        return fn(req, metadata=self.metadata(), timeout=timeout or self.timeout)

    def _server_stream(self, name, req, resp_cls):
        fn = self.channel.unary_stream(SERVICE + name, request_serializer=req.SerializeToString,
                                       response_deserializer=resp_cls.FromString)
        return fn(req, metadata=self.metadata())

    def _upload_callable(self):
        return self.channel.stream_unary(
            SERVICE + "UploadFile",
            request_serializer=pb.UploadFileRequest.SerializeToString,
            response_deserializer=pb.UploadFileResponse.FromString)

    # -- API
    @_wrap
    def health(self, service=""):
        fn = self.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb.HealthCheckResponse.FromString)
        r = fn(health_pb.HealthCheckRequest(service=service), timeout=5)
        return health_pb.HealthCheckResponse.ServingStatus.Name(r.status)

    @_wrap
    def login(self, user, password):
        r = self._unary("Login", pb.LoginRequest(user=user, password=password),
                        pb.LoginResponse)
        self.token = r.token
        return r

    def upload_requests(self, location, data, size=None, overwrite=False, wait=True,
                        chunk=CHUNK, sha256="", idempotency_key="", content_type=""):
        hdr = pb.UploadHeader(location=location, overwrite=overwrite, wait=wait, sha256=sha256,
                              idempotency_key=idempotency_key, content_type=content_type)
        if size is None and isinstance(data, (bytes, bytearray)):
            size = len(data)
        if size is None and isinstance(data, str):
            size = os.path.getsize(data)
        if size is not None:
            hdr.has_size = True
            hdr.size = size
        yield pb.UploadFileRequest(header=hdr)
        for b in _chunks_of(data, chunk):
            yield pb.UploadFileRequest(chunk=b)

    @_wrap
    def upload(self, location, data, size=None, overwrite=False, wait=True, chunk=CHUNK,
               sha256="", idempotency_key="", content_type=""):
        """Upload bytes, a file path or an iterator of byte chunks; returns the Job."""
        reqs = self.upload_requests(location, data, size, overwrite, wait, chunk, sha256,
                                    idempotency_key, content_type)
        return self._upload_callable()(reqs, metadata=self.metadata()).job

    def upload_future(self, requests):
        """Start an upload from an iterator of UploadFileRequest; returns the call future."""
        return self._upload_callable().future(requests, metadata=self.metadata())

    def download_iter(self, location, offset=0, length=0):
        """Yields the FileInfo first, then bytes chunks. Raises StageError."""
        req = pb.DownloadFileRequest(location=location, offset=offset, length=length)
        try:
            for m in self._server_stream("DownloadFile", req, pb.DownloadFileResponse):
                yield m.info if m.WhichOneof("msg") == "info" else m.chunk
        except grpc.RpcError as e:
            raise StageError(e.code().name, e.details()) from None

    def download(self, location, offset=0, length=0):
        """(FileInfo, bytes) - for small files."""
        it = self.download_iter(location, offset, length)
        info, parts = None, []
        for x in it:
            if isinstance(x, bytes):
                parts.append(x)
            else:
                info = x
        return info, b"".join(parts)

    def download_to(self, location, path, offset=0, length=0):
        """Stream into a temp file renamed to `path` when complete; returns
        (FileInfo, bytes written, sha256 hex)."""
        h, n, info = hashlib.sha256(), 0, None
        tmp = "%s.part%d" % (path, os.getpid())
        try:
            with open(tmp, "wb") as f:
                for x in self.download_iter(location, offset, length):
                    if isinstance(x, bytes):
                        f.write(x)
                        h.update(x)
                        n += len(x)
                    else:
                        info = x
            os.rename(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return info, n, h.hexdigest()

    @_wrap
    def list(self, location, pattern="", page_size=0, start_after=""):
        req = pb.ListFilesRequest(location=location, pattern=pattern, page_size=page_size,
                                  start_after=start_after)
        out = []
        for page in self._server_stream("ListFiles", req, pb.ListFilesResponse):
            out.extend(page.files)
        return out

    @_wrap
    def stat(self, location):
        return self._unary("StatFile", pb.StatFileRequest(location=location),
                           pb.StatFileResponse).info

    @_wrap
    def remove(self, location, pattern="", dry_run=False, idempotency_key=""):
        req = pb.RemoveFilesRequest(location=location, pattern=pattern, dry_run=dry_run,
                                    idempotency_key=idempotency_key)
        return self._unary("RemoveFiles", req, pb.RemoveFilesResponse).job

    @_wrap
    def presign(self, location, upload=False, expire_seconds=0, content_type=""):
        req = pb.PresignFileRequest(location=location,
                                    method=pb.UPLOAD_METHOD if upload else pb.DOWNLOAD_METHOD,
                                    expire_seconds=expire_seconds, content_type=content_type)
        r = self._unary("PresignFile", req, pb.PresignFileResponse)
        return {"method": pb.PresignMethod.Name(r.method), "url": r.url,
                "headers": dict(r.headers)}

    @_wrap
    def get_job(self, job_id):
        return self._unary("GetJob", pb.GetJobRequest(job_id=job_id), pb.GetJobResponse).job

    @_wrap
    def cancel_job(self, job_id):
        return self._unary("CancelJob", pb.CancelJobRequest(job_id=job_id),
                           pb.CancelJobResponse).job

    @_wrap
    def list_jobs(self, state=0, page_size=0, page_token=""):
        """One page: (jobs, next_page_token)."""
        r = self._unary("ListJobs", pb.ListJobsRequest(state=state, page_size=page_size,
                                                        page_token=page_token),
                        pb.ListJobsResponse)
        return list(r.jobs), r.next_page_token

    @_wrap
    def job_results(self, job_id, page_token=""):
        """One page: (results, next_page_token)."""
        r = self._unary("GetJobResults", pb.GetJobResultsRequest(job_id=job_id,
                                                                  page_token=page_token),
                        pb.GetJobResultsResponse)
        return list(r.results), r.next_page_token

    @_wrap
    def watch_job(self, job_id):
        """Every Job message of WatchJob until the server ends the stream."""
        return [m.job for m in self._server_stream("WatchJob", pb.WatchJobRequest(job_id=job_id),
                                                   pb.WatchJobResponse)]

    def wait_job(self, job_id, timeout=60, interval=0.05):
        end = time.time() + timeout
        while True:
            j = self.get_job(job_id)
            if STATE[j.state] in TERMINAL or time.time() > end:
                return j
            time.sleep(interval)

    @_wrap
    def rpc(self, _method, **fields):
        """Any unary StageService method by name: rpc("CreateStage", name="s1")."""
        req = getattr(pb, _method + "Request")(**fields)
        return self._unary(_method, req, getattr(pb, _method + "Response"))

    @_wrap
    def call_raw(self, method, payload=b"", timeout=10):
        """A unary call with raw bytes to any method path; returns raw bytes."""
        fn = self.channel.unary_unary(method)
        return fn(payload, metadata=self.metadata(), timeout=timeout)


# ---------------------------------------------------------------- command line

def _print(obj):
    if hasattr(obj, "DESCRIPTOR"):
        obj = job_dict(obj)
    print(json.dumps(obj, sort_keys=True))


def _cli_download(c, a):
    if a.file == "-":
        n, h = 0, hashlib.sha256()
        info = None
        for x in c.download_iter(a.location, a.offset, a.length):
            if isinstance(x, bytes):
                n += len(x)
                h.update(x)
            else:
                info = x
        sha = h.hexdigest()
    else:
        info, n, sha = c.download_to(a.location, a.file, a.offset, a.length)
    return {"info": job_dict(info) if info else None, "bytes": n, "sha256": sha}


def _cli_upload(c, a):
    if a.file == "-":
        data = iter(lambda: sys.stdin.buffer.read(CHUNK), b"")
        return c.upload(a.location, data, overwrite=a.overwrite, wait=not a.no_wait)
    return c.upload(a.location, a.file, overwrite=a.overwrite, wait=not a.no_wait,
                    sha256=getattr(a, "sha256", ""), content_type=a.content_type)


def _parser():
    p = argparse.ArgumentParser(prog="stageclient.py")
    p.add_argument("--server", default=os.environ.get("STAGE_SERVER", "127.0.0.1:7070"))
    p.add_argument("--token", default=os.environ.get("STAGE_TOKEN"))
    p.add_argument("--user")
    p.add_argument("--password")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("health")
    s.add_argument("service", nargs="?", default="")
    s = sub.add_parser("login")
    s.add_argument("user")
    s.add_argument("password")
    s = sub.add_parser("upload")
    s.add_argument("file")
    s.add_argument("location")
    s.add_argument("--overwrite", action="store_true")
    s.add_argument("--no-wait", action="store_true")
    s.add_argument("--sha256", default="")
    s.add_argument("--content-type", default="")
    s = sub.add_parser("download")
    s.add_argument("location")
    s.add_argument("file")
    s.add_argument("--offset", type=int, default=0)
    s.add_argument("--length", type=int, default=0)
    s = sub.add_parser("list")
    s.add_argument("location")
    s.add_argument("--pattern", default="")
    s = sub.add_parser("stat")
    s.add_argument("location")
    s = sub.add_parser("remove")
    s.add_argument("location")
    s.add_argument("--pattern", default="")
    s.add_argument("--dry-run", action="store_true")
    s = sub.add_parser("presign")
    s.add_argument("location")
    s.add_argument("--upload", action="store_true")
    s.add_argument("--expire", type=int, default=0)
    s.add_argument("--content-type", default="")
    for name in ("job", "wait-job", "cancel-job", "watch-job", "job-results"):
        s = sub.add_parser(name)
        s.add_argument("id")
    s = sub.add_parser("call")
    s.add_argument("method")
    return p


def main(argv=None):
    a = _parser().parse_args(argv)
    c = StageClient(a.server, token=a.token, user=a.user, password=a.password)
    try:
        if a.cmd == "health":
            _print({"status": c.health(a.service)})
        elif a.cmd == "login":
            r = c.login(a.user, a.password)
            _print({"token": r.token, "expires_at": r.expires_at})
        elif a.cmd == "upload":
            _print(_cli_upload(c, a))
        elif a.cmd == "download":
            _print(_cli_download(c, a))
        elif a.cmd == "list":
            _print([job_dict(f) for f in c.list(a.location, a.pattern)])
        elif a.cmd == "stat":
            _print(c.stat(a.location))
        elif a.cmd == "remove":
            _print(c.remove(a.location, a.pattern, a.dry_run))
        elif a.cmd == "presign":
            _print(c.presign(a.location, a.upload, a.expire, a.content_type))
        elif a.cmd == "job":
            _print(c.get_job(a.id))
        elif a.cmd == "wait-job":
            _print(c.wait_job(a.id))
        elif a.cmd == "cancel-job":
            _print(c.cancel_job(a.id))
        elif a.cmd == "watch-job":
            _print([job_dict(j) for j in c.watch_job(a.id)])
        elif a.cmd == "job-results":
            res, tok = c.job_results(a.id)
            _print({"results": [msg_dict(x) for x in res], "next_page_token": tok})
        elif a.cmd == "call":
            _print({"reply": base64.b64encode(c.call_raw(a.method)).decode()})
    except StageError as e:
        _print({"error": {"code": e.code, "message": e.message}})
        return 1
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
