"""WeChat's jscode2session, faked for scripts/fuzz-api: a real HTTP server on 127.0.0.1 (the
port is the first argument). A login code of even length names a user (its openid derived from
the code); one of odd length is refused as WeChat refuses an invalid code (errcode 40029)."""

import hashlib
import http.server
import json
import sys
import urllib.parse


class WeChat(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        code = query.get("js_code", [""])[0]
        if len(code) % 2:
            answer = {"errcode": 40029, "errmsg": "invalid code"}
        else:
            openid = "fuzz-" + hashlib.sha256(code.encode()).hexdigest()[:24]
            answer = {"openid": openid, "session_key": "not-used"}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), WeChat).serve_forever()
