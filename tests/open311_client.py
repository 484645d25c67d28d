"""Open311 GeoReport v2 as an existing client library reads it: the PyPI `georeport` client
(it only reads) against a running gridhub with the demo data, in JSON and in XML; the request
is filed with plain HTTP, form-urlencoded, as the specification says. scripts/fuzz-api runs it.

    python open311_client.py BASE_URL SYSTEM_ADMIN_TOKEN
"""

import json
import sys
import urllib.parse
import urllib.request

from georeport import GeoReport

base, token = sys.argv[1], sys.argv[2]


def call(method, path, body=None, form=None):
    headers = {"authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data, headers["content-type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data, headers["content-type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req) as res:
        return json.loads(res.read())


district = call("GET", "/api/v1/districts")["items"][0]
key = call("POST", "/api/v1/open311/keys", {"name": "georeport client check", "district_id": district["id"]})["api_key"]
somewhere = call("GET", "/api/v1/cases?limit=1")["items"][0]

root = base + "/open311/v2"
services = GeoReport(root).get_service_list()
codes = [s["service_code"] for s in services]
assert "SJ0502" in codes, codes[:10]
assert GeoReport(root).get_service_definition("SJ0502")["service_code"] == "SJ0502"

made = call(
    "POST",
    "/open311/v2/requests.json",
    form={
        "api_key": key,
        "service_code": "SJ0502",
        "lat": somewhere["lat"],
        "long": somewhere["lng"],
        "description": "店外摆摊占道（georeport 客户端检查）",
        "phone": "13900002222",
    },
)
rid = made[0]["service_request_id"]

for fmt in ("json", "xml"):
    client = GeoReport(root, jurisdiction=district["code"], output_format=fmt)
    listed = client.get_service_requests(service_request_id=rid)
    listed = listed if isinstance(listed, list) else [listed]  # xmltodict gives one request as a dict
    assert [r["service_request_id"] for r in listed] == [rid], (fmt, listed)
    one = client.get_service_request(rid)
    assert one["status"] == "open" and one["service_code"] == "SJ0502", (fmt, one)
    assert one["requested_datetime"].endswith("+08:00"), (fmt, one)
    assert "13900002222" not in json.dumps(one, ensure_ascii=False), "contacts are staff's only"
    if fmt == "xml":
        assert GeoReport(root, output_format="xml").get_service_list()[0]["service_code"], "services in XML"
print("georeport client: services, a service definition and requests read as JSON and XML")
