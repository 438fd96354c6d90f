//! The bug zoo: small, realistic deviations that [`Sample::with_bug`](super::Sample::with_bug)
//! switches on one at a time, so that the suite can show it catches each of them.

use std::fmt;

use migrate_model::Policy;

macro_rules! bugs {
    ($($(#[doc = $doc:literal])* $Variant:ident => $name:literal $(under $flag:literal = $choice:literal)?, $describe:literal;)+) => {
        /// One deliberate deviation from the spec (a mutant of the sample implementation).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Bug {
            $($(#[doc = $doc])* $Variant,)+
        }

        impl Bug {
            /// Every bug, in a stable order.
            pub const ALL: &'static [Bug] = &[$(Bug::$Variant),+];

            /// The stable kebab-case name (as command lines and reports spell it).
            pub fn name(self) -> &'static str {
                match self {
                    $(Bug::$Variant => $name,)+
                }
            }

            /// The bug with this name.
            pub fn from_name(name: &str) -> Option<Bug> {
                match name {
                    $($name => Some(Bug::$Variant),)+
                    _ => None,
                }
            }

            /// One line: the realistic mistake this bug stands for.
            pub fn describe(self) -> &'static str {
                match self {
                    $(Bug::$Variant => $describe,)+
                }
            }

            /// The policy setting (`FLAG=CHOICE`) this mutant is wrong under, if it is wrong
            /// only under a non-default choice of one flag.
            pub fn setting(self) -> Option<(&'static str, &'static str)> {
                match self {
                    $(Bug::$Variant => None $(.or(Some(($flag, $choice))))?,)+
                }
            }
        }
    };
}

bugs! {
    /// The duration's lower bound is off by one.
    DurationMinOffByOne => "duration-min-off-by-one",
        "the duration range check uses `< 4` instead of `< 5`, so 4 minutes is accepted";
    /// The duration's upper bound is off by one.
    DurationMaxOffByOne => "duration-max-off-by-one",
        "the duration range check uses `> 527041`, so 527041 minutes passes the range check";
    /// The default duration is read as seconds.
    Default60Seconds => "default-60-seconds",
        "the default duration of 60 is taken as seconds: an absent duration gives a 1-minute session";
    /// The default duration is read as hours.
    Default60Hours => "default-60-hours",
        "the default duration of 60 is taken as hours: an absent duration gives 3600 minutes";
    /// The top level of the claims merge is shallow.
    ShallowMerge => "shallow-merge",
        "the claims merge is shallow: a top-level object in the request replaces the whole nested object";
    /// A top-level `null` is stored.
    NullStored => "null-stored",
        "a top-level null in the request claims is stored as null instead of deleting the key";
    /// Nested `null`s are stored.
    NestedNullIgnored => "nested-null-ignored",
        "a null inside a nested object is stored as null instead of deleting the nested key";
    /// Reserved claims are kept.
    ReservedClaimPassed => "reserved-claim-passed",
        "reserved claims (iss sub aud exp nbf iat jti) in the request are not dropped and reach the session claims";
    /// Stytch's namespace is not protected.
    StytchClaimOverrides => "stytch-claim-overrides",
        "a https://stytch.com/ key in the request claims is kept and overwrites Stytch's own JWT claim";
    /// The size limit is applied to the request claims alone.
    SizeBeforeMerge => "size-before-merge",
        "the 4096-byte limit is checked on the request claims alone, not on the merged result";
    /// The size limit is 4000.
    SizeLimit4000 => "size-limit-4000",
        "the claims size limit is 4000 bytes instead of 4096";
    /// The JWT lives as long as the session.
    JwtExpSessionExpiry => "jwt-exp-session-expiry",
        "the JWT's exp is the session's expires_at instead of iat + 300";
    /// Slugs are looked up before ids.
    SlugBeforeId => "slug-before-id",
        "the organization is looked up by slug before by organization id";
    /// Emails are compared exactly.
    EmailCaseSensitive => "email-case-sensitive",
        "the UserInfo email is compared with the member's email byte for byte, not ignoring ASCII case";
    /// Deleted members match.
    DeletedMemberAccepted => "deleted-member-accepted",
        "the member query forgets to filter out deleted members";
    /// Members of other organizations match.
    OtherOrgMemberAccepted => "other-org-member-accepted",
        "the member query is not scoped to the organization: a member of any organization matches";
    /// An explicit `null` duration is refused.
    NullDurationRejected => "null-duration-rejected",
        "an explicit null session_duration_minutes is bad_request instead of meaning the default";
    /// The organization is looked up before the duration is validated.
    WrongPrecedence => "wrong-precedence",
        "the organization is looked up before the duration is validated, so an unknown organization hides a bad duration";
    /// Timestamps carry fractional seconds.
    TimestampsWithFraction => "timestamps-with-fraction",
        "timestamps are written with fractional seconds (2023-11-14T22:13:20.000Z)";
    /// The returned member keeps its old status.
    MemberStaysPending => "member-stays-pending",
        "the member object in the response is the one read before the update, so a pending member shows as pending";
    /// The external token is echoed back.
    SessionTokenReused => "session-token-reused",
        "the response's session_token is the external IdP's token instead of a new Stytch token";

    // Pitfalls of other languages' standard libraries (conformance/PITFALLS.md), default profile.

    /// A UTF-8 byte order mark is skipped.
    BomSkipped => "bom-skipped",
        "a UTF-8 byte order mark before the body is skipped (Python json.loads of bytes, .NET System.Text.Json)";
    /// Invalid UTF-8 becomes U+FFFD.
    InvalidUtf8Replaced => "invalid-utf8-replaced",
        "invalid UTF-8 is replaced with U+FFFD instead of refused (Go encoding/json, Node Buffer#toString, Java new String)";
    /// UTF-8-encoded surrogates are accepted.
    EncodedSurrogateAccepted => "encoded-surrogate-accepted",
        "UTF-8-encoded surrogates (ED A0 80) are accepted (Python json.loads of bytes uses surrogatepass; Jackson on byte input)";
    /// Data after the first value is ignored.
    TrailingDataIgnored => "trailing-data-ignored",
        "the body's first JSON value is read and anything after it ignored (Go json.Decoder.Decode, Python raw_decode)";
    /// Raw control characters are accepted in strings.
    RawControlAccepted => "raw-control-accepted",
        "unescaped control characters inside strings are accepted (Python json.loads(strict=False), Json.NET)";
    /// NaN and Infinity literals are accepted.
    NanInfinityAccepted => "nan-infinity-accepted",
        "the literals NaN, Infinity and -Infinity are accepted (Python json.loads, Json.NET); here they are stored as null";
    /// Trailing commas are accepted.
    TrailingCommaAccepted => "trailing-comma-accepted",
        "a comma before } or ] is accepted (Json.NET, System.Text.Json AllowTrailingCommas, JSON5)";
    /// Comments are accepted.
    CommentsAccepted => "comments-accepted",
        "/* */ and // comments are skipped (Json.NET, System.Text.Json CommentHandling.Skip, Jackson ALLOW_COMMENTS)";
    /// The body is trimmed before it is parsed.
    TrimmedBeforeParse => "trimmed-before-parse",
        "the body is trimmed before parsing (Java String.trim removes every char <= U+0020, .NET Trim and Python strip Unicode spaces)";
    /// Escaped lone surrogates are accepted.
    LoneSurrogateAccepted => "lone-surrogate-accepted",
        "an escaped lone surrogate is accepted and written as U+FFFD (JS JSON.parse, Python json.loads, Jackson, Go)";
    /// The depth limit is Python's recursion limit.
    NestingLimit1000 => "nesting-limit-1000",
        "the depth limit is the recursion limit of Python's json module (about 1000 levels), not 128";
    /// The depth limit refuses 128 levels.
    NestingLimit127 => "nesting-limit-127",
        "serde_json's default recursion limit refuses a document that reaches 128 levels";
    /// The depth limit is Ruby's 100.
    NestingLimit100 => "nesting-limit-100",
        "the depth limit is Ruby JSON.parse's default max_nesting of 100 (.NET readers refuse even earlier, above 64)";
    /// The first of duplicate keys wins.
    DuplicateFirstWins => "duplicate-first-wins",
        "the first occurrence of a duplicate key wins (Go gjson and path lookups return the first match)";
    /// Discarded duplicates are type-checked.
    DiscardedDuplicateChecked => "discarded-duplicate-checked",
        "every occurrence of a known field is type-checked, discarded duplicates included (Go encoding/json into a struct)";
    /// Field names match ignoring case.
    FieldNamesCaseInsensitive => "field-names-case-insensitive",
        "field names match ignoring case, so Session_Token fills session_token (Go encoding/json, Jackson/System.Text.Json options)";
    /// Integers are kept exactly.
    BigIntExact => "big-int-exact",
        "integers are read as arbitrary-precision integers (Python, Ruby): 9007199254740993 stays exact and a 400-digit integer is no overflow";
    /// Overflow becomes null.
    InfinityToNull => "infinity-to-null",
        "a number that overflows a double is stored as null (JS: JSON.parse gives Infinity, JSON.stringify writes null)";
    /// Overflow anywhere in the body is refused.
    OverflowInUnknownFieldRefused => "overflow-in-unknown-field-refused",
        "a number that overflows a double anywhere in the body, unknown fields included, is bad_request (Go json.Unmarshal into map[string]any)";
    /// Sizes written with Python's float repr.
    PythonFloatReprSize => "python-float-repr-size",
        "the size is measured on Python's json.dumps numbers: floats by repr (100.0, 1e+16, 1e-07), integers exact";
    /// Sizes written with Java's Double.toString.
    JavaDoubleSize => "java-double-size",
        "the size is measured on Java's number text: doubles by Double.toString (100.0, 1.0E16, 1.0E-7), integers exact";
    /// Negative zero counted with its sign.
    NegativeZeroSize => "negative-zero-size",
        "the JCS size counts -0 with its sign (Go writes \"-0\", Python and Java \"-0.0\") instead of \"0\"";
    /// Size in UTF-16 code units.
    Utf16LengthSize => "utf16-length-size",
        "the size is counted in UTF-16 code units (JS string length, Java String.length, C# Length), not UTF-8 bytes";
    /// Size in code points.
    CodePointSize => "code-point-size",
        "the size is counted in code points (Python len of json.dumps(..., ensure_ascii=False)), not UTF-8 bytes";
    /// Size with non-ASCII escaped.
    EnsureAsciiSize => "ensure-ascii-size",
        "the size is measured with every non-ASCII character escaped as \\uXXXX (Python json.dumps default, PHP json_encode)";
    /// Size with Python's default separators.
    PythonSeparatorsSize => "python-separators-size",
        "the size is measured with Python json.dumps's default separators, a space after every comma and colon";
    /// Size with PHP's escaped slashes.
    PhpSlashEscapeSize => "php-slash-escape-size",
        "the size is measured with / escaped as \\/ (PHP json_encode without JSON_UNESCAPED_SLASHES)";
    /// Size with .NET's default encoder.
    DotnetEncoderSize => "dotnet-encoder-size",
        "the size is measured with .NET System.Text.Json's default encoder: < > & ' + ` \" and non-ASCII as \\uXXXX (uppercase hex)";
    /// Integral floats are accepted.
    FloatIntegralAccepted => "float-integral-accepted",
        "a duration written 60.0 or 6e1 is accepted because its value is an integer (JS Number.isInteger, Python float.is_integer)";
    /// Fractions are truncated.
    FloatTruncated => "float-truncated",
        "a duration with a fraction is truncated to an integer (Jackson ACCEPT_FLOAT_AS_INT, C#/Java casts): 60.5 is 60";
    /// Booleans are integers.
    BoolAsInteger => "bool-as-integer",
        "a boolean duration is read as 1 or 0 (Python: bool is a subclass of int; PHP (int)true)";
    /// Numeric strings are numbers.
    NumericStringDuration => "numeric-string-duration",
        "a duration given as a numeric string (\"60\") is read as the number (PHP is_numeric, JS Number())";
    /// int32 wraps around.
    Int32Wraparound => "int32-wraparound",
        "a duration beyond int32 keeps its low 32 bits (Java/C# (int) casts, Go int32(x)): 4294967356 is 60";
    /// Zero is absent.
    FalsyZeroAbsent => "falsy-zero-absent",
        "a duration of 0 is taken as absent (JS `|| 60`, Python `or 60`, Go omitempty)";
    /// Times are 32-bit.
    ExpiryInt32Seconds => "expiry-int32-seconds",
        "Unix seconds are held in 32 bits, so times after 2038-01-19T03:14:07Z wrap (32-bit time_t, Java int)";
    /// Emails compared after Unicode lower-casing.
    EmailUnicodeLowercase => "email-unicode-lowercase",
        "emails are compared after Unicode lower-casing (Python lower, JS toLowerCase, Java toLowerCase, C# ToLowerInvariant), not ASCII only";
    /// Emails compared after full case folding.
    EmailCasefold => "email-casefold",
        "emails are compared after full Unicode case folding (Python casefold: straße matches strasse)";
    /// Emails compared with simple folding.
    EmailSimpleFold => "email-simple-fold",
        "emails are compared with Unicode simple case folding (Go strings.EqualFold: the Kelvin sign matches k, long s matches s)";
    /// Canonically equivalent emails match.
    EmailNfcEquivalent => "email-nfc-equivalent",
        "emails are compared by canonical equivalence, ignoring case (JS localeCompare and Intl.Collator, .NET culture-aware comparison): e + U+0301 matches \u{e9}";
    /// Emails are trimmed.
    EmailTrimmed => "email-trimmed",
        "the UserInfo email is trimmed before it is checked and matched (strip, trim, Trim)";
    /// JavaScript's \s decides whitespace.
    EmailJsWhitespaceClass => "email-js-whitespace-class",
        "whitespace in an email is JS's \\s, which adds U+FEFF and misses U+0085 against Unicode White_Space";
    /// Python's isspace decides whitespace.
    EmailPythonIsspace => "email-python-isspace",
        "whitespace in an email is Python's str.isspace, which adds U+001C..U+001F to Unicode White_Space";
    /// Java's isWhitespace decides whitespace.
    EmailJavaIsWhitespace => "email-java-iswhitespace",
        "whitespace in an email is Java's Character.isWhitespace, which leaves out the no-break spaces and U+0085 and adds U+001C..U+001F";
    /// Only ASCII whitespace counts.
    EmailAsciiWhitespace => "email-ascii-whitespace",
        "only ASCII whitespace makes an email invalid (C isspace, Go strings.ContainsAny(s, \" \\t\\r\\n\"))";
    /// Any @ will do.
    EmailAtAnywhere => "email-at-anywhere",
        "an email is any string containing an @ (JS includes('@'), Python '@' in s)";
    /// The UserInfo reply is decoded as Latin-1.
    EmailLatin1Decoded => "email-latin1-decoded",
        "the UserInfo reply is decoded as ISO-8859-1 (a text reply without charset in Python requests, a Latin-1 platform charset in Java)";
    /// "0" is empty.
    EmptyZeroString => "empty-zero-string",
        "a session_token or organization_id of \"0\" is refused as missing (PHP empty(\"0\") is true)";
    /// Ids are trimmed.
    IdsTrimmed => "ids-trimmed",
        "session_token and organization_id are trimmed before use (strip, trim): \" acme\" finds acme, \" \" is empty";
    /// Falsy claims are absent.
    FalsyClaimsAbsent => "falsy-claims-absent",
        "false, 0, \"\" and [] as session_custom_claims are taken as no claims (Python `if claims:`; JS `if (claims)` for all but [], which is truthy there)";
    /// Arrays pass the object check.
    ArrayClaimsAccepted => "array-claims-accepted",
        "an array passes the claims' object check (JS typeof [] is 'object') and merges as {\"0\": ...}";
    /// Arrays merge by index.
    ArraysMergedByIndex => "arrays-merged-by-index",
        "arrays in claims merge element by element (lodash _.merge): [\"c\"] over [\"a\",\"b\"] gives [\"c\",\"b\"]";
    /// Timestamps end in +00:00.
    TimestampsOffsetSuffix => "timestamps-offset-suffix",
        "timestamps end in +00:00 instead of Z (Python datetime.isoformat on an aware UTC time)";
    /// Zero seconds are left out.
    TimeDropsZeroSeconds => "time-drops-zero-seconds",
        "timestamps leave out :00 seconds (Java OffsetDateTime.toString: 2023-11-14T22:13Z)";
    /// Empty custom claims are left out.
    CustomClaimsOmittedWhenEmpty => "custom-claims-omitted-when-empty",
        "member_session.custom_claims is left out when empty (Go `json:\",omitempty\"` on a map)";

    // Mutants wrong only under one flag's non-default choice (each runs under that choice).

    /// Namespaced keys are dropped, not refused, under `reserved-claims = reject`.
    RejectMissesNamespaced => "reject-misses-namespaced" under "reserved-claims" = "reject",
        "under reserved-claims=reject only the registered names are refused; a https://stytch.com/ key is dropped silently";
    /// The Go measure forgets the HTML escapes.
    GoJsonNoHtmlEscape => "go-json-no-html-escape" under "claims-size-measure" = "go-json",
        "the Go size measure is computed with SetEscapeHTML(false): < > & count one byte instead of six";
    /// The 4000-byte limit is exclusive.
    Limit4000Exclusive => "limit-4000-exclusive" under "claims-size-limit" = "4000",
        "the 4000-byte limit is checked with >= instead of >, so claims of exactly 4000 bytes are refused";
    /// Ignoring the request claims drops the template too.
    IgnoredClaimsDropTemplate => "ignored-claims-drop-template" under "claims-without-duration" = "ignore",
        "without a duration the whole claims step is skipped, so the template's claims are lost too";
    /// An explicit null duration is still the default.
    NullDurationAccepted => "null-duration-accepted" under "null-duration" = "bad_request",
        "under null-duration=bad_request an explicit null is still read as absent (Option<i32> swallows it)";
    /// Only a literal `0` counts as absent.
    MinusZeroNotAbsent => "minus-zero-not-absent" under "zero-duration" = "absent",
        "under zero-duration=absent the check compares the text with \"0\", so -0 is still invalid";
    /// A fraction is truncated.
    IntegralFloatTruncates => "integral-float-truncates" under "integral-float" = "accept",
        "under integral-float=accept the duration is cast to an integer, so 60.5 is accepted as 60";
    /// A positive int32 overflow keeps the range error.
    PositiveOverflowOutOfRange => "positive-overflow-out-of-range" under "int32-overflow" = "bad_request",
        "under int32-overflow=bad_request only a negative overflow is bad_request; 2147483648 is still out of range";
    /// The default is refused at a maximum of exactly 60.
    DefaultRejectAt60 => "default-reject-at-60" under "default-above-project-max" = "reject",
        "under default-above-project-max=reject the check is max <= 60, so a project maximum of exactly 60 refuses the default";
    /// Duplicates are refused at the top level only.
    DuplicatesTopLevelOnly => "duplicates-top-level-only" under "duplicate-keys" = "bad_request",
        "under duplicate-keys=bad_request only the top-level object is checked; a duplicate inside the claims passes";
    /// Exact numbers are normalized through a double.
    ExactTextThroughDouble => "exact-text-through-double" under "number-precision" = "exact-text",
        "under number-precision=exact-text finite numbers still go through a double (9007199254740993 becomes 9007199254740992); only overflow keeps its text";
    /// Lone surrogates are dropped, not replaced.
    LoneSurrogateDropped => "lone-surrogate-dropped" under "lone-surrogate" = "replace",
        "under lone-surrogate=replace an escaped lone surrogate is removed instead of becoming U+FFFD";
    /// The lookup order is hard-coded.
    LookupOrderHardCoded => "lookup-order-hard-coded" under "org-lookup-order" = "id-external-slug",
        "under org-lookup-order=id-external-slug the lookup still tries the slug before the external id (the order is hard-coded)";
    /// External ids are matched ignoring case too.
    ExternalIdCaseInsensitive => "external-id-case-insensitive" under "slug-case" = "ascii-insensitive",
        "under slug-case=ascii-insensitive the lookup lower-cases its input for every key, so external ids match ignoring case too";
    /// The UserInfo email is lower-cased before the exact compare.
    EmailLowercasedBeforeExact => "email-lowercased-before-exact" under "email-case" = "exact",
        "under email-case=exact the UserInfo email is normalized to lower case first, so ADA@ACME.TEST matches ada@acme.test";
    /// Invited members still migrate.
    ActiveOnlyAllowsInvited => "active-only-allows-invited" under "member-status" = "active-only",
        "under member-status=active-only the filter excludes pending members but forgets invited ones";
    /// Only a JSON `false` counts as unverified.
    UnverifiedStringAccepted => "unverified-string-accepted" under "unverified-email" = "reject",
        "under unverified-email=reject only a JSON false is refused; the string \"false\" passes";
    /// Emptied objects are removed one level only.
    RemoveWithoutCascade => "remove-without-cascade" under "empty-object-after-delete" = "remove",
        "under empty-object-after-delete=remove an object emptied by nulls goes, but its parent left empty by that stays as {}";
    /// A limit of 512 levels remains under `nesting-limit = none`.
    NestingLimit512 => "nesting-limit-512" under "nesting-limit" = "none",
        "under nesting-limit=none the parser keeps its own depth limit of 512 levels";
    /// Slugs match with Unicode case folding.
    SlugUnicodeFold => "slug-unicode-fold" under "slug-case" = "ascii-insensitive",
        "under slug-case=ascii-insensitive slugs match with Unicode case folding (Go strings.EqualFold, C# OrdinalIgnoreCase), so non-ASCII letters match in any case";
    /// Every validation failure becomes `bad_request`.
    AnyApplicableBadRequest => "any-applicable-bad-request" under "error-precedence" = "any-applicable",
        "under error-precedence=any-applicable every duration failure is answered as bad_request, which no step gives for a number in range";
}

impl Bug {
    /// The policy profile the mutant declares: the default, with its flag on the choice it is
    /// wrong under ([`Bug::setting`]).
    pub fn profile(self) -> Policy {
        let mut profile = Policy::default();
        if let Some((flag, choice)) = self.setting() {
            // The table's names are checked by a test.
            let _ = profile.set_by_name(flag, choice);
        }
        profile
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Bug;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
        for bug in Bug::ALL {
            assert_eq!(Bug::from_name(bug.name()), Some(*bug));
            assert!(!bug.describe().is_empty());
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Bug::ALL.len());
        assert_eq!(Bug::from_name("no-such-bug"), None);
    }

    #[test]
    fn every_flag_has_a_mutant_wrong_only_under_its_other_choice() {
        let mut flags = Vec::new();
        for bug in Bug::ALL {
            if let Some((flag, choice)) = bug.setting() {
                let mut p = migrate_model::Policy::default();
                p.set_by_name(flag, choice)
                    .expect("a known flag and choice");
                assert_ne!(
                    p,
                    migrate_model::Policy::default(),
                    "{bug}: a non-default choice"
                );
                assert_eq!(bug.profile(), p);
                flags.push(flag);
            } else {
                assert_eq!(bug.profile(), migrate_model::Policy::default());
            }
        }
        for flag in migrate_model::Flag::ALL {
            assert!(
                flags.contains(&flag.name()),
                "no mutant for {}",
                flag.name()
            );
        }
    }
}
