//! IV-2's enrollment at a Post Office, as the requirements and the declared policy state it:
//! an enrollment made at time 0 ends at `in_person_deadline_secs` (a result learned at the
//! deadline itself still counts); the Post Office's result counts once the service learns it,
//! which it does whenever the clock is moved (the clock hook's contract: a move runs the checks
//! due in it); once decided, an enrollment's outcome never changes.

use std::fmt;

use super::ModelPolicy;

/// What an in-person schedule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The Post Office reports the visit: `passed`, `failed` or `expired`.
    Visit(&'static str),
    /// The target's clock moves this many seconds; the status is then read.
    Advance(u64),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Visit(result) => write!(f, "the Post Office reports {result}"),
            Self::Advance(secs) => write!(f, "wait {secs} s"),
        }
    }
}

pub struct InPersonModel {
    deadline: i64,
    now: i64,
    reported: Option<&'static str>,
    /// The status once decided.
    decided: Option<&'static str>,
}

impl InPersonModel {
    pub fn new(policy: ModelPolicy) -> Self {
        Self { deadline: policy.in_person_deadline_secs, now: 0, reported: None, decided: None }
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    /// The account's verification status after `step` (for a move of the clock); `None` for
    /// a visit, which the service learns at the next move.
    pub fn step(&mut self, step: Step) -> Option<&'static str> {
        match step {
            Step::Visit(result) => {
                self.reported = Some(result);
                None
            }
            Step::Advance(secs) => {
                self.now += i64::try_from(secs).unwrap_or(i64::MAX);
                if self.decided.is_none() {
                    self.decided = if self.now > self.deadline {
                        Some("in_person_expired")
                    } else {
                        self.reported.map(|r| match r {
                            "passed" => "verified",
                            "failed" => "in_person_failed",
                            _ => "in_person_expired",
                        })
                    };
                }
                Some(self.decided.unwrap_or("in_person_pending"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> InPersonModel {
        InPersonModel::new(ModelPolicy { in_person_deadline_secs: 100, ..Default::default() })
    }

    #[test]
    fn a_result_counts_until_the_deadline_and_is_final() {
        let mut m = model();
        assert_eq!(m.step(Step::Advance(100)), Some("in_person_pending"), "the deadline itself");
        assert_eq!(m.step(Step::Visit("passed")), None);
        assert_eq!(m.step(Step::Advance(0)), Some("verified"), "learned at the deadline");
        assert_eq!(m.step(Step::Advance(1000)), Some("verified"), "final");
        assert_eq!(m.step(Step::Visit("failed")), None);
        assert_eq!(m.step(Step::Advance(1)), Some("verified"), "a later report changes nothing");
    }

    #[test]
    fn no_result_by_the_deadline_expires_and_later_results_do_not_count() {
        let mut m = model();
        assert_eq!(m.step(Step::Advance(101)), Some("in_person_expired"));
        m.step(Step::Visit("passed"));
        assert_eq!(m.step(Step::Advance(1)), Some("in_person_expired"));
        let mut m = model();
        m.step(Step::Advance(50));
        m.step(Step::Visit("passed"));
        assert_eq!(m.step(Step::Advance(51)), Some("in_person_expired"), "learned after the deadline");
    }
}
