"""streamprobe.py - the clients of test_streams.sh (grpc.aio: many streams from one
process, each user on one channel, as a real client multiplexes them). It only
measures and records; test_streams.sh makes the checks from the JSON document it
prints last (one line). Environment as lib.sh's pyrun (E2E_SERVER, E2E_ROOT_PW,
E2E_REDIS_PORT); E2E_ALICE_PW for `idle`.

  streamprobe.py idle --streams 16 --deadline 30 --probe-deadline 2 --existing-job ID
      alice opens STREAMS UploadFile streams that send the header and then nothing.
      While they are open: Health/Check, root's GetJob of ID, alice's own GetJob,
      alice's next UploadFile and a whole UploadFile by root, each with the probe
      deadline. Then waits for the STREAMS calls to end (client deadline DEADLINE)
      and reads their jobs; at last alice uploads a small file again.

  streamprobe.py watch --watchers N --mib M [--extra K] [--ready F --go F]
      root starts an upload of M MiB (wait=false) that sends 1 MiB and pauses, so
      the job is RUNNING; N WatchJob streams on it (one channel) wait for their
      first message; Health/Check and GetJob are timed meanwhile; K more watchers
      are tried (a frontend-wide limit may refuse them). With --ready/--go: write
      F (ready) and wait for the file F (go) before going on (test_streams.sh
      restarts Redis in between). Then the rest of the upload is sent, the job
      ends (CancelJob if it did not within 30 s) and every watcher's last message
      and status are recorded.
"""
import argparse
import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request

import grpc

from redisscan import Redis
import stageclient as sc

SERVER = os.environ["E2E_SERVER"]
SVC = sc.SERVICE
R = Redis(int(os.environ["E2E_REDIS_PORT"]))
MIB = 1 << 20


def ms(t0):
    return round((time.monotonic() - t0) * 1000, 1)


def token(user, pw):
    c = sc.StageClient(SERVER)
    c.login(user, pw)
    c.close()
    return (("authorization", "Bearer " + c.token),)


def channel():
    return grpc.aio.insecure_channel(SERVER, options=[
        ("grpc.max_receive_message_length", 64 << 20),
        ("grpc.max_send_message_length", 64 << 20)])


def mcs(ch):
    """The multicallables of one channel."""
    return {
        "upload": ch.stream_unary(SVC + "UploadFile",
                                  request_serializer=sc.pb.UploadFileRequest.SerializeToString,
                                  response_deserializer=sc.pb.UploadFileResponse.FromString),
        "watch": ch.unary_stream(SVC + "WatchJob",
                                 request_serializer=sc.pb.WatchJobRequest.SerializeToString,
                                 response_deserializer=sc.pb.WatchJobResponse.FromString),
        "getjob": ch.unary_unary(SVC + "GetJob",
                                 request_serializer=sc.pb.GetJobRequest.SerializeToString,
                                 response_deserializer=sc.pb.GetJobResponse.FromString),
        "cancel": ch.unary_unary(SVC + "CancelJob",
                                 request_serializer=sc.pb.CancelJobRequest.SerializeToString,
                                 response_deserializer=sc.pb.CancelJobResponse.FromString),
        "health": ch.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=sc.health_pb.HealthCheckRequest.SerializeToString,
            response_deserializer=sc.health_pb.HealthCheckResponse.FromString),
    }


async def unary(fn, req, md, timeout):
    """{code, details, ms, reply} of one unary call; never raises."""
    t0 = time.monotonic()
    try:
        r = await fn(req, metadata=md, timeout=timeout)
        return {"code": "OK", "details": "", "ms": ms(t0), "reply": r}
    except grpc.aio.AioRpcError as e:
        return {"code": e.code().name, "details": e.details() or "", "ms": ms(t0), "reply": None}


def public(d):
    return {k: v for k, v in d.items() if k != "reply"}


async def health(m, timeout, service=""):
    r = await unary(m["health"], sc.health_pb.HealthCheckRequest(service=service), (), timeout)
    if r["reply"] is not None:
        r["status"] = sc.health_pb.HealthCheckResponse.ServingStatus.Name(r["reply"].status)
    return public(r)


async def get_job(m, md, job_id, timeout):
    r = await unary(m["getjob"], sc.pb.GetJobRequest(job_id=job_id), md, timeout)
    if r["reply"] is not None:
        j = r["reply"].job
        r["state"] = sc.STATE[j.state]
        r["error_message"] = j.error_message
    return public(r)


async def call_end(call):
    """(code, details) of a client-stream call; never raises."""
    try:
        await call
    except grpc.aio.AioRpcError as e:
        return e.code().name, e.details() or ""
    except asyncio.CancelledError:
        return "CANCELLED", "cancelled by the test"
    code = await call.code()
    return code.name, await call.details() or ""


async def timed_end(call):
    """(code, details, monotonic time of the end) of a client-stream call."""
    code, details = await call_end(call)
    return code, details, time.monotonic()


async def write(call, req):
    try:
        await call.write(req)
        return True
    except Exception:  # the call already ended (refused): its status tells why
        return False


def header(loc, **kw):
    return sc.pb.UploadFileRequest(header=sc.pb.UploadHeader(location=loc, **kw))


async def small_upload(m, md, loc, data, timeout, wait=True):
    """A whole UploadFile of `data`: {code, details, ms}."""
    t = time.monotonic()
    c = m["upload"](metadata=md, timeout=timeout)
    await write(c, header(loc, wait=wait, has_size=True, size=len(data), overwrite=True))
    await write(c, sc.pb.UploadFileRequest(chunk=data))
    try:
        await c.done_writing()
    except Exception:  # the call already ended: its status tells why
        pass
    code, details = await call_end(c)
    return {"code": code, "details": details, "ms": ms(t)}


def job_ids(user):
    return [x.decode() for x in R.cmd("ZRANGE", "st:jobs:" + user, 0, -1)]


# ------------------------------------------------------------------ idle

async def idle(a):
    alice = token("alice", os.environ["E2E_ALICE_PW"])
    root = token("root", os.environ["E2E_ROOT_PW"])
    cha, chr_ = channel(), channel()
    ma, mr = mcs(cha), mcs(chr_)
    out = {"streams": a.streams, "deadline_s": a.deadline}

    # alice's header-only uploads: never a chunk, never a half-close
    opened, ends = [], []
    for i in range(a.streams):
        c = ma["upload"](metadata=alice, timeout=a.deadline)
        opened.append(time.monotonic())
        await write(c, header("@~/idle/%02d.bin" % i))
        ends.append(asyncio.ensure_future(timed_end(c)))
    t0 = time.monotonic()
    ids = []
    while time.monotonic() - t0 < 10:  # the frontend read every header: a job each
        ids = job_ids("alice")
        if len(ids) >= a.streams:
            break
        await asyncio.sleep(0.02)
    out["jobs_created"] = len(ids)
    out["jobs_created_ms"] = ms(t0)
    out["open_before_probes"] = sum(not e.done() for e in ends)

    # part 1 and 2 at once, while the streams are open
    async def over_limit():
        t = time.monotonic()
        c = ma["upload"](metadata=alice, timeout=a.probe_deadline)
        await write(c, header("@~/idle/one-too-many.bin"))
        code, details = await call_end(c)
        return {"code": code, "details": details, "ms": ms(t)}

    own = ids[0] if ids else "0" * 32
    pr = await asyncio.gather(
        health(mr, a.probe_deadline),
        get_job(mr, root, a.existing_job, a.probe_deadline),
        get_job(ma, alice, own, a.probe_deadline),
        over_limit(),
        small_upload(mr, root, "@~/streams/root.txt", b"root streams beside alice\n",
                     a.probe_deadline, wait=False))
    out["health"], out["root_getjob"], out["alice_getjob"], out["over_limit"], \
        out["root_stream"] = pr
    out["open_after_probes"] = sum(not e.done() for e in ends)
    out["alice_jobs_after_probes"] = len(job_ids("alice"))

    # part 3: the server ends them after server.stream_idle_timeout_s
    res = await asyncio.gather(*ends)
    out["ends_s"] = [round(t - o, 2) for (_, _, t), o in zip(res, opened)]
    out["codes"] = sorted(set(c for c, _, _ in res))
    out["details"] = sorted(set(d for _, d, _ in res))[:4]
    out["idle_in_details"] = sum("idle" in d for _, d, _ in res)
    out["max_end_s"] = max(out["ends_s"])
    out["min_end_s"] = min(out["ends_s"])
    # the slowest call's share of the client deadline, in percent
    out["max_end_pct"] = int(100 * out["max_end_s"] / a.deadline + 0.5)

    # their jobs, as root (an admin reads every job); a moment for the failure to land
    states, t0 = {}, time.monotonic()
    while time.monotonic() - t0 < 10:
        states = {}
        for jid in ids[:a.streams]:
            r = await get_job(mr, root, jid, 5)
            states[jid] = (r.get("state", r["code"]), r.get("error_message", ""))
        if all(s in sc.TERMINAL for s, _ in states.values()):
            break
        await asyncio.sleep(0.2)
    out["job_states"] = sorted(set(s for s, _ in states.values()))
    out["jobs_failed"] = sum(s == "FAILED" for s, _ in states.values())
    out["jobs_idle"] = sum("idle" in e for _, e in states.values())
    out["jobs_name_key"] = sum("server.stream_idle_timeout_s" in e for _, e in states.values())
    out["job_errors"] = sorted(set(e for _, e in states.values()))[:4]

    # the per-user count was given back: alice streams again
    out["alice_again"] = await small_upload(ma, alice, "@~/streams/again.txt", b"again\n", 10)
    await cha.close()
    await chr_.close()
    return out


# ------------------------------------------------------------------ watch

class Watcher:
    def __init__(self):
        self.first = None  # state of the first message
        self.first_ms = None
        self.last = None
        self.n = 0
        self.code = None
        self.details = ""


async def watch_one(m, md, job_id, deadline, w, t0):
    call = m["watch"](sc.pb.WatchJobRequest(job_id=job_id), metadata=md, timeout=deadline)
    try:
        async for r in call:
            st = sc.STATE[r.job.state]
            if w.first is None:
                w.first, w.first_ms = st, ms(t0)
            w.last = st
            w.n += 1
        w.code = (await call.code()).name
    except grpc.aio.AioRpcError as e:
        w.code, w.details = e.code().name, e.details() or ""
    except asyncio.CancelledError:
        w.code, w.details = "CANCELLED", "cancelled by the test"


def tally(ws, final):
    codes, lasts = {}, {}
    for w in ws:
        codes[w.code] = codes.get(w.code, 0) + 1
        lasts[str(w.last)] = lasts.get(str(w.last), 0) + 1
    errs = sorted(set("%s: %s" % (w.code, w.details) for w in ws if w.code != "OK"))
    return {
        "n": len(ws),
        "attached_running": sum(w.first is not None and w.first not in sc.TERMINAL for w in ws),
        "codes": codes,
        "last_states": lasts,
        "ok_with_final": sum(w.code == "OK" and w.last == final for w in ws),
        "messages": sum(w.n for w in ws),
        "errors": errs[:5],
    }


async def watch(a):
    root = token("root", os.environ["E2E_ROOT_PW"])
    chw, chu = channel(), channel()  # the watchers' channel; the uploader's
    mw, mu = mcs(chw), mcs(chu)
    out = {"watchers": a.watchers}

    newest = lambda: (R.cmd("ZRANGE", "st:jobs:root", -1, -1) or [b""])[0].decode()
    before = newest()
    up = mu["upload"](metadata=root, timeout=a.deadline)
    await write(up, header("@~/streams/watched-%s.bin" % a.tag, wait=False, has_size=True,
                           size=a.mib * MIB, overwrite=True))
    await write(up, sc.pb.UploadFileRequest(chunk=os.urandom(MIB)))
    up_end = asyncio.ensure_future(call_end(up))
    job, t0 = before, time.monotonic()
    while job == before and time.monotonic() - t0 < 10:
        await asyncio.sleep(0.02)
        job = newest()
    out["job"] = job
    state = ""
    while time.monotonic() - t0 < 20:
        state = (R.cmd("HGET", "st:job:" + job, "state") or b"").decode()
        if state != "QUEUED":
            break
        await asyncio.sleep(0.05)
    out["job_state_before"] = state

    t0 = time.monotonic()
    ws = [Watcher() for _ in range(a.watchers)]
    tasks = [asyncio.ensure_future(watch_one(mw, root, job, a.deadline, w, t0)) for w in ws]
    while time.monotonic() - t0 < a.attach_timeout:
        if all(w.first is not None or t.done() for w, t in zip(ws, tasks)):
            break
        await asyncio.sleep(0.05)
    out["attach_ms"] = ms(t0)
    out["attached"] = sum(w.first is not None for w in ws)
    out["attached_running"] = sum(w.first is not None and w.first not in sc.TERMINAL for w in ws)
    out["ended_early"] = sum(t.done() for t in tasks)
    firsts = [w.first_ms for w in ws if w.first_ms is not None]
    out["first_ms_max"] = max(firsts) if firsts else None

    # unary calls beside the open streams
    out["health"], out["getjob"] = await asyncio.gather(
        health(mw, a.probe_deadline), get_job(mw, root, job, a.probe_deadline))

    extra_ws, extra_tasks = [], []
    if a.extra:
        t1 = time.monotonic()
        extra_ws = [Watcher() for _ in range(a.extra)]
        extra_tasks = [asyncio.ensure_future(watch_one(mw, root, job, a.deadline, w, t1))
                       for w in extra_ws]
        while time.monotonic() - t1 < 10:
            if all(w.first is not None or t.done() for w, t in zip(extra_ws, extra_tasks)):
                break
            await asyncio.sleep(0.05)
        refused = [w for w, t in zip(extra_ws, extra_tasks) if t.done() and w.first is None]
        out["extra"] = {
            "tried": a.extra,
            "accepted": sum(w.first is not None for w in extra_ws),
            "refused": len(refused),
            "refused_codes": sorted(set(w.code for w in refused)),
            "refused_details": sorted(set(w.details for w in refused))[:3],
        }
        # at server.max_streams: readiness says so, liveness does not
        out["saturated_ready"], out["saturated_live"] = await asyncio.gather(
            health(mw, a.probe_deadline, "stage.v1.StageService"), health(mw, a.probe_deadline))
        if a.http:
            try:
                urllib.request.urlopen("http://%s/readyz" % a.http, timeout=a.probe_deadline)
                out["saturated_readyz"] = 200
            except urllib.error.HTTPError as e:
                out["saturated_readyz"] = e.code

    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            json.dump({"attached_running": out["attached_running"]}, f)
        os.rename(a.ready + ".tmp", a.ready)
    if a.go:
        t1 = time.monotonic()
        while not os.path.exists(a.go) and time.monotonic() - t1 < 60:
            await asyncio.sleep(0.05)
        out["open_after_go"] = sum(not t.done() for t in tasks)

    # the rest of the upload; the job ends
    sent = 1
    for _ in range(a.mib - 1):
        if not await write(up, sc.pb.UploadFileRequest(chunk=os.urandom(MIB))):
            break
        sent += 1
        await asyncio.sleep(0.02)
    try:
        await up.done_writing()
    except Exception:
        pass
    out["upload_mib_sent"] = sent
    out["upload_call"] = "%s %s" % await up_end
    final, t1 = "", time.monotonic()
    while time.monotonic() - t1 < 30:
        r = await get_job(mu, root, job, 5)
        final = r.get("state", r["code"])
        if final in sc.TERMINAL:
            break
        await asyncio.sleep(0.1)
    if final not in sc.TERMINAL:
        r = await unary(mu["cancel"], sc.pb.CancelJobRequest(job_id=job), root, 5)
        out["cancelled"] = r["code"]
        await asyncio.sleep(0.5)
        r = await get_job(mu, root, job, 5)
        final = r.get("state", r["code"])
    out["final"] = final
    out["end_ms"] = ms(t0)

    await asyncio.wait(tasks + extra_tasks, timeout=a.deadline)
    for t in tasks + extra_tasks:
        t.cancel()
    await asyncio.gather(*tasks, *extra_tasks, return_exceptions=True)
    out["result"] = tally(ws, final)
    if a.extra:
        out["extra"]["result"] = tally([w for w in extra_ws if w.first is not None], final)
    await chw.close()
    await chu.close()
    return out


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("idle")
    s.add_argument("--streams", type=int, default=16)
    s.add_argument("--deadline", type=float, default=30)
    s.add_argument("--probe-deadline", type=float, default=2)
    s.add_argument("--http", help="host:port of the frontend's HTTP listener (/readyz)")
    s.add_argument("--existing-job", required=True)
    s = sub.add_parser("watch")
    s.add_argument("--watchers", type=int, default=1000)
    s.add_argument("--mib", type=int, default=4)
    s.add_argument("--extra", type=int, default=0)
    s.add_argument("--tag", default="w")
    s.add_argument("--ready")
    s.add_argument("--go")
    s.add_argument("--deadline", type=float, default=60)
    s.add_argument("--attach-timeout", type=float, default=20)
    s.add_argument("--probe-deadline", type=float, default=2)
    s.add_argument("--http", help="host:port of the frontend's HTTP listener (/readyz)")
    a = p.parse_args()
    out = asyncio.run(idle(a) if a.cmd == "idle" else watch(a))
    print(json.dumps(out, sort_keys=True), flush=True)


if __name__ == "__main__":
    sys.exit(main())
