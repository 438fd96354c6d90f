//! The HTTP layer: routes, credentials, body limits, the error envelope, logging, and the
//! server's lifetime. It stays thin: each handler checks the credentials, reads the body, and
//! hands the work to the [`Engine`], making the UserInfo call itself between
//! [`Engine::begin`] and [`Engine::finish`] so that no lock is held across I/O.
//!
//! | method and path | auth | what |
//! |---|---|---|
//! | `POST /v1/b2b/sessions/migrate` | Basic | the call |
//! | `GET /v1/b2b/sessions/jwks/{project_id}` | none | the keys that verify session JWTs |
//! | `POST /v1/b2b/organizations` | Basic | create an organization |
//! | `GET /v1/b2b/organizations/{organization_id}` | Basic | get an organization |
//! | `POST /v1/b2b/organizations/{organization_id}/members` | Basic | create a member |
//! | `GET /v1/b2b/organizations/{organization_id}/member?member_id=...` (or `email_address=...`) | Basic | get a member |
//! | `GET /v1/b2b/organizations/members/dangerously_get/{member_id}` | Basic | get a member by id |
//! | `POST /v1/b2b/organizations/members/search` | Basic | search members |
//! | `GET /_conformance/capabilities`, `PUT /_conformance/world` | none | test control, only with `--control` |
//!
//! Anything else is 404 (`route_not_found`) or 405 (`method_not_allowed`) in Stytch's error
//! envelope; a trailing slash and a query string are ignored in matching.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http_body_util::BodyExt as _;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tower::Layer as _;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::config::Settings;
use crate::engine::management::read_body;
use crate::engine::{new_request_id, ApiError, Engine, ErrorKind, Finished, UserInfoCall};
use crate::userinfo;

/// The header that carries the clock for the suite, with `--control`.
pub const NOW_HEADER: &str = "x-conformance-now";

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    engine: Mutex<Engine>,
    settings: Settings,
    client: reqwest::Client,
}

impl AppState {
    /// The state for `settings`, with `engine` loaded with their world.
    pub fn new(mut engine: Engine, settings: Settings) -> Result<AppState, String> {
        engine.load_world(&settings.world)?;
        engine.set_userinfo_url(settings.userinfo_url.clone());
        let client = reqwest::Client::builder()
            .timeout(settings.userinfo_timeout)
            .build()
            .map_err(|e| format!("cannot build the UserInfo HTTP client: {e}"))?;
        Ok(AppState {
            engine: Mutex::new(engine),
            settings,
            client,
        })
    }

    /// The engine. A panic in an earlier call (caught and answered 500) does not make it
    /// unusable: every call leaves the state consistent before it can panic.
    fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The router with every route and layer, ready to serve.
pub fn app(state: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route("/v1/b2b/sessions/migrate", post(migrate))
        .route("/v1/b2b/sessions/jwks/{project_id}", get(jwks))
        .route("/v1/b2b/organizations", post(create_organization))
        .route(
            "/v1/b2b/organizations/{organization_id}",
            get(get_organization).delete(delete_organization),
        )
        .route(
            "/v1/b2b/organizations/{organization_id}/members",
            post(create_member),
        )
        .route(
            "/v1/b2b/organizations/{organization_id}/member",
            get(get_member),
        )
        .route(
            "/v1/b2b/organizations/{organization_id}/members/{member_id}",
            axum::routing::delete(delete_member),
        )
        .route("/v1/b2b/organizations/members/search", post(search_members))
        .route("/v1/b2b/magic_links/email/invite", post(invite_member))
        .route(
            "/v1/b2b/organizations/members/dangerously_get/{member_id}",
            get(dangerously_get_member),
        );
    if state.settings.control {
        router = router
            .route("/_conformance/capabilities", get(capabilities))
            .route("/_conformance/world", put(load_world));
    }
    router
        .fallback(|| async {
            error(&ApiError::new(
                ErrorKind::RouteNotFound,
                "no route has this path",
            ))
        })
        .method_not_allowed_fallback(|| async {
            error(&ApiError::new(
                ErrorKind::MethodNotAllowed,
                "this route does not take this method",
            ))
        })
        // Handlers read bodies themselves, bounded (see `read_limited`).
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(log_request))
        .layer(CatchPanicLayer::custom(|_| {
            error(&ApiError::new(
                ErrorKind::InternalServerError,
                "the emulator failed on this request",
            ))
        }))
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the calls under
/// way. Sockets get TCP_NODELAY: answers go out at once instead of waiting for an ACK.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    // Trailing slashes are trimmed before routing, so the layer wraps the whole router.
    let service = NormalizePathLayer::trim_trailing_slash().layer(app(state));
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service(service),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// One log line per request: method, path, status and time taken.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        target: "migrate_emulator::request",
        "{method} {path} {} {:.1} ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

/// A JSON answer with the status.
fn json_response(status: u16, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The error envelope of `e`, with a new request id.
fn error(e: &ApiError) -> Response {
    let answer = crate::engine::Response::error(e, new_request_id());
    json_response(answer.status, answer.body)
}

/// A success: `value` (an object) with `request_id` and `status_code` added.
fn success(mut value: Value) -> Response {
    if let Value::Object(map) = &mut value {
        map.insert("request_id".into(), json!(new_request_id()));
        map.insert("status_code".into(), json!(200));
    }
    json_response(200, serde_json::to_vec(&value).unwrap_or_default())
}

/// The answer of a management call.
fn answer(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(value) => success(value),
        Err(e) => error(&e),
    }
}

/// Checks `Authorization: Basic base64(project_id:secret)` against the project.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let unauthorized = |why: &str| {
        ApiError::new(
            ErrorKind::UnauthorizedCredentials,
            format!("{why}; authenticate with HTTP Basic project_id:secret"),
        )
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized("no Authorization header"));
    };
    let decoded = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(|b64| STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let Some(pair) = decoded else {
        return Err(unauthorized("the Authorization header is not HTTP Basic"));
    };
    let (project_id, secret) = pair.split_once(':').unwrap_or((&pair, ""));
    let project_matches = project_id == state.engine().project_id();
    // Compare the secret without an early exit, like a real credential check would.
    let expected = state.settings.secret.as_bytes();
    let given = secret.as_bytes();
    let same_secret = expected.len() == given.len()
        && expected
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if project_matches && same_secret {
        Ok(())
    } else {
        Err(unauthorized("the project id or secret is wrong"))
    }
}

/// How much of an oversized body is read and thrown away before the 413 answer.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// The whole body, up to `limit` bytes. A larger body is 413 `request_too_large`; it is read
/// on to its end (up to [`DRAIN_LIMIT`] more) and discarded first, so that a client still
/// sending it gets the envelope instead of a reset connection.
async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut body = body;
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| ApiError::bad_request(format!("the request body cannot be read: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total <= limit {
            kept.extend_from_slice(&data);
        } else if total > limit.saturating_add(DRAIN_LIMIT) {
            break;
        }
    }
    if total > limit {
        return Err(ApiError::new(
            ErrorKind::RequestTooLarge,
            format!("the request body is larger than this server accepts ({limit} bytes)"),
        ));
    }
    Ok(Bytes::from(kept))
}

/// Checks the credentials, then reads the body.
async fn authorized_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, ApiError> {
    authorize(state, headers)?;
    read_limited(body, state.settings.max_request_bytes).await
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

async fn migrate(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let body = match authorized_body(&state, &headers, body).await {
        Ok(body) => body,
        Err(e) => return error(&e),
    };
    let now = if state.settings.control {
        match headers.get(NOW_HEADER) {
            None => unix_now(),
            Some(value) => match value.to_str().ok().and_then(|v| v.parse::<i64>().ok()) {
                Some(now) => now,
                None => {
                    return error(&ApiError::bad_request(format!(
                        "{NOW_HEADER} must be Unix seconds"
                    )))
                }
            },
        }
    } else {
        unix_now()
    };
    let pending = match state.engine().begin(&body, now) {
        Ok(pending) => pending,
        Err(answer) => return json_response(answer.status, answer.body),
    };
    let reply = match &pending.userinfo {
        UserInfoCall::Answered(reply) => reply.clone(),
        UserInfoCall::Fetch { url, token } => {
            userinfo::fetch(
                &state.client,
                url,
                token,
                state.settings.userinfo_timeout,
                state.settings.userinfo_max_bytes,
            )
            .await
        }
    };
    // The engine is locked for the steps that read and change its state only; the RS256
    // signature (about a millisecond) is made after, so that concurrent calls sign in parallel.
    let finished = state.engine().finish_unsigned(pending, reply);
    let answer = match finished {
        Finished::Answer(answer) => answer,
        Finished::ToSign(unsigned) => unsigned.sign(),
    };
    json_response(answer.status, answer.body)
}

async fn jwks(State(state): State<Arc<AppState>>, Path(project_id): Path<String>) -> Response {
    let engine = state.engine();
    if project_id != engine.project_id() {
        return error(&ApiError::new(
            ErrorKind::ProjectNotFound,
            "this server serves the keys of one project, and this is not its id",
        ));
    }
    match engine.jwks() {
        Ok(jwks) => success(jwks),
        Err(e) => error(&ApiError::new(ErrorKind::InternalServerError, e)),
    }
}

async fn create_organization(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = authorized_body(&state, &headers, body).await;
    answer(
        body.and_then(|body| read_body(&body))
            .and_then(|new| state.engine().create_organization(new)),
    )
}

async fn get_organization(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(organization_id): Path<String>,
) -> Response {
    answer(
        authorize(&state, &headers)
            .and_then(|()| state.engine().get_organization(&organization_id)),
    )
}

async fn invite_member(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = authorized_body(&state, &headers, body).await;
    answer(
        body.and_then(|body| read_body(&body))
            .and_then(|invite| state.engine().invite_member(invite)),
    )
}

async fn delete_member(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((organization_id, member_id)): Path<(String, String)>,
) -> Response {
    answer(
        authorize(&state, &headers)
            .and_then(|()| state.engine().delete_member(&organization_id, &member_id)),
    )
}

async fn delete_organization(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(organization_id): Path<String>,
) -> Response {
    answer(
        authorize(&state, &headers)
            .and_then(|()| state.engine().delete_organization(&organization_id)),
    )
}

async fn create_member(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(organization_id): Path<String>,
    body: Body,
) -> Response {
    let body = authorized_body(&state, &headers, body).await;
    answer(
        body.and_then(|body| read_body(&body))
            .and_then(|new| state.engine().create_member(&organization_id, new)),
    )
}

/// The query of `GET .../member`.
#[derive(Debug, Deserialize)]
struct MemberQuery {
    member_id: Option<String>,
    email_address: Option<String>,
}

async fn get_member(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(organization_id): Path<String>,
    query: Result<Query<MemberQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    answer(authorize(&state, &headers).and_then(|()| {
        let Query(query) =
            query.map_err(|_| ApiError::bad_request("the query string cannot be read"))?;
        state.engine().get_member(
            &organization_id,
            query.member_id.as_deref(),
            query.email_address.as_deref(),
        )
    }))
}

async fn dangerously_get_member(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(member_id): Path<String>,
) -> Response {
    answer(authorize(&state, &headers).and_then(|()| state.engine().get_member_by_id(&member_id)))
}

async fn search_members(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = authorized_body(&state, &headers, body).await;
    answer(body.and_then(|body| state.engine().search_members(&body)))
}

async fn capabilities(State(state): State<Arc<AppState>>) -> Response {
    let engine = state.engine();
    let body = json!({
        "controllable_clock": true,
        "profile": engine.profile(),
        "jwks": engine.jwks().ok(),
    });
    json_response(200, body.to_string().into_bytes())
}

async fn load_world(State(state): State<Arc<AppState>>, body: Body) -> Response {
    let body = match read_limited(body, state.settings.max_request_bytes).await {
        Ok(body) => body,
        Err(e) => return error(&e),
    };
    let world = match crate::engine::read_world(&body) {
        Ok(world) => world,
        Err(e) => return error(&ApiError::bad_request(format!("not a world: {e}"))),
    };
    let mut engine = state.engine();
    match engine.load_world(&world) {
        // A world brings its own UserInfo directory: the configured URL no longer applies.
        Ok(()) => {
            engine.set_userinfo_url(None);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error(&ApiError::bad_request(format!(
            "the world cannot be loaded: {e}"
        ))),
    }
}

/// A running emulator on a background thread, for tests: start it, point a client at
/// [`Emulator::url`], and it stops when dropped.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    secret: String,
    project_id: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Emulator {
    /// Starts the correct engine with `settings` (its profile among them) on an ephemeral
    /// loopback port.
    pub fn start(settings: Settings) -> Result<Emulator, String> {
        let engine = Engine::with_profile(settings.profile);
        Emulator::start_with(engine, settings, "127.0.0.1:0")
    }

    /// Starts `engine` (a mutant, say) with `settings` on `listen`. The socket is bound
    /// before this returns, so the URL is ready; callable from inside an async runtime too.
    pub fn start_with(
        engine: Engine,
        settings: Settings,
        listen: &str,
    ) -> Result<Emulator, String> {
        let secret = settings.secret.clone();
        let project_id = settings.world.project_id.clone();
        let state = Arc::new(AppState::new(engine, settings)?);
        let listener = std::net::TcpListener::bind(listen)
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("cannot make the socket non-blocking: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime: {e}"))?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("migrate-emulator".into())
            .spawn(move || {
                let shutdown = async {
                    let _ = rx.await;
                };
                let served = runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener)?;
                    serve(listener, state, shutdown).await
                });
                if let Err(e) = served {
                    tracing::error!(error = %e, "the emulator stopped");
                }
                // Dropping a runtime blocks; this thread is the place for it.
                drop(runtime);
            })
            .map_err(|e| format!("cannot start the server thread: {e}"))?;
        Ok(Emulator {
            addr,
            secret,
            project_id,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The project secret.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The configured project id (a world loaded through the control routes may change it).
    pub fn project_id(&self) -> &str {
        &self.project_id
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
