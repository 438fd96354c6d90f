//! The sample implementation in-process: the emulator's [`Engine`] behind the suite's
//! [`Implementation`] trait. This adapter is all the wiring there is; the engine itself
//! knows nothing of the suite.

use std::time::{SystemTime, UNIX_EPOCH};

use migrate_conformance::{AdapterError, Capabilities, HttpResponse, Implementation};
pub use migrate_emulator::engine::Bug;
use migrate_emulator::engine::Engine;
use migrate_model::{MemberStatus, Policy, World};

/// The emulator's engine (correct, or with one [`Bug`]) as an in-process target.
#[derive(Debug, Default)]
pub struct Sample {
    engine: Engine,
    real_clock: bool,
}

impl Sample {
    /// The correct implementation.
    pub fn new() -> Sample {
        Sample::default()
    }

    /// The correct implementation under another policy profile.
    pub fn with_profile(profile: Policy) -> Sample {
        Sample {
            engine: Engine::with_profile(profile),
            real_clock: false,
        }
    }

    /// The same implementation (or mutant) under another policy profile.
    pub fn under(mut self, profile: Policy) -> Sample {
        self.engine.set_profile(profile);
        self
    }

    /// A mutant: the implementation with `bug`, under the profile the bug needs
    /// ([`Bug::profile`]).
    pub fn with_bug(bug: Bug) -> Sample {
        Sample {
            engine: Engine::with_bug(bug),
            real_clock: false,
        }
    }

    /// The same, declaring no controllable clock: each call takes the real time, as most
    /// servers do (to test the suite's handling of real clocks).
    pub fn with_real_clock(self) -> Sample {
        Sample {
            real_clock: true,
            ..self
        }
    }

    /// The bug, if this is a mutant.
    pub fn bug(&self) -> Option<Bug> {
        self.engine.bug()
    }

    /// The stored status of the member with this id.
    pub fn member_status(&self, member_id: &str) -> Option<MemberStatus> {
        self.engine.member_status(member_id)
    }
}

impl Implementation for Sample {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            controllable_clock: !self.real_clock,
            profile: self.engine.profile(),
            jwks: self.engine.jwks().ok(),
        }
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        self.engine.load_world(world).map_err(AdapterError::new)
    }

    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        let now = now.filter(|_| !self.real_clock).unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        });
        let answer = self.engine.migrate(body, now);
        Ok(HttpResponse {
            status: answer.status,
            body: answer.body,
        })
    }
}
