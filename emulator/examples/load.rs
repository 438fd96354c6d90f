//! A bounded loopback load test: 10 000 migrate calls from 8 concurrent keep-alive clients
//! against an emulator started in this process (or the one at `--url`), then calls/s and
//! latency percentiles. Exits 1 if any call did not succeed.
//!
//! ```sh
//! cargo run --release -p migrate-emulator --example load
//! cargo run --release -p migrate-emulator --example load -- --calls 20000 --clients 16
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use migrate_emulator::config::Config;
use migrate_emulator::Emulator;

const CONFIG: &str = r#"
[userinfo.tokens]
"tok-load" = { email = "load@acme.test" }
[[organizations]]
organization_id = "organization-test-load"
slug = "load"
[[organizations.members]]
email = "load@acme.test"
"#;

const BODY: &str = r#"{"session_token":"tok-load","organization_id":"organization-test-load","session_duration_minutes":120,"session_custom_claims":{"plan":"pro","nested":{"a":1}}}"#;

struct Options {
    calls: usize,
    clients: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        calls: 10_000,
        clients: 8,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|&n| n > 0)
                .ok_or(format!("{name} needs a positive number"))
        };
        match arg.as_str() {
            "--calls" => options.calls = number("--calls")?,
            "--clients" => options.clients = number("--clients")?,
            other => {
                return Err(format!(
                    "unknown argument {other:?} (--calls N, --clients N)"
                ))
            }
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let settings = match Config::from_toml(CONFIG).and_then(Config::settings) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let emulator = match Emulator::start(settings) {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let url = format!("{}/v1/b2b/sessions/migrate", emulator.url());
    let auth = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", emulator.project_id(), emulator.secret()))
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (latencies, failures, elapsed) = runtime.block_on(run(&options, url, auth));
    report(&options, latencies, &failures, elapsed);
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn run(
    options: &Options,
    url: String,
    auth: String,
) -> (Vec<Duration>, Vec<String>, Duration) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.clients)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let shared = Arc::new((client, url, auth));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..options.clients {
        // Spread the calls over the clients; the first ones take the remainder.
        let calls =
            options.calls / options.clients + usize::from(index < options.calls % options.clients);
        let shared = Arc::clone(&shared);
        tasks.push(tokio::spawn(async move {
            let (client, url, auth) = &*shared;
            let mut latencies = Vec::with_capacity(calls);
            let mut failures = Vec::new();
            for _ in 0..calls {
                let call = Instant::now();
                let outcome = client
                    .post(url)
                    .header("Authorization", auth)
                    .header("Content-Type", "application/json")
                    .body(BODY)
                    .send()
                    .await;
                match outcome {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await;
                        if !status.is_success() || body.is_err() {
                            failures.push(format!("HTTP {status}: {body:?}"));
                        }
                    }
                    Err(e) => failures.push(e.to_string()),
                }
                latencies.push(call.elapsed());
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::with_capacity(options.calls);
    let mut failures = Vec::new();
    for task in tasks {
        match task.await {
            Ok((l, f)) => {
                latencies.extend(l);
                failures.extend(f);
            }
            Err(e) => failures.push(format!("a client task failed: {e}")),
        }
    }
    (latencies, failures, started.elapsed())
}

fn report(options: &Options, mut latencies: Vec<Duration>, failures: &[String], elapsed: Duration) {
    latencies.sort();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1);
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "load: {} migrate calls, {} keep-alive clients, {:.2} s, {:.0} calls/s",
        latencies.len(),
        options.clients,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency ms: p50 {:.2}, p90 {:.2}, p99 {:.2}, max {:.2}",
        at(0.50),
        at(0.90),
        at(0.99),
        at(1.0)
    );
    if failures.is_empty() {
        println!("errors: 0");
    } else {
        println!("errors: {} (first: {})", failures.len(), failures[0]);
    }
}
