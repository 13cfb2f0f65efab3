"""Stop this SageMaker notebook instance once Jupyter has been idle for --idle-seconds.

Installed inline by the on-start lifecycle script and run by cron every 5 minutes. Standard
library only and Python 3.7-compatible (the instance's /usr/bin/python3): the VPC has no
internet, so nothing can be downloaded. It asks the local Jupyter server for its sessions and
stops the instance through the SageMaker API, which the VPC reaches via its sagemaker.api
interface endpoint.
"""
import argparse
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from datetime import datetime

METADATA = "/opt/ml/metadata/resource-metadata.json"
SESSIONS_URL = "https://localhost:8443/api/sessions"


def parse_time(value):
    """Jupyter's ISO 8601 UTC timestamp (e.g. 2026-11-25T14:00:00.123456Z) as epoch seconds."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def idle_decision(sessions, now, idle_seconds, started_at):
    """(stop?, reason). Busy kernels keep it running; otherwise the newest activity counts, and
    the instance start time stands in when no notebook was ever opened."""
    if idle_seconds <= 0:
        raise ValueError("idle_seconds must be > 0 (got %r)" % (idle_seconds,))
    kernels = [s.get("kernel") or {} for s in sessions]
    if any(k.get("execution_state") == "busy" for k in kernels):
        return False, "a kernel is busy"
    activity = [parse_time(k["last_activity"]) for k in kernels if k.get("last_activity")]
    last = max(activity) if activity else started_at
    idle_for = now - last
    if idle_for >= idle_seconds:
        return True, "idle for %d s (limit %d s)" % (idle_for, idle_seconds)
    return False, "idle for %d s of %d s" % (idle_for, idle_seconds)


def notebook_identity(metadata):
    """(name, region) from the instance's resource metadata."""
    name = metadata.get("ResourceName")
    arn = metadata.get("ResourceArn", "")
    parts = arn.split(":")
    if not name or len(parts) < 6 or parts[2] != "sagemaker":
        raise ValueError("resource metadata has no notebook name/ARN (got %r)" % (metadata,))
    return name, parts[3]


def fetch_sessions():
    # The Jupyter server on the instance uses a self-signed certificate on localhost.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(SESSIONS_URL, context=context, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


def stop_instance(name, region):
    subprocess.run(["aws", "sagemaker", "stop-notebook-instance", "--notebook-instance-name", name, "--region", region],
                   check=True, env=dict(os.environ, PATH="/usr/local/bin:/usr/bin:/bin"))


def main(argv=None, fetch=fetch_sessions, stop=stop_instance, now=time.time, metadata_path=METADATA):
    p = argparse.ArgumentParser()
    p.add_argument("--idle-seconds", type=int, required=True)
    p.add_argument("--started-file", required=True, help="file whose mtime is when the instance started")
    args = p.parse_args(argv)
    with open(metadata_path, encoding="utf-8") as f:
        name, region = notebook_identity(json.load(f))
    decision, reason = idle_decision(fetch(), now(), args.idle_seconds, os.path.getmtime(args.started_file))
    print("%s: %s -> %s" % (name, reason, "stopping" if decision else "keep running"))
    if decision:
        stop(name, region)
    return 0


if __name__ == "__main__":
    sys.exit(main())
