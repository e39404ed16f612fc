"""reflclient.py - a gRPC server reflection client that knows no stage .proto.

It knows only the reflection protocol (proto/grpc/reflection/v1/
reflection.proto, compiled with protoc at run time, like grpcurl has it
built in). From the server it learns the rest: it lists the services, fetches
the file that defines stage.v1.StageService with its imports, builds a
descriptor pool from those FileDescriptorProtos, and makes real calls
(Health/Check, Login, ListStages) with messages built from that pool.

    reflclient.py --server H:P --user U --password P [--api v1|v1alpha]

Prints one JSON document (what it asked and what came back); exit 0 when
every call completed, 1 with {"error": ...} otherwise. The shell test
(test_reflection.sh) checks the values. Run it with Debian's /usr/bin/python3
(python3-grpcio, python3-protobuf).
"""

import argparse
import atexit
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_DIR = os.environ.get("STAGE_SRC_DIR") or os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 30


def load_reflection_pb2():
    """reflection_pb2 from a top-level copy of the proto: generated under
    grpc/reflection/v1/ it would be shadowed by grpcio's own `grpc` package
    (docs/grpc-core.md section 9)."""
    if os.environ.get("STAGE_PB_DIR"):  # the e2e run's dir, removed with it
        out = os.path.join(os.environ["STAGE_PB_DIR"], "refl")
        os.makedirs(out, exist_ok=True)
    else:
        out = tempfile.mkdtemp(prefix="refl-pb-")
        atexit.register(shutil.rmtree, out, True)
    shutil.copy(os.path.join(SRC_DIR, "proto/grpc/reflection/v1/reflection.proto"),
                os.path.join(out, "reflection.proto"))
    subprocess.run(["protoc", "-I", out, "--python_out=" + out, "reflection.proto"], check=True)
    sys.path.insert(0, out)
    import reflection_pb2  # noqa: E402 (generated just above)
    return reflection_pb2


pb = load_reflection_pb2()


def reflect(channel, api, requests):
    """One ServerReflectionInfo stream: send `requests`, return the responses
    and the final status code name."""
    call = channel.stream_stream(
        "/grpc.reflection.%s.ServerReflection/ServerReflectionInfo" % api,
        request_serializer=pb.ServerReflectionRequest.SerializeToString,
        response_deserializer=pb.ServerReflectionResponse.FromString)
    responses = []
    try:
        for r in call(iter(requests), timeout=TIMEOUT):
            responses.append(r)
        code = "OK"
    except grpc.RpcError as e:
        code = e.code().name
    return responses, code


def error_of(resp):
    if resp.WhichOneof("message_response") != "error_response":
        return None
    names = {c.value[0]: c.name for c in grpc.StatusCode}
    code = resp.error_response.error_code
    return {"code": names.get(code, str(code)), "message": resp.error_response.error_message}


def build_pool(file_protos):
    """A pool of every file in `file_protos` (serialized FileDescriptorProtos,
    in any order): a file is added once all its imports are."""
    files = {}
    for raw in file_protos:
        fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
        files[fd.name] = fd
    pool = descriptor_pool.DescriptorPool()
    added = set()
    while len(added) < len(files):
        ready = [f for f in files.values()
                 if f.name not in added and all(d in added for d in f.dependency)]
        if not ready:
            raise RuntimeError("imports missing from the reply: %s" %
                               sorted({d for f in files.values() for d in f.dependency} -
                                      set(files)))
        for f in ready:
            pool.Add(f)
            added.add(f.name)
    return pool


def message_class(pool, full_name):
    desc = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.21
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


def unary(channel, pool, service, method, fields, metadata=None):
    """Call service/method with a request built from `fields`; the reply as a
    dict of its fields (by name)."""
    m = pool.FindServiceByName(service).FindMethodByName(method)
    req_cls = message_class(pool, m.input_type.full_name)
    resp_cls = message_class(pool, m.output_type.full_name)
    call = channel.unary_unary("/%s/%s" % (service, method),
                               request_serializer=req_cls.SerializeToString,
                               response_deserializer=resp_cls.FromString)
    resp = call(req_cls(**fields), timeout=TIMEOUT, metadata=metadata)
    return resp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--api", default="v1", choices=["v1", "v1alpha"])
    a = ap.parse_args()
    ch = grpc.insecure_channel(a.server)
    R = pb.ServerReflectionRequest
    out = {"api": a.api}

    # 1. one stream, several questions, answered in order
    asks = [
        R(host="h1", list_services=""),
        R(file_containing_symbol="stage.v1.StageService"),
        R(file_containing_symbol="stage.v1.NoSuchThing"),
        R(file_by_filename="grpc/health/v1/health.proto"),
        R(file_by_filename="no/such.proto"),
        R(file_containing_symbol="stage.v1.StageService.Login"),
        R(file_containing_symbol=".stage.v1.JobState"),
        R(file_containing_symbol="stage.v1.Job.state"),
        R(file_containing_extension=pb.ExtensionRequest(containing_type="stage.v1.Job",
                                                        extension_number=100)),
        R(all_extension_numbers_of_type="stage.v1.Job"),
        R(all_extension_numbers_of_type="stage.v1.Nope"),
    ]
    resps, code = reflect(ch, a.api, asks)
    out["stream_status"] = code
    out["responses"] = len(resps)
    if len(resps) != len(asks):
        print(json.dumps({"error": "%d responses to %d requests" % (len(resps), len(asks)),
                          **out}))
        return 1
    out["valid_host"] = resps[0].valid_host
    out["echoed"] = resps[1].original_request.file_containing_symbol
    out["services"] = [s.name for s in resps[0].list_services_response.service]
    files = list(resps[1].file_descriptor_response.file_descriptor_proto)
    out["stage_files"] = [descriptor_pb2.FileDescriptorProto.FromString(f).name for f in files]
    out["unknown_symbol"] = error_of(resps[2])
    out["health_files"] = [descriptor_pb2.FileDescriptorProto.FromString(f).name
                           for f in resps[3].file_descriptor_response.file_descriptor_proto]
    out["unknown_file"] = error_of(resps[4])

    def first_file(r):
        fdp = r.file_descriptor_response.file_descriptor_proto
        return descriptor_pb2.FileDescriptorProto.FromString(fdp[0]).name if fdp else None
    out["method_file"] = first_file(resps[5])
    out["enum_file"] = first_file(resps[6])
    out["field_file"] = first_file(resps[7])
    out["extension"] = error_of(resps[8])
    e = resps[9].all_extension_numbers_response
    out["ext_numbers"] = {"base": e.base_type_name, "numbers": list(e.extension_number)}
    out["ext_unknown_type"] = error_of(resps[10])

    # 2. a pool from what the server sent, and real calls built from it
    pool = build_pool(files + list(resps[3].file_descriptor_response.file_descriptor_proto))
    svc = pool.FindServiceByName("stage.v1.StageService")
    out["stage_methods"] = len(svc.methods)
    h = unary(ch, pool, "grpc.health.v1.Health", "Check", {"service": ""})
    out["health"] = h.DESCRIPTOR.fields_by_name["status"].enum_type.values_by_number[
        h.status].name
    login = unary(ch, pool, "stage.v1.StageService", "Login",
                  {"user": a.user, "password": a.password})
    out["login_token"] = bool(login.token)
    stages = unary(ch, pool, "stage.v1.StageService", "ListStages", {},
                   metadata=(("authorization", "Bearer " + login.token),))
    out["list_stages_type"] = stages.DESCRIPTOR.full_name
    try:
        unary(ch, pool, "stage.v1.StageService", "ListStages", {})
        out["list_stages_anonymous"] = "OK"
    except grpc.RpcError as e:
        out["list_stages_anonymous"] = e.code().name

    # 3. the bound on requests per stream
    many, code = reflect(ch, a.api, [R(list_services="")] * 1100)
    out["many"] = {"responses": len(many), "status": code}

    # 4. bytes that are no ServerReflectionRequest end the stream
    bad = ch.stream_stream("/grpc.reflection.%s.ServerReflection/ServerReflectionInfo" % a.api,
                           request_serializer=None, response_deserializer=None)
    try:
        list(bad(iter([b"\xff\xff\xff"]), timeout=TIMEOUT))
        out["malformed"] = "OK"
    except grpc.RpcError as e:
        out["malformed"] = e.code().name

    # 5. a client that goes away after one answer, its stream still open
    release = queue.Queue()

    def held():
        yield R(list_services="")
        release.get(timeout=TIMEOUT)  # hold the request side open until the cancel

    stream = ch.stream_stream("/grpc.reflection.%s.ServerReflection/ServerReflectionInfo" % a.api,
                              request_serializer=pb.ServerReflectionRequest.SerializeToString,
                              response_deserializer=pb.ServerReflectionResponse.FromString)
    it = stream(held(), timeout=TIMEOUT)
    out["before_cancel"] = next(it).WhichOneof("message_response")
    it.cancel()
    release.put(None)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except grpc.RpcError as e:
        print(json.dumps({"error": {"code": e.code().name, "message": e.details()}}))
        sys.exit(1)
