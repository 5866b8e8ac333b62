//! How many argon2id password verifications this machine does per second with the server's
//! default cost, on `THREADS` threads at once (default 1) for `SECONDS` (default 5): the
//! benchmark's measure of how far sign-in can go, apart from everything else the service does.
//!
//!     cargo run --release --example argon2_rate -- THREADS SECONDS
//!
//! Prints one JSON line: `{"threads": …, "verifications": …, "per_sec": …}`.

// A benchmark measures wall time; no rule of the service reads it.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use reference_server::config::Argon2Config;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().map_or(Ok(1), |a| a.parse())?;
    let seconds: u64 = args.next().map_or(Ok(5), |a| a.parse())?;
    let argon2 = Argon2Config::default().argon2()?;
    let phc = argon2
        .hash_password(b"a password to verify", &SaltString::generate(&mut OsRng))
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?
        .to_string();
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let parsed = PasswordHash::new(&phc).expect("a PHC string just made");
                    let mut done = 0;
                    while Instant::now() < until {
                        assert!(argon2.verify_password(b"a password to verify", &parsed).is_ok());
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a worker")).collect()
    });
    let verifications: u64 = counts.iter().sum();
    let per_sec = verifications as f64 / started.elapsed().as_secs_f64();
    println!("{{\"threads\": {threads}, \"verifications\": {verifications}, \"per_sec\": {per_sec:.1}}}");
    Ok(())
}
