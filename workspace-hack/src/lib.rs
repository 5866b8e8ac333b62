//! No code: this crate only asks for the features the whole workspace uses (see Cargo.toml).
