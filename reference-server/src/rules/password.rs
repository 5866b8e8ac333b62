//! Password rules (PW-1, PW-3, PW-4) and strength guidance (PW-2).

use std::collections::HashSet;

use serde::Serialize;

use crate::policy::Policy;

/// Why a password is refused. Composition rules (digits, symbols…) are deliberately absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// On the list of commonly used or breached passwords.
    Common,
    /// Control characters (line breaks, tabs, NUL…) cannot be typed reliably.
    ControlCharacters,
}

/// The shipped list of common passwords, as a set for constant-time look-up.
pub struct CommonPasswords(HashSet<String>);

/// Commonly used passwords (the public xato top list, as shipped by zxcvbn), one per line,
/// lower-case, nothing else in the file.
const SHIPPED: &str = include_str!("../../data/common-passwords.txt");

impl CommonPasswords {
    pub fn shipped() -> Self {
        Self(SHIPPED.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect())
    }

    /// Case-insensitive, so `Password` and `PASSWORD` count as `password`.
    pub fn contains(&self, password: &str) -> bool {
        self.0.contains(&password.to_lowercase())
    }
}

/// Checks `password` against the policy. Length counts Unicode characters, so a passphrase
/// in any script works and nothing is truncated.
pub fn check(password: &str, policy: &Policy, common: &CommonPasswords) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if password.chars().any(char::is_control) {
        return Err(PasswordProblem::ControlCharacters);
    }
    if length < policy.password_min_length {
        return Err(PasswordProblem::TooShort { min: policy.password_min_length });
    }
    if length > policy.password_max_length {
        return Err(PasswordProblem::TooLong { max: policy.password_max_length });
    }
    if policy.reject_common_passwords && common.contains(password) {
        return Err(PasswordProblem::Common);
    }
    Ok(())
}

/// Guidance for the strength meter: a score from 0 (weakest) to 4, and feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Strength {
    pub score: u8,
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
}

/// zxcvbn's estimate. Only the first 100 characters are analysed: the estimate's cost grows
/// quickly with length and a password that long is strong anyway.
pub fn strength(password: &str, user_inputs: &[&str]) -> Strength {
    let analysed: String = password.chars().take(100).collect();
    let estimate = zxcvbn::zxcvbn(&analysed, user_inputs);
    let feedback = estimate.feedback();
    Strength {
        score: u8::from(estimate.score()),
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_default(password: &str) -> Result<(), PasswordProblem> {
        check(password, &Policy::default(), &CommonPasswords::shipped())
    }

    #[test]
    fn length_is_the_only_shape_rule() {
        assert_eq!(check_default("abcdxyz"), Err(PasswordProblem::TooShort { min: 8 }));
        assert_eq!(check_default("zqvmxkwj"), Ok(()));
        assert_eq!(check_default("four words in lowercase"), Ok(()));
        assert_eq!(check_default("éèêëœæ€ß"), Ok(()), "eight non-ASCII characters are eight characters");
    }

    #[test]
    fn long_passwords_are_accepted_up_to_the_maximum() {
        assert_eq!(check_default(&"horse battery ".repeat(10)), Ok(()));
        assert_eq!(check_default(&"x".repeat(256)), Ok(()));
        assert_eq!(check_default(&"x".repeat(257)), Err(PasswordProblem::TooLong { max: 256 }));
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case_unless_switched_off() {
        assert_eq!(check_default("password"), Err(PasswordProblem::Common));
        assert_eq!(check_default("PassWord1"), Err(PasswordProblem::Common));
        assert_eq!(check_default("qwertyuiop"), Err(PasswordProblem::Common));
        let lenient = Policy { reject_common_passwords: false, ..Policy::default() };
        assert_eq!(check("password", &lenient, &CommonPasswords::shipped()), Ok(()));
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(check_default("line\nbreak here"), Err(PasswordProblem::ControlCharacters));
    }

    #[test]
    fn shipped_list_is_loaded() {
        assert!(CommonPasswords::shipped().0.len() > 20_000);
    }

    #[test]
    fn strength_ranks_a_passphrase_above_a_common_password() {
        let weak = strength("password123", &[]);
        let strong = strength("correct horse battery staple tuba", &[]);
        assert!(weak.score < strong.score, "{weak:?} vs {strong:?}");
        assert!(weak.warning.is_some() || !weak.suggestions.is_empty());
        assert!(strength("alice2026!", &["alice"]).score <= 2);
    }
}
