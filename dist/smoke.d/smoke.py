"""The installed wheel against `enduco sandbox` (both from the wheel): OAuth flow, zones, plans,
upload, revoke. Run by dist/smoke inside a Debian 12 root without Rust or a C compiler."""
import http.client
import subprocess
import sys
import urllib.parse

import enduco

sandbox = subprocess.Popen(["enduco", "sandbox", "--port", "0"], stdout=subprocess.PIPE, text=True)
try:
    line = sandbox.stdout.readline().strip() if sandbox.stdout else ""
    assert line.startswith("listening on "), line
    url = line.removeprefix("listening on ")
    client = enduco.EnducoClient(
        "sandbox-client", "sandbox-secret", "https://app.example/callback", environment=url
    )
    request = client.authorization_request(["user_read", "plans_read", "workouts_write"])
    parts = urllib.parse.urlsplit(request.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", f"{parts.path}?{parts.query}")
    callback = conn.getresponse().getheader("Location")
    tokens = client.complete_authorization(request, callback)
    session = client.session(enduco.MemoryTokenStore(tokens))
    zones = session.intensity_zones()
    plans = session.upcoming_plans(7)
    result = session.upload_workout(sys.argv[1])
    session.revoke()
    print(f"python smoke: user {zones.user_id}, {len(zones.zones)} zone tables, "
          f"{len(plans)} planned workouts, upload {result.id} ({result.status}), revoked")
finally:
    sandbox.terminate()
    sandbox.wait()
