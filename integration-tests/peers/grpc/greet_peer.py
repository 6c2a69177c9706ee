"""A grpcio peer for oxidubbo's Triple interop tests: the greet.GreetService of
examples/proto/greet.proto, as a server or as a client, built from that .proto at run time
(grpc_tools.protoc into a temporary folder), so that nothing here knows message names.

  python greet_peer.py server --proto greet.proto --port N
      serves the four methods on 127.0.0.1:N, prints "ready <port>", runs until stdin closes
  python greet_peer.py client --proto greet.proto --target 127.0.0.1:N [--names a,b,c]
         [--metadata key=value ...] [--timeout SECONDS]
      calls the four methods and prints one JSON object with what came back
  python greet_peer.py call --proto greet.proto --target 127.0.0.1:N --method M [--name x]
      one unary call; prints {"ok": ...} or {"code": "...", "details": "..."}

Semantics (issue #13): Greet -> "Hello, <name>"; GreetServerStream -> "Hello, <name> #1",
"#2", "#3"; GreetClientStream -> the names received joined by ","; GreetStream ->
"Hello, <name>" per request, in order. The server's Greet("boom") fails with
INVALID_ARGUMENT "boom requested: 100% sure + ünïcode".
"""

import argparse
import importlib
import json
import os
import sys
import tempfile
import threading
from concurrent import futures

import grpc
from grpc_tools import protoc
from google.protobuf import message_factory

SERVICE = "greet.GreetService"
# Greet(BOOM) fails with INVALID_ARGUMENT and this message (spaces, "%", "+" and non-ASCII
# test grpc-message's percent-encoding).
BOOM = "boom"
BOOM_MESSAGE = "boom requested: 100% sure + ünïcode"


def load(proto_path):
    """Compiles the .proto and returns the service descriptor."""
    proto_path = os.path.abspath(proto_path)
    out = tempfile.mkdtemp(prefix="greet-pb2-")
    include = os.path.dirname(proto_path)
    wkt = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    rc = protoc.main(["protoc", "-I" + include, "-I" + wkt, "--python_out=" + out, proto_path])
    if rc != 0:
        sys.exit("protoc failed on %s" % proto_path)
    sys.path.insert(0, out)
    module = importlib.import_module(os.path.splitext(os.path.basename(proto_path))[0] + "_pb2")
    return module.DESCRIPTOR.services_by_name[SERVICE.split(".")[-1]]


def cls(descriptor):
    return message_factory.GetMessageClass(descriptor)


def methods(service):
    return {m.name: (cls(m.input_type), cls(m.output_type)) for m in service.methods}


def serve(service, port):
    ms = methods(service)

    def greet(req, ctx):
        if req.name == BOOM:
            ctx.abort(grpc.StatusCode.INVALID_ARGUMENT, BOOM_MESSAGE)
        return ms["Greet"][1](greeting="Hello, " + req.name)

    def server_stream(req, ctx):
        for i in range(1, 4):
            yield ms["GreetServerStream"][1](greeting="Hello, %s #%d" % (req.name, i))

    def client_stream(it, ctx):
        return ms["GreetClientStream"][1](greeting=",".join(r.name for r in it))

    def bidi(it, ctx):
        for r in it:
            yield ms["GreetStream"][1](greeting="Hello, " + r.name)

    def h(kind, fn, name):
        req, resp = ms[name]
        return kind(fn, request_deserializer=req.FromString, response_serializer=resp.SerializeToString)

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Greet": h(grpc.unary_unary_rpc_method_handler, greet, "Greet"),
        "GreetServerStream": h(grpc.unary_stream_rpc_method_handler, server_stream, "GreetServerStream"),
        "GreetClientStream": h(grpc.stream_unary_rpc_method_handler, client_stream, "GreetClientStream"),
        "GreetStream": h(grpc.stream_stream_rpc_method_handler, bidi, "GreetStream"),
    })
    server = grpc.server(futures.ThreadPoolExecutor(8))
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    print("ready %d" % bound, flush=True)
    sys.stdin.read()  # until the test closes our stdin (or dies)
    server.stop(0)


def stub(channel, name, ms, kind):
    req, resp = ms[name]
    make = getattr(channel, kind)
    return make("/%s/%s" % (SERVICE, name), request_serializer=req.SerializeToString,
                response_deserializer=resp.FromString)


def channel(target, tls):
    """A plaintext channel, or with --ca a TLS one (ssl_channel_credentials, and the client
    certificate with --cert/--key) expecting the server certificate's name `localhost`."""
    if not tls.ca:
        return grpc.insecure_channel(target)
    read = lambda path: open(path, "rb").read() if path else None
    creds = grpc.ssl_channel_credentials(
        root_certificates=read(tls.ca), private_key=read(tls.key), certificate_chain=read(tls.cert))
    return grpc.secure_channel(target, creds, options=[("grpc.ssl_target_name_override", "localhost")])


def run_client(service, target, names, metadata, timeout, tls):
    ms = methods(service)
    out = {}
    with channel(target, tls) as ch:
        req = lambda m, n: ms[m][0](name=n)
        out["Greet"] = stub(ch, "Greet", ms, "unary_unary")(
            req("Greet", names[0]), metadata=metadata, timeout=timeout).greeting
        out["GreetServerStream"] = [r.greeting for r in stub(ch, "GreetServerStream", ms, "unary_stream")(
            req("GreetServerStream", names[0]), metadata=metadata, timeout=timeout)]
        out["GreetClientStream"] = stub(ch, "GreetClientStream", ms, "stream_unary")(
            iter([req("GreetClientStream", n) for n in names]), metadata=metadata, timeout=timeout).greeting
        out["GreetStream"] = [r.greeting for r in stub(ch, "GreetStream", ms, "stream_stream")(
            iter([req("GreetStream", n) for n in names]), metadata=metadata, timeout=timeout)]
    print(json.dumps(out), flush=True)


def run_call(service, target, method, name, metadata, timeout, tls):
    ms = methods(service)
    req_cls = ms.get(method, ms["Greet"])[0]
    resp_cls = ms.get(method, ms["Greet"])[1]
    with channel(target, tls) as ch:
        call = ch.unary_unary("/%s/%s" % (SERVICE, method), request_serializer=req_cls.SerializeToString,
                              response_deserializer=resp_cls.FromString)
        try:
            r = call(req_cls(name=name), metadata=metadata, timeout=timeout)
            print(json.dumps({"ok": r.greeting}), flush=True)
        except grpc.RpcError as e:
            print(json.dumps({"code": e.code().name, "details": e.details()}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["server", "client", "call"])
    p.add_argument("--proto", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--target")
    p.add_argument("--names", default="world")
    p.add_argument("--name", default="world")
    p.add_argument("--method", default="Greet")
    p.add_argument("--metadata", action="append", default=[])
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--ca", help="TLS: the CA bundle of the server's certificate")
    p.add_argument("--cert", help="TLS: the client certificate chain (mutual TLS)")
    p.add_argument("--key", help="TLS: the client certificate's key")
    a = p.parse_args()
    service = load(a.proto)
    metadata = [tuple(kv.split("=", 1)) for kv in a.metadata]
    if a.mode == "server":
        serve(service, a.port)
    elif a.mode == "client":
        run_client(service, a.target, a.names.split(","), metadata, a.timeout, a)
    else:
        run_call(service, a.target, a.method, a.name, metadata, a.timeout, a)


if __name__ == "__main__":
    main()
