//! How a session ends without the person signing out: after being idle (SI-4), when it has
//! lasted its whole lifetime however busy (SI-6), or after too many wrong current-password
//! entries in settings (ST-2).

use time::{Duration, OffsetDateTime};

/// SI-4 and SI-6 as bounds a store applies in the statement that reads a session, so that one
/// that is over cannot be revived by a parallel request: at some `now`, a session is alive
/// while it was last used strictly after `seen_after` and begun strictly after `created_after`
/// (idle for exactly `idle`, or `lifetime` old, it is over).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alive {
    pub seen_after: OffsetDateTime,
    pub created_after: OffsetDateTime,
}

impl Alive {
    /// The bounds at `now`, for sessions that end after `idle` unused or `lifetime` in all.
    pub fn at(now: OffsetDateTime, idle: Duration, lifetime: Duration) -> Self {
        Self { seen_after: now - idle, created_after: now - lifetime }
    }
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
    fn a_session_is_over_at_exactly_its_idle_timeout_or_its_lifetime() {
        let (idle, lifetime) = (Duration::minutes(15), Duration::hours(12));
        let now = T0 + Duration::days(1);
        let alive = Alive::at(now, idle, lifetime);
        // Alive means strictly after each bound: used 15 minutes ago, or begun 12 hours ago, is over.
        assert_eq!(alive.seen_after, now - Duration::minutes(15));
        assert_eq!(alive.created_after, now - Duration::hours(12));
    }

    #[test]
    fn the_third_wrong_current_password_signs_out() {
        assert_eq!(wrong_current_password(1, 3), WrongPassword::Counted { remaining: 2 });
        assert_eq!(wrong_current_password(2, 3), WrongPassword::Counted { remaining: 1 });
        assert_eq!(wrong_current_password(3, 3), WrongPassword::SignsOut);
        assert_eq!(wrong_current_password(1, 1), WrongPassword::SignsOut);
    }
}
