//! The whole conformance suite as `cargo test` tests: `cargo test -p
//! migrate-conformance-example -- conformance::duration` runs one property.
//!
//! The adapter below is the only glue: it declares the service's profile, clock and JWKS,
//! turns each world into the service's directory and a UserInfo stub, and passes each request
//! body and clock through.

use std::collections::BTreeMap;

use migrate_conformance::{jwks, AdapterError, Capabilities, HttpResponse, Implementation};
use migrate_conformance::{Policy, UserInfoReply, World};
use migrate_conformance_example::{serde_json, Service, SIGNING_KEY_ID, SIGNING_KEY_PEM};

/// The service, and what its UserInfo endpoint answers for each token.
struct Adapter(Service, BTreeMap<String, UserInfoReply>);

impl Implementation for Adapter {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // The service takes the time as an argument, so the suite can set it.
            controllable_clock: true,
            profile: Policy::default(),
            // With the JWKS declared, the suite verifies every JWT signature.
            jwks: Some(
                jwks::from_private_pem(SIGNING_KEY_PEM, SIGNING_KEY_ID).expect("the signing key"),
            ),
        }
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        // The service reads its directory as JSON, with the field names a world has.
        let directory = serde_json::to_value(world).and_then(serde_json::from_value);
        self.0.load(directory.map_err(|e| e.to_string())?);
        self.1 = world.userinfo.clone();
        Ok(())
    }

    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        let userinfo = |token: &str| match self.1.get(token) {
            // A token the endpoint does not know gets what a real endpoint answers.
            None => Ok((401, b"{\"error\":\"invalid_token\"}".to_vec())),
            Some(UserInfoReply::Unreachable) => Err("connection refused".to_owned()),
            Some(UserInfoReply::Http { status, body }) => Ok((*status, body.to_bytes())),
        };
        let now = now.ok_or("the suite sets the clock of a controllable implementation")?;
        let (status, body) = self.0.migrate(body, now, &userinfo);
        Ok(HttpResponse { status, body })
    }
}

fn main() {
    migrate_conformance::testing::Suite::new(|| Box::new(Adapter(Service::new(), BTreeMap::new())))
        .expected_failures(include_str!("expected-failures.txt"))
        .run()
}
