//! The emulator's configuration: a TOML file (`--config FILE`) and the command-line flags
//! that override it.
//!
//! Every field is optional; a missing field takes the default written next to it. The
//! file `emulator/emulator.example.toml` shows them all.
//!
//! ```toml
//! project_id = "project-test-00000000-0000-0000-0000-000000000000"
//! secret = "secret-test-emulator"
//! project_max_session_minutes = 527040   # the project's maximum session length
//! max_request_bytes = 4194304            # larger bodies get 413 in the error envelope
//!
//! [claims_template]                      # custom claims every session starts with
//! plan = "pro"
//!
//! [userinfo]
//! url = "http://127.0.0.1:9000/userinfo" # the external OIDC UserInfo endpoint (optional)
//! timeout_ms = 5000
//! max_body_bytes = 1048576
//! [userinfo.tokens]                      # without `url`: the replies, in memory
//! "external-token-ada" = { email = "ada@acme.test", email_verified = true }
//!
//! [[organizations]]
//! organization_id = "organization-test-acme"  # generated when absent
//! slug = "acme"
//! name = "Acme"
//! external_id = "ext-acme"
//! [[organizations.members]]
//! member_id = "member-test-ada"               # generated when absent
//! email = "ada@acme.test"
//! status = "active"                           # active (default), pending, invited, deleted
//! roles = ["stytch_member"]
//! name = "Ada"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use migrate_model::{MemberStatus, Policy, UserInfoBody, UserInfoReply, World};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::engine::keys::random_uuid;

/// The project id when none is configured.
pub const DEFAULT_PROJECT_ID: &str = "project-test-00000000-0000-0000-0000-000000000000";
/// The project secret when none is configured. Anyone can read it here: the emulator is for
/// tests on this machine, and listens on loopback unless told otherwise.
pub const DEFAULT_SECRET: &str = "secret-test-emulator";
/// The largest request body, when none is configured.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// How long the UserInfo call may take, when not configured.
pub const DEFAULT_USERINFO_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest UserInfo reply read, when not configured.
pub const DEFAULT_USERINFO_MAX_BYTES: usize = 1024 * 1024;

/// The configuration file, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The project id (`project-test-...`).
    pub project_id: Option<String>,
    /// The project secret; API calls authenticate with HTTP Basic `project_id:secret`.
    pub secret: Option<String>,
    /// The project's maximum session length in minutes (5..=527040; default 527040).
    pub project_max_session_minutes: Option<i64>,
    /// The largest request body in bytes (default 4 MiB).
    pub max_request_bytes: Option<usize>,
    /// The custom claims template.
    #[serde(default)]
    pub claims_template: Map<String, Value>,
    /// The external UserInfo endpoint.
    #[serde(default)]
    pub userinfo: UserInfoConfig,
    /// Organizations (and their members) to preload.
    #[serde(default)]
    pub organizations: Vec<OrganizationConfig>,
    /// The policy profile: a choice for any of the open points of model/SPEC.md section 2,
    /// flag name to choice name (`"reserved-claims" = "reject"`); the rest keep the default.
    #[serde(default)]
    pub profile: BTreeMap<String, String>,
}

/// `[userinfo]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInfoConfig {
    /// The URL the emulator sends `GET` with `Authorization: Bearer <session_token>` to.
    pub url: Option<String>,
    /// The call's timeout in milliseconds (default 5000).
    pub timeout_ms: Option<u64>,
    /// The largest reply body read, in bytes (default 1 MiB); a larger one is unusable.
    pub max_body_bytes: Option<usize>,
    /// Without `url`: token -> the JSON body of a 200 reply (any other token gets 401).
    #[serde(default)]
    pub tokens: BTreeMap<String, Value>,
}

/// `[[organizations]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationConfig {
    /// Generated when absent.
    pub organization_id: Option<String>,
    /// The slug.
    pub slug: String,
    /// The display name (default: the slug).
    pub name: Option<String>,
    /// The external id.
    pub external_id: Option<String>,
    /// The members.
    #[serde(default)]
    pub members: Vec<MemberConfig>,
}

/// `[[organizations.members]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberConfig {
    /// Generated when absent.
    pub member_id: Option<String>,
    /// The email address.
    pub email: String,
    /// The status (default active).
    pub status: Option<MemberStatus>,
    /// Role ids.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The name.
    #[serde(default)]
    pub name: String,
}

/// A configuration that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// What the server runs with, defaults applied and checked.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The project, its organizations and members, and the in-memory UserInfo replies.
    pub world: World,
    /// The project secret.
    pub secret: String,
    /// The external UserInfo URL (`http`), if any.
    pub userinfo_url: Option<String>,
    /// The UserInfo call's timeout.
    pub userinfo_timeout: Duration,
    /// The largest UserInfo reply read.
    pub userinfo_max_bytes: usize,
    /// The largest request body.
    pub max_request_bytes: usize,
    /// Whether the test-control routes (`/_conformance/*`) are on.
    pub control: bool,
    /// The policy profile the engine follows and declares.
    pub profile: Policy,
}

impl Default for Settings {
    fn default() -> Settings {
        // The empty configuration is valid by construction.
        Config::default()
            .settings()
            .unwrap_or_else(|e| unreachable!("the default configuration is valid: {e}"))
    }
}

impl Config {
    /// Reads a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError(e.to_string()))
    }

    /// Applies the defaults and checks what the server cannot work with.
    pub fn settings(self) -> Result<Settings, ConfigError> {
        let err = |m: String| Err(ConfigError(m));
        let project_id = self
            .project_id
            .unwrap_or_else(|| DEFAULT_PROJECT_ID.to_owned());
        if project_id.is_empty() || project_id.contains(['/', ':']) {
            return err(format!(
                "project_id {project_id:?} must be non-empty, without `/` or `:`"
            ));
        }
        let secret = self.secret.unwrap_or_else(|| DEFAULT_SECRET.to_owned());
        if secret.is_empty() {
            return err("secret must not be empty".into());
        }
        let max = self.project_max_session_minutes.unwrap_or(527_040);
        if !(5..=527_040).contains(&max) {
            return err(format!(
                "project_max_session_minutes {max} is outside 5..=527040"
            ));
        }
        let max_request_bytes = self.max_request_bytes.unwrap_or(DEFAULT_MAX_REQUEST_BYTES);
        if max_request_bytes < 1024 * 1024 {
            return err(format!(
                "max_request_bytes {max_request_bytes} is below 1 MiB (1048576), the least the semantics allow"
            ));
        }
        if let Some(url) = &self.userinfo.url {
            check_userinfo_url(url)?;
        }
        let mut profile = Policy::default();
        for (flag, choice) in &self.profile {
            profile
                .set_by_name(flag, choice)
                .map_err(|e| ConfigError(format!("[profile]: {e}")))?;
        }
        let mut world = World {
            project_id,
            project_max_session_minutes: max,
            claims_template: self.claims_template,
            organizations: Vec::new(),
            userinfo: self
                .userinfo
                .tokens
                .into_iter()
                .map(|(token, body)| {
                    let reply = UserInfoReply::Http {
                        status: 200,
                        body: UserInfoBody::Json(body),
                    };
                    (token, reply)
                })
                .collect(),
        };
        for org in self.organizations {
            world.organizations.push(migrate_model::Organization {
                organization_id: org
                    .organization_id
                    .unwrap_or_else(|| format!("organization-test-{}", random_uuid())),
                name: org.name.unwrap_or_else(|| org.slug.clone()),
                slug: org.slug,
                external_id: org.external_id,
                members: org
                    .members
                    .into_iter()
                    .map(|m| migrate_model::Member {
                        member_id: m
                            .member_id
                            .unwrap_or_else(|| format!("member-test-{}", random_uuid())),
                        email: m.email,
                        status: m.status.unwrap_or(MemberStatus::Active),
                        roles: m.roles,
                        name: m.name,
                    })
                    .collect(),
            });
        }
        Ok(Settings {
            world,
            secret,
            userinfo_url: self.userinfo.url,
            userinfo_timeout: self
                .userinfo
                .timeout_ms
                .map_or(DEFAULT_USERINFO_TIMEOUT, Duration::from_millis),
            userinfo_max_bytes: self
                .userinfo
                .max_body_bytes
                .unwrap_or(DEFAULT_USERINFO_MAX_BYTES),
            max_request_bytes,
            control: false,
            profile,
        })
    }
}

/// A UserInfo URL must be an absolute `http` URL with a host. The emulator is for tests on
/// this machine and carries no TLS stack: put a plain-http stand-in for the identity
/// provider's endpoint on loopback.
pub fn check_userinfo_url(url: &str) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| ConfigError(format!("userinfo url {url:?} is not a URL: {e}")))?;
    if parsed.scheme() != "http" || parsed.host().is_none() {
        return Err(ConfigError(format!(
            "userinfo url {url:?} must be an http:// URL with a host (the emulator speaks no TLS)"
        )));
    }
    Ok(())
}
