//! The subprocess adapter: an implementation in any language, spoken to over standard input
//! and output, one JSON object per line.
//!
//! The protocol (every line one JSON object; the implementation answers each request line
//! with exactly one line):
//!
//! | the suite sends | the implementation answers |
//! |---|---|
//! | `{"op":"capabilities"}` | `{"controllable_clock":true,"profile":{...},"jwks":{...}}` (see [`Capabilities`]; every field optional) |
//! | `{"op":"load_world","world":{...}}` | `{"ok":true}` or `{"error":"why"}` |
//! | `{"op":"call","body_base64":"...","now":1700000000}` (`now` is `null` without a controllable clock) | `{"status":200,"body_base64":"..."}` or `{"error":"why"}` |
//!
//! The world is [`migrate_model::World`] as JSON. Standard error is passed through.
//! [`serve`] implements the other side for any Rust [`Implementation`]; `migrate-conformance
//! serve-stdio` runs it for the sample, as a reference for implementers.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use migrate_model::World;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::adapter::{clip, AdapterError, Capabilities, HttpResponse, Implementation};

/// A request line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Asks for the capabilities.
    Capabilities,
    /// Loads a world.
    LoadWorld {
        /// The world.
        world: Box<World>,
    },
    /// Makes a call.
    Call {
        /// The raw request body, base64.
        body_base64: String,
        /// The clock, when controllable.
        now: Option<i64>,
    },
}

/// How the adapter talks to the process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubprocessOptions {
    /// The most one answer may take (default 10 s).
    pub timeout: Duration,
    /// The longest answer line read (default 32 MiB: a 16 MiB body in base64, and more).
    pub max_line_bytes: u64,
}

impl Default for SubprocessOptions {
    fn default() -> Self {
        SubprocessOptions {
            timeout: Duration::from_secs(10),
            max_line_bytes: 32 * 1024 * 1024,
        }
    }
}

/// What the reader thread sends: a line, the end of the output, or a line over the cap.
enum Line {
    Text(Vec<u8>),
    Closed,
    TooLong,
    Failed(String),
}

/// One running child: its input, and the lines a thread reads off its output.
struct Process {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    lines: Receiver<Line>,
}

impl Process {
    fn start(program: &str, args: &[String], max_line: u64) -> Result<Process, String> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| e.to_string())?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("it has no standard input or output".into());
        };
        let (tx, lines) = mpsc::channel();
        // The thread ends when the output closes (the child exits or is killed).
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                let read = (&mut reader)
                    .take(max_line + 1)
                    .read_until(b'\n', &mut line);
                let message = match read {
                    Ok(0) => Line::Closed,
                    Ok(_) if line.len() as u64 > max_line => Line::TooLong,
                    Ok(_) => Line::Text(line),
                    Err(e) => Line::Failed(e.to_string()),
                };
                let last = !matches!(message, Line::Text(_));
                if tx.send(message).is_err() || last {
                    return;
                }
            }
        });
        Ok(Process {
            child,
            stdin: BufWriter::new(stdin),
            lines,
        })
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An implementation running as a child process. A child that fails the protocol (no
/// answer within the timeout, a line that is not JSON, an answer too long, output closed)
/// is killed; the next request starts a new one.
pub struct Subprocess {
    program: String,
    args: Vec<String>,
    command: String,
    options: SubprocessOptions,
    process: Option<Process>,
    capabilities: Capabilities,
    restarts: u32,
}

impl std::fmt::Debug for Subprocess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subprocess")
            .field("command", &self.command)
            .field("restarts", &self.restarts)
            .finish()
    }
}

impl Subprocess {
    /// Starts `program` with `args` and the default [`SubprocessOptions`].
    pub fn spawn(program: &str, args: &[String]) -> Result<Subprocess, AdapterError> {
        Subprocess::spawn_with(program, args, SubprocessOptions::default())
    }

    /// Starts `program` with `args` and asks for its capabilities.
    pub fn spawn_with(
        program: &str,
        args: &[String],
        options: SubprocessOptions,
    ) -> Result<Subprocess, AdapterError> {
        let command = std::iter::once(program.to_owned())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let process = Process::start(program, args, options.max_line_bytes)
            .map_err(|e| AdapterError::new(format!("cannot start {command:?}: {e}")))?;
        let mut sub = Subprocess {
            program: program.to_owned(),
            args: args.to_vec(),
            command,
            options,
            process: Some(process),
            capabilities: Capabilities::default(),
            restarts: 0,
        };
        let answer = sub.exchange(&Request::Capabilities)?;
        sub.capabilities = serde_json::from_value(answer)
            .map_err(|e| AdapterError::new(format!("{}: bad capabilities: {e}", sub.command)))?;
        Ok(sub)
    }

    /// How many times the child was restarted after a protocol failure.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    fn exchange(&mut self, request: &Request) -> Result<Value, AdapterError> {
        let line = serde_json::to_string(request).map_err(|e| AdapterError::new(e.to_string()))?;
        let result = self.exchange_line(&line);
        if let Err(e) = &result {
            if e.is_transport() {
                // The stream cannot be trusted any more: the next request gets a new child.
                self.process = None;
            }
        }
        result
    }

    fn exchange_line(&mut self, line: &str) -> Result<Value, AdapterError> {
        let command = self.command.clone();
        if self.process.is_none() {
            let process = Process::start(&self.program, &self.args, self.options.max_line_bytes)
                .map_err(|e| AdapterError::transport(format!("cannot restart {command:?}: {e}")))?;
            self.restarts += 1;
            self.process = Some(process);
        }
        let Some(process) = self.process.as_mut() else {
            return Err(AdapterError::transport(format!(
                "{command:?} is not running"
            )));
        };
        let io =
            |e: std::io::Error| AdapterError::transport(format!("writing to {command:?}: {e}"));
        writeln!(process.stdin, "{line}").map_err(io)?;
        process.stdin.flush().map_err(io)?;
        let answer = match process.lines.recv_timeout(self.options.timeout) {
            Ok(Line::Text(text)) => text,
            Ok(Line::Closed) | Err(RecvTimeoutError::Disconnected) => {
                let status = process
                    .child
                    .try_wait()
                    .ok()
                    .flatten()
                    .map_or_else(|| "still running".to_owned(), |s| s.to_string());
                return Err(AdapterError::transport(format!(
                    "{command:?} closed its output ({status})"
                )));
            }
            Ok(Line::TooLong) => {
                return Err(AdapterError::transport(format!(
                    "{command:?} answered a line longer than the {}-byte cap",
                    self.options.max_line_bytes
                )))
            }
            Ok(Line::Failed(e)) => {
                return Err(AdapterError::transport(format!(
                    "reading from {command:?}: {e}"
                )))
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(AdapterError::transport(format!(
                    "{command:?} gave no answer within {:.1} s",
                    self.options.timeout.as_secs_f64()
                )))
            }
        };
        let value: Value = serde_json::from_slice(&answer).map_err(|e| {
            let shown = String::from_utf8_lossy(&answer[..answer.len().min(300)]).into_owned();
            AdapterError::transport(format!(
                "{command:?} answered a line outside the protocol ({e}): {shown:?}"
            ))
        })?;
        if let Some(error) = value.get("error") {
            return Err(AdapterError::new(format!("{command:?} reported: {error}")));
        }
        if !value.is_object() {
            return Err(AdapterError::transport(format!(
                "{command:?} answered a line outside the protocol: {value}"
            )));
        }
        Ok(value)
    }
}

impl Implementation for Subprocess {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        self.exchange(&Request::LoadWorld {
            world: Box::new(world.clone()),
        })
        .map(|_| ())
    }

    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        let answer = self.exchange(&Request::Call {
            body_base64: STANDARD.encode(body),
            now,
        })?;
        let status = answer
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok());
        let body = answer.get("body_base64").and_then(Value::as_str);
        let (Some(status), Some(body)) = (status, body) else {
            // An answer without these fields belongs to another request: the stream is out
            // of step, so it is a transport failure and the child is restarted.
            self.process = None;
            return Err(AdapterError::transport(format!(
                "no valid status and body_base64 in the answer to a call: {}",
                clip(&answer.to_string())
            )));
        };
        let body = STANDARD
            .decode(body)
            .map_err(|e| AdapterError::new(format!("body_base64 is not base64: {e}")))?;
        Ok(HttpResponse { status, body })
    }
}

/// Serves `imp` over the protocol on `input` and `output` until `input` ends.
pub fn serve(
    imp: &mut dyn Implementation,
    input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        // Exact numbers in the world's claims template, whatever serde_json's features.
        let request = migrate_model::json::to_serde_exact(line.as_bytes())
            .and_then(|v| serde_json::from_value::<Request>(v).map_err(|e| e.to_string()));
        let answer = match request {
            Err(e) => json!({"error": format!("not a protocol request: {e}")}),
            Ok(Request::Capabilities) => serde_json::to_value(imp.capabilities())
                .unwrap_or_else(|e| json!({"error": e.to_string()})),
            Ok(Request::LoadWorld { world }) => match imp.load_world(&world) {
                Ok(()) => json!({"ok": true}),
                Err(e) => json!({"error": e.message}),
            },
            Ok(Request::Call { body_base64, now }) => match STANDARD.decode(body_base64) {
                Err(e) => json!({"error": format!("body_base64: {e}")}),
                Ok(body) => match imp.call(&body, now) {
                    Ok(r) => json!({"status": r.status, "body_base64": STANDARD.encode(r.body)}),
                    Err(e) => json!({"error": e.message}),
                },
            },
        };
        writeln!(output, "{answer}")?;
        output.flush()?;
    }
    Ok(())
}
