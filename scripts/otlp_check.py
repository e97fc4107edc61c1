#!/usr/bin/env python3
"""Checks an archsim OTLP/JSON trace file with the official OpenTelemetry protobuf
definitions (the `opentelemetry-proto` package): every line must parse strictly as a
`TracesData` message (unknown fields refused), and every trace must have the right shape.

OTLP/JSON writes trace and span ids as hex strings where the protobuf JSON mapping expects
base64; as the OpenTelemetry Collector does, ids are turned from hex into base64 before
parsing (a malformed id fails there).

usage: otlp_check.py TRACES.jsonl RESULT.json SAMPLE
"""
import base64
import json
import sys

from google.protobuf import json_format
from opentelemetry.proto.trace.v1 import trace_pb2


def hex_to_b64(obj):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                want = 32 if k == "traceId" else 16
                assert len(v) == want and all(c in "0123456789abcdef" for c in v), (k, v)
                out[k] = base64.b64encode(bytes.fromhex(v)).decode()
            else:
                out[k] = hex_to_b64(v)
        return out
    if isinstance(obj, list):
        return [hex_to_b64(x) for x in obj]
    return obj


def main():
    path, result_path, sample = sys.argv[1], sys.argv[2], float(sys.argv[3])
    result = json.load(open(result_path))
    traces = 0
    kept = {"sampled": 0, "failed": 0, "slowest": 0}
    max_ok_ns = 0
    for n, line in enumerate(open(path), 1):
        msg = trace_pb2.TracesData()
        json_format.Parse(json.dumps(hex_to_b64(json.loads(line))), msg)
        spans = []
        for rs in msg.resource_spans:
            names = [a.value.string_value for a in rs.resource.attributes if a.key == "service.name"]
            assert len(names) == 1 and names[0], f"line {n}: a resource without service.name"
            for ss in rs.scope_spans:
                for s in ss.spans:
                    spans.append((names[0], s))
        trace_ids = {s.trace_id for _, s in spans}
        assert len(trace_ids) == 1 and len(next(iter(trace_ids))) == 16, f"line {n}: trace ids"
        roots = [s for _, s in spans if not s.parent_span_id]
        assert len(roots) == 1, f"line {n}: {len(roots)} roots"
        by_id = {s.span_id: s for _, s in spans}
        assert len(by_id) == len(spans), f"line {n}: duplicate span ids"
        for svc, s in spans:
            assert len(s.span_id) == 8
            assert s.end_time_unix_nano >= s.start_time_unix_nano, f"line {n}: negative span"
            if s.parent_span_id:
                p = by_id.get(s.parent_span_id)
                assert p is not None, f"line {n}: {svc} has no parent in the trace"
                assert p.start_time_unix_nano <= s.start_time_unix_nano, f"line {n}: {svc} starts before its parent"
                assert s.end_time_unix_nano <= p.end_time_unix_nano, f"line {n}: {svc} ends after its parent"
            for e in s.events:
                assert s.start_time_unix_nano <= e.time_unix_nano <= s.end_time_unix_nano
        root = roots[0]
        attrs = {a.key: a.value for a in root.attributes}
        why = attrs["archsim.kept"].string_value
        kept[why] += 1
        failed = root.status.code == trace_pb2.Status.STATUS_CODE_ERROR
        if why == "failed":
            assert failed, f"line {n}: kept as failed without an error status"
        # The entry calls (children of the root) are the request's attempts: numbered from 1
        # to its attempts, one call each, and the last one ends at the request's end or
        # before (its reply still crosses the network).
        dur = root.end_time_unix_nano - root.start_time_unix_nano
        kids = [s for _, s in spans if s.parent_span_id == root.span_id]
        attempts = attrs["archsim.attempts"].int_value
        numbers = [
            {a.key: a.value for a in k.attributes}["archsim.attempt"].int_value for k in kids
        ]
        assert all(1 <= a <= attempts for a in numbers), f"line {n}: attempts {numbers} of {attempts}"
        assert len(set(numbers)) == len(numbers), f"line {n}: two calls for one attempt"
        if not failed:
            assert attempts in numbers, f"line {n}: the answering attempt is missing"
            last = kids[numbers.index(attempts)]
            assert last.end_time_unix_nano - last.start_time_unix_nano <= dur
        if not failed:
            max_ok_ns = max(max_ok_ns, dur)
        traces += 1
    generated = result["requests"]["generated"]
    # Head sampling keeps about `sample` of the requests (5 standard deviations).
    want = sample * generated
    sd = (generated * sample * (1 - sample)) ** 0.5
    assert abs(kept["sampled"] - want) <= 5 * sd + 1, (kept, want)
    # Tail sampling keeps the slowest request: no success is slower than the slowest kept.
    max_ms = result["latency_ms"]["max"]
    assert max_ms is None or max_ok_ns / 1e6 >= max_ms - 1e-6, (max_ok_ns / 1e6, max_ms)
    if result["requests"]["failed"] > 0:
        assert kept["failed"] > 0 or kept["sampled"] > 0
    print(f"otlp: {traces} traces decoded with opentelemetry-proto ({kept}); shapes ok")


main()
