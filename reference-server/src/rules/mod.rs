//! The service's rules as pure functions: no I/O, and `now` is always an argument.

pub mod email;
pub mod password;
pub mod throttle;
pub mod tokens;
