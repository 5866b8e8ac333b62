//! Sliding-window limits: at most `limit` events in any window of length `window`.
//!
//! The window is sliding and half-open: an event at time `e` counts while
//! `now - window < e <= now`. With a limit of 3 per 15 minutes and requests at 0:00, 0:01 and
//! 0:02, a fourth request is refused until 15:00 and allowed from 15:00 on.

use time::{Duration, OffsetDateTime};

/// The decision for one more event at `now`, given earlier events (any order).
/// `Err(t)`: refused; the earliest time at which it would be admitted.
pub fn admit(
    earlier: &[OffsetDateTime],
    now: OffsetDateTime,
    limit: u32,
    window: Duration,
) -> Result<(), OffsetDateTime> {
    let mut in_window: Vec<OffsetDateTime> = earlier.iter().copied().filter(|e| *e > now - window).collect();
    let limit = limit as usize;
    if in_window.len() < limit {
        return Ok(());
    }
    in_window.sort();
    // Admitted once enough of the oldest events have left the window.
    Err(in_window[in_window.len() - limit] + window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);

    #[test]
    fn fourth_request_waits_for_the_first_to_leave_the_window() {
        let events = [T0, T0 + Duration::minutes(1), T0 + Duration::minutes(2)];
        let window = Duration::minutes(15);
        assert_eq!(admit(&events[..2], T0 + Duration::minutes(2), 3, window), Ok(()));
        let at_edge = T0 + Duration::minutes(15) - Duration::SECOND;
        assert_eq!(admit(&events, at_edge, 3, window), Err(T0 + Duration::minutes(15)));
        assert_eq!(admit(&events, T0 + Duration::minutes(15), 3, window), Ok(()));
    }

    #[test]
    fn retry_time_accounts_for_more_events_than_the_limit() {
        let events: Vec<_> = (0..5).map(|m| T0 + Duration::minutes(m)).collect();
        // Limit 3: five in the window, so three must leave: the third (0:02) leaves at 15:02.
        assert_eq!(
            admit(&events, T0 + Duration::minutes(5), 3, Duration::minutes(15)),
            Err(T0 + Duration::minutes(17))
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever the arrival times, the admitted events never exceed the limit in any
            /// window, and a refusal's retry time is exactly when admission resumes.
            #[test]
            fn never_more_than_the_limit_in_any_window(
                gaps in proptest::collection::vec(0i64..400, 1..60),
                limit in 1u32..6,
                window_secs in 1i64..1000,
            ) {
                let window = Duration::seconds(window_secs);
                let mut now = T0;
                let mut admitted: Vec<OffsetDateTime> = Vec::new();
                for gap in gaps {
                    now += Duration::seconds(gap);
                    match admit(&admitted, now, limit, window) {
                        Ok(()) => admitted.push(now),
                        Err(retry_at) => {
                            prop_assert!(retry_at > now);
                            prop_assert!(admit(&admitted, retry_at, limit, window).is_ok());
                            prop_assert!(admit(&admitted, retry_at - Duration::SECOND, limit, window).is_err());
                        }
                    }
                }
                for start in &admitted {
                    let in_window = admitted.iter().filter(|t| **t >= *start && **t < *start + window).count();
                    prop_assert!(in_window <= limit as usize, "{in_window} events within {window_secs}s of {start}");
                }
            }
        }
    }
}
