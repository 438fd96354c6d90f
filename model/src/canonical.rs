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

use crate::json::{Json, Number, Object};
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
    let mut out = Count(0);
    let _ = write(value, measure, usize::MAX, &mut out);
    out.0
}

/// The size in bytes of `value` under `measure`, or `None` as soon as it exceeds `limit`.
pub fn size_within(value: &Json, measure: SizeMeasure, limit: usize) -> Option<usize> {
    // Each nesting level costs at least two bytes (`[]` or `{}`), so a value nested deeper
    // than half the limit is over it: the writer, which stops once past the limit, finds
    // that after at most `limit` bytes, which bounds the work on pathological input.
    let mut out = Count(0);
    write(value, measure, limit, &mut out).ok().map(|()| out.0)
}

/// Where the writer's output goes: the text itself, or only its length (the size measure
/// needs no text, and the length does not depend on the order of an object's members).
trait Sink {
    /// Whether the output is text, whose object members must be in the measure's order.
    const ORDERED: bool;
    fn push_str(&mut self, s: &str);
    fn push(&mut self, c: char);
    fn len(&self) -> usize;
}

impl Sink for String {
    const ORDERED: bool = true;
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s)
    }
    fn push(&mut self, c: char) {
        String::push(self, c)
    }
    fn len(&self) -> usize {
        String::len(self)
    }
}

/// Counts the bytes that would be written.
struct Count(usize);

impl Sink for Count {
    const ORDERED: bool = false;
    fn push_str(&mut self, s: &str) {
        self.0 += s.len();
    }
    fn push(&mut self, c: char) {
        self.0 += c.len_utf8();
    }
    fn len(&self) -> usize {
        self.0
    }
}

/// Whether the members of `map`, which is in UTF-8 byte order, are also in RFC 8785 order
/// (UTF-16 code units). The two orders differ only between a character above U+FFFF and one
/// in U+E000..=U+FFFF, so keys without a four-byte UTF-8 sequence are always in both orders.
fn in_utf16_order(map: &Object) -> bool {
    map.keys().all(|k| k.bytes().all(|b| b < 0xF0))
}

/// A container being written: the members still to write.
enum Open<'a> {
    Array(std::slice::Iter<'a, Json>),
    Object(std::collections::btree_map::Iter<'a, String, Json>),
    /// An object whose members had to be sorted (RFC 8785, keys above U+FFFF).
    Sorted(std::vec::IntoIter<(&'a String, &'a Json)>),
}

/// Writes `value`; stops with `Err(())` once the output is longer than `limit`.
fn write<S: Sink>(value: &Json, measure: SizeMeasure, limit: usize, out: &mut S) -> Result<(), ()> {
    // The containers being written, innermost last, each with whether it has written a
    // member yet: an explicit stack, never recursion.
    let mut open: Vec<(Open<'_>, bool)> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(v) = next.take() {
            match v {
                Json::Null => out.push_str("null"),
                Json::Bool(true) => out.push_str("true"),
                Json::Bool(false) => out.push_str("false"),
                Json::Number(n) => write_number(n, measure, out),
                Json::String(s) => write_string(s, measure, out),
                Json::Array(items) => {
                    out.push('[');
                    open.push((Open::Array(items.iter()), false));
                }
                Json::Object(map) => {
                    out.push('{');
                    let members =
                        if measure == SizeMeasure::Jcs && S::ORDERED && !in_utf16_order(map) {
                            // RFC 8785 3.2.3: sort by UTF-16 code units.
                            let mut entries: Vec<(&String, &Json)> = map.iter().collect();
                            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
                            Open::Sorted(entries.into_iter())
                        } else {
                            Open::Object(map.iter())
                        };
                    open.push((members, false));
                }
            }
            if out.len() > limit {
                return Err(());
            }
        }
        let Some((container, started)) = open.last_mut() else {
            return Ok(());
        };
        let member = match container {
            Open::Array(items) => items.next().map(|x| (None, x)),
            Open::Object(members) => members.next().map(|(k, x)| (Some(k), x)),
            Open::Sorted(members) => members.next().map(|(k, x)| (Some(k), x)),
        };
        match member {
            Some((key, x)) => {
                if std::mem::replace(started, true) {
                    out.push(',');
                }
                if let Some(k) = key {
                    write_string(k, measure, out);
                    out.push(':');
                }
                next = Some(x);
            }
            None => {
                out.push(match container {
                    Open::Array(_) => ']',
                    Open::Object(_) | Open::Sorted(_) => '}',
                });
                open.pop();
                if out.len() > limit {
                    return Err(());
                }
            }
        }
    }
}

/// Doubles of this magnitude or less that are integers are written as the integer: below
/// 2^53 every integer is a double and its shortest round-trip digits are its own, which is
/// what ECMAScript's `Number::toString` (and so `ryu-js`) writes for it.
const EXACT_INTEGER_DOUBLES: f64 = 9_007_199_254_740_992.0;

fn write_number<S: Sink>(n: &Number, measure: SizeMeasure, out: &mut S) {
    match n {
        Number::Text(t) => out.push_str(t),
        Number::Double(x) => {
            if *x == 0.0 && x.is_sign_negative() && measure == SizeMeasure::GoJson {
                out.push_str("-0");
            } else if x.fract() == 0.0 && x.abs() < EXACT_INTEGER_DOUBLES {
                // `-0.0` is `0` here, as ECMAScript writes it.
                write_integer(*x as i64, out);
            } else {
                let mut buf = ryu_js::Buffer::new();
                out.push_str(buf.format(*x));
            }
        }
    }
}

/// Writes an integer in decimal.
fn write_integer<S: Sink>(i: i64, out: &mut S) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = i.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes a string literal. Runs of characters written as they are go out in one piece; only
/// ASCII characters and, under Go's measure, U+2028 and U+2029 (UTF-8 `E2 80 A8`/`A9`) are
/// ever escaped, and no byte of a multi-byte sequence is ASCII, so a scan of bytes finds them.
fn write_string<S: Sink>(s: &str, measure: SizeMeasure, out: &mut S) {
    let go = measure == SizeMeasure::GoJson;
    let bytes = s.as_bytes();
    out.push('"');
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (escape, width): (Option<&'static str>, usize) = match b {
            b'"' => (Some("\\\""), 1),
            b'\\' => (Some("\\\\"), 1),
            0x08 => (Some("\\b"), 1),
            0x0C => (Some("\\f"), 1),
            b'\n' => (Some("\\n"), 1),
            b'\r' => (Some("\\r"), 1),
            b'\t' => (Some("\\t"), 1),
            0x00..=0x1F => (None, 1),
            b'<' | b'>' | b'&' if go => (None, 1),
            0xE2 if go
                && bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
            {
                (None, 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&s[run..i]);
        match escape {
            Some(e) => out.push_str(e),
            None => {
                let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
                push_u_escape(c, out);
            }
        }
        i += width;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

fn push_u_escape<S: Sink>(c: char, out: &mut S) {
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
