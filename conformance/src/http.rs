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
//! SDKs send it: the project id of the loaded world and the secret of the [`HttpOptions`]
//! (none: no `Authorization` header). Any status and body of the migrate call are passed to
//! the comparator as they are. Every request is bounded by the timeout and every reply by
//! the size cap; a request that fails either way, or cannot connect, is a transport failure.
//! Only `http://` is supported: the suite talks to servers on this machine.
//! `migrate-emulator --control` is such a server.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use migrate_model::World;
use serde_json::Value;
use ureq::Agent;

use crate::adapter::{clip, AdapterError, Capabilities, HttpResponse, Implementation};

/// The header that carries the clock.
pub const NOW_HEADER: &str = "X-Conformance-Now";

/// How the adapter talks to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// The project secret the migrate calls authenticate with (with the world's project id);
    /// `None` sends no `Authorization` header.
    pub secret: Option<String>,
    /// The most one request may take, connection included (default 10 s).
    pub timeout: Duration,
    /// The largest reply body read (default 16 MiB); a larger one is a transport failure
    /// that gives the limit.
    pub max_reply_bytes: u64,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            secret: None,
            timeout: Duration::from_secs(10),
            max_reply_bytes: 16 * 1024 * 1024,
        }
    }
}

/// An implementation behind an HTTP base URL such as `http://127.0.0.1:8080`.
#[derive(Debug)]
pub struct Http {
    agent: Agent,
    base: String,
    capabilities: Capabilities,
    options: HttpOptions,
    /// The `Authorization` header for the loaded world's project.
    authorization: Option<String>,
}

/// A failure to exchange a request and its reply: always a transport failure.
fn transport(what: &str, e: ureq::Error) -> AdapterError {
    AdapterError::transport(match e {
        ureq::Error::BodyExceedsLimit(limit) => {
            format!("{what}: the reply is larger than the {limit}-byte cap")
        }
        ureq::Error::Timeout(_) => format!("{what}: no complete reply within the timeout ({e})"),
        other => format!("{what}: {other}"),
    })
}

/// The client every HTTP adapter uses: statuses as answers, a whole-exchange timeout,
/// TCP_NODELAY, and no proxy (the suite talks to servers on this machine).
fn agent(timeout: Duration) -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .no_delay(true)
        .proxy(None)
        .build()
        .into()
}

impl Http {
    /// A server without the control routes (`--setup public-api`): the capabilities are
    /// the defaults (a real clock, the default profile) and the JWKS is the one `project_id`
    /// publishes at the standard route. Calls authenticate as `project_id`.
    pub fn public(
        base: &str,
        options: HttpOptions,
        project_id: &str,
    ) -> Result<Http, AdapterError> {
        if !base.starts_with("http://") {
            return Err(AdapterError::new(format!(
                "{base:?}: only http:// base URLs are supported"
            )));
        }
        let mut http = Http {
            agent: agent(options.timeout),
            base: base.trim_end_matches('/').to_owned(),
            capabilities: Capabilities::default(),
            options,
            authorization: None,
        };
        http.authenticate_as(project_id);
        http.capabilities.jwks = http.fetch_jwks_of(project_id)?;
        Ok(http)
    }

    /// Sends HTTP Basic `project_id:secret` from now on (no header without a secret).
    pub(crate) fn authenticate_as(&mut self, project_id: &str) {
        self.authorization = self.options.secret.as_ref().map(|secret| {
            let pair = format!("{project_id}:{secret}");
            format!("Basic {}", STANDARD.encode(pair))
        });
    }

    /// An authenticated management call (`method` on `path` with an optional JSON body):
    /// the status and the reply as JSON (`null` when it is not JSON).
    pub(crate) fn management(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), AdapterError> {
        let url = format!("{}{path}", self.base);
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| AdapterError::new(e.to_string()))?
            .unwrap_or_default();
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Content-Type", "application/json");
        let request = match &self.authorization {
            Some(a) => request.header("Authorization", a),
            None => request,
        };
        let request = request
            .body(bytes)
            .map_err(|e| AdapterError::new(format!("{url}: {e}")))?;
        let response = self.agent.run(request).map_err(|e| transport(&url, e))?;
        let status = response.status().as_u16();
        let bytes = self.read_reply(response, &url)?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// The body of a reply from `url`, at most `max_reply_bytes` of it.
    fn read_reply(
        &self,
        mut response: ureq::http::Response<ureq::Body>,
        url: &str,
    ) -> Result<Vec<u8>, AdapterError> {
        response
            .body_mut()
            .with_config()
            .limit(self.options.max_reply_bytes)
            .read_to_vec()
            .map_err(|e| transport(url, e))
    }

    /// Connects to `base` with the default [`HttpOptions`] and this secret.
    pub fn connect(base: &str, secret: Option<&str>) -> Result<Http, AdapterError> {
        Http::connect_with(
            base,
            HttpOptions {
                secret: secret.map(str::to_owned),
                ..HttpOptions::default()
            },
        )
    }

    /// Connects to `base` and asks for the capabilities. When they declare no JWKS, it loads
    /// a small world and fetches the JWKS of its project from the standard route
    /// `GET /v1/b2b/sessions/jwks/{project_id}`, so that signatures are checked whenever the
    /// server publishes its keys as Stytch does.
    pub fn connect_with(base: &str, options: HttpOptions) -> Result<Http, AdapterError> {
        if !base.starts_with("http://") {
            return Err(AdapterError::new(format!(
                "{base:?}: only http:// base URLs are supported"
            )));
        }
        let agent = agent(options.timeout);
        let base = base.trim_end_matches('/').to_owned();
        let url = format!("{base}/_conformance/capabilities");
        let mut response = agent.get(&url).call().map_err(|e| transport(&url, e))?;
        if !response.status().is_success() {
            return Err(AdapterError::new(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        let text = response
            .body_mut()
            .with_config()
            .limit(options.max_reply_bytes)
            .read_to_string()
            .map_err(|e| transport(&url, e))?;
        let capabilities = serde_json::from_str(&text).map_err(|e| {
            AdapterError::new(format!("{url}: bad capabilities ({e}): {}", clip(&text)))
        })?;
        let mut http = Http {
            agent,
            base,
            capabilities,
            options,
            authorization: None,
        };
        if http.capabilities.jwks.is_none() {
            http.capabilities.jwks = http.fetch_jwks()?;
        }
        Ok(http)
    }

    /// The JWKS the server publishes for a project of the suite's worlds, if it does.
    fn fetch_jwks(&mut self) -> Result<Option<Value>, AdapterError> {
        let world = crate::gen::world(migrate_model::MemberStatus::Active, 527_040, "{}");
        self.load_world(&world)?;
        self.fetch_jwks_of(&world.project_id)
    }

    /// The JWKS the server publishes for `project_id`, if it does.
    fn fetch_jwks_of(&mut self, project_id: &str) -> Result<Option<Value>, AdapterError> {
        let url = format!("{}/v1/b2b/sessions/jwks/{project_id}", self.base);
        // A route that does not answer is a route not served: signatures are not checked.
        let Ok(mut response) = self.agent.get(&url).call() else {
            return Ok(None);
        };
        if !response.status().is_success() {
            return Ok(None);
        }
        let Ok(text) = response
            .body_mut()
            .with_config()
            .limit(self.options.max_reply_bytes)
            .read_to_string()
        else {
            return Ok(None);
        };
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            return Ok(None);
        };
        Ok(value
            .get("keys")
            .filter(|keys| keys.as_array().is_some_and(|k| !k.is_empty()))
            .map(|keys| serde_json::json!({ "keys": keys })))
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }
}

impl Implementation for Http {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        let url = format!("{}/_conformance/world", self.base);
        let body = serde_json::to_vec(world).map_err(|e| AdapterError::new(e.to_string()))?;
        let mut response = self
            .agent
            .put(&url)
            .header("Content-Type", "application/json")
            .send(&body[..])
            .map_err(|e| transport(&url, e))?;
        if !response.status().is_success() {
            let text = response
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_string()
                .unwrap_or_default();
            return Err(AdapterError::new(format!(
                "{url} answered {}: {}",
                response.status(),
                clip(&text)
            )));
        }
        self.authenticate_as(&world.project_id);
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
        let response = request.send(body).map_err(|e| transport(&url, e))?;
        let status = response.status().as_u16();
        let bytes = self.read_reply(response, &url)?;
        Ok(HttpResponse {
            status,
            body: bytes,
        })
    }
}
