"""Writes the fuzz targets' seed corpora into seeds/<target>/ from the test vectors of the
wire spec (DUBBO_WIRE.md §1.5, §4.3) and the project's own example configurations.

    python3 fuzz/make_seeds.py
"""

import os
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def hs(text):
    """A Hessian 2 string (compact form for up to 31 bytes, else 0x30-0x33 or S)."""
    raw = text.encode()
    n = len(text)
    if n < 32:
        return bytes([n]) + raw
    if n < 1024:
        return bytes([0x30 + (n >> 8), n & 0xFF]) + raw
    return b"S" + struct.pack(">H", n) + raw


def frame(flag, status, rid, body):
    return b"\xda\xbb" + bytes([flag, status]) + struct.pack(">qI", rid, len(body)) + body


def request_body(method="sayHello", arg="world"):
    iface = "org.apache.dubbo.demo.DemoService"
    return (hs("2.0.2") + hs(iface) + hs("0.0.0") + hs(method) + hs("Ljava/lang/String;")
            + hs(arg) + b"H" + hs("path") + hs(iface) + hs("interface") + hs(iface)
            + hs("version") + hs("0.0.0") + hs("timeout") + hs("3000") + b"Z")


VALUE_RESPONSE = bytes.fromhex("94") + hs("Hello world") + b"H" + hs("dubbo") + hs("2.0.2") + b"Z"
EXCEPTION_RESPONSE = bytes.fromhex(
    "93431a6a6176612e6c616e672e52756e74696d65457863657074696f6e94"
    "147375707072657373656445786365707469"
    "6f6e730a737461636b547261636505636175"
    "73650d64657461696c4d657373616765"
    "60701f6a6176612e7574696c2e436f6c6c656374696f6e7324456d7074794c697374"
    "701c5b6a6176612e6c616e672e537461636b5472616365456c656d656e74"
    "519004626f6f6d"
    "4805647562626f05322e302e325a"
)


def pb_field(number, payload):
    """A length-delimited protobuf field."""
    key = (number << 3) | 2
    out = bytearray([key])
    n = len(payload)
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes(out) + payload


def grpc(message, compressed=False):
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(message)) + message


def write(target, name, data):
    folder = HERE / "seeds" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def main():
    heartbeat = bytes.fromhex("dabbe20000000000000000050000000" + "14e")
    heartbeat_response = bytes.fromhex("dabb2214000000000000000700000001" + "4e")
    request = frame(0xC2, 0, 1, request_body())
    value = frame(0x02, 20, 1, VALUE_RESPONSE)
    exception = frame(0x02, 20, 2, EXCEPTION_RESPONSE)
    error = frame(0x02, 70, 3, hs("service not found"))
    # dubbo_frames: the first byte picks the chunk size.
    write("dubbo_frames", "heartbeat", b"\x0f" + heartbeat)
    write("dubbo_frames", "heartbeat_response", b"\x00" + heartbeat_response)
    write("dubbo_frames", "request", b"\x07" + request)
    write("dubbo_frames", "responses", b"\x3f" + value + exception + error)
    write("dubbo_frames", "pipelined", b"\x20" + request + heartbeat + request)
    # dubbo_bodies: request body alone, and status byte + response body.
    write("dubbo_bodies", "request", request_body())
    write("dubbo_bodies", "value", b"\x14" + VALUE_RESPONSE)
    write("dubbo_bodies", "exception", b"\x14" + EXCEPTION_RESPONSE)
    write("dubbo_bodies", "error", b"\xc8" + hs("boom"))
    # triple_frames: mode byte (bit 0: gzip, the rest: chunk size) + gRPC messages whose
    # contents are wrapper-mode requests/responses (serializeType, args, argTypes).
    wrapped_request = (pb_field(1, b"hessian2") + pb_field(2, hs("world"))
                       + pb_field(3, b"java.lang.String"))
    wrapped_response = pb_field(1, b"hessian2") + pb_field(2, hs("Hello, world"))
    write("triple_frames", "request", b"\x0e" + grpc(wrapped_request))
    write("triple_frames", "stream", b"\x40" + grpc(wrapped_request) + grpc(wrapped_response)
          + grpc(b""))
    import gzip
    write("triple_frames", "gzip", b"\x03" + grpc(gzip.compress(wrapped_response), True))
    # triple_headers: name: value lines.
    write("triple_headers", "request",
          b"content-type:application/grpc+proto\ngrpc-encoding:gzip\ngrpc-timeout:3000m\n"
          b"tri-service-version:1.0.0\ntri-consumer-appname:demo\ntraceparent:"
          b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\nx-user:a%20b\n"
          b"x-bin-bin:AAEC\n")
    write("triple_headers", "trailers",
          b"grpc-status:13\ngrpc-message:boom%20%E2%9C%93\nx-answer:42\n")
    # url_parse: URLs as registries store them.
    urls = [
        "dubbo://127.0.0.1:20880/org.apache.dubbo.samples.api.GreeterService?anyhost=false"
        "&application=quickstart&dubbo=2.0.2&interface=org.apache.dubbo.samples.api."
        "GreeterService&methods=add,echo&side=provider&version=1.0.0",
        "zookeeper://127.0.0.1:2181/org.apache.dubbo.registry.RegistryService?backup="
        "10.0.0.1:2181,10.0.0.2:2181&timeout=3000",
        "tri://[::1]:50051/greet.GreetService?serialization=protobuf&group=g%20x",
        "consumer://10.1.2.3/com.example.Svc?category=consumers&check=false",
        "empty://0.0.0.0/com.example.Svc?category=providers",
    ]
    for i, url in enumerate(urls):
        write("url_parse", f"url{i}", url.encode())
    # config_toml: the example configurations.
    for path in sorted((ROOT / "examples" / "config").glob("*.toml")):
        write("config_toml", path.name, path.read_bytes())


if __name__ == "__main__":
    main()
