"""A small, complete implementation of Stytch's B2B ``POST /v1/b2b/sessions/migrate``.

Written from ``model/SPEC.md`` under its default profile, with the Python standard library
only. It knows nothing of the conformance suite: ``Service.migrate`` takes the raw request
bytes and the current time and gives back an HTTP status and the raw response bytes, as an
HTTP handler would. Its collaborators are plain objects a real service has too:

* ``Project``: the project id, the maximum session duration, the custom claims template and
  the organizations with their members (in a real service, a database);
* a UserInfo client: ``fetch(session_token) -> (status, body_bytes)``, raising
  ``UserInfoUnreachable`` when the endpoint cannot be reached (in a real service, an HTTP GET
  with ``Authorization: Bearer <session_token>``);
* a ``Signer`` (``rs256.py``) for the session JWT.

The steps follow the spec's evaluation order (section 3); under the default
``error-precedence`` (``evaluation-order``) the first failing step's error is the answer, so
each step simply raises.
"""

import datetime
import secrets
import uuid

from strictjson import JsonError, Number, dumps, parse

DEFAULT_MINUTES = 60  # duration.default-60
MIN_MINUTES, MAX_MINUTES = 5, 527040  # duration.range
INT32_MIN, INT32_MAX = -2**31, 2**31 - 1  # duration.int32-overflow
JWT_LIFETIME_SECONDS = 300  # jwt.lifetime
CLAIMS_LIMIT_BYTES = 4096  # claims.size.limit (claims-size-limit = 4096)
RESERVED_CLAIMS = frozenset(["iss", "sub", "aud", "exp", "nbf", "iat", "jti"])  # claims.reserved
STYTCH_NAMESPACE = "https://stytch.com/"  # claims.stytch-namespace
MIGRATING_STATUSES = frozenset(["active", "pending", "invited"])  # member.status
AUTH_FACTOR = {"type": "imported", "delivery_method": "imported_auth0"}  # session.auth-factor

# Unicode White_Space (PropList.txt). Not str.isspace(): that is also true for U+001C-U+001F,
# which are not White_Space.
WHITE_SPACE = frozenset(
    "\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# ASCII-only lower-casing. Not str.lower(): that folds non-ASCII letters too ("İ", "K").
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}

_STATUS = {"organization_not_found": 404}  # every other error of this call is 400


class MigrateError(Exception):
    """A failed call: its ``error_type`` (Stytch's error enum) and a message."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message

    @property
    def status(self):
        return _STATUS.get(self.error_type, 400)


class UserInfoUnreachable(Exception):
    """The UserInfo endpoint could not be reached (refused, timed out, TLS failure)."""


class Member:
    def __init__(self, member_id, email, status, roles=(), name=""):
        self.member_id, self.email, self.status = member_id, email, status
        self.roles, self.name = list(roles), name


class Organization:
    def __init__(self, organization_id, slug, external_id=None, name="", members=()):
        self.organization_id, self.slug, self.external_id = organization_id, slug, external_id
        self.name, self.members = name, list(members)


class Project:
    """The project's configuration and directory."""

    def __init__(self, project_id, max_session_minutes, claims_template, organizations):
        self.project_id = project_id
        self.max_session_minutes = max_session_minutes
        # Template numbers are doubles too (claims.number-precision, number-precision = double).
        self.claims_template = _template_doubles(claims_template)
        self.organizations = list(organizations)


def _template_doubles(value):
    if isinstance(value, dict):
        return {k: _template_doubles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_template_doubles(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Number):
        return value.to_double()
    return float(value)  # int or float; float(int) rounds to nearest


def ascii_lower(text):
    return text.translate(_ASCII_LOWER)


def rfc3339(unix_seconds):
    """``YYYY-MM-DDTHH:MM:SSZ`` (session.timestamp-format)."""
    t = datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (t.year, t.month, t.day, t.hour, t.minute, t.second)


class Service:
    def __init__(self, project, userinfo, signer):
        self.project = project
        self.userinfo = userinfo
        self.signer = signer

    # ---------------------------------------------------------------------------------
    # The call
    # ---------------------------------------------------------------------------------

    def migrate(self, body, now):
        """``POST /v1/b2b/sessions/migrate``: raw request bytes and Unix seconds in, the HTTP
        status and the raw response bytes out."""
        try:
            answer = self._migrate(body, now)
            status = 200
        except MigrateError as e:
            status = e.status
            answer = {
                "status_code": status,
                "request_id": _request_id(),
                "error_type": e.error_type,
                "error_message": e.message,
                "error_url": "https://stytch.com/docs/api/errors/%d" % status,
            }
        return status, dumps(answer).encode("utf-8")

    def _migrate(self, body, now):
        # 1. The body: BOM, UTF-8, JSON grammar, lone surrogates, nesting; a top-level object.
        try:
            request = parse(body)
        except JsonError as e:
            raise MigrateError("bad_request", "The request body is not valid JSON: %s." % e)
        if not isinstance(request, dict):
            raise MigrateError("bad_request", "The request body must be a JSON object.")
        # 2-3. The two required strings (request.session-token, request.organization-id).
        token = _required_string(request, "session_token")
        organization_ref = _required_string(request, "organization_id")
        # 4. The duration.
        minutes = self._duration(request)
        # 5. The request's custom claims: type, then numbers.
        request_claims = _request_claims(request)
        # 6. The organization.
        organization = self._organization(organization_ref)
        # 7. UserInfo.
        email = self._userinfo_email(token)
        # 8. The member.
        member = _member(organization, email)
        # 9. The final claims: the template, the request's claims on top, the size limit.
        claims = self._final_claims(request_claims)
        # 10. The session.
        return self._session(organization, member, token, minutes, claims, now)

    # ---------------------------------------------------------------------------------
    # Steps 4, 6, 7, 9
    # ---------------------------------------------------------------------------------

    def _duration(self, request):
        value = request.get("session_duration_minutes")
        if value is None:  # absent, or null (null-duration = absent)
            # duration.default-60, capped by the project maximum (default-above-project-max = cap)
            return min(DEFAULT_MINUTES, self.project.max_session_minutes)
        if not isinstance(value, Number):
            raise MigrateError("bad_request", "session_duration_minutes must be a number.")
        if not value.is_integer_literal():  # integral-float = bad_request: 60.0, 6e1
            raise MigrateError("bad_request", "session_duration_minutes must be an integer.")
        # int() refuses more than 4300 digits (Python 3.11+); anything past 10 digits is
        # outside int32 anyway (JSON has no leading zeros).
        digits = value.text.lstrip("-")
        minutes = int(value.text) if len(digits) <= 10 else None
        if minutes is None or not INT32_MIN <= minutes <= INT32_MAX:
            raise MigrateError("invalid_session_duration_minutes",
                               "session_duration_minutes is outside int32.")
        # zero-duration = invalid: 0 (and -0) fails the range check.
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise MigrateError("invalid_session_duration_minutes",
                               "session_duration_minutes should be between 5 to 527040 minutes.")
        if minutes > self.project.max_session_minutes:
            raise MigrateError("invalid_session_duration",
                               "session_duration_minutes exceeds the project's maximum.")
        return minutes

    def _organization(self, ref):
        # org-lookup-order = id-slug-external; slug-case = exact; ids match exactly.
        orgs = self.project.organizations
        for matches in (lambda o: o.organization_id == ref,
                        lambda o: o.slug == ref,
                        lambda o: o.external_id is not None and o.external_id == ref):
            for org in orgs:
                if matches(org):
                    return org
        raise MigrateError("organization_not_found", "No organization matches organization_id.")

    def _userinfo_email(self, token):
        unexpected = "migrate_from_external_unexpected_response"
        try:
            status, body = self.userinfo.fetch(token)
        except UserInfoUnreachable:
            raise MigrateError(unexpected, "The UserInfo endpoint could not be reached.")
        if not 200 <= status <= 299:
            raise MigrateError(unexpected, "The UserInfo endpoint answered HTTP %d." % status)
        try:
            info = parse(body)  # the same rules as the request body (userinfo.body)
        except JsonError as e:
            raise MigrateError(unexpected, "The UserInfo reply is not valid JSON: %s." % e)
        if not isinstance(info, dict):
            raise MigrateError(unexpected, "The UserInfo reply is not a JSON object.")
        email = info.get("email")
        if not _valid_email(email):
            raise MigrateError("migrate_from_external_missing_userinfo",
                               "The UserInfo reply has no valid email.")
        # unverified-email = accept: email_verified is not looked at.
        return email

    def _final_claims(self, request_claims):
        claims = {}
        # claims.template.*: the template, without reserved or namespaced keys, merged onto {}
        # as an update (so its nulls vanish).
        _merge(claims, _without_reserved(self.project.claims_template))
        if request_claims is not None:
            # reserved-claims = ignore: reserved and namespaced keys are dropped silently.
            _merge(claims, _without_reserved(request_claims))
        # claims.size.measure = jcs: the bytes of the RFC 8785 form.
        size = len(dumps(claims, canonical=True).encode("utf-8"))
        if size > CLAIMS_LIMIT_BYTES:
            raise MigrateError("custom_claims_too_large",
                               "The custom claims take %d bytes, over %d." % (size, CLAIMS_LIMIT_BYTES))
        return claims

    # ---------------------------------------------------------------------------------
    # Step 10
    # ---------------------------------------------------------------------------------

    def _session(self, org, member, external_token, minutes, claims, now):
        started = rfc3339(now)
        expires = rfc3339(now + minutes * 60)
        session_id = "member-session-" + str(uuid.uuid4())
        session_token = secrets.token_urlsafe(32)
        while session_token == external_token:  # response.shape: never the external token
            session_token = secrets.token_urlsafe(32)
        factor = dict(AUTH_FACTOR, last_authenticated_at=started)
        member.status = "active"  # session.member-active: pending and invited become active
        payload = dict(claims)  # jwt.custom-claims-top-level
        payload.update({
            "sub": member.member_id,
            "iss": "stytch.com/" + self.project.project_id,
            "aud": [self.project.project_id],
            "iat": now,
            "nbf": now,
            "exp": now + JWT_LIFETIME_SECONDS,
            "https://stytch.com/session": {
                "id": session_id,
                "started_at": started,
                "last_accessed_at": started,
                "expires_at": expires,
                "attributes": {"ip_address": "", "user_agent": ""},
                "authentication_factors": [factor],
                "roles": list(member.roles),
            },
            "https://stytch.com/organization": {
                "organization_id": org.organization_id,
                "slug": org.slug,
            },
        })
        header = {"alg": "RS256", "typ": "JWT", "kid": self.signer.kid}
        return {
            "request_id": _request_id(),
            "member_id": member.member_id,
            "session_token": session_token,
            "session_jwt": self.signer.jwt(dumps(header), dumps(payload)),
            "member": _member_object(org, member),
            "organization": _organization_object(org),
            "member_session": {
                "member_session_id": session_id,
                "member_id": member.member_id,
                "started_at": started,
                "last_accessed_at": started,
                "expires_at": expires,
                "authentication_factors": [factor],
                "organization_id": org.organization_id,
                "roles": list(member.roles),
                "organization_slug": org.slug,
                "custom_claims": claims,  # session.custom-claims-present: {} when empty
            },
            "status_code": 200,
        }


# -------------------------------------------------------------------------------------
# Helpers
# -------------------------------------------------------------------------------------


def _request_id():
    return "request-id-" + str(uuid.uuid4())


def _required_string(request, field):
    value = request.get(field)
    if not isinstance(value, str) or value == "":  # not trimmed: " " is accepted
        raise MigrateError("bad_request", "%s must be a non-empty string." % field)
    return value


def _request_claims(request):
    value = request.get("session_custom_claims")
    if value is None:  # absent or null: no request claims (claims.type)
        return None
    if not isinstance(value, dict):
        raise MigrateError("bad_request", "session_custom_claims must be an object.")
    return _doubles(value)


def _doubles(value):
    """The claims with every number as a double (number-precision = double). A number that
    rounds to infinity (1e400) is an error, also under a reserved key (it is checked before
    reserved keys are dropped)."""
    if isinstance(value, dict):
        return {k: _doubles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_doubles(v) for v in value]
    if isinstance(value, Number):
        x = value.to_double()
        if x in (float("inf"), float("-inf")):
            raise MigrateError("unable_to_represent_custom_claims_json",
                               "A custom claims number is too large to represent.")
        return x
    return value


def _without_reserved(claims):
    return {k: v for k, v in claims.items()
            if k not in RESERVED_CLAIMS and not k.startswith(STYTCH_NAMESPACE)}


def _merge(base, update):
    """Merges ``update`` into ``base`` (claims.merge.*): a null deletes; an object over an
    object merges deeply; an object over anything else is merged into {} (its nulls vanish);
    anything else, arrays included, replaces the old value whole. Objects left empty stay
    (empty-object-after-delete = keep)."""
    for key, value in update.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict):
            existing = base.get(key)
            base[key] = _merge(existing if isinstance(existing, dict) else {}, value)
        else:
            base[key] = value
    return base


def _valid_email(email):
    """userinfo.email: a string with exactly one @, text on both sides, no White_Space."""
    if not isinstance(email, str) or email.count("@") != 1:
        return False
    local, _, domain = email.partition("@")
    return bool(local) and bool(domain) and not any(c in WHITE_SPACE for c in email)


def _member(org, email):
    # email-case = ascii-insensitive; member-status = active-pending-invited; deleted never.
    wanted = ascii_lower(email)
    for member in org.members:
        if member.status in MIGRATING_STATUSES and ascii_lower(member.email) == wanted:
            return member
    raise MigrateError("migrate_from_external_email_does_not_exist",
                       "No member of the organization has this email.")


def _member_object(org, member):
    """The Member object: the directory's fields, and a fresh member's values for the rest."""
    return {
        "organization_id": org.organization_id,
        "member_id": member.member_id,
        "email_address": member.email,
        "status": member.status,
        "name": member.name,
        "sso_registrations": [],
        "is_breakglass": False,
        "member_password_id": "",
        "oauth_registrations": [],
        "email_address_verified": True,
        "mfa_phone_number_verified": False,
        "is_admin": False,
        "totp_registration_id": "",
        "retired_email_addresses": [],
        "is_locked": False,
        "mfa_enrolled": False,
        "mfa_phone_number": "",
        "default_mfa_method": "",
        "roles": [{"role_id": r, "sources": [{"type": "direct_assignment"}]}
                  for r in member.roles],
    }


def _organization_object(org):
    """The Organization object: the directory's fields, and a fresh organization's values."""
    o = {
        "organization_id": org.organization_id,
        "organization_name": org.name,
        "organization_logo_url": "",
        "organization_slug": org.slug,
        "sso_jit_provisioning": "NOT_ALLOWED",
        "sso_jit_provisioning_allowed_connections": [],
        "sso_active_connections": [],
        "email_allowed_domains": [],
        "email_jit_provisioning": "NOT_ALLOWED",
        "email_invites": "ALL_ALLOWED",
        "auth_methods": "ALL_ALLOWED",
        "allowed_auth_methods": [],
        "mfa_policy": "OPTIONAL",
        "rbac_email_implicit_role_assignments": [],
        "mfa_methods": "ALL_ALLOWED",
        "allowed_mfa_methods": [],
        "oauth_tenant_jit_provisioning": "NOT_ALLOWED",
        "claimed_email_domains": [],
        "first_party_connected_apps_allowed_type": "ALL_ALLOWED",
        "allowed_first_party_connected_apps": [],
        "third_party_connected_apps_allowed_type": "ALL_ALLOWED",
        "allowed_third_party_connected_apps": [],
        "custom_roles": [],
    }
    if org.external_id is not None:
        o["organization_external_id"] = org.external_id
    return o
