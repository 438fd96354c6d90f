//! The [`Policy`]: every point the public material leaves open, as one named choice each.
//!
//! Section 2a of the semantics brief lists the flags. Each flag is an enum whose `Default` is
//! the project's default choice; the wire names of flags and choices (`reserved-claims`,
//! `reject`) come from the one table in `policy_flags!`, which also generates the by-name
//! access used by command lines and test vectors.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! policy_flags {
    ($(
        $(#[$flag_doc:meta])*
        $field:ident: $Enum:ident = $name:literal {
            $(#[$default_doc:meta])* $Default:ident = $default:literal,
            $( $(#[$choice_doc:meta])* $Choice:ident = $choice:literal ),+ $(,)?
        }
    )+) => {
        $(
            $(#[$flag_doc])*
            ///
            /// The first choice is the default.
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
            #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
            pub enum $Enum {
                $(#[$default_doc])*
                #[default]
                #[serde(rename = $default)]
                $Default,
                $(
                    $(#[$choice_doc])*
                    #[serde(rename = $choice)]
                    $Choice,
                )+
            }

            impl $Enum {
                /// Every choice, the default first.
                pub const ALL: &'static [$Enum] = &[$Enum::$Default, $($Enum::$Choice),+];

                /// The choice's wire name.
                pub fn name(self) -> &'static str {
                    match self { $Enum::$Default => $default, $($Enum::$Choice => $choice),+ }
                }

                /// The choice with this wire name.
                pub fn from_name(name: &str) -> Option<Self> {
                    match name { $default => Some($Enum::$Default), $($choice => Some($Enum::$Choice),)+ _ => None }
                }
            }

            impl fmt::Display for $Enum {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(self.name())
                }
            }
        )+

        /// How an implementation settles each open point. `Policy::default()` is the project's
        /// default profile; every field is one flag of section 2a.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        #[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
        pub struct Policy {
            $(
                $(#[$flag_doc])*
                pub $field: $Enum,
            )+
        }

        /// The name of one policy flag.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Flag {
            $(
                $(#[$flag_doc])*
                $Enum,
            )+
        }

        impl Flag {
            /// Every flag, in the order of section 2a.
            pub const ALL: &'static [Flag] = &[$(Flag::$Enum),+];

            /// The flag's wire name, such as `reserved-claims`.
            pub fn name(self) -> &'static str {
                match self { $(Flag::$Enum => $name),+ }
            }

            /// The flag with this wire name.
            pub fn from_name(name: &str) -> Option<Flag> {
                match name { $($name => Some(Flag::$Enum),)+ _ => None }
            }

            /// The wire names of the flag's choices, the default first.
            pub fn choices(self) -> Vec<&'static str> {
                match self { $(Flag::$Enum => $Enum::ALL.iter().map(|c| c.name()).collect()),+ }
            }
        }

        impl Policy {
            /// The wire name of the choice this policy makes for `flag`.
            pub fn get(&self, flag: Flag) -> &'static str {
                match flag { $(Flag::$Enum => self.$field.name()),+ }
            }

            /// Sets `flag` to the choice named `choice`.
            pub fn set(&mut self, flag: Flag, choice: &str) -> Result<(), PolicyError> {
                match flag {
                    $(Flag::$Enum => {
                        self.$field = $Enum::from_name(choice).ok_or_else(|| PolicyError::UnknownChoice {
                            flag: $name,
                            choice: choice.to_owned(),
                            expected: flag.choices(),
                        })?;
                    })+
                }
                Ok(())
            }
        }
    };
}

policy_flags! {
    /// `reserved-claims`: the API reference says reserved claims are ignored, the guides that
    /// they are an error.
    reserved_claims: ReservedClaims = "reserved-claims" {
        /// Drop reserved (and `https://stytch.com/`) keys silently.
        Ignore = "ignore",
        /// Answer `reserved_claims_in_custom_claims` / `stytch_claims_in_custom_claims`.
        Reject = "reject",
    }
    /// `claims-size-measure`: how the four-kilobyte limit is measured.
    claims_size_measure: ClaimsSizeMeasure = "claims-size-measure" {
        /// Bytes of the RFC 8785 (JCS) canonical JSON of the final claims map.
        Jcs = "jcs",
        /// Bytes of Go's `json.Marshal` output of the final claims map.
        GoJson = "go-json",
    }
    /// `claims-size-limit`: what "4 KB" is.
    claims_size_limit: ClaimsSizeLimit = "claims-size-limit" {
        /// 4096 bytes.
        Bytes4096 = "4096",
        /// 4000 bytes.
        Bytes4000 = "4000",
    }
    /// `claims-without-duration`: whether request claims apply when no duration is given.
    claims_without_duration: ClaimsWithoutDuration = "claims-without-duration" {
        /// Request claims apply whenever the session is created.
        Apply = "apply",
        /// Request claims are ignored (not examined beyond their type) when the duration is
        /// absent or treated as absent; the template still applies.
        Ignore = "ignore",
    }
    /// `null-duration`: an explicit `null` duration.
    null_duration: NullDuration = "null-duration" {
        /// Same as absent in every respect.
        Absent = "absent",
        /// `bad_request`.
        BadRequest = "bad_request",
    }
    /// `zero-duration`: an explicit `0` duration (Go servers cannot tell 0 from absent).
    zero_duration: ZeroDuration = "zero-duration" {
        /// `invalid_session_duration_minutes`, like any value below 5.
        Invalid = "invalid",
        /// Same as absent.
        Absent = "absent",
    }
    /// `integral-float`: a duration such as `60.0` or `6e1`.
    integral_float: IntegralFloat = "integral-float" {
        /// `bad_request`: only a JSON integer literal is an integer.
        BadRequest = "bad_request",
        /// Accepted when the number's exact decimal value is an integer.
        Accept = "accept",
    }
    /// `int32-overflow`: a duration outside the int32 range.
    int32_overflow: Int32Overflow = "int32-overflow" {
        /// `invalid_session_duration_minutes`.
        InvalidDuration = "invalid_session_duration_minutes",
        /// `bad_request`.
        BadRequest = "bad_request",
    }
    /// `default-above-project-max`: the project maximum is below 60 and no duration is given.
    default_above_project_max: DefaultAboveProjectMax = "default-above-project-max" {
        /// The duration becomes the project maximum.
        Cap = "cap",
        /// `invalid_session_duration`.
        Reject = "reject",
    }
    /// `duplicate-keys`: the same key twice in one object, anywhere in the body.
    duplicate_keys: DuplicateKeys = "duplicate-keys" {
        /// The last one wins; discarded values get no semantic check.
        LastWins = "last-wins",
        /// `bad_request`.
        BadRequest = "bad_request",
    }
    /// `number-precision`: how numbers in claims and template are held.
    number_precision: NumberPrecision = "number-precision" {
        /// IEEE-754 doubles, round to nearest; overflow to infinity is
        /// `unable_to_represent_custom_claims_json`.
        Double = "double",
        /// The exact decimal text, as given.
        ExactText = "exact-text",
    }
    /// `lone-surrogate`: an escaped lone surrogate such as `"\ud800"`.
    lone_surrogate: LoneSurrogate = "lone-surrogate" {
        /// `bad_request`.
        BadRequest = "bad_request",
        /// Replaced with U+FFFD.
        Replace = "replace",
    }
    /// `org-lookup-order`: which match wins when a value is several organizations' keys.
    org_lookup_order: OrgLookupOrder = "org-lookup-order" {
        /// organization_id, then slug, then external id.
        IdSlugExternal = "id-slug-external",
        /// organization_id, then external id, then slug.
        IdExternalSlug = "id-external-slug",
    }
    /// `slug-case`: how slugs are compared.
    slug_case: SlugCase = "slug-case" {
        /// Exactly.
        Exact = "exact",
        /// ASCII case-insensitively.
        AsciiInsensitive = "ascii-insensitive",
    }
    /// `email-case`: how the UserInfo email is compared with members' emails.
    email_case: EmailCase = "email-case" {
        /// ASCII case-insensitively on the whole address.
        AsciiInsensitive = "ascii-insensitive",
        /// Exactly.
        Exact = "exact",
    }
    /// `member-status`: which members can migrate.
    member_status: MemberStatusPolicy = "member-status" {
        /// `active`, `pending` and `invited` (the latter two become active on success).
        ActivePendingInvited = "active-pending-invited",
        /// `active` only.
        ActiveOnly = "active-only",
    }
    /// `unverified-email`: UserInfo `email_verified` of `false` or `"false"`.
    unverified_email: UnverifiedEmail = "unverified-email" {
        /// Accepted: the docs only ask for a valid email.
        Accept = "accept",
        /// `migrate_from_external_missing_userinfo`.
        Reject = "reject",
    }
    /// `empty-object-after-delete`: an object that the update's `null`s left empty.
    empty_object_after_delete: EmptyObjectAfterDelete = "empty-object-after-delete" {
        /// Kept as `{}`.
        Keep = "keep",
        /// Removed, and so on upwards.
        Remove = "remove",
    }
    /// `nesting-limit`: how deep a body may nest.
    nesting_limit: NestingLimit = "nesting-limit" {
        /// Up to 128 levels (the top-level value is level 1); deeper is `bad_request`.
        Levels128 = "128",
        /// No limit (the claims size limit still applies).
        Unlimited = "none",
    }
    /// `error-precedence`: which error answers a request with several faults.
    error_precedence: ErrorPrecedence = "error-precedence" {
        /// The first error in the evaluation order of section 3.
        EvaluationOrder = "evaluation-order",
        /// Any applicable error (section 3 defines the set).
        AnyApplicable = "any-applicable",
    }
}

/// A policy named by strings that do not name a flag or choice.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// No flag has this name.
    UnknownFlag(String),
    /// A setting that is not `FLAG=CHOICE`.
    NotASetting(String),
    /// The flag has no choice of this name.
    UnknownChoice {
        /// The flag.
        flag: &'static str,
        /// The name given.
        choice: String,
        /// The valid names.
        expected: Vec<&'static str>,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::UnknownFlag(name) => {
                let all: Vec<_> = Flag::ALL.iter().map(|f| f.name()).collect();
                write!(
                    f,
                    "unknown policy flag {name:?}; flags are: {}",
                    all.join(", ")
                )
            }
            PolicyError::NotASetting(text) => {
                write!(f, "{text:?} is not a policy setting FLAG=CHOICE")
            }
            PolicyError::UnknownChoice {
                flag,
                choice,
                expected,
            } => write!(
                f,
                "unknown choice {choice:?} for policy flag {flag}; choices are: {}",
                expected.join(", ")
            ),
        }
    }
}

impl std::error::Error for PolicyError {}

impl Policy {
    /// Sets a flag by its wire name, as in `reserved-claims=reject`.
    pub fn set_by_name(&mut self, flag: &str, choice: &str) -> Result<(), PolicyError> {
        let f = Flag::from_name(flag).ok_or_else(|| PolicyError::UnknownFlag(flag.to_owned()))?;
        self.set(f, choice)
    }

    /// This policy with the settings of `text` applied: `FLAG=CHOICE` pairs separated by
    /// commas (`reserved-claims=reject,slug-case=ascii-insensitive`), as command lines and
    /// configuration write a profile. An empty text changes nothing.
    pub fn with_settings(mut self, text: &str) -> Result<Policy, PolicyError> {
        for (flag, choice) in Policy::parse_settings(text)? {
            self.set(flag, choice)?;
        }
        Ok(self)
    }

    /// The `FLAG=CHOICE` pairs of a settings text (see [`Policy::with_settings`]), each flag
    /// and choice checked.
    pub fn parse_settings(text: &str) -> Result<Vec<(Flag, &'static str)>, PolicyError> {
        let mut settings = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (flag, choice) = pair
                .split_once('=')
                .ok_or_else(|| PolicyError::NotASetting(pair.to_owned()))?;
            let f = Flag::from_name(flag.trim())
                .ok_or_else(|| PolicyError::UnknownFlag(flag.trim().to_owned()))?;
            let choice = choice.trim();
            let known = f
                .choices()
                .into_iter()
                .find(|c| *c == choice)
                .ok_or_else(|| PolicyError::UnknownChoice {
                    flag: f.name(),
                    choice: choice.to_owned(),
                    expected: f.choices(),
                })?;
            settings.push((f, known));
        }
        Ok(settings)
    }

    /// The settings text of the flags on which this policy differs from the default, in the
    /// table's order (`""` for the default profile); [`Policy::with_settings`] reads it back.
    pub fn settings(&self) -> String {
        self.non_default_flags()
            .into_iter()
            .map(|f| format!("{}={}", f.name(), self.get(f)))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The flags on which this policy differs from the default.
    pub fn non_default_flags(&self) -> Vec<Flag> {
        let default = Policy::default();
        Flag::ALL
            .iter()
            .copied()
            .filter(|f| self.get(*f) != default.get(*f))
            .collect()
    }

    /// The size limit in bytes.
    pub fn claims_limit_bytes(&self) -> usize {
        match self.claims_size_limit {
            ClaimsSizeLimit::Bytes4096 => 4096,
            ClaimsSizeLimit::Bytes4000 => 4000,
        }
    }
}
