"""A mock of NCMEC's CyberTipline reporting API for tests/e2e/tipline.sh.

It checks every call as the documented API would be used (Basic auth, the
method and path, bodies that validate against ward's schema with xmllint,
upload and fileinfo naming a report it issued and not yet finished, files
described before finish) and answers with the documented reportResponse and
response codes. A script of faults per path makes it fail on purpose:

    "ok"          answer normally
    ("code", N)   answer responseCode N and save nothing (1000, 1100, 4100, ...)
    "drop"        close the connection without reading the body or answering
                  (nothing saved: the call did not arrive)
    "502"         HTTP 502 with no reportResponse, nothing saved
    "502saved"    do the work, then HTTP 502 with no reportResponse (a gateway
                  lost the answer: the call did arrive)
    ("slow", S)   do the work, then wait S seconds before answering (the
                  client's timeout fires: it cannot know the call succeeded)

The ledger (reports, files, calls) is what "NCMEC" holds, so the test can
check that nothing was lost or received twice.
"""
import base64
import email.parser
import email.policy
import hashlib
import http.server
import itertools
import os
import re
import subprocess
import threading
import time
import urllib.parse


class Ledger:
    def __init__(self):
        self.reports = {}      # reportId -> {"xml", "files": {fileId: {...}}, "finished"}
        self.calls = []        # (path, outcome)
        self.errors = []       # protocol violations the mock saw
        self.ids = itertools.count(9000001)
        self.lock = threading.Lock()


def start(xsd_path, user, password, script):
    """Serve on a free loopback port; returns (server, port, ledger)."""
    ledger = Ledger()
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def validate(xml):
        p = subprocess.run(["xmllint", "--noout", "--schema", xsd_path, "-"], input=xml,
                           capture_output=True)
        return p.returncode == 0, p.stderr.decode(errors="replace")

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, code, http_status=200, **fields):
            extra = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
            body = ('<?xml version="1.0" encoding="UTF-8"?><reportResponse>'
                    f"<responseCode>{code}</responseCode><responseDescription>"
                    f"{'Success' if code == 0 else 'Failure ' + str(code)}"
                    f"</responseDescription>{extra}</reportResponse>").encode()
            self.send_response(http_status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def fault(self, path):
            with ledger.lock:
                steps = script.get(path)
                return steps.pop(0) if steps else "ok"

        def do_GET(self):
            if self.path.endswith("/status"):
                self.answer(0)
            else:
                self.send_error(404)

        def do_POST(self):
            path = "/" + self.path.rstrip("/").split("/")[-1]
            if self.headers.get("Authorization") != auth:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ledger.calls.append((path, "2000"))
                return self.answer(2000, 401)
            f = self.fault(path)
            if f == "drop":
                ledger.calls.append((path, "dropped"))
                self.close_connection = True
                self.connection.shutdown(2)
                return
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            if f == "502":
                ledger.calls.append((path, "502"))
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if isinstance(f, tuple) and f[0] == "code":
                ledger.calls.append((path, str(f[1])))
                return self.answer(f[1], 500 if f[1] < 2000 else 400)
            handler = {"/submit": self.h_submit, "/upload": self.h_upload,
                       "/fileinfo": self.h_fileinfo, "/finish": self.h_finish}.get(path)
            if not handler:
                return self.answer(4000, 404)
            fields = handler(body)
            if isinstance(f, tuple) and f[0] == "slow":
                time.sleep(f[1])
            if f == "502saved":
                ledger.calls.append((path, "502 after saving"))
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            try:
                code = fields.pop("code", 0)
                self.answer(code, 200 if code == 0 else 400, **fields)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: it does not know what happened

        def bad(self, path, why):
            ledger.errors.append(f"{path}: {why}")
            ledger.calls.append((path, "4000"))
            return {"code": 4000}

        def h_submit(self, body):
            if "xml" not in self.headers.get("Content-Type", ""):
                return self.bad("/submit", "Content-Type " + self.headers.get("Content-Type"))
            ok, why = validate(body)
            if not ok:
                return self.bad("/submit", "does not validate: " + why)
            with ledger.lock:
                rid = str(next(ledger.ids))
                ledger.reports[rid] = {"xml": body.decode(), "files": {}, "finished": False}
            ledger.calls.append(("/submit", "0"))
            return {"reportId": rid}

        def h_upload(self, body):
            ctype = self.headers.get("Content-Type", "")
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            parts = {p.get_param("name", header="content-disposition"): p
                     for p in msg.iter_parts()} if msg.is_multipart() else {}
            if "id" not in parts or "file" not in parts:
                return self.bad("/upload", "expected multipart id + file")
            rid = parts["id"].get_content().strip()
            data = parts["file"].get_payload(decode=True)
            with ledger.lock:
                rep = ledger.reports.get(rid)
                if not rep:
                    ledger.calls.append(("/upload", "5001"))
                    return {"code": 5001}
                if rep["finished"]:
                    ledger.calls.append(("/upload", "5102"))
                    return {"code": 5102}
                fid = "f" + str(next(ledger.ids))
                rep["files"][fid] = {"bytes": data, "name": parts["file"].get_filename(),
                                     "details": None}
            ledger.calls.append(("/upload", "0"))
            return {"reportId": rid, "fileId": fid, "hash": hashlib.md5(data).hexdigest()}

        def h_fileinfo(self, body):
            ok, why = validate(body)
            if not ok:
                return self.bad("/fileinfo", "does not validate: " + why)
            text = body.decode()
            rid = re.search(r"<reportId>([^<]*)</reportId>", text).group(1)
            fid = re.search(r"<fileId>([^<]*)</fileId>", text).group(1)
            with ledger.lock:
                rep = ledger.reports.get(rid)
                if not rep or fid not in rep["files"]:
                    ledger.calls.append(("/fileinfo", "5002"))
                    return {"code": 5002 if rep else 5001}
                rep["files"][fid]["details"] = text
            ledger.calls.append(("/fileinfo", "0"))
            return {"reportId": rid}

        def h_finish(self, body):
            form = urllib.parse.parse_qs(body.decode())
            rid = form.get("id", [""])[0]
            with ledger.lock:
                rep = ledger.reports.get(rid)
                if not rep:
                    ledger.calls.append(("/finish", "5001"))
                    return {"code": 5001}
                if rep["finished"]:
                    ledger.calls.append(("/finish", "5102"))
                    return {"code": 5102}
                if any(f["details"] is None for f in rep["files"].values()):
                    return self.bad("/finish", f"report {rid} has a file without fileinfo")
                rep["finished"] = True
            ledger.calls.append(("/finish", "0"))
            return {"reportId": rid, "fileIds": "".join(rep["files"])}

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1], ledger
