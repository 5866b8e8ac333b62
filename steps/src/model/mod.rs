//! An executable model of the time-dependent rules, written from the requirements (and the
//! definitions the README states for them), never from the reference server's code: its job
//! is to catch the server's mistakes.
//!
//! Time is whole seconds since the start of a schedule. The model predicts what the target
//! answers to each action of a schedule; the property runner compares, action by action.

mod codes;
mod in_person;
mod policy;
mod verification;

pub use codes::{Action, Expected, Model};
pub use in_person::{InPersonModel, Step as InPersonStep};
pub use policy::ModelPolicy;
pub use verification::{Answer, Attempt, VerificationModel};
