//! What the emulator's tests share: starting it, calling it over real HTTP, and a stand-in
//! for an identity provider's UserInfo endpoint.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use migrate_emulator::config::{Config, Settings};
use migrate_emulator::Emulator;
use serde_json::Value;

/// The configuration most tests start from: one organization with Ada (active) and Pat
/// (pending), and in-memory UserInfo replies for them.
pub const CONFIG: &str = r#"
project_id = "project-test-emulator-tests"
secret = "secret-test-emulator-tests"
[claims_template]
plan = "free"
[userinfo.tokens]
"tok-ada" = { email = "ADA@acme.test" }
"tok-pat" = { email = "pat@acme.test" }
"tok-nobody" = { email = "nobody@acme.test" }
[[organizations]]
organization_id = "organization-test-acme"
slug = "acme"
name = "Acme"
external_id = "ext-acme"
[[organizations.members]]
member_id = "member-test-ada"
email = "ada@acme.test"
roles = ["stytch_member"]
[[organizations.members]]
member_id = "member-test-pat"
email = "pat@acme.test"
status = "pending"
"#;

/// The settings of [`CONFIG`], edited by `edit`.
pub fn settings(edit: impl FnOnce(&mut Config)) -> Settings {
    let mut config = Config::from_toml(CONFIG).expect("the test configuration parses");
    edit(&mut config);
    config.settings().expect("the test configuration is valid")
}

/// The emulator with [`CONFIG`].
pub fn start() -> Emulator {
    Emulator::start(settings(|_| {})).expect("starts")
}

/// An answer: the status and the body as JSON (`Value::Null` when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
}

impl Answer {
    /// The `error_type` of an error envelope, after checking the envelope is whole and its
    /// `status_code` equals the HTTP status.
    pub fn error_type(&self) -> &str {
        for field in ["request_id", "error_type", "error_message", "error_url"] {
            assert!(
                self.body[field].as_str().is_some_and(|s| !s.is_empty()),
                "the envelope lacks {field}: {}",
                self.body
            );
        }
        assert_eq!(self.body["status_code"], self.status, "{}", self.body);
        assert_eq!(self.content_type, "application/json");
        self.body["error_type"].as_str().unwrap_or_default()
    }
}

/// A client for the emulator at `url` with credentials `project_id:secret` (or none).
pub struct Client {
    pub url: String,
    pub auth: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(url: &str, credentials: Option<(&str, &str)>) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Client {
            url: url.to_owned(),
            auth: credentials
                .map(|(p, s)| format!("Basic {}", STANDARD.encode(format!("{p}:{s}")))),
            agent,
        }
    }

    /// A client for `emulator` with its own credentials.
    pub fn of(emulator: &Emulator) -> Client {
        Client::new(
            &emulator.url(),
            Some((emulator.project_id(), emulator.secret())),
        )
    }

    /// Sends `method path` with `body` (raw bytes), reads the answer.
    pub fn send(&self, method: &str, path: &str, body: Option<&[u8]>) -> Answer {
        let url = format!("{}{path}", self.url);
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Content-Type", "application/json");
        let request = match &self.auth {
            Some(auth) => request.header("Authorization", auth),
            None => request,
        };
        let response = match body {
            Some(bytes) => self
                .agent
                .run(request.body(bytes.to_vec()).expect("a request")),
            None => self.agent.run(request.body(()).expect("a request")),
        }
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response
            .into_body()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .expect("a body");
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            content_type,
        }
    }

    pub fn post(&self, path: &str, body: &Value) -> Answer {
        self.send("POST", path, Some(body.to_string().as_bytes()))
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None)
    }

    /// `POST /v1/b2b/sessions/migrate`.
    pub fn migrate(&self, body: &Value) -> Answer {
        self.post("/v1/b2b/sessions/migrate", body)
    }
}

/// A stand-in for an identity provider's UserInfo endpoint, on loopback. The token picks
/// the behaviour: `user:EMAIL` answers `{"email": EMAIL}`; `status:N` answers N; `text`
/// answers a non-JSON body; `slow` answers after five seconds; `huge` answers 3 MiB. It
/// answers 401 to a request without `Authorization: Bearer <token>`.
pub struct UserInfoStub {
    pub addr: SocketAddr,
    _server: Background,
}

/// The stub's runtime and thread; dropping it stops the stub.
struct Background {
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn userinfo(headers: HeaderMap) -> axum::response::Response {
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
    else {
        return (StatusCode::UNAUTHORIZED, "{\"error\":\"no bearer token\"}").into_response();
    };
    if let Some(email) = token.strip_prefix("user:") {
        return axum::Json(serde_json::json!({ "email": email, "sub": "idp-user" }))
            .into_response();
    }
    if let Some(code) = token.strip_prefix("status:") {
        let code = code.parse().ok().and_then(|c| StatusCode::from_u16(c).ok());
        return (
            code.unwrap_or(StatusCode::IM_A_TEAPOT),
            "{\"email\":\"ada@acme.test\"}",
        )
            .into_response();
    }
    match token.as_str() {
        "text" => "<html>signed out</html>".into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            axum::Json(serde_json::json!({ "email": "ada@acme.test" })).into_response()
        }
        "huge" => {
            let padding = "x".repeat(3 * 1024 * 1024);
            axum::Json(serde_json::json!({ "email": "ada@acme.test", "padding": padding }))
                .into_response()
        }
        _ => (StatusCode::UNAUTHORIZED, "{\"error\":\"invalid_token\"}").into_response(),
    }
}

impl UserInfoStub {
    pub fn start() -> UserInfoStub {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("an address");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
                let app = axum::Router::new().route("/userinfo", get(userinfo));
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        UserInfoStub {
            addr,
            _server: Background {
                shutdown: Some(tx),
                thread: Some(thread),
            },
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/userinfo", self.addr)
    }
}
