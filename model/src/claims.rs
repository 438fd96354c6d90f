//! Step 9: claims filtering, the deep merge with null-delete, and the size limit.

use crate::canonical;
use crate::fault::{Fault, Trace};
use crate::json::{Json, Object};
use crate::policy::{EmptyObjectAfterDelete, Policy};
use crate::request::{is_reserved, is_stytch_namespaced, to_policy_numbers};
use crate::rules::Rule;
use crate::ErrorType;

/// Removes the top-level reserved and `https://stytch.com/` keys; reports whether any was
/// there. Nested keys of the same names are ordinary data.
pub fn drop_reserved(claims: &mut Object) -> bool {
    let before = claims.len();
    claims.retain(|k, _| !is_reserved(k) && !is_stytch_namespaced(k));
    claims.len() != before
}

/// Deep-merges `update` into `target`: a value adds or overwrites a key, `null` deletes it,
/// objects merge deeply, arrays and scalars replace. An object with nothing to merge into is
/// merged into `{}`, so its nested nulls delete nothing and vanish.
///
/// Recursion follows only paths where both sides hold objects, so its depth is bounded by
/// `target`'s; everything else is iterative.
pub fn merge(target: &mut Object, update: Object, empty: EmptyObjectAfterDelete) {
    merge_traced(target, update, empty, 1, &mut Trace::default());
}

/// [`merge`] onto `{}`: the update with its nulls removed at every depth (and, under
/// `empty-object-after-delete = remove`, the objects that left empty).
pub fn merge_into_empty(update: Object, empty: EmptyObjectAfterDelete) -> Object {
    into_empty(update, empty, &mut Trace::default())
}

fn merge_traced(
    target: &mut Object,
    update: Object,
    empty: EmptyObjectAfterDelete,
    depth: usize,
    trace: &mut Trace,
) {
    // Onto an empty object, an update without a `null` in any of its objects is the result
    // as it is: every member is added (rule add-overwrite), nothing is deleted or left empty,
    // and only arrays are worth a trace entry. That is the common case (no template, or
    // `{}`), and it needs no copy.
    if target.is_empty() {
        if let (false, arrays) = nulls_and_arrays(&update) {
            if !update.is_empty() {
                trace.hit(Rule::ClaimsMergeAddOverwrite);
            }
            if arrays {
                trace.hit(Rule::ClaimsMergeArraysReplaced);
            }
            *target = update;
            return;
        }
    }
    for (key, mut value) in update {
        if let Json::Null = value {
            trace.hit(if depth == 1 {
                Rule::ClaimsMergeNullDeletes
            } else {
                Rule::ClaimsMergeNullDeletesNested
            });
            target.remove(&key);
            continue;
        }
        let Some(object) = value.take_object() else {
            if matches!(value, Json::Array(_)) {
                trace.hit(Rule::ClaimsMergeArraysReplaced);
            }
            trace.hit(Rule::ClaimsMergeAddOverwrite);
            target.insert(key, value);
            continue;
        };
        // "Left empty because of nulls": an existing object that had members and has none
        // after the merge, or a new object whose members all vanished. An explicit `{}`, from
        // the update or the template, is kept.
        let left_empty = match target.get_mut(&key) {
            Some(Json::Object(existing)) => {
                trace.hit(Rule::ClaimsMergeDeep);
                let had_members = !existing.is_empty();
                merge_traced(existing, object, empty, depth + 1, trace);
                had_members && existing.is_empty()
            }
            _ => {
                trace.hit(Rule::ClaimsMergeAddOverwrite);
                let had_members = !object.is_empty();
                let cleaned = into_empty(object, empty, trace);
                let left_empty = had_members && cleaned.is_empty();
                target.insert(key.clone(), Json::Object(cleaned));
                left_empty
            }
        };
        if left_empty {
            trace.hit(Rule::ClaimsMergeEmptyObjectAfterDelete);
            if empty == EmptyObjectAfterDelete::Remove {
                target.remove(&key);
            }
        }
    }
}

struct Frame {
    out: Object,
    rest: std::collections::btree_map::IntoIter<String, Json>,
    key: String,
    had_members: bool,
}

/// Merges `update` into `{}` without recursion (the update may be arbitrarily deep).
fn into_empty(update: Object, empty: EmptyObjectAfterDelete, trace: &mut Trace) -> Object {
    // Without a `null` in any of its objects, the update merges onto `{}` as it is: nothing
    // is deleted, so no object is left empty, and only arrays are worth a trace entry. That
    // is the common case, and it needs no copy.
    if let (false, arrays) = nulls_and_arrays(&update) {
        if arrays {
            trace.hit(Rule::ClaimsMergeArraysReplaced);
        }
        return update;
    }
    let mut stack = vec![Frame {
        out: Object::new(),
        rest: update.into_iter(),
        key: String::new(),
        had_members: false,
    }];
    loop {
        let Some(top) = stack.last_mut() else {
            return Object::new();
        };
        match top.rest.next() {
            Some((key, mut value)) => {
                if let Json::Null = value {
                    trace.hit(Rule::ClaimsMergeIntoEmpty);
                    continue;
                }
                match value.take_object() {
                    Some(object) => stack.push(Frame {
                        had_members: !object.is_empty(),
                        out: Object::new(),
                        rest: object.into_iter(),
                        key,
                    }),
                    None => {
                        if matches!(value, Json::Array(_)) {
                            trace.hit(Rule::ClaimsMergeArraysReplaced);
                        }
                        top.out.insert(key, value);
                    }
                }
            }
            None => {
                let Some(done) = stack.pop() else {
                    return Object::new();
                };
                let Some(parent) = stack.last_mut() else {
                    return done.out;
                };
                if done.out.is_empty() && done.had_members {
                    trace.hit(Rule::ClaimsMergeEmptyObjectAfterDelete);
                    if empty == EmptyObjectAfterDelete::Remove {
                        continue;
                    }
                }
                parent.out.insert(done.key, Json::Object(done.out));
            }
        }
    }
}

/// Whether `object` or an object nested in it (through objects only, as [`into_empty`]
/// walks) has a `null` member, and whether one has an array member. Iterative.
fn nulls_and_arrays(object: &Object) -> (bool, bool) {
    let mut arrays = false;
    let mut stack: Vec<&Object> = Vec::new();
    let mut current = object;
    loop {
        for value in current.values() {
            match value {
                Json::Null => return (true, arrays),
                Json::Array(_) => arrays = true,
                Json::Object(o) => stack.push(o),
                _ => {}
            }
        }
        match stack.pop() {
            Some(next) => current = next,
            None => return (false, arrays),
        }
    }
}

/// The template as the base of every session's claims: numbers per `number-precision`,
/// reserved and namespaced keys dropped, nulls dropped (merged onto `{}`).
pub fn template_base(template: &Object, policy: &Policy, trace: &mut Trace) -> Object {
    let mut base = template.clone();
    if base.is_empty() {
        return base;
    }
    trace.hit(Rule::ClaimsTemplateBase);
    // World validation keeps template numbers finite, so this cannot fail.
    let _ = to_policy_numbers(&mut base, policy.number_precision, &mut Trace::default());
    if drop_reserved(&mut base) {
        trace.hit(Rule::ClaimsTemplateReservedDropped);
    }
    let mut nulls = false;
    let mut stack: Vec<&Json> = base.values().collect();
    while let Some(v) = stack.pop() {
        match v {
            Json::Null => nulls = true,
            Json::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    if nulls {
        trace.hit(Rule::ClaimsTemplateNullsDropped);
    }
    into_empty(base, policy.empty_object_after_delete, trace)
}

/// Step 9: the template, the update merged on top, and the size limit.
pub fn final_claims(
    template: &Object,
    update: Option<Object>,
    policy: &Policy,
    trace: &mut Trace,
) -> Result<Object, Fault> {
    let mut claims = template_base(template, policy, trace);
    if let Some(mut update) = update {
        if drop_reserved(&mut update) {
            // Under `reject` step 5 already refused these keys.
            trace.hit(Rule::ClaimsReserved);
        }
        merge_traced(
            &mut claims,
            update,
            policy.empty_object_after_delete,
            1,
            trace,
        );
    }
    check_size(claims, policy, trace)
}

/// The size limit on the final claims map.
pub fn check_size(claims: Object, policy: &Policy, trace: &mut Trace) -> Result<Object, Fault> {
    trace.hit(Rule::ClaimsSizeLimit);
    trace.hit(Rule::ClaimsSizeMeasure);
    let limit = policy.claims_limit_bytes();
    let value = Json::Object(claims);
    let mut negative_zero = false;
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        match v {
            Json::Number(crate::json::Number::Double(x)) if *x == 0.0 && x.is_sign_negative() => {
                negative_zero = true
            }
            Json::Array(a) => stack.extend(a.iter()),
            Json::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    if negative_zero {
        trace.hit(Rule::ClaimsSizeNegativeZero);
    }
    let size = canonical::size_within(&value, policy.claims_size_measure, limit);
    let mut value = value;
    let claims = value.take_object().unwrap_or_default();
    match size {
        Some(_) => Ok(claims),
        None => Err(Fault::new(
            ErrorType::CustomClaimsTooLarge,
            Rule::ClaimsSizeLimit,
            format!(
                "the final custom claims exceed {limit} bytes ({} measure)",
                policy.claims_size_measure
            ),
        )),
    }
}
