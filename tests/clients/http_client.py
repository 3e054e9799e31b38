"""One HTTP request (or two on one connection) with Python's standard
library, for tests/client_words.rs: prints one line, `no error: status S, N body
bytes` or `TYPE: MESSAGE`, the words a program using http.client (and
urllib.request, built on it) sees.

usage: http_client.py PORT [--race] [--upload N] [--pause SECONDS]
"""
import http.client
import sys
import time


def main():
    port = int(sys.argv[1])
    race = "--race" in sys.argv
    upload = int(sys.argv[sys.argv.index("--upload") + 1]) if "--upload" in sys.argv else 0
    pause = float(sys.argv[sys.argv.index("--pause") + 1]) if "--pause" in sys.argv else 0.0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for path in (["/first", "/second"] if race else ["/"]):
            if upload:
                conn.request("POST", path, body=b"u" * upload)
            else:
                conn.request("GET", path)
            resp = conn.getresponse()
            time.sleep(pause)
            body = resp.read()
        print(f"no error: status {resp.status}, {len(body)} body bytes")
    except Exception as e:  # the words are the point: print whatever it is
        print(f"{type(e).__name__}: {e}")


main()
