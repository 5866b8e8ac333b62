//! What the `conformance` command adds to the suite: the reference server and the fakes,
//! started in this process as the default target. The suite itself (`conformance`) does not
//! depend on the server, so it cannot use the server's rule code.

pub mod container;
pub mod in_process;
