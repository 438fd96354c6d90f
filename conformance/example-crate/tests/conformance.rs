//! The whole conformance suite as `cargo test` tests: `cargo test -p
//! migrate-conformance-example -- conformance::duration` runs one property.
//!
//! The adapter below is the only glue: it tells the suite what the implementation declares,
//! hands it each world, and passes each request body and clock through.

use migrate_conformance::{AdapterError, Capabilities, HttpResponse, Implementation};
use migrate_conformance_example::MyImplementation;
use migrate_model::World;

struct Adapter(MyImplementation);

impl Implementation for Adapter {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // The implementation takes the time as an argument, so the suite can set it.
            controllable_clock: true,
            profile: self.0.profile(),
            // With the JWKS declared, the suite verifies every JWT signature.
            jwks: Some(self.0.jwks().map_err(AdapterError::new).expect("a JWKS")),
        }
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        self.0.load_world(world).map_err(AdapterError::new)
    }

    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        let now = now.ok_or("the suite always sets the clock of a controllable implementation")?;
        let answer = self.0.migrate(body, now);
        Ok(HttpResponse {
            status: answer.status,
            body: answer.body,
        })
    }
}

fn main() {
    migrate_conformance::testing::main(|| Box::new(Adapter(MyImplementation::new())));
}
