//! Request bodies generated field by field, as JSON text (so that number spellings, escapes,
//! duplicate keys and lone surrogates survive), biased to the boundaries and to the world's
//! own tokens and organization keys.

use arbitrary::{Arbitrary, Result, Unstructured};
use migrate_model::World;

/// Duration texts at and around every boundary.
const DURATIONS: &[&str] = &[
    "60",
    "5",
    "4",
    "527040",
    "527041",
    "0",
    "-0",
    "0.0",
    "-0.0",
    "0e0",
    "null",
    "60.0",
    "6e1",
    "600e-1",
    "60.5",
    "\"60\"",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9223372036854775808",
    "-5",
    "1e400",
    "1e-400",
    "0.0",
    "-0.0",
    "5.000000000000000001",
    "true",
    "false",
    // An integral float beyond 64 bits: read exactly, it is out of range, not wrapped.
    "10000000000000000000.0",
    "[60]",
    "{}",
];

/// Numbers where representations disagree.
const NUMBERS: &[&str] = &[
    "1",
    "0",
    "-0",
    "-0.0",
    "1.5",
    "0.1",
    "1e400",
    "-1e400",
    "1e-400",
    "5e-324",
    "9007199254740993",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "123456789012345678901234567890",
    "1E21",
    "1e21",
    "1e-7",
    "1e-6",
    "60.0",
    "100000000000000000000",
];

/// Keys biased to reserved names, Stytch's namespace and near misses.
const KEYS: &[&str] = &[
    "a",
    "b",
    "plan",
    "features",
    "o",
    "tags",
    "n",
    "e",
    "",
    "é",
    "<&>",
    "\u{2028}",
    "\u{e000}",
    "\u{1f600}",
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "ISS",
    "https://stytch.com/session",
    "https://stytch.com/organization",
    "https://stytch.com/",
    "https://stytch.com",
    "https://stytch.community/x",
];

/// String literals: plain, escaped, non-ASCII, and lone surrogates.
const STRINGS: &[&str] = &[
    r#""x""#,
    r#""""#,
    r#""\u00e9""#,
    r#""\ud83d\ude02""#,
    r#""a\"b\\c\n\t\b\f\/""#,
    r#""<script>&""#,
    "\"\u{2028}\u{2029}\u{7f}\"",
    r#""\u0000""#,
    r#""\ud800""#,
    r#""\udc00\ud800""#,
    r#""\uD83D""#,
];

/// The four field names and misspellings of them.
const FIELD_NAMES: &[&str] = &[
    "session_token",
    "organization_id",
    "session_duration_minutes",
    "session_custom_claims",
    "Session_Token",
    "ORGANIZATION_ID",
    "session_duration_minutes ",
    "sessionCustomClaims",
];

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn pick<'s>(u: &mut Unstructured<'_>, pool: &[&'s str]) -> Result<&'s str> {
    Ok(pool.get(u.choose_index(pool.len())?).copied().unwrap_or(""))
}

/// A key: mostly from the pool, sometimes anything.
fn key(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.choose_index(8)? {
        7 => quoted(&String::arbitrary(u)?),
        _ => quoted(pick(u, KEYS)?),
    })
}

/// A number's text.
fn number(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.choose_index(5)? {
        0 | 1 => pick(u, NUMBERS)?.to_owned(),
        2 => i64::arbitrary(u)?.to_string(),
        3 => {
            let x = f64::arbitrary(u)?;
            if x.is_finite() {
                format!("{x:e}")
            } else {
                "0".to_owned()
            }
        }
        _ => {
            // Grammar-valid pieces: sign, digits, fraction, exponent.
            let mut s = String::new();
            if bool::arbitrary(u)? {
                s.push('-');
            }
            s.push_str(&u64::arbitrary(u)?.to_string());
            if bool::arbitrary(u)? {
                s.push('.');
                s.push_str(&u32::arbitrary(u)?.to_string());
            }
            if bool::arbitrary(u)? {
                s.push(*u.choose(&['e', 'E'])?);
                s.push_str(pick(u, &["", "+", "-"])?);
                s.push_str(&u16::arbitrary(u)?.to_string());
            }
            s
        }
    })
}

/// A JSON value's text, at most `depth` levels of arrays and objects.
pub fn value_text(u: &mut Unstructured<'_>, depth: u32) -> Result<String> {
    let kinds = if depth == 0 { 5 } else { 8 };
    Ok(match u.choose_index(kinds)? {
        0 => pick(u, &["null", "true", "false"])?.to_owned(),
        1 | 2 => number(u)?,
        3 => pick(u, STRINGS)?.to_owned(),
        4 => quoted(&String::arbitrary(u)?),
        5 => {
            let items = (0..u.int_in_range(0..=3)?)
                .map(|_| value_text(u, depth - 1))
                .collect::<Result<Vec<_>>>()?;
            format!("[{}]", items.join(","))
        }
        _ => object_text(u, depth - 1)?,
    })
}

/// A JSON object's text (keys may repeat).
pub fn object_text(u: &mut Unstructured<'_>, depth: u32) -> Result<String> {
    let mut entries = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        entries.push(format!("{}:{}", key(u)?, value_text(u, depth)?));
    }
    Ok(format!("{{{}}}", entries.join(",")))
}

/// Arrays nested around the default limit (the top-level object is level 1).
fn deep(u: &mut Unstructured<'_>) -> Result<String> {
    let levels = u.int_in_range(125..=130)?;
    Ok(format!("{}{}", "[".repeat(levels), "]".repeat(levels)))
}

fn token(u: &mut Unstructured<'_>, world: &World) -> Result<Option<String>> {
    let tokens: Vec<&String> = world.userinfo.keys().collect();
    Ok(match u.choose_index(12)? {
        0..=8 if !tokens.is_empty() => Some(quoted(tokens[u.choose_index(tokens.len())?])),
        0..=8 => Some(quoted("tok-ada")),
        9 => Some(quoted(&String::arbitrary(u)?)),
        10 => Some(
            pick(
                u,
                &["\"\"", "null", "7", "[\"tok-ada\"]", "{}", "\" tok-ada\""],
            )?
            .to_owned(),
        ),
        _ => None,
    })
}

fn organization(u: &mut Unstructured<'_>, world: &World) -> Result<Option<String>> {
    let mut keys: Vec<&str> = Vec::new();
    for o in &world.organizations {
        keys.push(&o.organization_id);
        keys.push(&o.slug);
        keys.extend(o.external_id.as_deref());
    }
    Ok(match u.choose_index(12)? {
        0..=7 if !keys.is_empty() => Some(quoted(keys[u.choose_index(keys.len())?])),
        0..=7 => Some(quoted("acme")),
        8 if !keys.is_empty() => {
            let k = keys[u.choose_index(keys.len())?];
            let changed = match u.choose_index(3)? {
                0 => k.to_ascii_uppercase(),
                1 => k.to_ascii_lowercase(),
                _ => format!(" {k}"),
            };
            Some(quoted(&changed))
        }
        9 => Some(quoted(&String::arbitrary(u)?)),
        10 => Some(pick(u, &["\"\"", "null", "1", "{}", "[]"])?.to_owned()),
        _ => None,
    })
}

fn duration(u: &mut Unstructured<'_>, world: &World) -> Result<Option<String>> {
    let max = world.project_max_session_minutes;
    Ok(match u.choose_index(8)? {
        0 | 1 => None,
        2..=4 => Some(pick(u, DURATIONS)?.to_owned()),
        5 => Some((max + u.int_in_range(-1..=1)?).to_string()),
        6 => Some(i64::arbitrary(u)?.to_string()),
        _ => Some(number(u)?),
    })
}

fn claims(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    Ok(match u.choose_index(8)? {
        0 | 1 => None,
        2..=4 => Some(object_text(u, 3)?),
        5 => {
            // Around the size limits: {"k":"xx..."} is 8 bytes plus the string.
            let n = u.int_in_range(3980..=4100)?;
            Some(format!(r#"{{"k":"{}"}}"#, "x".repeat(n)))
        }
        6 => Some("null".to_owned()),
        _ => Some(value_text(u, 2)?),
    })
}

/// A request body for `world`.
pub fn request(u: &mut Unstructured<'_>, world: &World) -> Result<Vec<u8>> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let parts = [
        ("session_token", token(u, world)?),
        ("organization_id", organization(u, world)?),
        ("session_duration_minutes", duration(u, world)?),
        ("session_custom_claims", claims(u)?),
    ];
    for (name, text) in parts {
        if let Some(text) = text {
            fields.push((quoted(name), text));
        }
    }
    for _ in 0..u.int_in_range(0..=2)? {
        let name = match u.choose_index(3)? {
            0 => quoted(pick(u, FIELD_NAMES)?),
            1 => key(u)?,
            _ => quoted("extra"),
        };
        let value = match u.choose_index(4)? {
            0 => deep(u)?,
            _ => value_text(u, 2)?,
        };
        // Before or after the others: a duplicate placed first loses under last-wins.
        if bool::arbitrary(u)? {
            fields.insert(0, (name, value));
        } else {
            fields.push((name, value));
        }
    }
    let inner: Vec<String> = fields.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    let mut body = format!("{{{}}}", inner.join(",")).into_bytes();
    damage(u, &mut body)?;
    Ok(body)
}

/// Mostly nothing; sometimes a BOM, a cut, a changed byte, trailing bytes or whitespace.
fn damage(u: &mut Unstructured<'_>, body: &mut Vec<u8>) -> Result<()> {
    // One body in six is damaged; the first choice (all that empty data gives) is not.
    match u.choose_index(30)? {
        25 => {
            body.splice(0..0, *b"\xEF\xBB\xBF");
        }
        26 => {
            let at = u.choose_index(body.len() + 1)?;
            body.truncate(at);
        }
        27 if !body.is_empty() => {
            let at = u.choose_index(body.len())?;
            body[at] = u8::arbitrary(u)?;
        }
        28 => {
            let tail = pick(u, &[" x", "{}", ",", "\n", "\u{0}", " \t\r\n"])?;
            body.extend_from_slice(tail.as_bytes());
        }
        29 => {
            body.splice(0..0, *b" \n\t\r");
        }
        _ => {}
    }
    Ok(())
}
