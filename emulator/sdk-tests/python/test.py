#!/usr/bin/env python3
"""The official `stytch` Python SDK (unmodified, pinned in requirements.txt) against the
emulator over plain http. See ../README.md for why `environment=` (not `custom_base_url=`)
is used.

Env: EMULATOR_URL, STYTCH_PROJECT_ID, STYTCH_SECRET, MIGRATE_TOKEN, MIGRATE_EMAIL.
Prints one line per step; exits 1 on the first failure, 2 on the overall deadline.
"""
import datetime as dt
import os
import secrets
import signal
import sys
import warnings
from importlib.metadata import version

import requests

STEP_TIMEOUT = float(os.environ.get("STEP_TIMEOUT_SECONDS", "15"))
TOTAL_TIMEOUT = int(os.environ.get("TOTAL_TIMEOUT_SECONDS", "90"))


def _deadline(signum, frame):
    print(f"FAIL: overall deadline of {TOTAL_TIMEOUT} s passed", flush=True)
    os._exit(2)


signal.signal(signal.SIGALRM, _deadline)
signal.alarm(TOTAL_TIMEOUT)

# The SDK's requests calls pass no timeout (stytch/core/http/client.py); the client accepts a
# caller-made requests.Session (sync_session=), so give every request a default timeout there.
class TimeoutSession(requests.Session):
    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", STEP_TIMEOUT)
        return super().request(*args, **kwargs)


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def check(cond: bool, msg: str) -> None:
    if not cond:
        fail(msg)


def ok(msg: str) -> None:
    print(f"ok   {msg}", flush=True)


def env(name: str) -> str:
    v = os.environ.get(name)
    if not v:
        fail(f"environment variable {name} is not set")
    return v


# Imported after the helpers so that a missing install is reported as one clear line.
try:
    from stytch import B2BClient
    from stytch.core.response_base import StytchError
except Exception as e:  # noqa: BLE001
    fail(f"cannot import stytch: {e!r} (pip install -r requirements.txt)")


def describe(e: BaseException) -> str:
    if isinstance(e, StytchError):
        d = e.details
        return f"StytchError status_code={d.status_code} error_type={d.error_type} message={d.error_message}"
    return f"{type(e).__name__}: {e}"


def step(name, fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        fail(f"{name}: {describe(e)}")


def expect_stytch_error(name, fn, status: int, error_type: str) -> None:
    try:
        res = fn()
    except StytchError as e:
        d = e.details
        check(d.status_code == status, f"{name}: expected status_code {status}, got {d.status_code} ({d})")
        check(d.error_type == error_type, f"{name}: expected error_type {error_type}, got {d.error_type} ({d})")
        check(bool(d.request_id), f"{name}: error has no request_id")
        ok(f"{name}: StytchError {d.status_code} {d.error_type}")
        return
    except Exception as e:  # noqa: BLE001
        fail(f"{name}: expected StytchError, got {describe(e)}")
    fail(f"{name}: expected a StytchError, the call succeeded: {res!r}")


def seconds_between(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds()


BASE = env("EMULATOR_URL").rstrip("/") + "/"
PROJECT_ID = env("STYTCH_PROJECT_ID")
SECRET = env("STYTCH_SECRET")
MIGRATE_TOKEN = env("MIGRATE_TOKEN")
MIGRATE_EMAIL = env("MIGRATE_EMAIL")


def make_client(secret: str) -> "B2BClient":
    # `environment` other than "test"/"live" is returned as the base URL unchanged
    # (stytch/core/client_base.py _resolve_api_url); only custom_base_url must be https://.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = B2BClient(project_id=PROJECT_ID, secret=secret, environment=BASE,
                      sync_session=TimeoutSession())
    # The JWKS client is a jwt.PyJWKClient (urllib); its own timeout defaults to 30 s.
    c.jwks_client.timeout = STEP_TIMEOUT
    return c


client = make_client(SECRET)
check(client.api_base.base_url == BASE, f"client base URL is {client.api_base.base_url}, want {BASE}")
check(client.jwks_client.uri == f"{BASE}v1/b2b/sessions/jwks/{PROJECT_ID}",
      f"JWKS URL is {client.jwks_client.uri}")
ok(f"client: stytch-python {version('stytch')} -> {BASE}")

suffix = secrets.token_hex(4)
slug = f"sdk-python-{suffix}"
org_res = step("organizations.create", lambda: client.organizations.create(
    organization_name=f"SDK Python {suffix}", organization_slug=slug))
org = org_res.organization
check(org.organization_slug == slug, f"organizations.create: slug {org.organization_slug}, want {slug}")
ok(f"organizations.create: {org.organization_id} ({slug})")

mem_res = step("organizations.members.create", lambda: client.organizations.members.create(
    organization_id=org.organization_id, email_address=MIGRATE_EMAIL))
member_id = mem_res.member_id
check(bool(member_id), "members.create: no member_id")
check(mem_res.member.email_address == MIGRATE_EMAIL, f"members.create: email {mem_res.member.email_address}")
ok(f"organizations.members.create: {member_id}")

get_res = step("organizations.members.get", lambda: client.organizations.members.get(
    organization_id=org.organization_id, member_id=member_id))
check(get_res.member.member_id == member_id, f"members.get: member_id {get_res.member.member_id}")
ok(f"organizations.members.get: {get_res.member.email_address}")

claims = {"plan": "pro", "nested": {"a": 1}}
mig = step("sessions.migrate", lambda: client.sessions.migrate(
    session_token=MIGRATE_TOKEN, organization_id=org.organization_id,
    session_duration_minutes=120, session_custom_claims=claims))
check(mig.member_id == member_id, f"sessions.migrate: member_id {mig.member_id}, want {member_id}")
check(mig.session_jwt.count(".") == 2, "sessions.migrate: session_jwt is not a JWT")
check(bool(mig.session_token), "sessions.migrate: no session_token")
ms = mig.member_session
check(ms is not None, "sessions.migrate: no member_session")
lifetime = seconds_between(ms.started_at, ms.expires_at)
check(abs(lifetime - 7200) <= 5, f"sessions.migrate: expires_at - started_at = {lifetime}s, want ~7200s")
check(ms.custom_claims == claims, f"sessions.migrate: custom_claims {ms.custom_claims}")
check(ms.organization_id == org.organization_id, f"sessions.migrate: member_session.organization_id {ms.organization_id}")
ok(f"sessions.migrate: session {ms.member_session_id}, {lifetime:.0f}s, claims {ms.custom_claims}")

# Local verification: PyJWKClient fetches GET {base}v1/b2b/sessions/jwks/{project_id}
# (no credentials). authenticate_jwt_local returns None (not an exception) when the JWT
# does not verify, so treat None as a failure.
local = step("sessions.authenticate_jwt_local", lambda: client.sessions.authenticate_jwt_local(
    session_jwt=mig.session_jwt, max_token_age_seconds=60))
check(local is not None, "sessions.authenticate_jwt_local: returned None (JWT did not verify locally: "
      "check kid, iss, aud, exp/iat/nbf and RS256)")
check(local.member_id == member_id, f"authenticate_jwt_local: member_id {local.member_id}, want {member_id}")
check(local.organization_id == org.organization_id, f"authenticate_jwt_local: organization_id {local.organization_id}")
check(local.organization_slug == slug, f"authenticate_jwt_local: organization_slug {local.organization_slug}")
check(local.member_session_id == ms.member_session_id, f"authenticate_jwt_local: session id {local.member_session_id}")
check(local.custom_claims == claims, f"authenticate_jwt_local: custom_claims {local.custom_claims}")
local_lifetime = seconds_between(local.started_at, local.expires_at)
check(abs(local_lifetime - 7200) <= 5, f"authenticate_jwt_local: session lifetime {local_lifetime}s, want ~7200s")
ok(f"sessions.authenticate_jwt_local: member {local.member_id} org {local.organization_id} claims {local.custom_claims}")

via_jwt = step("sessions.authenticate_jwt", lambda: client.sessions.authenticate_jwt(
    session_jwt=mig.session_jwt, max_token_age_seconds=60))
check(via_jwt.member_session.member_id == member_id, f"authenticate_jwt: member_id {via_jwt.member_session.member_id}")
check(via_jwt.request_id == "", "authenticate_jwt: went to the network instead of verifying locally")
ok(f"sessions.authenticate_jwt: local path, member {via_jwt.member_session.member_id}")

bad = make_client(SECRET + "-wrong")
expect_stytch_error(
    "sessions.migrate with wrong secret",
    lambda: bad.sessions.migrate(session_token=MIGRATE_TOKEN, organization_id=org.organization_id,
                                 session_duration_minutes=120),
    401, "unauthorized_credentials")
expect_stytch_error(
    "sessions.migrate for unknown organization",
    lambda: client.sessions.migrate(session_token=MIGRATE_TOKEN,
                                    organization_id="organization-test-00000000-0000-4000-8000-000000000000",
                                    session_duration_minutes=120),
    404, "organization_not_found")

print("PASS: python sdk-tests (8 steps)", flush=True)
sys.exit(0)
