//! How a destination number behaves, decided by its prefix (E.164, US test range `+1555`).

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// Texts and calls arrive.
    Mobile,
    /// `+15551…`: texts refused (400, 21614 not a mobile number); calls arrive.
    Landline,
    /// `+15552…`: texts refused (400, 21610 unsubscribed recipient); calls arrive.
    OptedOut,
    /// `+15553…`: the provider fails (500, 20500).
    Failing,
    /// `+15554…`: accepted and reported delivered, but never arrives (a lost text).
    Lost,
    /// `+15555…SS`: arrives SS seconds late (the number's last two digits).
    Late,
    /// `+15556…`: not a phone number at all: texts and calls refused (400, 21211).
    Invalid,
    /// `+15557…`: accepted, then undelivered (30003 unreachable handset; a call fails).
    Unreachable,
}

impl PhoneKind {
    pub const ALL: [PhoneKind; 8] = [
        Self::Mobile,
        Self::Landline,
        Self::OptedOut,
        Self::Failing,
        Self::Lost,
        Self::Late,
        Self::Invalid,
        Self::Unreachable,
    ];

    pub fn of(number: &str) -> Self {
        match number.strip_prefix("+1555").and_then(|rest| rest.chars().next()) {
            Some('1') => Self::Landline,
            Some('2') => Self::OptedOut,
            Some('3') => Self::Failing,
            Some('4') => Self::Lost,
            Some('5') => Self::Late,
            Some('6') => Self::Invalid,
            Some('7') => Self::Unreachable,
            _ => Self::Mobile,
        }
    }

    /// The prefix of numbers of this kind (`None` for mobile, which is everything else).
    pub fn prefix(self) -> Option<&'static str> {
        match self {
            Self::Mobile => None,
            Self::Landline => Some("+15551"),
            Self::OptedOut => Some("+15552"),
            Self::Failing => Some("+15553"),
            Self::Lost => Some("+15554"),
            Self::Late => Some("+15555"),
            Self::Invalid => Some("+15556"),
            Self::Unreachable => Some("+15557"),
        }
    }

    /// How late a `Late` number's messages arrive: its last two digits, in seconds.
    pub fn lateness(number: &str) -> std::time::Duration {
        let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
        let secs = match digits.as_slice() {
            [.., tens, ones] => tens * 10 + ones,
            _ => 0,
        };
        std::time::Duration::from_secs(secs.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_kinds_follow_the_documented_prefixes() {
        for kind in PhoneKind::ALL {
            if let Some(prefix) = kind.prefix() {
                assert_eq!(PhoneKind::of(&format!("{prefix}000001")), kind);
            }
        }
        assert_eq!(PhoneKind::of("+15550000001"), PhoneKind::Mobile);
        assert_eq!(PhoneKind::of("+442071838750"), PhoneKind::Mobile);
    }

    #[test]
    fn a_late_number_says_how_late() {
        assert_eq!(PhoneKind::lateness("+15555000007"), std::time::Duration::from_secs(7));
        assert_eq!(PhoneKind::lateness("+15555000042"), std::time::Duration::from_secs(42));
    }
}
