// The official `stytch` Node SDK (unmodified, version pinned in package.json) against the
// emulator over plain http. See ../README.md for why `env` (not `custom_base_url`) is used.
//
// Env: EMULATOR_URL, STYTCH_PROJECT_ID, STYTCH_SECRET, MIGRATE_TOKEN, MIGRATE_EMAIL.
// Prints one line per step; exits 1 on the first failure, 2 on the overall deadline.
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";

const require = createRequire(import.meta.url);
const stytch = require("stytch");
const { B2BClient, StytchError } = stytch;
// The package's "exports" map hides package.json; read the version from the installed file.
const STYTCH_VERSION = JSON.parse(
  (await import("node:fs")).readFileSync(new URL("./node_modules/stytch/package.json", import.meta.url), "utf8"),
).version;

const STEP_TIMEOUT_MS = Number(process.env.STEP_TIMEOUT_MS || 15000);
const TOTAL_TIMEOUT_MS = Number(process.env.TOTAL_TIMEOUT_MS || 90000);

const deadline = setTimeout(() => {
  console.log(`FAIL: overall deadline of ${TOTAL_TIMEOUT_MS} ms passed`);
  process.exit(2);
}, TOTAL_TIMEOUT_MS);
deadline.unref();

function env(name) {
  const v = process.env[name];
  if (!v) fail(`environment variable ${name} is not set`);
  return v;
}

function fail(msg) {
  console.log(`FAIL: ${msg}`);
  process.exit(1);
}

function check(cond, msg) {
  if (!cond) fail(msg);
}

// Every SDK call goes through this: the SDK's `timeout` option is not applied by its fetch
// call (dist/shared/index.js spreads it into fetch's options, which ignore it), so bound it here.
async function step(name, fn) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
  });
  try {
    const out = await Promise.race([fn(), timeout]);
    return out;
  } catch (e) {
    fail(`${name}: ${describe(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

function describe(e) {
  if (e instanceof StytchError) {
    return `StytchError status_code=${e.status_code} error_type=${e.error_type} message=${e.error_message}`;
  }
  return `${e?.constructor?.name || "Error"}: ${e?.message}${e?.cause ? ` (cause: ${e.cause})` : ""}`;
}

async function expectStytchError(name, fn, status, errorType) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), STEP_TIMEOUT_MS);
  });
  let outcome;
  try {
    outcome = await Promise.race([fn().then((r) => ({ ok: r })), timeout]);
  } catch (e) {
    outcome = { err: e };
  } finally {
    clearTimeout(timer);
  }
  if (outcome.timedOut) fail(`${name}: timed out after ${STEP_TIMEOUT_MS} ms`);
  if (!("err" in outcome)) fail(`${name}: expected a StytchError, the call succeeded: ${JSON.stringify(outcome.ok)}`);
  const e = outcome.err;
  check(e instanceof StytchError, `${name}: expected StytchError, got ${describe(e)}`);
  check(e.status_code === status, `${name}: expected status_code ${status}, got ${e.status_code}`);
  check(e.error_type === errorType, `${name}: expected error_type ${errorType}, got ${e.error_type}`);
  check(typeof e.request_id === "string" && e.request_id !== "", `${name}: error has no request_id`);
  console.log(`ok   ${name}: StytchError ${e.status_code} ${e.error_type}`);
}

const base = env("EMULATOR_URL").replace(/\/+$/, "") + "/";
const projectId = env("STYTCH_PROJECT_ID");
const secret = env("STYTCH_SECRET");
const migrateToken = env("MIGRATE_TOKEN");
const migrateEmail = env("MIGRATE_EMAIL");

// `env` accepts any URL (only `custom_base_url` is forced to https:// in
// dist/shared/client.js); a non-standard env only triggers a console.warn, which we silence.
function makeClient(s) {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return new B2BClient({ project_id: projectId, secret: s, env: base, timeout: STEP_TIMEOUT_MS });
  } finally {
    console.warn = warn;
  }
}

const client = makeClient(secret);
check(client.fetchConfig.baseURL === base, `client base URL is ${client.fetchConfig.baseURL}, want ${base}`);
console.log(`ok   client: stytch-node ${STYTCH_VERSION} -> ${base}`);

const suffix = randomBytes(4).toString("hex");
const slug = `sdk-node-${suffix}`;
const orgRes = await step("organizations.create", () =>
  client.organizations.create({ organization_name: `SDK Node ${suffix}`, organization_slug: slug }),
);
const org = orgRes.organization;
check(org && typeof org.organization_id === "string", "organizations.create: no organization.organization_id");
check(org.organization_slug === slug, `organizations.create: slug ${org.organization_slug}, want ${slug}`);
console.log(`ok   organizations.create: ${org.organization_id} (${slug})`);

const memRes = await step("organizations.members.create", () =>
  client.organizations.members.create({ organization_id: org.organization_id, email_address: migrateEmail }),
);
const memberId = memRes.member_id;
check(typeof memberId === "string" && memberId !== "", "members.create: no member_id");
check(memRes.member?.email_address === migrateEmail, `members.create: email ${memRes.member?.email_address}`);
console.log(`ok   organizations.members.create: ${memberId}`);

const getRes = await step("organizations.members.get", () =>
  client.organizations.members.get({ organization_id: org.organization_id, member_id: memberId }),
);
check(getRes.member?.member_id === memberId, `members.get: member_id ${getRes.member?.member_id}`);
console.log(`ok   organizations.members.get: ${getRes.member.email_address}`);

const claims = { plan: "pro", nested: { a: 1 } };
const mig = await step("sessions.migrate", () =>
  client.sessions.migrate({
    session_token: migrateToken,
    organization_id: org.organization_id,
    session_duration_minutes: 120,
    session_custom_claims: claims,
  }),
);
check(mig.member_id === memberId, `sessions.migrate: member_id ${mig.member_id}, want ${memberId}`);
check(typeof mig.session_jwt === "string" && mig.session_jwt.split(".").length === 3, "sessions.migrate: no session_jwt");
check(typeof mig.session_token === "string" && mig.session_token !== "", "sessions.migrate: no session_token");
const ms = mig.member_session;
check(ms, "sessions.migrate: no member_session");
const lifetime = (Date.parse(ms.expires_at) - Date.parse(ms.started_at)) / 1000;
check(Math.abs(lifetime - 7200) <= 5, `sessions.migrate: expires_at - started_at = ${lifetime}s, want ~7200s`);
check(isDeepStrictEqual(ms.custom_claims, claims), `sessions.migrate: custom_claims ${JSON.stringify(ms.custom_claims)}`);
check(ms.organization_id === org.organization_id, `sessions.migrate: member_session.organization_id ${ms.organization_id}`);
console.log(`ok   sessions.migrate: session ${ms.member_session_id}, ${lifetime}s, claims ${JSON.stringify(ms.custom_claims)}`);

// Local verification: jose fetches GET {base}v1/b2b/sessions/jwks/{project_id} (no credentials).
const local = await step("sessions.authenticateJwtLocal", () =>
  client.sessions.authenticateJwtLocal({ session_jwt: mig.session_jwt, max_token_age_seconds: 60 }),
);
check(local.member_id === memberId, `authenticateJwtLocal: member_id ${local.member_id}, want ${memberId}`);
check(local.organization_id === org.organization_id, `authenticateJwtLocal: organization_id ${local.organization_id}`);
check(local.organization_slug === slug, `authenticateJwtLocal: organization_slug ${local.organization_slug}`);
check(local.member_session_id === ms.member_session_id, `authenticateJwtLocal: session id ${local.member_session_id}`);
check(isDeepStrictEqual(local.custom_claims, claims), `authenticateJwtLocal: custom_claims ${JSON.stringify(local.custom_claims)}`);
const localLifetime = (Date.parse(local.expires_at) - Date.parse(local.started_at)) / 1000;
check(Math.abs(localLifetime - 7200) <= 5, `authenticateJwtLocal: session lifetime ${localLifetime}s, want ~7200s`);
console.log(`ok   sessions.authenticateJwtLocal: member ${local.member_id} org ${local.organization_id} claims ${JSON.stringify(local.custom_claims)}`);

// authenticateJwt prefers local verification; with a fresh JWT it must not need the network
// beyond the (cached) JWKS.
const viaJwt = await step("sessions.authenticateJwt", () =>
  client.sessions.authenticateJwt({ session_jwt: mig.session_jwt, max_token_age_seconds: 60 }),
);
check(viaJwt.member_session?.member_id === memberId, `authenticateJwt: member_id ${viaJwt.member_session?.member_id}`);
console.log(`ok   sessions.authenticateJwt: local path, member ${viaJwt.member_session.member_id}`);

const bad = makeClient(`${secret}-wrong`);
await expectStytchError(
  "sessions.migrate with wrong secret",
  () => bad.sessions.migrate({ session_token: migrateToken, organization_id: org.organization_id, session_duration_minutes: 120 }),
  401,
  "unauthorized_credentials",
);
await expectStytchError(
  "sessions.migrate for unknown organization",
  () =>
    client.sessions.migrate({
      session_token: migrateToken,
      organization_id: "organization-test-00000000-0000-4000-8000-000000000000",
      session_duration_minutes: 120,
    }),
  404,
  "organization_not_found",
);

console.log("PASS: node sdk-tests (8 steps)");
process.exit(0);
