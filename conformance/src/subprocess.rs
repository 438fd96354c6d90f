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

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use migrate_model::World;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::adapter::{AdapterError, Capabilities, HttpResponse, Implementation};

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

/// An implementation running as a child process.
#[derive(Debug)]
pub struct Subprocess {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    capabilities: Capabilities,
    command: String,
}

impl Subprocess {
    /// Starts `program` with `args` and asks for its capabilities.
    pub fn spawn(program: &str, args: &[String]) -> Result<Subprocess, AdapterError> {
        let command = std::iter::once(program.to_owned())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| AdapterError(format!("cannot start {command:?}: {e}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(AdapterError(format!(
                "{command:?} has no standard input or output"
            )));
        };
        let mut sub = Subprocess {
            child,
            stdin: BufWriter::new(stdin),
            stdout: BufReader::new(stdout),
            capabilities: Capabilities::default(),
            command,
        };
        let answer = sub.exchange(&Request::Capabilities)?;
        sub.capabilities = serde_json::from_value(answer)
            .map_err(|e| AdapterError(format!("{}: bad capabilities: {e}", sub.command)))?;
        Ok(sub)
    }

    fn exchange(&mut self, request: &Request) -> Result<Value, AdapterError> {
        let line = serde_json::to_string(request).map_err(|e| AdapterError(e.to_string()))?;
        let io = |e: std::io::Error| AdapterError(format!("talking to {:?}: {e}", self.command));
        writeln!(self.stdin, "{line}").map_err(io)?;
        self.stdin.flush().map_err(io)?;
        let mut answer = String::new();
        let read = self.stdout.read_line(&mut answer).map_err(io)?;
        if read == 0 {
            return Err(AdapterError(format!(
                "{:?} closed its output",
                self.command
            )));
        }
        let value: Value = serde_json::from_str(&answer).map_err(|e| {
            AdapterError(format!(
                "{:?} answered a line that is not JSON ({e}): {answer:?}",
                self.command
            ))
        })?;
        if let Some(error) = value.get("error") {
            return Err(AdapterError(format!(
                "{:?} reported: {error}",
                self.command
            )));
        }
        Ok(value)
    }
}

impl Drop for Subprocess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| AdapterError(format!("no valid status in {answer}")))?;
        let body = answer
            .get("body_base64")
            .and_then(Value::as_str)
            .ok_or_else(|| AdapterError(format!("no body_base64 in {answer}")))?;
        let body = STANDARD
            .decode(body)
            .map_err(|e| AdapterError(format!("body_base64 is not base64: {e}")))?;
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
        let answer = match serde_json::from_str::<Request>(&line) {
            Err(e) => json!({"error": format!("not a protocol request: {e}")}),
            Ok(Request::Capabilities) => serde_json::to_value(imp.capabilities())
                .unwrap_or_else(|e| json!({"error": e.to_string()})),
            Ok(Request::LoadWorld { world }) => match imp.load_world(&world) {
                Ok(()) => json!({"ok": true}),
                Err(e) => json!({"error": e.0}),
            },
            Ok(Request::Call { body_base64, now }) => match STANDARD.decode(body_base64) {
                Err(e) => json!({"error": format!("body_base64: {e}")}),
                Ok(body) => match imp.call(&body, now) {
                    Ok(r) => json!({"status": r.status, "body_base64": STANDARD.encode(r.body)}),
                    Err(e) => json!({"error": e.0}),
                },
            },
        };
        writeln!(output, "{answer}")?;
        output.flush()?;
    }
    Ok(())
}
