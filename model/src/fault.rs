//! What a step answers when its check fails, and the trace of rules a call exercised.

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
/// decided it. The conformance harness counts these for coverage. A set of bits, one per
/// rule: recording one allocates nothing.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Trace(u128);

// One bit per rule.
const _: () = assert!(Rule::ALL.len() <= 128);

impl Trace {
    /// Records that `rule` applied.
    pub fn hit(&mut self, rule: Rule) {
        self.0 |= 1 << (rule as u32);
    }

    /// Whether `rule` applied.
    pub fn contains(&self, rule: Rule) -> bool {
        self.0 & (1 << (rule as u32)) != 0
    }

    /// The rules, in [`Rule::ALL`] order.
    pub fn rules(&self) -> impl Iterator<Item = Rule> + '_ {
        Rule::ALL.iter().copied().filter(|r| self.contains(*r))
    }
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.rules().map(Rule::id)).finish()
    }
}
