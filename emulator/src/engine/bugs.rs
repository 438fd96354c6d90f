//! The bug zoo: small, realistic deviations that [`Sample::with_bug`](super::Sample::with_bug)
//! switches on one at a time, so that the suite can show it catches each of them.

use std::fmt;

macro_rules! bugs {
    ($($(#[doc = $doc:literal])* $Variant:ident => $name:literal, $describe:literal;)+) => {
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
}
