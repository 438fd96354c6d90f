//! JSON Schema validation (the official response and request schemas, the report schema, the
//! vector format) with
//! `boon`, which leaves `serde_json`'s features alone: the suite shares `serde_json` with the
//! code under test and must not change how that code parses numbers.

use serde_json::Value;

/// A compiled schema: [`Validator::new`] once, then [`Validator::errors`] per instance.
pub struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Validator")
    }
}

impl Validator {
    /// Compiles `schema` (draft 2020-12 unless it says otherwise; no remote references).
    pub fn new(schema: Value) -> Result<Validator, String> {
        const LOCATION: &str = "urn:migrate-conformance:schema";
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        compiler
            .add_resource(LOCATION, schema)
            .map_err(|e| format!("{e:#}"))?;
        let mut schemas = boon::Schemas::new();
        let index = compiler
            .compile(LOCATION, &mut schemas)
            .map_err(|e| format!("{e:#}"))?;
        Ok(Validator { schemas, index })
    }

    /// Every violation by `instance`, as (JSON pointer, message); empty when valid.
    pub fn errors(&self, instance: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Err(e) = self.schemas.validate(instance, self.index) {
            leaves(&e, &mut out);
        }
        out
    }

    /// Whether `instance` is valid.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.schemas.validate(instance, self.index).is_ok()
    }
}

/// The innermost errors of a validation error tree, where the actual mismatch is.
fn leaves(e: &boon::ValidationError<'_, '_>, out: &mut Vec<(String, String)>) {
    if e.causes.is_empty() {
        out.push((e.instance_location.to_string(), e.kind.to_string()));
    }
    for cause in &e.causes {
        leaves(cause, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn violations_name_the_place_and_the_problem() {
        let v = Validator::new(json!({
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "integer"}, "b": {"items": {"type": "string"}}}
        }))
        .unwrap();
        assert!(v.errors(&json!({"a": 1, "b": ["x"]})).is_empty());
        let errors = v.errors(&json!({"a": "1", "b": ["x", 2]}));
        let places: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["/a", "/b/1"], "{errors:?}");
        assert!(Validator::new(json!({"type": 5})).is_err());
    }
}
