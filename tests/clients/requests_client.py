"""The same requests as http_client.py through `requests` (a Session, so
the race reuses its pooled connection); prints `no error: status S, N body
bytes` or `TYPE: MESSAGE`.

usage: requests_client.py PORT [--race] [--upload N] [--pause SECONDS]
"""
import sys
import time

import requests


def main():
    port = int(sys.argv[1])
    race = "--race" in sys.argv
    upload = int(sys.argv[sys.argv.index("--upload") + 1]) if "--upload" in sys.argv else 0
    pause = float(sys.argv[sys.argv.index("--pause") + 1]) if "--pause" in sys.argv else 0.0
    s = requests.Session()
    try:
        for path in (["/first", "/second"] if race else ["/"]):
            url = f"http://127.0.0.1:{port}{path}"
            if upload:
                r = s.post(url, data=b"u" * upload, stream=True, timeout=10)
            else:
                r = s.get(url, stream=True, timeout=10)
            time.sleep(pause)
            body = r.content
        print(f"no error: status {r.status_code}, {len(body)} body bytes")
    except Exception as e:
        print(f"{type(e).__name__}: {e}")


main()
