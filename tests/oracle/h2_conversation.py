#!/usr/bin/python3
"""HTTP/2 conversations made by Python's h2 package (python3-h2), an
independent implementation, for wirelab's connection decoder (src/app/h2).

  h2_conversation.py NAME   prints JSON: {"chunks": [[dir, hex], ...],
                            "streams": {...}, "goaways": [...]}

`dir` is "c" (client to server) or "s"; chunks are in the order the bytes
were sent. `streams` and `goaways` say what the script asked h2 to send.
"""
import json
import sys

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings

chunks = []


def pump(client, server):
    """Moves bytes both ways until both sides are quiet."""
    while True:
        moved = False
        out = client.data_to_send()
        if out:
            chunks.append(["c", out.hex()])
            server.receive_data(out)
            moved = True
        out = server.data_to_send()
        if out:
            chunks.append(["s", out.hex()])
            client.receive_data(out)
            moved = True
        if not moved:
            return


def pair():
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    server = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, validate_inbound_headers=False))
    return client, server


def request(path, method="GET"):
    return [(":method", method), (":scheme", "http"), (":authority", "localhost"),
            (":path", path), ("user-agent", "h2-oracle")]


def respond(server, sid, status, body):
    server.send_headers(sid, [(":status", str(status)), ("content-length", str(len(body)))])
    while True:
        n = min(len(body), server.max_outbound_frame_size)
        server.send_data(sid, body[:n], end_stream=(n == len(body)))
        body = body[n:]
        if not body:
            return


def prior_knowledge():
    client, server = pair()
    client.initiate_connection()
    server.initiate_connection()
    pump(client, server)
    streams = {}
    for sid, path, status, body in [(1, "/a", 200, b"x" * 100), (3, "/b", 404, b"gone"),
                                    (5, "/big", 200, b"y" * 40000)]:
        client.send_headers(sid, request(path), end_stream=True)
        pump(client, server)
        respond(server, sid, status, body)
        pump(client, server)
        streams[sid] = {"method": "GET", "target": path, "status": status,
                        "request_complete": True, "response_complete": True,
                        "data": [0, len(body)], "reset": None}
    client.ping(b"12345678")
    pump(client, server)
    server.close_connection(last_stream_id=5)
    pump(client, server)
    return streams, [["s", 5, 0]]


def reset_and_post():
    client, server = pair()
    client.initiate_connection()
    server.initiate_connection()
    pump(client, server)
    client.send_headers(1, request("/upload", "POST"))
    client.send_data(1, b"z" * 1000)
    pump(client, server)
    server.reset_stream(1, error_code=h2.errors.ErrorCodes.REFUSED_STREAM)
    pump(client, server)
    client.send_headers(3, request("/slow"), end_stream=True)
    pump(client, server)
    client.reset_stream(3, error_code=h2.errors.ErrorCodes.CANCEL)
    pump(client, server)
    client.close_connection(error_code=h2.errors.ErrorCodes.PROTOCOL_ERROR, additional_data=b"bye")
    pump(client, server)
    return ({1: {"method": "POST", "target": "/upload", "status": None,
                 "request_complete": False, "response_complete": False,
                 "data": [1000, 0], "reset": ["s", 7]},
             3: {"method": "GET", "target": "/slow", "status": None,
                 "request_complete": True, "response_complete": False,
                 "data": [0, 0], "reset": ["c", 8]}},
            [["c", 0, 1]])


def big_headers():
    """A header list larger than one frame: HEADERS and CONTINUATIONs."""
    client, server = pair()
    client.initiate_connection()
    server.initiate_connection()
    pump(client, server)
    headers = request("/h") + [("x-filler-%d" % i, "v" * 200 + str(i)) for i in range(150)]
    client.send_headers(1, headers, end_stream=True)
    pump(client, server)
    respond(server, 1, 200, b"ok")
    pump(client, server)
    return ({1: {"method": "GET", "target": "/h", "status": 200,
                 "request_complete": True, "response_complete": True,
                 "data": [0, 2], "reset": None}}, [])


def upgrade():
    """h2c: the HTTP/1.1 request travels first, then both prefaces."""
    client, server = pair()
    settings = client.initiate_upgrade_connection()
    req = (b"GET /up HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n"
           b"Upgrade: h2c\r\nHTTP2-Settings: " + settings + b"\r\n\r\n")
    chunks.append(["c", req.hex()])
    chunks.append(["s", b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".hex()])
    server.initiate_upgrade_connection(settings)
    pump(client, server)
    respond(server, 1, 200, b"upgraded")
    pump(client, server)
    return ({1: {"method": "GET", "target": "/up", "status": 200,
                 "request_complete": True, "response_complete": True,
                 "data": [0, 8], "reset": None}}, [])


if __name__ == "__main__":
    streams, goaways = {"prior_knowledge": prior_knowledge, "reset_and_post": reset_and_post,
                        "big_headers": big_headers, "upgrade": upgrade}[sys.argv[1]]()
    print(json.dumps({"chunks": chunks, "streams": streams, "goaways": goaways}))
