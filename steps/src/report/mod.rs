//! What a run found: scenario results recorded from cucumber's events, and per requirement
//! ID whether it was covered and passed.

mod recorder;
mod summary;

pub use recorder::{Recorder, ScenarioResult, Status};
pub use summary::{PropertyResult, RequirementResult, Summary, Verdict};
