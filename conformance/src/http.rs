//! The HTTP adapter: an implementation served over HTTP, in any language.
//!
//! Besides the endpoint itself, the server exposes two control routes the suite uses:
//!
//! | method and path | what the server does |
//! |---|---|
//! | `GET /_conformance/capabilities` | answers [`Capabilities`] as JSON (every field optional) |
//! | `PUT /_conformance/world` | replaces its whole state with the [`migrate_model::World`] in the body; 2xx on success |
//! | `POST /v1/b2b/sessions/migrate` | the call; when its clock is controllable it takes `now` (Unix seconds) from the `X-Conformance-Now` header |
//!
//! Each migrate call carries `Authorization: Basic base64(project_id:secret)`, as Stytch's
//! SDKs send it: the project id of the loaded world and the secret given to
//! [`Http::connect`] (none: no `Authorization` header). Any status and body of the migrate
//! call are passed to the comparator as they are. Only `http://` is supported: the suite
//! talks to servers on this machine. `migrate-emulator --control` is such a server.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use migrate_model::World;
use ureq::Agent;

use crate::adapter::{AdapterError, Capabilities, HttpResponse, Implementation};

/// The header that carries the clock.
pub const NOW_HEADER: &str = "X-Conformance-Now";

/// The largest response body the adapter reads (a server may answer a larger one; the case
/// then fails with a clear error).
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// An implementation behind an HTTP base URL such as `http://127.0.0.1:8080`.
#[derive(Debug)]
pub struct Http {
    agent: Agent,
    base: String,
    capabilities: Capabilities,
    secret: Option<String>,
    /// The `Authorization` header for the loaded world's project.
    authorization: Option<String>,
}

fn transport(what: &str, e: ureq::Error) -> AdapterError {
    AdapterError(format!("{what}: {e}"))
}

impl Http {
    /// Connects to `base` and asks for the capabilities. `secret` is the project secret the
    /// migrate calls authenticate with (with the world's project id).
    pub fn connect(base: &str, secret: Option<&str>) -> Result<Http, AdapterError> {
        if !base.starts_with("http://") {
            return Err(AdapterError(format!(
                "{base:?}: only http:// base URLs are supported"
            )));
        }
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let base = base.trim_end_matches('/').to_owned();
        let url = format!("{base}/_conformance/capabilities");
        let mut response = agent.get(&url).call().map_err(|e| transport(&url, e))?;
        if !response.status().is_success() {
            return Err(AdapterError(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| transport(&url, e))?;
        let capabilities = serde_json::from_str(&text)
            .map_err(|e| AdapterError(format!("{url}: bad capabilities ({e}): {text}")))?;
        Ok(Http {
            agent,
            base,
            capabilities,
            secret: secret.map(str::to_owned),
            authorization: None,
        })
    }
}

impl Implementation for Http {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        let url = format!("{}/_conformance/world", self.base);
        let body = serde_json::to_vec(world).map_err(|e| AdapterError(e.to_string()))?;
        let response = self
            .agent
            .put(&url)
            .header("Content-Type", "application/json")
            .send(&body[..])
            .map_err(|e| transport(&url, e))?;
        if !response.status().is_success() {
            return Err(AdapterError(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        self.authorization = self.secret.as_ref().map(|secret| {
            let pair = format!("{}:{secret}", world.project_id);
            format!("Basic {}", STANDARD.encode(pair))
        });
        Ok(())
    }

    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        let url = format!("{}/v1/b2b/sessions/migrate", self.base);
        let mut request = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json");
        if let Some(now) = now {
            request = request.header(NOW_HEADER, now.to_string());
        }
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        let mut response = request.send(body).map_err(|e| transport(&url, e))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| transport(&url, e))?;
        Ok(HttpResponse {
            status,
            body: bytes,
        })
    }
}
