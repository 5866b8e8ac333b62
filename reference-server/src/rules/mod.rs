//! The service's rules as pure functions: no I/O, and `now` is always an argument.

pub mod client_address;
pub mod client_assertion;
pub mod email;
pub mod lockout;
pub mod oidc;
pub mod otp;
pub mod password;
pub mod personal_key;
pub mod phone;
pub mod session;
pub mod throttle;
pub mod tokens;
pub mod totp;
