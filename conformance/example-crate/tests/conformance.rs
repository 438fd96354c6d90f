//! The whole conformance suite as `cargo test` tests: `cargo test -p
//! migrate-conformance-example -- conformance::duration` runs one property.

fn main() {
    migrate_conformance::testing::main(|| {
        Box::new(migrate_conformance_example::MyImplementation::new())
    });
}
