//! OTP-5, PK-5: wrong security codes and wrong personal keys count against the account. The
//! entry that reaches the limit signs the person out and locks code entry for a while; while
//! it is locked nothing is counted and nothing is checked; a right entry clears the count.
//!
//! A state machine over time with no I/O. `store/lockout.rs` applies each decision only if the
//! account's state is still the one the rule saw, so parallel wrong entries cannot count past
//! the limit.

use time::{Duration, OffsetDateTime};

/// The numbers of the rule (from the policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Wrong entries that sign the person out and lock.
    pub limit: u32,
    /// How long code entry stays locked.
    pub duration: Duration,
}

/// What the account remembers of wrong entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Wrong entries since the last right one or the last lock.
    pub failures: u32,
    /// The end of the latest lock (possibly past).
    pub locked_until: Option<OffsetDateTime>,
}

/// What one wrong entry means, and so what the person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongEntry {
    /// Counted: "that was wrong; `remaining` more tries".
    Counted { remaining: u32 },
    /// This one reached the limit: the person is signed out, locked until `until`.
    LocksNow { until: OffsetDateTime },
    /// Entry is locked already: nothing is counted, the person is told until when.
    AlreadyLocked { until: OffsetDateTime },
}

impl Lockout {
    /// Until when entry is locked at `now`, if it is.
    pub fn locked(&self, attempts: &Attempts, now: OffsetDateTime) -> Option<OffsetDateTime> {
        attempts.locked_until.filter(|until| *until > now)
    }

    /// One wrong entry at `now`: the account's next state and what it means. A lock starts
    /// the count afresh, so after it ends the person has the full number of tries again.
    pub fn wrong_entry(&self, attempts: Attempts, now: OffsetDateTime) -> (Attempts, WrongEntry) {
        if let Some(until) = self.locked(&attempts, now) {
            return (attempts, WrongEntry::AlreadyLocked { until });
        }
        let failures = attempts.failures.saturating_add(1);
        if failures >= self.limit {
            let until = now + self.duration;
            return (Attempts { failures: 0, locked_until: Some(until) }, WrongEntry::LocksNow { until });
        }
        (Attempts { failures, ..attempts }, WrongEntry::Counted { remaining: self.limit - failures })
    }

    /// A right entry: the count starts again (a running lock is not lifted; entry is refused
    /// before it is checked while locked).
    pub fn right_entry(&self, attempts: Attempts) -> Attempts {
        Attempts { failures: 0, ..attempts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);
    const RULE: Lockout = Lockout { limit: 3, duration: Duration::minutes(5) };

    #[test]
    fn the_third_wrong_entry_locks_for_five_minutes() {
        let (one, told) = RULE.wrong_entry(Attempts::default(), T0);
        assert_eq!(told, WrongEntry::Counted { remaining: 2 });
        let (two, told) = RULE.wrong_entry(one, T0 + Duration::SECOND);
        assert_eq!(told, WrongEntry::Counted { remaining: 1 });
        let at = T0 + Duration::minutes(1);
        let (locked, told) = RULE.wrong_entry(two, at);
        assert_eq!(told, WrongEntry::LocksNow { until: at + Duration::minutes(5) });
        assert_eq!(
            RULE.locked(&locked, at + Duration::minutes(5) - Duration::SECOND),
            Some(at + Duration::minutes(5))
        );
        assert_eq!(RULE.locked(&locked, at + Duration::minutes(5)), None, "the lock ends at its end");
    }

    #[test]
    fn nothing_is_counted_while_locked_and_the_count_starts_afresh_after() {
        let locked = Attempts { failures: 0, locked_until: Some(T0 + Duration::minutes(5)) };
        let (same, told) = RULE.wrong_entry(locked, T0 + Duration::minutes(4));
        assert_eq!((same, told), (locked, WrongEntry::AlreadyLocked { until: T0 + Duration::minutes(5) }));
        let (_, told) = RULE.wrong_entry(locked, T0 + Duration::minutes(5));
        assert_eq!(told, WrongEntry::Counted { remaining: 2 });
    }

    #[test]
    fn a_right_entry_clears_the_count() {
        let (two, _) = RULE.wrong_entry(Attempts { failures: 1, locked_until: None }, T0);
        let cleared = RULE.right_entry(two);
        assert_eq!(RULE.wrong_entry(cleared, T0).1, WrongEntry::Counted { remaining: 2 });
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Over any schedule of wrong and right entries: never more than `limit` wrong
            /// entries are counted between locks, a lock lasts exactly `duration`, and nothing
            /// is counted while locked.
            #[test]
            fn locks_exactly_at_the_limit(
                entries in proptest::collection::vec((0i64..200, any::<bool>()), 1..80),
                limit in 1u32..6,
                duration_secs in 1i64..600,
            ) {
                let rule = Lockout { limit, duration: Duration::seconds(duration_secs) };
                let (mut state, mut now, mut run) = (Attempts::default(), T0, 0u32);
                for (gap, wrong) in entries {
                    now += Duration::seconds(gap);
                    if !wrong {
                        if rule.locked(&state, now).is_none() {
                            state = rule.right_entry(state);
                            run = 0;
                        }
                        continue;
                    }
                    let was_locked = rule.locked(&state, now);
                    let (next, told) = rule.wrong_entry(state, now);
                    match told {
                        WrongEntry::AlreadyLocked { until } => {
                            prop_assert_eq!(Some(until), was_locked);
                            prop_assert_eq!(next, state);
                        }
                        WrongEntry::Counted { remaining } => {
                            run += 1;
                            prop_assert!(was_locked.is_none());
                            prop_assert_eq!(remaining, limit - run);
                        }
                        WrongEntry::LocksNow { until } => {
                            run += 1;
                            prop_assert_eq!(run, limit);
                            prop_assert_eq!(until, now + rule.duration);
                            run = 0;
                        }
                    }
                    state = next;
                }
            }
        }
    }
}
