//! The conformance suite for a sign-in service.
//!
//! Gherkin scenarios (`features/`) state the rules; step definitions ([`steps`]) carry them
//! out through a [`driver::Driver`] against any target described by a [`target::Target`];
//! [`report`] traces every requirement ID to the scenarios that checked it.

pub mod agency;
pub mod catalogue;
pub mod check;
pub mod clock_hook;
pub mod code_reading;
pub mod contract;
pub mod deliveries;
pub mod docs;
pub mod driver;
pub mod inbox;
pub mod landing;
pub mod model;
pub mod notices;
pub mod properties;
pub mod record;
pub mod report;
pub mod requirements;
pub mod runner;
pub mod specification;
pub mod steps;
pub mod target;
pub mod versions;
pub mod world;
