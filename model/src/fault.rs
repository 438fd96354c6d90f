//! What a step answers when its check fails, and the trace of rules a call exercised.

use std::collections::BTreeSet;

use crate::errors::ErrorType;
use crate::rules::Rule;

/// A failed check: the error it produces, the rule that produced it, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The error type.
    pub error: ErrorType,
    /// The rule whose check failed.
    pub rule: Rule,
    /// A sentence for a person (a suitable `error_message`).
    pub message: String,
}

impl Fault {
    /// A fault of `error` under `rule`.
    pub fn new(error: ErrorType, rule: Rule, message: impl Into<String>) -> Fault {
        Fault {
            error,
            rule,
            message: message.into(),
        }
    }

    /// A `bad_request` under `rule`.
    pub fn bad_request(rule: Rule, message: impl Into<String>) -> Fault {
        Fault::new(ErrorType::BadRequest, rule, message)
    }
}

/// The rules a call exercised: each rule whose situation arose, whichever way its policy
/// decided it. The conformance harness counts these for coverage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace(BTreeSet<Rule>);

impl Trace {
    /// Records that `rule` applied.
    pub fn hit(&mut self, rule: Rule) {
        self.0.insert(rule);
    }

    /// Whether `rule` applied.
    pub fn contains(&self, rule: Rule) -> bool {
        self.0.contains(&rule)
    }

    /// The rules, in [`Rule::ALL`] order.
    pub fn rules(&self) -> impl Iterator<Item = Rule> + '_ {
        self.0.iter().copied()
    }
}
