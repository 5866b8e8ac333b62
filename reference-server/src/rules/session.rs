//! How a session ends without the person signing out: after being idle (SI-4), when it has
//! lasted its whole lifetime however busy (SI-6), or after too many wrong current-password
//! entries in settings (ST-2).

use time::{Duration, OffsetDateTime};

/// SI-4: a session last used at `last_seen` is over at `now` once it has been idle for
/// `timeout` (at exactly `timeout`, it is over).
pub fn idle_expired(last_seen: OffsetDateTime, now: OffsetDateTime, timeout: Duration) -> bool {
    now - last_seen >= timeout
}

/// SI-4 and SI-6: whether a session begun at `created_at` and last used at `last_seen` is over
/// at `now`: idle for `idle`, or older than `lifetime` (at exactly either, it is over).
pub fn session_over(
    created_at: OffsetDateTime,
    last_seen: OffsetDateTime,
    now: OffsetDateTime,
    idle: Duration,
    lifetime: Duration,
) -> bool {
    idle_expired(last_seen, now, idle) || now - created_at >= lifetime
}

/// What one wrong current password in settings means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongPassword {
    /// Counted: `remaining` more tries.
    Counted { remaining: u32 },
    /// This one reached the limit: the person is signed out.
    SignsOut,
}

/// ST-2: the session's `attempt`-th wrong current password (the first is 1) since the last
/// right one.
pub fn wrong_current_password(attempt: u32, limit: u32) -> WrongPassword {
    if attempt >= limit {
        WrongPassword::SignsOut
    } else {
        WrongPassword::Counted { remaining: limit - attempt }
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
    fn a_busy_session_still_ends_after_its_lifetime() {
        let (idle, lifetime) = (Duration::minutes(15), Duration::hours(12));
        let busy = |now: OffsetDateTime| session_over(T0, now - Duration::MINUTE, now, idle, lifetime);
        assert!(!busy(T0 + lifetime - Duration::SECOND));
        assert!(busy(T0 + lifetime));
        assert!(session_over(T0, T0, T0 + idle, idle, lifetime), "idle ends it too");
    }

    #[test]
    fn the_third_wrong_current_password_signs_out() {
        assert_eq!(wrong_current_password(1, 3), WrongPassword::Counted { remaining: 2 });
        assert_eq!(wrong_current_password(2, 3), WrongPassword::Counted { remaining: 1 });
        assert_eq!(wrong_current_password(3, 3), WrongPassword::SignsOut);
        assert_eq!(wrong_current_password(1, 1), WrongPassword::SignsOut);
    }
}
