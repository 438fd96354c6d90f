//! The coverage boundaries of the pitfall catalogue (`conformance/PITFALLS.md`): the input
//! classes where other languages' standard libraries disagree with the semantics, found in a
//! case's request body, the UserInfo reply its token gets, and that reply's email against the
//! world's members. Each name is one of [`crate::runner::all_boundaries`].

use migrate_model::parse::{parse_with_stats, ParseOptions};
use migrate_model::policy::{LoneSurrogate, NestingLimit};
use migrate_model::{Json, UserInfoBody, UserInfoReply};

use crate::gen::Case;

/// The pitfall boundaries, in the order the summary lists them.
pub const PITFALL_BOUNDARIES: &[&str] = &[
    "body = BOM",
    "body = invalid UTF-8",
    "body = encoded surrogate",
    "body = trailing data",
    "body = trailing comma",
    "body = comment",
    "body = non-JSON whitespace around",
    "string = raw control character",
    "string = escaped lone surrogate",
    "number = NaN or Infinity literal",
    "nesting = 101..128",
    "nesting > 1000",
    "duplicate key",
    "field name in another case",
    "number = integer beyond double",
    "unknown field = 1e400",
    "duration = 60.5",
    "duration = true",
    "duration = \"60\"",
    "duration = 2^32 + 60",
    "time beyond 2^31 - 1",
    "now = whole minute",
    "string = \"0\"",
    "string = whitespace around",
    "claims = falsy non-object",
    "claims = array",
    "claims = empty",
    "claims merge = array over array",
    "claims merge = object over object",
    "email = non-ASCII",
    "email = non-ASCII case variant",
    "email = full case folding (ß)",
    "email = Kelvin sign or long s",
    "email = canonically equivalent",
    "email = whitespace around",
    "email = format character inside (U+FEFF, U+200B)",
    "email = U+001C-U+001F inside",
    "email = no-break space",
    "email = non-ASCII White_Space",
    "email = two @",
    "email_verified = \"false\"",
    "slug = non-ASCII case variant",
];

/// The pitfall boundaries `case` sits on, added to `hit`.
pub fn boundaries(case: &Case, hit: &mut Vec<&'static str>) {
    lexical(&case.body, hit);
    let lenient = ParseOptions {
        lone_surrogate: LoneSurrogate::Replace,
        nesting_limit: NestingLimit::Unlimited,
        ..Default::default()
    };
    let Ok((body, _)) = parse_with_stats(&case.body, lenient) else {
        return;
    };
    let Some(request) = body.as_object() else {
        return;
    };
    for key in request.keys() {
        let known = [
            "session_token",
            "organization_id",
            "session_duration_minutes",
            "session_custom_claims",
        ];
        if known
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key) && *k != key.as_str())
        {
            hit.push("field name in another case");
        }
        if !known.contains(&key.as_str()) {
            if let Some(Json::Number(n)) = request.get(key) {
                if !n.to_f64().is_finite() {
                    hit.push("unknown field = 1e400");
                }
            }
        }
    }
    for name in ["session_token", "organization_id"] {
        if let Some(Json::String(s)) = request.get(name) {
            if s == "0" {
                hit.push("string = \"0\"");
            }
            if s.trim() != s {
                hit.push("string = whitespace around");
            }
        }
    }
    if let Some(Json::String(s)) = request.get("organization_id") {
        let (id, slug) = crate::gen::KELVIN_ORG;
        let in_world = case
            .world
            .organizations
            .iter()
            .any(|o| o.organization_id == id);
        if in_world && s != slug && s.to_lowercase() == slug.to_lowercase()
            || s.contains('\u{212a}')
        {
            hit.push("slug = non-ASCII case variant");
        }
    }
    match request.get("session_duration_minutes") {
        Some(Json::Number(n)) => match number_text(n).as_str() {
            "60.5" => hit.push("duration = 60.5"),
            "4294967356" => hit.push("duration = 2^32 + 60"),
            _ => {}
        },
        Some(Json::Bool(true)) => hit.push("duration = true"),
        Some(Json::String(s)) if s == "60" => hit.push("duration = \"60\""),
        _ => {}
    }
    let seconds = duration_seconds(request.get("session_duration_minutes"));
    if case.now.saturating_add(seconds) > i64::from(i32::MAX) {
        hit.push("time beyond 2^31 - 1");
    }
    if case.now % 60 == 0 {
        hit.push("now = whole minute");
    }
    match request.get("session_custom_claims") {
        Some(Json::Bool(false)) => hit.push("claims = falsy non-object"),
        Some(Json::String(s)) if s.is_empty() => hit.push("claims = falsy non-object"),
        Some(Json::Number(n)) if n.to_f64() == 0.0 => hit.push("claims = falsy non-object"),
        Some(Json::Array(items)) => {
            hit.push("claims = array");
            if items.is_empty() {
                hit.push("claims = falsy non-object");
            }
        }
        Some(Json::Object(update)) => {
            if update.is_empty() && case.world.claims_template.is_empty() {
                hit.push("claims = empty");
            }
            let template = &case.world.claims_template;
            for (key, value) in update.iter() {
                match (value, template.get(key.as_str())) {
                    (Json::Array(_), Some(serde_json::Value::Array(_))) => {
                        hit.push("claims merge = array over array");
                    }
                    (Json::Object(_), Some(serde_json::Value::Object(_))) => {
                        hit.push("claims merge = object over object");
                    }
                    _ => {}
                }
            }
            let mut big = false;
            let mut walk: Vec<&Json> = update.values().collect();
            while let Some(v) = walk.pop() {
                match v {
                    Json::Number(n) if n.is_integer_literal() => {
                        big |= !n.to_f64().is_finite();
                    }
                    Json::Array(items) => walk.extend(items.iter()),
                    Json::Object(fields) => walk.extend(fields.values()),
                    _ => {}
                }
            }
            if big {
                hit.push("number = integer beyond double");
            }
        }
        None | Some(Json::Null) if case.world.claims_template.is_empty() => {
            hit.push("claims = empty");
        }
        _ => {}
    }
    let token = match request.get("session_token") {
        Some(Json::String(t)) => t.as_str(),
        _ => return,
    };
    let Some(UserInfoReply::Http { status, body }) = case.world.userinfo.get(token) else {
        return;
    };
    if !(200..=299).contains(status) {
        return;
    }
    let bytes = match body {
        UserInfoBody::Raw(raw) => raw.clone(),
        UserInfoBody::Json(value) => value.to_string().into_bytes(),
    };
    lexical(&bytes, hit);
    let Ok((reply, _)) = parse_with_stats(&bytes, lenient) else {
        return;
    };
    let Some(reply) = reply.as_object() else {
        return;
    };
    if let Some(Json::String(v)) = reply.get("email_verified") {
        if v == "false" {
            hit.push("email_verified = \"false\"");
        }
    }
    if let Some(Json::String(email)) = reply.get("email") {
        let members: Vec<&str> = case
            .world
            .organizations
            .iter()
            .flat_map(|o| o.members.iter().map(|m| m.email.as_str()))
            .collect();
        email_classes(email, &members, hit);
    }
}

/// The session length a duration value asks for, in seconds (60 minutes when it is not a
/// usable integer).
pub(crate) fn duration_seconds(value: Option<&Json>) -> i64 {
    match value {
        Some(Json::Number(n)) => number_text(n)
            .parse::<i64>()
            .map_or(3600, |m| m.saturating_mul(60)),
        _ => 3600,
    }
}

/// A number's text as written (a parsed body keeps it).
fn number_text(n: &migrate_model::Number) -> String {
    match n {
        migrate_model::Number::Text(t) => t.to_string(),
        migrate_model::Number::Double(x) => x.to_string(),
    }
}

/// The text classes of an email, and how it relates to the members' emails.
fn email_classes(email: &str, members: &[&str], hit: &mut Vec<&'static str>) {
    if !email.is_ascii() {
        hit.push("email = non-ASCII");
    }
    if email.trim() != email {
        hit.push("email = whitespace around");
    }
    if email.contains(['\u{feff}', '\u{200b}']) {
        hit.push("email = format character inside (U+FEFF, U+200B)");
    }
    if email.contains(|c| ('\u{1c}'..='\u{1f}').contains(&c)) {
        hit.push("email = U+001C-U+001F inside");
    }
    if email.contains(['\u{a0}', '\u{2007}', '\u{202f}']) {
        hit.push("email = no-break space");
    }
    if email.contains(|c: char| c.is_whitespace() && !c.is_ascii()) {
        hit.push("email = non-ASCII White_Space");
    }
    if email.matches('@').count() > 1 {
        hit.push("email = two @");
    }
    if email.contains(['\u{212a}', '\u{17f}']) {
        hit.push("email = Kelvin sign or long s");
    }
    if email.contains(['\u{df}', '\u{1e9e}']) {
        hit.push("email = full case folding (ß)");
    }
    if email.contains(|c| ('\u{300}'..='\u{36f}').contains(&c)) {
        hit.push("email = canonically equivalent");
    }
    let unicode_variant = members.iter().any(|m| {
        *m != email && !m.eq_ignore_ascii_case(email) && m.to_lowercase() == email.to_lowercase()
    });
    if unicode_variant {
        hit.push("email = non-ASCII case variant");
    }
}

/// Lexical classes of a document's bytes.
fn lexical(bytes: &[u8], hit: &mut Vec<&'static str>) {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        hit.push("body = BOM");
    }
    let encoded_surrogate = bytes
        .windows(2)
        .any(|w| w[0] == 0xED && (0xA0..=0xBF).contains(&w[1]));
    if encoded_surrogate {
        hit.push("body = encoded surrogate");
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        if !encoded_surrogate {
            hit.push("body = invalid UTF-8");
        }
        return;
    };
    let json_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let odd_space = |c: char| (c <= ' ' || c.is_whitespace()) && !json_space(c);
    if text.starts_with(odd_space) || text.ends_with(odd_space) {
        hit.push("body = non-JSON whitespace around");
    }
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    if let Some(Ok(_)) = values.next() {
        if !text[values.byte_offset()..]
            .trim_matches(json_space)
            .is_empty()
        {
            hit.push("body = trailing data");
        }
    }
    let b = text.as_bytes();
    let (mut i, mut in_string) = (0, false);
    while i < b.len() {
        let c = b[i];
        if !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        if in_string {
            match c {
                b'\\' => {
                    if text[i..].starts_with("\\u") && lone_surrogate_at(text, i) {
                        hit.push("string = escaped lone surrogate");
                    }
                    i += 2;
                    continue;
                }
                b'"' => in_string = false,
                0..=0x1F => hit.push("string = raw control character"),
                _ => {}
            }
            i += 1;
            continue;
        }
        let rest = &text[i..];
        if rest.starts_with("NaN") || rest.starts_with("Infinity") {
            hit.push("number = NaN or Infinity literal");
        }
        if rest.starts_with("/*") || rest.starts_with("//") {
            hit.push("body = comment");
        }
        if c == b','
            && rest[1..]
                .trim_start_matches(json_space)
                .starts_with(['}', ']'])
        {
            hit.push("body = trailing comma");
        }
        if c == b'"' {
            in_string = true;
        }
        i += 1;
    }
    let lenient = ParseOptions {
        lone_surrogate: LoneSurrogate::Replace,
        nesting_limit: NestingLimit::Unlimited,
        ..Default::default()
    };
    if let Ok((_, stats)) = parse_with_stats(bytes, lenient) {
        if stats.duplicates_discarded > 0 {
            hit.push("duplicate key");
        }
        if (101..=128).contains(&stats.max_depth) {
            hit.push("nesting = 101..128");
        }
        if stats.max_depth > 1000 {
            hit.push("nesting > 1000");
        }
    }
}

/// Whether the `\u` escape at `i` is a lone surrogate.
fn lone_surrogate_at(text: &str, i: usize) -> bool {
    let unit = |at: usize| {
        text.get(at + 2..at + 6)
            .and_then(|h| u16::from_str_radix(h, 16).ok())
    };
    match unit(i) {
        Some(0xD800..=0xDBFF) => {
            !(text.get(i + 6..i + 8) == Some("\\u") && matches!(unit(i + 6), Some(0xDC00..=0xDFFF)))
        }
        Some(0xDC00..=0xDFFF) => {
            // A low surrogate is lone unless a high one comes just before it.
            let before = i.checked_sub(6);
            !before.is_some_and(|at| {
                text.get(at..at + 2) == Some("\\u") && matches!(unit(at), Some(0xD800..=0xDBFF))
            })
        }
        _ => false,
    }
}
