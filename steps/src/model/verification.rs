//! IV-1's attempt limit, as the requirements and the declared policy state it: at most
//! `verification_attempt_limit` document checks per account in any window of
//! `verification_attempt_window_secs`. A check refused for the limit is not counted and says
//! when one is allowed again: when the oldest counted check leaves the window.

use std::fmt;

use super::ModelPolicy;

/// What a verification schedule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Uploads the ID and selfie: a passing test document, or an unreadable one.
    Upload { good: bool },
    /// Waits this many seconds (the target's clock).
    Advance(u64),
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Upload { good: true } => f.write_str("upload a good ID"),
            Self::Upload { good: false } => f.write_str("upload an unreadable ID"),
            Self::Advance(secs) => write!(f, "wait {secs} s"),
        }
    }
}

/// The answer the model predicts to an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Accepted,
    Rejected(String),
    /// Allowed again this many seconds after the schedule began.
    RateLimited {
        retry_at: i64,
    },
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accepted => f.write_str("accepted"),
            Self::Rejected(reason) => write!(f, "refused ({reason})"),
            Self::RateLimited { retry_at } => write!(f, "too many, again at t+{retry_at}s"),
        }
    }
}

pub struct VerificationModel {
    limit: usize,
    window: i64,
    now: i64,
    /// When each counted check was made.
    counted: Vec<i64>,
}

impl VerificationModel {
    pub fn new(policy: ModelPolicy) -> Self {
        Self {
            limit: policy.verification_attempt_limit,
            window: policy.verification_attempt_window_secs,
            now: 0,
            counted: Vec::new(),
        }
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    /// The answer to `attempt`, and the model moved on; `None` for a wait.
    pub fn step(&mut self, attempt: Attempt) -> Option<Answer> {
        match attempt {
            Attempt::Advance(secs) => {
                self.now += i64::try_from(secs).unwrap_or(i64::MAX);
                None
            }
            Attempt::Upload { good } => {
                let now = self.now;
                let window = self.window;
                let in_window: Vec<i64> = self.counted.iter().copied().filter(|t| now < t + window).collect();
                if in_window.len() >= self.limit {
                    let oldest = in_window.iter().min().copied().unwrap_or(now);
                    return Some(Answer::RateLimited { retry_at: oldest + window });
                }
                self.counted.push(now);
                Some(if good { Answer::Accepted } else { Answer::Rejected("document_unreadable".into()) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_checks_in_any_window_and_names_when_it_opens() {
        let policy = ModelPolicy {
            verification_attempt_limit: 2,
            verification_attempt_window_secs: 100,
            ..Default::default()
        };
        let mut model = VerificationModel::new(policy);
        assert_eq!(
            model.step(Attempt::Upload { good: false }),
            Some(Answer::Rejected("document_unreadable".into()))
        );
        model.step(Attempt::Advance(10));
        assert_eq!(model.step(Attempt::Upload { good: true }), Some(Answer::Accepted));
        assert_eq!(model.step(Attempt::Upload { good: true }), Some(Answer::RateLimited { retry_at: 100 }));
        model.step(Attempt::Advance(89));
        assert_eq!(model.step(Attempt::Upload { good: true }), Some(Answer::RateLimited { retry_at: 100 }));
        model.step(Attempt::Advance(1));
        assert_eq!(
            model.step(Attempt::Upload { good: true }),
            Some(Answer::Accepted),
            "the first left the window"
        );
    }
}
