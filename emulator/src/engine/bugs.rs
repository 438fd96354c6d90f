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
