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
//! Any status and body of the migrate call are passed to the comparator as they are. Only
//! `http://` is supported: the suite talks to servers on this machine.
//! [`serve`] implements the server side for any Rust [`Implementation`];
//! `migrate-conformance serve-http` runs it for the sample.

use std::time::Duration;

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
}

fn transport(what: &str, e: ureq::Error) -> AdapterError {
    AdapterError(format!("{what}: {e}"))
}

impl Http {
    /// Connects to `base` and asks for the capabilities.
    pub fn connect(base: &str) -> Result<Http, AdapterError> {
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

/// Serves `imp` over HTTP on `server` until the process ends (or the server is unblocked).
pub fn serve(imp: &mut dyn Implementation, server: &tiny_http::Server) {
    for mut request in server.incoming_requests() {
        let mut body = Vec::new();
        let answer = match request.as_reader().read_to_end(&mut body) {
            Err(e) => (400, format!("cannot read the body: {e}").into_bytes()),
            Ok(_) => route(imp, &request, &body),
        };
        let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..]);
        let mut response = tiny_http::Response::from_data(answer.1).with_status_code(answer.0);
        if let Ok(h) = header {
            response.add_header(h);
        }
        // A client that went away is not the server's problem.
        let _ = request.respond(response);
    }
}

fn route(
    imp: &mut dyn Implementation,
    request: &tiny_http::Request,
    body: &[u8],
) -> (u16, Vec<u8>) {
    use tiny_http::Method;
    let error = |status: u16, message: String| {
        (
            status,
            serde_json::json!({ "error": message })
                .to_string()
                .into_bytes(),
        )
    };
    match (request.method(), request.url()) {
        (Method::Get, "/_conformance/capabilities") => {
            match serde_json::to_vec(&imp.capabilities()) {
                Ok(bytes) => (200, bytes),
                Err(e) => error(500, e.to_string()),
            }
        }
        (Method::Put, "/_conformance/world") => match serde_json::from_slice::<World>(body) {
            Err(e) => error(400, format!("not a world: {e}")),
            Ok(world) => match imp.load_world(&world) {
                Ok(()) => (204, Vec::new()),
                Err(e) => error(422, e.0),
            },
        },
        (Method::Post, "/v1/b2b/sessions/migrate") => {
            let now = request
                .headers()
                .iter()
                .find(|h| h.field.equiv(NOW_HEADER))
                .and_then(|h| h.value.as_str().parse::<i64>().ok());
            match imp.call(body, now) {
                Ok(r) => (r.status, r.body),
                Err(e) => error(500, e.0),
            }
        }
        (_, url) => error(404, format!("no route {url}")),
    }
}
