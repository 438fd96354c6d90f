//! Rule `claims.size.*`: the two serializations behind the claims size measure.
//!
//! * [`SizeMeasure::Jcs`] writes RFC 8785 canonical JSON: keys sorted by UTF-16 code units,
//!   numbers as ECMAScript's `Number::toString` (via `ryu-js`), strings with only the escapes
//!   `JSON.stringify` makes.
//! * [`SizeMeasure::GoJson`] writes what Go 1.22+ `json.Marshal` writes for a
//!   `map[string]any`: keys sorted bytewise, `<` `>` `&` U+2028 U+2029 escaped as `\u003c`
//!   etc., `\b` and `\f` short, numbers formatted like ECMAScript except that `-0.0` is `-0`
//!   (Go's `strconv.FormatFloat(x, 'f'/'e', -1, 64)` picks the same shortest digits and the
//!   same switch points, 1e-6 and 1e21, with `e-07` cleaned to `e-7`).
//!
//! Under `number-precision = exact-text` both write a number as its text as given.
//!
//! The writers use an explicit stack, never recursion, and can stop as soon as the output
//! passes a limit.

use crate::json::{Json, Number};
use crate::policy::ClaimsSizeMeasure;

/// Which serialization measures the claims.
pub type SizeMeasure = ClaimsSizeMeasure;

/// The RFC 8785 canonical JSON text of a value.
pub fn jcs(value: &Json) -> String {
    let mut out = String::new();
    // Without a limit the writer always finishes.
    let _ = write(value, SizeMeasure::Jcs, usize::MAX, &mut out);
    out
}

/// The Go `json.Marshal` text of a value.
pub fn go_json(value: &Json) -> String {
    let mut out = String::new();
    let _ = write(value, SizeMeasure::GoJson, usize::MAX, &mut out);
    out
}

/// The size in bytes of `value` under `measure`.
pub fn size(value: &Json, measure: SizeMeasure) -> usize {
    let mut out = String::new();
    let _ = write(value, measure, usize::MAX, &mut out);
    out.len()
}

/// The size in bytes of `value` under `measure`, or `None` as soon as it exceeds `limit`.
pub fn size_within(value: &Json, measure: SizeMeasure, limit: usize) -> Option<usize> {
    // Each nesting level costs at least two bytes (`[]` or `{}`), so a value nested deeper
    // than half the limit is over it; this also bounds the work on pathological input.
    if value.depth() > limit / 2 + 1 {
        return None;
    }
    let mut out = String::new();
    write(value, measure, limit, &mut out)
        .ok()
        .map(|()| out.len())
}

enum Item<'a> {
    Value(&'a Json),
    Key(&'a str),
    Raw(&'static str),
}

/// Writes `value`; stops with `Err(())` once the output is longer than `limit`.
fn write(value: &Json, measure: SizeMeasure, limit: usize, out: &mut String) -> Result<(), ()> {
    let mut stack = vec![Item::Value(value)];
    while let Some(item) = stack.pop() {
        match item {
            Item::Raw(s) => out.push_str(s),
            Item::Key(k) => {
                write_string(k, measure, out);
                out.push(':');
            }
            Item::Value(v) => match v {
                Json::Null => out.push_str("null"),
                Json::Bool(true) => out.push_str("true"),
                Json::Bool(false) => out.push_str("false"),
                Json::Number(n) => write_number(n, measure, out),
                Json::String(s) => write_string(s, measure, out),
                Json::Array(items) => {
                    out.push('[');
                    stack.push(Item::Raw("]"));
                    for (i, x) in items.iter().enumerate().rev() {
                        stack.push(Item::Value(x));
                        if i > 0 {
                            stack.push(Item::Raw(","));
                        }
                    }
                }
                Json::Object(map) => {
                    out.push('{');
                    stack.push(Item::Raw("}"));
                    let mut entries: Vec<(&String, &Json)> = map.iter().collect();
                    if measure == SizeMeasure::Jcs {
                        // RFC 8785 3.2.3: sort by UTF-16 code units. The map is in UTF-8
                        // byte order, which differs only above U+FFFF against U+E000..U+FFFF.
                        entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
                    }
                    for (i, (k, x)) in entries.into_iter().enumerate().rev() {
                        stack.push(Item::Value(x));
                        stack.push(Item::Key(k));
                        if i > 0 {
                            stack.push(Item::Raw(","));
                        }
                    }
                }
            },
        }
        if out.len() > limit {
            return Err(());
        }
    }
    Ok(())
}

fn write_number(n: &Number, measure: SizeMeasure, out: &mut String) {
    match n {
        Number::Text(t) => out.push_str(t),
        Number::Double(x) => {
            if *x == 0.0 && x.is_sign_negative() && measure == SizeMeasure::GoJson {
                out.push_str("-0");
            } else {
                let mut buf = ryu_js::Buffer::new();
                out.push_str(buf.format(*x));
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn write_string(s: &str, measure: SizeMeasure, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => push_u_escape(c, out),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' if measure == SizeMeasure::GoJson => {
                push_u_escape(c, out)
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_u_escape(c: char, out: &mut String) {
    let u = c as u32;
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX[((u >> shift) & 0xF) as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(x: f64) -> Json {
        Json::Number(Number::Double(x))
    }

    #[test]
    fn negative_zero_is_0_in_jcs_and_minus_0_in_go() {
        assert_eq!(jcs(&d(-0.0)), "0");
        assert_eq!(go_json(&d(-0.0)), "-0");
    }

    #[test]
    fn go_escapes_html_characters_and_line_separators() {
        let s = Json::String("<a>&\u{2028}\u{2029}\u{7f}\u{1}".into());
        assert_eq!(
            go_json(&s),
            r#""\u003ca\u003e\u0026\u2028\u2029\u007f\u0001""#.replace("\\u007f", "\u{7f}")
        );
        assert_eq!(jcs(&s), "\"<a>&\u{2028}\u{2029}\u{7f}\\u0001\"");
    }

    #[test]
    fn numbers_switch_to_exponent_form_at_1e21_and_1e_minus_7() {
        assert_eq!(jcs(&d(1e21)), "1e+21");
        assert_eq!(jcs(&d(1e20)), "100000000000000000000");
        assert_eq!(jcs(&d(1e-7)), "1e-7");
        assert_eq!(jcs(&d(1e-6)), "0.000001");
        assert_eq!(go_json(&d(1.5e-7)), "1.5e-7");
    }

    #[test]
    fn size_within_stops_past_the_limit() {
        let v = Json::String("x".repeat(100));
        assert_eq!(size_within(&v, SizeMeasure::Jcs, 102), Some(102));
        assert_eq!(size_within(&v, SizeMeasure::Jcs, 101), None);
    }
}
