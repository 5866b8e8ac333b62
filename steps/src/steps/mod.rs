//! Step definitions, in the words of the feature files. They act only through the driver and
//! observe only what a person could: answers, emails and texts.

mod agency;
mod codes;
mod common;
mod identity;
mod in_person;
mod keyboard;
mod load;
mod parallel;
mod params;
mod passwords;
mod recovery;
mod settings;
mod sign_in;
mod sign_up;
mod timing;

pub use agency::AgencyScene;
pub use common::parse_duration;
pub use identity::documents as test_documents;
pub use load::SlowClients;
pub use timing::Timings;
