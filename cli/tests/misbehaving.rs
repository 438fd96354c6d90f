//! Targets that misbehave: servers that sleep, close early, send garbage or huge replies;
//! subprocesses that hang, print junk, exit or answer out of step; an implementation whose
//! signatures nobody can check. Each run ends with named failures, never a hang or a crash.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use migrate_conformance::adapter::{AdapterError, Capabilities, HttpResponse, Implementation};
use migrate_conformance::gen::Property;
use migrate_conformance::http::{Http, HttpOptions};
use migrate_conformance::runner::{run, Report, RunConfig};
use migrate_conformance::subprocess::{Subprocess, SubprocessOptions};
use migrate_conformance_cli::sample::Sample;
use migrate_model::World;

fn config(cases: u32) -> RunConfig {
    RunConfig {
        cases,
        ..RunConfig::default()
    }
}

/// The transport failure messages of a run, one per property that had any.
fn transport_messages(report: &Report) -> Vec<String> {
    report
        .properties
        .iter()
        .filter_map(|p| p.transport.as_ref().map(|t| t.first.clone()))
        .collect()
}

/// Asserts the run failed at the transport level with `expected` in the first message, the
/// remaining properties were skipped, and nothing was reported as a semantic difference.
fn assert_transport_failure(report: &Report, expected: &str) {
    assert!(!report.passed());
    let messages = transport_messages(report);
    assert!(
        messages.first().is_some_and(|m| m.contains(expected)),
        "expected a transport failure mentioning {expected:?}, got {messages:?}"
    );
    assert!(
        report.properties.iter().all(|p| p.failure.is_none()),
        "a transport failure was reported as a semantic one: {:#?}",
        report.properties
    );
    assert!(
        report
            .properties
            .iter()
            .skip(1)
            .all(|p| p.skipped.is_some()),
        "the run went on against a target that stopped answering"
    );
}

// ---- HTTP servers -----------------------------------------------------------------------

/// What a misbehaving server does with a migrate call (the control routes work).
#[derive(Clone, Copy, Debug)]
enum Misbehaviour {
    Sleep,
    Close,
    Garbage,
    Huge,
    /// Declares a `jwks` that is not a JWKS.
    BadJwks,
    /// Closes the connection on the JWKS route.
    JwksRouteCloses,
}

/// Reads one HTTP request: the request line and the body.
fn read_request(stream: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut line = String::new();
    stream.read_line(&mut line).ok()?;
    if line.is_empty() {
        return None;
    }
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        stream.read_line(&mut header).ok()?;
        if header == "\r\n" || header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).ok()?;
    Some((line, body))
}

fn respond(stream: &mut TcpStream, status: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn serve_connection(stream: TcpStream, how: Misbehaviour) {
    let mut writer = stream.try_clone().expect("a second handle");
    let mut reader = BufReader::new(stream);
    while let Some((line, _body)) = read_request(&mut reader) {
        if line.starts_with("GET /_conformance/capabilities") {
            let capabilities: &[u8] = match how {
                Misbehaviour::BadJwks => br#"{"controllable_clock":true,"jwks":5}"#,
                _ => br#"{"controllable_clock":true}"#,
            };
            respond(&mut writer, "200 OK", capabilities);
        } else if line.starts_with("GET /v1/b2b/sessions/jwks/")
            && matches!(how, Misbehaviour::JwksRouteCloses)
        {
            return;
        } else if line.starts_with("PUT /_conformance/world") {
            respond(&mut writer, "204 No Content", b"");
        } else if line.starts_with("POST /v1/b2b/sessions/migrate") {
            match how {
                Misbehaviour::Sleep => std::thread::sleep(Duration::from_secs(40)),
                Misbehaviour::Close => return,
                Misbehaviour::Garbage => {
                    let _ = writer.write_all(b"\x00\x01 this is not HTTP\r\n\r\n");
                    return;
                }
                Misbehaviour::BadJwks | Misbehaviour::JwksRouteCloses => {
                    respond(&mut writer, "400 Bad Request", b"{}");
                }
                Misbehaviour::Huge => {
                    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 157286400\r\n\r\n";
                    let _ = writer.write_all(head.as_bytes());
                    let chunk = vec![b' '; 1024 * 1024];
                    for _ in 0..150 {
                        if writer.write_all(&chunk).is_err() {
                            return;
                        }
                    }
                    return;
                }
            }
        } else {
            respond(&mut writer, "404 Not Found", br#"{"error":"no route"}"#);
        }
    }
}

/// A server on loopback that misbehaves `how` on every migrate call.
fn misbehaving_server(how: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("an address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve_connection(stream, how));
        }
    });
    format!("http://{addr}")
}

fn http(url: &str, timeout: Duration) -> Http {
    Http::connect_with(
        url,
        HttpOptions {
            timeout,
            max_reply_bytes: 4 * 1024 * 1024,
            ..HttpOptions::default()
        },
    )
    .expect("connects")
}

#[test]
fn a_declared_jwks_that_is_not_a_jwks_makes_the_target_unusable() {
    let url = misbehaving_server(Misbehaviour::BadJwks);
    let err = Http::connect(&url, None).expect_err("a jwks of 5 is refused");
    assert!(
        err.to_string()
            .contains("jwks must be an object with a keys array"),
        "{err}"
    );
}

#[test]
fn a_jwks_route_that_drops_the_connection_means_signatures_are_not_checked() {
    let url = misbehaving_server(Misbehaviour::JwksRouteCloses);
    let http = http(&url, Duration::from_secs(5));
    assert!(http.capabilities().jwks.is_none());
}

#[test]
fn a_server_that_sleeps_is_a_bounded_transport_failure() {
    let url = misbehaving_server(Misbehaviour::Sleep);
    let report = run(
        &mut http(&url, Duration::from_secs(1)),
        "sleepy",
        &config(5),
    );
    assert_transport_failure(&report, "timeout");
    // Three timeouts in a row end the run; no case was shrunk (each property ran its own
    // cases only).
    let sent: u32 = report.properties.iter().map(|p| p.cases).sum();
    assert_eq!(sent, 3, "{:#?}", report.properties);
}

#[test]
fn a_server_that_closes_the_connection_is_a_transport_failure() {
    let url = misbehaving_server(Misbehaviour::Close);
    let report = run(
        &mut http(&url, Duration::from_secs(5)),
        "closer",
        &config(5),
    );
    assert_transport_failure(&report, "/v1/b2b/sessions/migrate");
}

#[test]
fn a_server_that_answers_garbage_is_a_transport_failure() {
    let url = misbehaving_server(Misbehaviour::Garbage);
    let report = run(
        &mut http(&url, Duration::from_secs(5)),
        "garbage",
        &config(5),
    );
    assert_transport_failure(&report, "/v1/b2b/sessions/migrate");
}

#[test]
fn a_huge_reply_is_capped_and_the_cap_is_named() {
    let url = misbehaving_server(Misbehaviour::Huge);
    let report = run(&mut http(&url, Duration::from_secs(10)), "huge", &config(5));
    assert_transport_failure(&report, "4194304-byte cap");
}

#[test]
fn a_server_that_never_started_is_a_clear_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let e = Http::connect(&format!("http://127.0.0.1:{port}"), None).expect_err("refused");
    assert!(e.is_transport(), "{e:?}");
}

// ---- Subprocesses -----------------------------------------------------------------------

/// A subprocess that answers the capabilities, then does `script` with each later line
/// (`$l` holds it).
fn shell(script: &str) -> Subprocess {
    let program =
        format!("read l; echo '{{\"controllable_clock\":true}}'; while read l; do {script}; done");
    Subprocess::spawn_with(
        "sh",
        &["-c".to_owned(), program],
        SubprocessOptions {
            timeout: Duration::from_secs(1),
            ..SubprocessOptions::default()
        },
    )
    .expect("starts")
}

#[test]
fn a_subprocess_that_hangs_is_killed_and_named() {
    let mut sub = shell("sleep 100");
    let report = run(&mut sub, "hangs", &config(5));
    assert_transport_failure(&report, "no answer within 1.0 s");
    assert!(sub.restarts() >= 1, "the hung child was not replaced");
}

#[test]
fn a_subprocess_that_prints_junk_is_restarted() {
    let mut sub = shell("echo 'debug: got a request'");
    let report = run(&mut sub, "junk", &config(5));
    assert_transport_failure(&report, "outside the protocol");
    assert!(sub.restarts() >= 1);
}

#[test]
fn a_subprocess_that_exits_is_restarted_and_named() {
    let mut sub = shell("exit 3");
    let report = run(&mut sub, "exits", &config(5));
    assert_transport_failure(&report, "closed its output");
}

#[test]
fn a_subprocess_that_answers_out_of_step_is_a_transport_failure() {
    // Every request gets the answer to a load_world.
    let mut sub = shell("echo '{\"ok\":true}'");
    let report = run(&mut sub, "out of step", &config(5));
    assert_transport_failure(&report, "no valid status and body_base64");
}

#[test]
fn a_stray_line_costs_one_case_and_the_run_goes_on() {
    // The real implementation behind a wrapper that, once, writes a stray line first: the
    // child is restarted, and every later case passes.
    let exe = env!("CARGO_BIN_EXE_migrate-conformance");
    let marker = std::env::temp_dir().join(format!("stray-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let script = format!(
        "if [ ! -e '{m}' ]; then touch '{m}'; read l; echo '{{\"controllable_clock\":true}}'; read l; echo stray; fi; exec '{exe}' serve-stdio",
        m = marker.display()
    );
    let mut sub = Subprocess::spawn_with(
        "sh",
        &["-c".to_owned(), script],
        SubprocessOptions {
            timeout: Duration::from_secs(10),
            ..SubprocessOptions::default()
        },
    )
    .expect("starts");
    let cfg = RunConfig {
        properties: vec![Property::Session],
        ..config(10)
    };
    let report = run(&mut sub, "stray", &cfg);
    let _ = std::fs::remove_file(&marker);
    let property = &report.properties[0];
    assert_eq!(
        property.transport.as_ref().map(|t| t.count),
        Some(1),
        "{property:#?}"
    );
    assert!(property.failure.is_none(), "{property:#?}");
    assert_eq!(property.cases, 10);
    assert_eq!(sub.restarts(), 1);
}

// ---- Signatures -----------------------------------------------------------------------

/// The sample with its signatures forged and no JWKS declared.
struct Forger(Sample);

impl Implementation for Forger {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            jwks: None,
            ..self.0.capabilities()
        }
    }
    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        self.0.load_world(world)
    }
    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        let mut response = self.0.call(body, now)?;
        let mut value: serde_json::Value =
            serde_json::from_slice(&response.body).map_err(|e| AdapterError::new(e.to_string()))?;
        if let Some(jwt) = value["session_jwt"].as_str() {
            let (signed, _) = jwt.rsplit_once('.').unwrap_or((jwt, ""));
            value["session_jwt"] = format!("{signed}.Zm9yZ2Vk").into();
            response.body =
                serde_json::to_vec(&value).map_err(|e| AdapterError::new(e.to_string()))?;
        }
        Ok(response)
    }
}

#[test]
fn forged_signatures_without_a_jwks_do_not_pass() {
    let cfg = RunConfig {
        properties: vec![Property::Session],
        ..config(10)
    };
    let report = run(&mut Forger(Sample::new()), "forger", &cfg);
    assert!(!report.signatures_checked);
    assert!(!report.verdict(false), "an unchecked signature passed");
    // Only a deliberate --no-signature-check lets it through.
    assert!(report.verdict(true));
    let text = migrate_conformance::summary::render(
        &report,
        &migrate_conformance::summary::Reproduce::target("--target forger"),
    );
    assert!(text.contains("NOT checked"), "{text}");
}
