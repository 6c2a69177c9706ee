"""An independent dubbo2 client over TLS: Python's ssl module around a dubbo2 request frame
built by hand (magic 0xdabb, Hessian 2 body), as the wire reference describes it.

dubbo_tls_client.py --host 127.0.0.1 --port N --ca ca.crt [--cert c.crt --key c.key]
    --interface I --version V --method sayHello --arg world

Prints one JSON object: {"ok": <string result>} or {"error": "<why>"}.
"""

import argparse
import json
import socket
import ssl
import struct


def h_str(s):
    """A Hessian 2 string (the compact forms for fewer than 1024 characters)."""
    b = s.encode("utf-8")
    n = len(s)
    if n < 32:
        return bytes([n]) + b
    if n < 1024:
        return bytes([0x30 + (n >> 8), n & 0xFF]) + b
    return b"S" + struct.pack(">H", n) + b


def request(interface, version, method, arg):
    body = b"".join([
        h_str("2.0.2"),
        h_str(interface),
        h_str(version),
        h_str(method),
        h_str("Ljava/lang/String;"),
        h_str(arg),
        b"H",
        h_str("path"), h_str(interface),
        h_str("interface"), h_str(interface),
        h_str("version"), h_str(version),
        b"Z",
    ])
    # magic, flag (request | two-way | hessian2 = 2), status, id, body length
    header = b"\xda\xbb" + bytes([0x80 | 0x40 | 2, 0]) + struct.pack(">qI", 7, len(body))
    return header + body


def read_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        out += chunk
    return out


def read_h_str(body, i):
    """Reads a Hessian 2 string at body[i]; returns (string, next index)."""
    tag = body[i]
    if tag < 0x20:
        n, i = tag, i + 1
    elif 0x30 <= tag <= 0x33:
        n, i = ((tag - 0x30) << 8) | body[i + 1], i + 2
    elif tag == ord("S"):
        n, i = struct.unpack(">H", body[i + 1:i + 3])[0], i + 3
    else:
        raise ValueError("not a string: tag 0x%02x" % tag)
    # Hessian counts characters; the greeting is ASCII here, so bytes = characters.
    return body[i:i + n].decode("utf-8"), i + n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--interface", required=True)
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--method", default="sayHello")
    p.add_argument("--arg", default="world")
    a = p.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca)
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    try:
        with socket.create_connection((a.host, a.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=a.host) as tls:
                tls.sendall(request(a.interface, a.version, a.method, a.arg))
                head = read_exact(tls, 16)
                if head[:2] != b"\xda\xbb":
                    raise ValueError("bad magic in the answer")
                status = head[3]
                (length,) = struct.unpack(">I", head[12:16])
                body = read_exact(tls, length)
                if status != 20:
                    raise ValueError("status %d: %r" % (status, body[:200]))
                kind = body[0] - 0x90  # a compact Hessian int: the response type
                if kind not in (1, 4):
                    raise ValueError("response type %d" % kind)
                value, _ = read_h_str(body, 1)
                print(json.dumps({"ok": value, "tls": tls.version()}), flush=True)
    except (OSError, ValueError, ssl.SSLError) as e:
        print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}), flush=True)


if __name__ == "__main__":
    main()
