//! Rule `body.*`: turning raw bytes into a [`Json`] value.
//!
//! Parsing is part of the semantics (section 3, step 1): UTF-8, the byte order mark, RFC 8259
//! grammar, escaped lone surrogates, nesting depth and duplicate keys each have a rule, and
//! three of them a policy. No JSON crate exposes all of these choices (serde_json, for one,
//! rejects lone surrogates and `1e400` outright, merges duplicates silently and recurses), so
//! the model has its own small, iterative parser. It never recurses: a body of ten million
//! `[` is rejected (or, without a nesting limit, parsed) in constant stack.

use std::fmt;

use crate::json::{Json, Number, Object};
use crate::policy::{DuplicateKeys, LoneSurrogate, NestingLimit, Policy};
use crate::rules::Rule;

/// The depth of the default `nesting-limit`: the top-level value is level 1.
pub const MAX_NESTING: usize = 128;

/// The parsing choices of a [`Policy`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// `duplicate-keys`.
    pub duplicate_keys: DuplicateKeys,
    /// `lone-surrogate`.
    pub lone_surrogate: LoneSurrogate,
    /// `nesting-limit`.
    pub nesting_limit: NestingLimit,
}

impl From<&Policy> for ParseOptions {
    fn from(p: &Policy) -> Self {
        ParseOptions {
            duplicate_keys: p.duplicate_keys,
            lone_surrogate: p.lone_surrogate,
            nesting_limit: p.nesting_limit,
        }
    }
}

/// Why a body is not acceptable JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The bytes are not valid UTF-8.
    InvalidUtf8,
    /// The body starts with a UTF-8 byte order mark.
    ByteOrderMark,
    /// The text breaks the RFC 8259 grammar (the string says how).
    Syntax(&'static str),
    /// An escaped lone surrogate such as `"\ud800"` under `lone-surrogate = bad_request`.
    LoneSurrogate,
    /// Nesting deeper than the `nesting-limit` allows.
    TooDeep,
    /// A key appears twice in one object under `duplicate-keys = bad_request`.
    DuplicateKey(String),
}

/// A body that failed step 1, with the byte offset where it failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// Byte offset into the body.
    pub offset: usize,
}

impl ParseError {
    /// The rule this failure belongs to.
    pub fn rule(&self) -> Rule {
        match self.kind {
            ParseErrorKind::InvalidUtf8 => Rule::BodyUtf8,
            ParseErrorKind::ByteOrderMark => Rule::BodyBom,
            ParseErrorKind::Syntax(_) => Rule::BodyJsonGrammar,
            ParseErrorKind::LoneSurrogate => Rule::BodyLoneSurrogate,
            ParseErrorKind::TooDeep => Rule::BodyNestingLimit,
            ParseErrorKind::DuplicateKey(_) => Rule::BodyDuplicateKeys,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::InvalidUtf8 => write!(f, "invalid UTF-8 at byte {}", self.offset),
            ParseErrorKind::ByteOrderMark => f.write_str("body starts with a byte order mark"),
            ParseErrorKind::Syntax(what) => write!(f, "{what} at byte {}", self.offset),
            ParseErrorKind::LoneSurrogate => {
                write!(f, "escaped lone surrogate at byte {}", self.offset)
            }
            ParseErrorKind::TooDeep => write!(
                f,
                "nesting deeper than {MAX_NESTING} levels at byte {}",
                self.offset
            ),
            ParseErrorKind::DuplicateKey(k) => {
                write!(f, "duplicate key {k:?} at byte {}", self.offset)
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// What a successful parse met on the way, for the rule trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseStats {
    /// Duplicate keys whose earlier value was discarded (last one wins).
    pub duplicates_discarded: usize,
    /// Escaped lone surrogates replaced with U+FFFD.
    pub surrogates_replaced: usize,
    /// The deepest nesting level reached (the top-level container is level 1).
    pub max_depth: usize,
}

/// Parses a whole body (any JSON value; the caller checks that it is an object).
pub fn parse(bytes: &[u8], opts: ParseOptions) -> Result<Json, ParseError> {
    parse_with_stats(bytes, opts).map(|(value, _)| value)
}

/// [`parse`], also telling what the parse met.
pub fn parse_with_stats(
    bytes: &[u8],
    opts: ParseOptions,
) -> Result<(Json, ParseStats), ParseError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(ParseError {
            kind: ParseErrorKind::ByteOrderMark,
            offset: 0,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError {
        kind: ParseErrorKind::InvalidUtf8,
        offset: e.valid_up_to(),
    })?;
    let mut parser = Parser {
        text,
        bytes,
        pos: 0,
        opts,
        stats: ParseStats::default(),
    };
    let value = parser.document()?;
    Ok((value, parser.stats))
}

enum Frame {
    Array(Vec<Json>),
    Object(Object, String),
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    opts: ParseOptions,
    stats: ParseStats,
}

impl Parser<'_> {
    fn err(&self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            kind,
            offset: self.pos,
        }
    }

    fn syntax(&self, what: &'static str) -> ParseError {
        self.err(ParseErrorKind::Syntax(what))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8, what: &'static str) -> Result<(), ParseError> {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax(what))
        }
    }

    fn open(&mut self, stack: &[Frame]) -> Result<(), ParseError> {
        self.stats.max_depth = self.stats.max_depth.max(stack.len() + 1);
        if self.opts.nesting_limit == NestingLimit::Levels128 && stack.len() >= MAX_NESTING {
            return Err(self.err(ParseErrorKind::TooDeep));
        }
        Ok(())
    }

    fn document(&mut self) -> Result<Json, ParseError> {
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            self.skip_ws();
            let mut value = match self.peek() {
                None => return Err(self.syntax("unexpected end of input, expected a value")),
                Some(b'{') => {
                    self.open(&stack)?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        Json::Object(Object::new())
                    } else {
                        let key = self.key()?;
                        stack.push(Frame::Object(Object::new(), key));
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.open(&stack)?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        Json::Array(Vec::new())
                    } else {
                        stack.push(Frame::Array(Vec::new()));
                        continue 'value;
                    }
                }
                Some(b'"') => Json::String(self.string()?),
                Some(b'-' | b'0'..=b'9') => Json::Number(self.number()?),
                Some(b't') => self.literal("true", Json::Bool(true))?,
                Some(b'f') => self.literal("false", Json::Bool(false))?,
                Some(b'n') => self.literal("null", Json::Null)?,
                Some(_) => return Err(self.syntax("unexpected character, expected a value")),
            };
            // Hand the finished value to its container, closing containers as they end.
            loop {
                match stack.last_mut() {
                    None => {
                        self.skip_ws();
                        if self.pos != self.bytes.len() {
                            return Err(self.syntax("trailing characters after the value"));
                        }
                        return Ok(value);
                    }
                    Some(Frame::Array(items)) => {
                        items.push(value);
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                continue 'value;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                let Some(Frame::Array(items)) = stack.pop() else {
                                    unreachable!("the top frame is an array")
                                };
                                value = Json::Array(items);
                            }
                            _ => return Err(self.syntax("expected ',' or ']' in an array")),
                        }
                    }
                    Some(Frame::Object(map, key)) => {
                        let key = std::mem::take(key);
                        if self.opts.duplicate_keys == DuplicateKeys::BadRequest
                            && map.contains_key(&key)
                        {
                            return Err(self.err(ParseErrorKind::DuplicateKey(key)));
                        }
                        // Last one wins: the earlier value is replaced and never examined.
                        if map.insert(key, value).is_some() {
                            self.stats.duplicates_discarded += 1;
                        }
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                let next = self.key()?;
                                if let Some(Frame::Object(_, k)) = stack.last_mut() {
                                    *k = next;
                                }
                                continue 'value;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                let Some(Frame::Object(map, _)) = stack.pop() else {
                                    unreachable!("the top frame is an object")
                                };
                                value = Json::Object(map);
                            }
                            _ => return Err(self.syntax("expected ',' or '}' in an object")),
                        }
                    }
                }
            }
        }
    }

    /// An object key and the `:` after it.
    fn key(&mut self) -> Result<String, ParseError> {
        if self.peek() != Some(b'"') {
            return Err(self.syntax("expected a string key"));
        }
        let key = self.string()?;
        self.expect(b':', "expected ':' after an object key")?;
        Ok(key)
    }

    fn literal(&mut self, word: &'static str, value: Json) -> Result<Json, ParseError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.syntax("invalid literal"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Number, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.syntax("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax("invalid number: no digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax("invalid number: no digit in the exponent"));
            }
        }
        Ok(Number::Text(self.text[start..self.pos].into()))
    }

    fn hex4(&mut self) -> Result<u16, ParseError> {
        let Some(hex) = self.text.get(self.pos..self.pos + 4) else {
            return Err(self.syntax("truncated \\u escape"));
        };
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.syntax("invalid \\u escape"));
        }
        self.pos += 4;
        u16::from_str_radix(hex, 16).map_err(|_| self.syntax("invalid \\u escape"))
    }

    fn lone_surrogate(&mut self, out: &mut String, at: usize) -> Result<(), ParseError> {
        match self.opts.lone_surrogate {
            LoneSurrogate::BadRequest => Err(ParseError {
                kind: ParseErrorKind::LoneSurrogate,
                offset: at,
            }),
            LoneSurrogate::Replace => {
                self.stats.surrogates_replaced += 1;
                out.push('\u{FFFD}');
                Ok(())
            }
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            let run = self.pos;
            // The run ends at a quote, a backslash or a control character: find the first
            // two with memchr, then look for a control character before that point.
            let rest = &self.bytes[run..];
            let stop = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
            let control = rest[..stop].iter().fold(false, |any, &b| any | (b < 0x20));
            self.pos += if control {
                rest[..stop].iter().position(|&b| b < 0x20).unwrap_or(stop)
            } else {
                stop
            };
            if out.is_empty() && self.peek() == Some(b'"') {
                // The whole string in one run, the common case: one exact allocation.
                let whole = self.text[run..self.pos].to_owned();
                self.pos += 1;
                return Ok(whole);
            }
            out.push_str(&self.text[run..self.pos]);
            match self.peek() {
                None => return Err(self.syntax("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let at = self.pos;
                    self.pos += 1;
                    let Some(esc) = self.peek() else {
                        return Err(self.syntax("unterminated string"));
                    };
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => self.unicode_escape(&mut out, at)?,
                        _ => {
                            self.pos -= 1;
                            return Err(self.syntax("invalid escape"));
                        }
                    }
                }
                Some(_) => return Err(self.syntax("unescaped control character in a string")),
            }
        }
    }

    fn unicode_escape(&mut self, out: &mut String, at: usize) -> Result<(), ParseError> {
        let unit = self.hex4()?;
        match unit {
            0xD800..=0xDBFF => {
                // A high surrogate: only a following escaped low surrogate completes it.
                let rest = &self.bytes[self.pos..];
                if rest.starts_with(b"\\u") {
                    let save = self.pos;
                    self.pos += 2;
                    let low = self.hex4()?;
                    if (0xDC00..=0xDFFF).contains(&low) {
                        let c = 0x10000
                            + ((u32::from(unit) - 0xD800) << 10)
                            + (u32::from(low) - 0xDC00);
                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                        return Ok(());
                    }
                    // Not a low surrogate: the high one is lone; the next escape is read anew.
                    self.pos = save;
                }
                self.lone_surrogate(out, at)
            }
            0xDC00..=0xDFFF => self.lone_surrogate(out, at),
            _ => {
                out.push(char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'));
                Ok(())
            }
        }
    }
}
