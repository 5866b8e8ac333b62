//! How a session ends without the person signing out: after being idle (SI-4), or after too
//! many wrong current-password entries in settings (ST-2).

use time::{Duration, OffsetDateTime};

/// SI-4: a session last used at `last_seen` is over at `now` once it has been idle for
/// `timeout` (at exactly `timeout`, it is over).
pub fn idle_expired(last_seen: OffsetDateTime, now: OffsetDateTime, timeout: Duration) -> bool {
    now - last_seen >= timeout
}

/// What one wrong current password in settings means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongPassword {
    /// Counted: the session now holds `failures`; `remaining` more tries.
    Counted { failures: u32, remaining: u32 },
    /// This one reached the limit: the person is signed out.
    SignsOut,
}

/// ST-2: one more wrong current password after `failures` earlier ones in this session.
pub fn wrong_current_password(failures: u32, limit: u32) -> WrongPassword {
    let failures = failures.saturating_add(1);
    if failures >= limit {
        WrongPassword::SignsOut
    } else {
        WrongPassword::Counted { failures, remaining: limit - failures }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);

    #[test]
    fn idle_for_the_whole_timeout_ends_the_session() {
        let timeout = Duration::minutes(15);
        assert!(!idle_expired(T0, T0 + timeout - Duration::SECOND, timeout));
        assert!(idle_expired(T0, T0 + timeout, timeout));
    }

    #[test]
    fn the_third_wrong_current_password_signs_out() {
        assert_eq!(wrong_current_password(0, 3), WrongPassword::Counted { failures: 1, remaining: 2 });
        assert_eq!(wrong_current_password(1, 3), WrongPassword::Counted { failures: 2, remaining: 1 });
        assert_eq!(wrong_current_password(2, 3), WrongPassword::SignsOut);
        assert_eq!(wrong_current_password(0, 1), WrongPassword::SignsOut);
    }
}
