#!/usr/bin/env python3
"""The conformance suite's subprocess protocol around ``migrate.Service``.

Run by the suite, not by hand:

    migrate-conformance check --target "cmd:python3 conformance/examples/python/adapter.py"

The protocol (conformance/TARGETS.md, "Subprocess protocol"): one JSON object per line on
standard input, exactly one answer line on standard output for each.

    {"op":"capabilities"}                          -> the capabilities
    {"op":"load_world","world":{...}}              -> {"ok":true} or {"error":"why"}
    {"op":"call","body_base64":"...","now":N|null} -> {"status":200,"body_base64":"..."}
                                                      or {"error":"why"}

This file is the only one that knows about the suite. It turns the suite's world into the
service's ``Project`` and a UserInfo client that answers from the world's directory, and it
passes each request's raw bytes and clock through unchanged. Standard output belongs to the
protocol: log to standard error.

Options: ``--key PEM`` signs with another RSA private key (default: ``example-key.pem`` beside
this file, a test key); ``--kid KID`` sets its key id (default: its RFC 7638 thumbprint).
"""

import base64
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import migrate  # noqa: E402  (the implementation)
from rs256 import Signer  # noqa: E402

# The profile this implementation declares: every flag of model/SPEC.md section 2 at its
# default. The suite judges the implementation under exactly these choices; change one here
# only together with the code that implements it.
PROFILE = {
    "reserved-claims": "ignore",
    "claims-size-measure": "jcs",
    "claims-size-limit": "4096",
    "claims-without-duration": "apply",
    "null-duration": "absent",
    "zero-duration": "invalid",
    "integral-float": "bad_request",
    "int32-overflow": "invalid_session_duration_minutes",
    "default-above-project-max": "cap",
    "duplicate-keys": "last-wins",
    "number-precision": "double",
    "lone-surrogate": "bad_request",
    "org-lookup-order": "id-slug-external",
    "slug-case": "exact",
    "email-case": "ascii-insensitive",
    "member-status": "active-pending-invited",
    "unverified-email": "accept",
    "empty-object-after-delete": "keep",
    "nesting-limit": "128",
    "error-precedence": "evaluation-order",
}


class WorldUserInfo:
    """A UserInfo client answering from the world's directory (the suite's stand-in for the
    project's external OIDC UserInfo endpoint)."""

    def __init__(self, directory):
        self.directory = directory

    def fetch(self, session_token):
        reply = self.directory.get(session_token)
        if reply is None:  # a token the endpoint does not know: 401, as a real one answers
            return 401, b'{"error":"invalid_token"}'
        if reply == "unreachable":
            raise migrate.UserInfoUnreachable(session_token)
        http = reply["http"]
        body = http["body"]
        if "raw" in body:  # bytes, for bodies that are not (valid) JSON
            data = bytes(body["raw"])
        else:  # a JSON value, compact
            data = json.dumps(body["json"], ensure_ascii=False, separators=(",", ":")).encode()
        return http["status"], data


def project_from_world(world):
    """The service's ``Project`` from the suite's world (``migrate_model::World`` as JSON)."""
    organizations = [
        migrate.Organization(
            o["organization_id"], o["slug"], o.get("external_id"), o.get("name", ""),
            [migrate.Member(m["member_id"], m["email"], m["status"], m.get("roles", []),
                            m.get("name", ""))
             for m in o.get("members", [])])
        for o in world.get("organizations", [])
    ]
    return migrate.Project(world["project_id"], world["project_max_session_minutes"],
                           world.get("claims_template", {}), organizations)


class Adapter:
    def __init__(self, signer):
        self.signer = signer
        self.service = None

    def capabilities(self):
        # controllable_clock: the service takes `now` from the suite (vectors need it).
        # jwks: the suite verifies every session_jwt's RS256 signature against it.
        return {"controllable_clock": True, "profile": PROFILE, "jwks": self.signer.jwks()}

    def load_world(self, world):
        userinfo = WorldUserInfo(world.get("userinfo", {}))
        self.service = migrate.Service(project_from_world(world), userinfo, self.signer)
        return {"ok": True}

    def call(self, body_base64, now):
        if self.service is None:
            return {"error": "call before load_world"}
        body = base64.b64decode(body_base64, validate=True)
        status, answer = self.service.migrate(body, int(time.time()) if now is None else now)
        return {"status": status, "body_base64": base64.b64encode(answer).decode("ascii")}

    def handle(self, request):
        op = request.get("op")
        if op == "capabilities":
            return self.capabilities()
        if op == "load_world":
            return self.load_world(request["world"])
        if op == "call":
            return self.call(request["body_base64"], request.get("now"))
        return {"error": "unknown op %r" % (op,)}


def main(argv):
    key, kid = os.path.join(HERE, "example-key.pem"), None
    args = list(argv)
    while args:
        flag = args.pop(0)
        if flag in ("--key", "--kid") and args:
            if flag == "--key":
                key = args.pop(0)
            else:
                kid = args.pop(0)
        else:
            sys.stderr.write("usage: adapter.py [--key PEM] [--kid KID]\n")
            return 2
    adapter = Adapter(Signer.from_file(key, kid))
    out = sys.stdout
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            answer = adapter.handle(json.loads(line))
        except Exception as e:  # a bug: fail the case with the reason, keep serving
            traceback.print_exc(file=sys.stderr)
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(answer, separators=(",", ":")) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
