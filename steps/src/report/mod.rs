//! What a run found: scenario results recorded from cucumber's events, and per requirement
//! ID whether it was covered and passed.

mod accessibility;
pub mod diff;
pub mod evidence;
pub mod html;
pub mod merge;
pub mod progress;
mod recorder;
mod summary;
pub mod waivers;

pub use accessibility::{AXE_CHECK, Accessibility, REFLOW_CHECK, accessibility_checks};
pub use recorder::{Recorder, ScenarioResult, Status, StepResult, location};
pub use summary::{
    FILTERED_OUT, OTHER_SHARD, PropertyResult, RequirementResult, RunVerdict, STOPPED_EARLY, Summary,
    UncheckedId, Verdict, exit,
};
