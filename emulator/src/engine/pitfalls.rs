//! The bug zoo's reproductions of other languages' standard-library behaviour
//! (`conformance/PITFALLS.md`): lenient JSON readers, whitespace classes, case mappings and
//! number texts that differ from the semantics. Only mutants ([`Bug`]) reach this module; the
//! correct engine never calls it.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

use super::bugs::Bug;

/// The body as a lenient reader sees it before its grammar check: `bytes` rewritten the way
/// `bug`'s library does, or `None` when `bug` reads bodies strictly.
pub fn lenient_body(bytes: &[u8], bug: Bug) -> Option<Vec<u8>> {
    match bug {
        Bug::BomSkipped => bytes.strip_prefix(b"\xEF\xBB\xBF").map(<[u8]>::to_vec),
        Bug::InvalidUtf8Replaced => match String::from_utf8_lossy(bytes) {
            Cow::Owned(text) => Some(text.into_bytes()),
            Cow::Borrowed(_) => None,
        },
        Bug::EncodedSurrogateAccepted => Some(replace_encoded_surrogates(bytes)),
        Bug::EmailLatin1Decoded => None,
        Bug::TrimmedBeforeParse => {
            let text = std::str::from_utf8(bytes).ok()?;
            // Java's trim (every char <= U+0020) and .NET's/Python's (Unicode whitespace).
            let trimmed = text.trim_matches(|c: char| c <= ' ' || c.is_whitespace());
            Some(trimmed.as_bytes().to_vec())
        }
        Bug::TrailingDataIgnored => {
            let text = std::str::from_utf8(bytes).ok()?;
            let mut values =
                serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
            values.next()?.ok()?;
            let end = values.byte_offset();
            Some(text.as_bytes()[..end].to_vec())
        }
        Bug::RawControlAccepted
        | Bug::NanInfinityAccepted
        | Bug::TrailingCommaAccepted
        | Bug::CommentsAccepted => {
            let text = std::str::from_utf8(bytes).ok()?;
            Some(rewrite_outside_strings(text, bug).into_bytes())
        }
        _ => None,
    }
}

/// A body decoded as ISO-8859-1 and re-encoded as UTF-8 (each byte one character).
pub fn latin1_to_utf8(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| char::from(b))
        .collect::<String>()
        .into_bytes()
}

/// UTF-8-encoded surrogates (ED A0..BF xx) become U+FFFD, as a decoder with surrogatepass
/// followed by a lenient encoder leaves them.
fn replace_encoded_surrogates(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0xED && bytes.get(i + 1).is_some_and(|b| (0xA0..=0xBF).contains(b)) {
            out.extend_from_slice("\u{FFFD}".as_bytes());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// One lenient reader's rewrite of the text into strict JSON: raw control characters in
/// strings escaped, `NaN`/`Infinity` as `null`, trailing commas or comments removed.
fn rewrite_outside_strings(text: &str, bug: Bug) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_string = false;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'\\' => {
                    out.push_str(&text[i..(i + 2).min(b.len())]);
                    i += 2;
                    continue;
                }
                b'"' => in_string = false,
                0..=0x1F if bug == Bug::RawControlAccepted => {
                    out.push_str(&format!("\\u{c:04x}"));
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let len = utf8_len(c);
            out.push_str(&text[i..(i + len).min(b.len())]);
            i += len;
            continue;
        }
        let rest = &text[i..];
        match bug {
            Bug::NanInfinityAccepted => {
                if let Some(word) = ["-Infinity", "Infinity", "NaN"]
                    .into_iter()
                    .find(|w| rest.starts_with(w))
                {
                    out.push_str("null");
                    i += word.len();
                    continue;
                }
            }
            Bug::TrailingCommaAccepted if c == b',' => {
                let after = rest[1..].trim_start_matches([' ', '\t', '\n', '\r']);
                if after.starts_with(['}', ']']) {
                    i += 1;
                    continue;
                }
            }
            Bug::CommentsAccepted if rest.starts_with("//") => {
                i += rest.find('\n').unwrap_or(rest.len());
                continue;
            }
            Bug::CommentsAccepted if rest.starts_with("/*") => {
                i += rest[2..].find("*/").map_or(rest.len(), |at| at + 4);
                out.push(' ');
                continue;
            }
            _ => {}
        }
        if c == b'"' {
            in_string = true;
        }
        let len = utf8_len(c);
        out.push_str(&text[i..(i + len).min(b.len())]);
        i += len;
    }
    out
}

/// The length of the UTF-8 sequence a lead byte starts.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Whether `c` is whitespace in an email for `bug`'s library, or `None` for Unicode
/// White_Space (the semantics).
pub fn email_whitespace(bug: Bug, c: char) -> Option<bool> {
    let unicode = c.is_whitespace();
    let information_separator = ('\u{1C}'..='\u{1F}').contains(&c);
    Some(match bug {
        // JS \s: White_Space without U+0085, plus U+FEFF.
        Bug::EmailJsWhitespaceClass => (unicode && c != '\u{85}') || c == '\u{FEFF}',
        Bug::EmailPythonIsspace => unicode || information_separator,
        Bug::EmailJavaIsWhitespace => {
            (unicode && !matches!(c, '\u{A0}' | '\u{2007}' | '\u{202F}' | '\u{85}'))
                || information_separator
        }
        Bug::EmailAsciiWhitespace => matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{B}' | '\u{C}'),
        _ => return None,
    })
}

/// Whether two emails match for `bug`'s comparison, or `None` when `bug` compares as the
/// semantics do.
pub fn emails_match(bug: Bug, a: &str, b: &str) -> Option<bool> {
    Some(match bug {
        Bug::EmailUnicodeLowercase => a.to_lowercase() == b.to_lowercase(),
        Bug::EmailCasefold => full_fold(a) == full_fold(b),
        Bug::EmailSimpleFold => {
            a.chars().count() == b.chars().count()
                && a.chars()
                    .zip(b.chars())
                    .all(|(x, y)| simple_fold(x) == simple_fold(y))
        }
        Bug::EmailNfcEquivalent => {
            let norm = |s: &str| s.nfc().collect::<String>().to_lowercase();
            norm(a) == norm(b)
        }
        _ => return None,
    })
}

/// Whether two slugs match with Unicode simple case folding (Go's `strings.EqualFold`).
pub fn fold_equal(a: &str, b: &str) -> bool {
    a.chars().count() == b.chars().count()
        && a.chars()
            .zip(b.chars())
            .all(|(x, y)| simple_fold(x) == simple_fold(y))
}

/// One character's simple case fold: its one-character lower case, with the orbits whose
/// members lower-case apart (the Kelvin sign and long s) joined.
fn simple_fold(c: char) -> char {
    match c {
        '\u{212A}' => 'k',
        '\u{017F}' => 's',
        '\u{2126}' => '\u{3C9}',
        '\u{1E9E}' => '\u{DF}',
        c => {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        }
    }
}

/// Full case folding as Python's `str.casefold` does it, for the folds that differ from
/// lower-casing in this project's inputs (ß, ẞ, ﬁ, ﬂ, ſ, the Kelvin sign).
fn full_fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            '\u{DF}' => "ss".to_owned(),
            '\u{FB01}' => "fi".to_owned(),
            '\u{FB02}' => "fl".to_owned(),
            '\u{17F}' => "s".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// A double as Python's `repr` writes it: 17 significant digits at most, fixed notation
/// for decimal exponents -4 < e <= 16 (with `.0` when integral), else `1e+16`, `1e-05`.
pub fn python_float(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let (negative, digits, point) = shortest_digits(x);
    let sign = if negative { "-" } else { "" };
    if -4 < point && point <= 16 {
        format!("{sign}{}", fixed(&digits, point, true))
    } else {
        let exp = point - 1;
        let mantissa = mantissa(&digits);
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.abs())
    }
}

/// A double as Java's `Double.toString` writes it: fixed notation (at least one digit after
/// the point) for 10^-3 <= |x| < 10^7, else `1.0E7`, `1.0E-4`.
pub fn java_double(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let (negative, mut digits, mut point) = shortest_digits(x);
    if digits.len() == 1 {
        // JDK 19 and later: when one digit would do, the closest decimal of one or two digits
        // is chosen instead (Double.MIN_VALUE is 4.9E-324, not 5.0E-324).
        let two = format!("{:.1e}", x.abs());
        let (mantissa, exp) = two.split_once('e').unwrap_or((&two, "0"));
        digits = mantissa.replace('.', "").trim_end_matches('0').to_owned();
        point = exp.parse::<i32>().unwrap_or(0) + 1;
    }
    let sign = if negative { "-" } else { "" };
    if (-2..=7).contains(&point) {
        format!("{sign}{}", fixed(&digits, point, true))
    } else {
        let mut mantissa = mantissa(&digits);
        if !mantissa.contains('.') {
            mantissa.push_str(".0");
        }
        format!("{sign}{mantissa}E{}", point - 1)
    }
}

/// The shortest round-trip digits of `x`, and where the decimal point goes (`0.d1d2... x
/// 10^point`).
fn shortest_digits(x: f64) -> (bool, String, i32) {
    let text = format!("{:e}", x.abs());
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (x.is_sign_negative(), digits, exp + 1)
}

/// `d.ddd` from digits.
fn mantissa(digits: &str) -> String {
    if digits.len() == 1 {
        digits.to_owned()
    } else {
        format!("{}.{}", &digits[..1], &digits[1..])
    }
}

/// Digits with the decimal point at `point`, `.0` appended to an integer when asked.
fn fixed(digits: &str, point: i32, point_zero: bool) -> String {
    let n = digits.len() as i32;
    if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= n {
        let zeros = "0".repeat((point - n) as usize);
        if point_zero {
            format!("{digits}{zeros}.0")
        } else {
            format!("{digits}{zeros}")
        }
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        format!("{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_texts_of_python_and_java() {
        for (x, python, java) in [
            (100.0, "100.0", "100.0"),
            (1e16, "1e+16", "1.0E16"),
            (1e15, "1000000000000000.0", "1.0E15"),
            (1e-7, "1e-07", "1.0E-7"),
            (0.0001, "0.0001", "1.0E-4"),
            (0.001, "0.001", "0.001"),
            (1.5, "1.5", "1.5"),
            (-2.5e-5, "-2.5e-05", "-2.5E-5"),
            (1e7, "10000000.0", "1.0E7"),
            (1234567.0, "1234567.0", "1234567.0"),
            (-0.0, "-0.0", "-0.0"),
            // One shortest digit: Java picks the closest of one or two digits.
            (f64::from_bits(1), "5e-324", "4.9E-324"),
            (-f64::from_bits(1), "-5e-324", "-4.9E-324"),
            (f64::from_bits(4), "2e-323", "2.0E-323"),
            (f64::from_bits(9), "4.4e-323", "4.4E-323"),
            (2e-322, "2e-322", "2.0E-322"),
            (0.1, "0.1", "0.1"),
            (1e23, "1e+23", "1.0E23"),
            (
                1.7976931348623157e308,
                "1.7976931348623157e+308",
                "1.7976931348623157E308",
            ),
        ] {
            assert_eq!(python_float(x), python, "{x}");
            assert_eq!(java_double(x), java, "{x}");
        }
    }

    #[test]
    fn lenient_readers() {
        let read = |bug, text: &str| {
            lenient_body(text.as_bytes(), bug).map(|b| String::from_utf8(b).unwrap())
        };
        assert_eq!(
            read(Bug::TrailingCommaAccepted, r#"{"a":[1,],"b":",}",}"#).as_deref(),
            Some(r#"{"a":[1],"b":",}"}"#)
        );
        assert_eq!(
            read(Bug::CommentsAccepted, "{/* x */\"a\":1// y\n}").as_deref(),
            Some("{ \"a\":1\n}")
        );
        assert_eq!(
            read(
                Bug::NanInfinityAccepted,
                r#"{"a":NaN,"b":-Infinity,"c":"NaN"}"#
            )
            .as_deref(),
            Some(r#"{"a":null,"b":null,"c":"NaN"}"#)
        );
        assert_eq!(
            read(Bug::RawControlAccepted, "{\"a\":\"x\ty\"}").as_deref(),
            Some(r#"{"a":"x\u0009y"}"#)
        );
        assert_eq!(
            read(Bug::TrailingDataIgnored, r#"{"a":1} x"#).as_deref(),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(
            read(Bug::TrimmedBeforeParse, "\u{c}\u{a0}{}\u{3000}").as_deref(),
            Some("{}")
        );
        assert_eq!(
            lenient_body(b"\xEF\xBB\xBF{}", Bug::BomSkipped).as_deref(),
            Some(b"{}".as_slice())
        );
        assert_eq!(
            lenient_body(b"{\"a\":\"\xED\xA0\x80\"}", Bug::EncodedSurrogateAccepted).as_deref(),
            Some("{\"a\":\"\u{FFFD}\"}".as_bytes())
        );
    }

    #[test]
    fn whitespace_classes_and_case() {
        assert_eq!(
            email_whitespace(Bug::EmailJsWhitespaceClass, '\u{FEFF}'),
            Some(true)
        );
        assert_eq!(
            email_whitespace(Bug::EmailJsWhitespaceClass, '\u{85}'),
            Some(false)
        );
        assert_eq!(
            email_whitespace(Bug::EmailPythonIsspace, '\u{1F}'),
            Some(true)
        );
        assert_eq!(
            email_whitespace(Bug::EmailJavaIsWhitespace, '\u{A0}'),
            Some(false)
        );
        assert_eq!(
            email_whitespace(Bug::EmailAsciiWhitespace, '\u{3000}'),
            Some(false)
        );
        assert_eq!(email_whitespace(Bug::ShallowMerge, ' '), None);
        assert_eq!(
            emails_match(Bug::EmailCasefold, "straße@x", "STRASSE@x"),
            Some(true)
        );
        assert_eq!(
            emails_match(Bug::EmailSimpleFold, "\u{212A}im@x", "kim@x"),
            Some(true)
        );
        assert_eq!(
            emails_match(Bug::EmailUnicodeLowercase, "ÉVA@x", "éva@x"),
            Some(true)
        );
        assert_eq!(
            emails_match(Bug::EmailNfcEquivalent, "e\u{301}va@x", "\u{e9}va@x"),
            Some(true)
        );
        assert!(fold_equal("ÉCOLE", "école"));
    }
}
