//! The one place that reads the system clock.
//!
//! Everything else receives `now` from a [`Clock`]: the system clock in production, or a
//! manual clock that only moves when told to (tests, and servers started with
//! `--conformance-hooks`).

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

#[derive(Clone, Debug)]
pub struct Clock(Arc<Source>);

#[derive(Debug)]
enum Source {
    System,
    /// The time it shows.
    Manual(Mutex<OffsetDateTime>),
}

#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error("the system clock cannot be moved")]
    NotManual,
    #[error("the clock only moves forward")]
    Backwards,
}

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(Source::System))
    }

    /// A manual clock starting at the current real time, truncated to whole seconds so
    /// that scenario arithmetic stays exact.
    #[allow(clippy::disallowed_methods)] // the clock module is where time is read
    pub fn manual() -> Self {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("zero nanoseconds");
        Self::manual_at(now)
    }

    pub fn manual_at(start: OffsetDateTime) -> Self {
        Self(Arc::new(Source::Manual(Mutex::new(start))))
    }

    #[allow(clippy::disallowed_methods)] // the clock module is where time is read
    pub fn now(&self) -> OffsetDateTime {
        match &*self.0 {
            Source::System => OffsetDateTime::now_utc(),
            Source::Manual(now) => *now.lock().expect("clock lock"),
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(*self.0, Source::Manual(_))
    }

    /// Brings a manual clock up to `at` if it shows an earlier time (another instance moved
    /// the shared clock); never back. Returns the time it shows.
    pub fn catch_up(&self, at: OffsetDateTime) -> OffsetDateTime {
        match &*self.0 {
            Source::System => self.now(),
            Source::Manual(now) => {
                let mut now = now.lock().expect("clock lock");
                *now = (*now).max(at);
                *now
            }
        }
    }

    /// Moves a manual clock forward and returns the new time.
    pub fn advance(&self, by: Duration) -> Result<OffsetDateTime, ClockError> {
        if by.is_negative() {
            return Err(ClockError::Backwards);
        }
        match &*self.0 {
            Source::System => Err(ClockError::NotManual),
            Source::Manual(now) => {
                let mut now = now.lock().expect("clock lock");
                *now += by;
                Ok(*now)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_forward_and_only_when_told() {
        let clock = Clock::manual_at(datetime!(2026-01-01 0:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-01 0:00 UTC));
        assert_eq!(clock.advance(Duration::minutes(5)).unwrap(), datetime!(2026-01-01 0:05 UTC));
        assert!(matches!(clock.advance(Duration::seconds(-1)), Err(ClockError::Backwards)));
        assert!(matches!(Clock::system().advance(Duration::SECOND), Err(ClockError::NotManual)));
        assert_eq!(
            clock.catch_up(datetime!(2026-01-01 0:01 UTC)),
            datetime!(2026-01-01 0:05 UTC),
            "never back"
        );
        assert_eq!(clock.catch_up(datetime!(2026-01-01 0:09 UTC)), datetime!(2026-01-01 0:09 UTC));
    }
}
