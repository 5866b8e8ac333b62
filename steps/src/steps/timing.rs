//! Whether an address has an account must not show in how long the answer takes (PR-2, SI-2,
//! SU-5). Each check asks about fresh addresses with accounts and without, one try per address
//! (so no limit is reached and no two refusals for being too fast are compared), alternating
//! between the two kinds, and compares the medians.
//!
//! The verdict: the medians differ by at most 10 ms plus 20 % of the smaller. A median, not a
//! mean, so that a few slow answers (a busy machine) do not decide; a margin, because a test of
//! "any difference at all" flags honest services whose two paths differ by a database read.
//! These checks run through the JSON API only (`@timing`): page loads in a browser vary by
//! more than the margin.

use std::time::Duration;

use anyhow::Context as _;
use cucumber::{given, then, when};
use futures::future::join_all;

use crate::driver::{Answer, Driver, Outcome};
use crate::world::{LoginWorld, Person};

/// The allowed difference between the two medians: this much …
const MARGIN: Duration = Duration::from_millis(10);
/// … plus this share of the smaller median.
const MARGIN_SHARE: f64 = 0.2;

/// Answers and their times for the two kinds of address.
#[derive(Debug, Default)]
pub struct Timings {
    known: Vec<Duration>,
    unknown: Vec<Duration>,
    answers: Vec<(String, Answer)>,
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// Whether two medians are within the margin, and what the report says.
fn within_margin(known: Duration, unknown: Duration) -> (bool, String) {
    let smaller = known.min(unknown);
    let allowed = MARGIN + smaller.mul_f64(MARGIN_SHARE);
    let difference = known.abs_diff(unknown);
    let words = format!(
        "median {:.1} ms with an account, {:.1} ms without: {:.1} ms apart, {:.1} ms allowed",
        known.as_secs_f64() * 1e3,
        unknown.as_secs_f64() * 1e3,
        difference.as_secs_f64() * 1e3,
        allowed.as_secs_f64() * 1e3
    );
    (difference <= allowed, words)
}

/// A finished sign-up (email confirmed, password chosen) for a new person, on a driver of its own.
pub(super) async fn account_for(world: &LoginWorld) -> anyhow::Result<Person> {
    let person = world.ctx.new_person();
    let mut driver = world.ctx.new_driver()?;
    let result = super::sign_up::sign_up_to_password(world, driver.as_mut(), &person).await;
    driver.close().await;
    result.map(|()| person)
}

#[given(expr = "{int} other people have accounts")]
async fn others_have_accounts(world: &mut LoginWorld, n: usize) -> anyhow::Result<()> {
    let mut people = Vec::new();
    // A few at a time: the target hashes each password.
    for chunk in (0..n).collect::<Vec<_>>().chunks(4) {
        let made = join_all(chunk.iter().map(|_| account_for(world))).await;
        people.extend(made.into_iter().collect::<anyhow::Result<Vec<_>>>()?);
    }
    world.others = people;
    Ok(())
}

/// The request the check times, made for `address` on a fresh session.
#[derive(Debug, Clone, Copy)]
enum Asked {
    Reset,
    SignIn,
    SignUp,
}

async fn ask(driver: &mut Box<dyn Driver>, asked: Asked, address: &str) -> anyhow::Result<Outcome> {
    match asked {
        Asked::Reset => driver.forgot_password(address).await,
        Asked::SignIn => driver.sign_in(address, "not anybody's password 7").await,
        Asked::SignUp => driver.start_sign_up(address).await,
    }
}

async fn time_both_kinds(world: &mut LoginWorld, asked: Asked) -> anyhow::Result<()> {
    let known: Vec<String> = world.others.iter().map(|p| p.email.clone()).collect();
    anyhow::ensure!(!known.is_empty(), "no other people have accounts");
    let unknown: Vec<String> = known.iter().map(|_| world.ctx.new_person().email).collect();
    let mut timings = Timings::default();
    for (with, without) in known.iter().zip(&unknown) {
        for (address, has_account) in [(with, true), (without, false)] {
            let mut driver = world.ctx.new_driver()?;
            #[allow(clippy::disallowed_methods)] // a measurement: how long the target takes to answer
            let started = std::time::Instant::now();
            ask(&mut driver, asked, address).await?;
            let took = started.elapsed();
            timings.answers.push((address.clone(), Answer::last_of(driver.transcript(), &[address])?));
            driver.close().await;
            if has_account { timings.known.push(took) } else { timings.unknown.push(took) }
        }
    }
    world.timings = Some(timings);
    Ok(())
}

#[when(expr = "each of them and as many people without an account ask for a password reset, in turn")]
async fn resets_timed(world: &mut LoginWorld) -> anyhow::Result<()> {
    time_both_kinds(world, Asked::Reset).await
}

#[when(expr = "each of them and as many people without an account sign in with a wrong password, in turn")]
async fn sign_ins_timed(world: &mut LoginWorld) -> anyhow::Result<()> {
    time_both_kinds(world, Asked::SignIn).await
}

#[when(expr = "each of them and as many people without an account start creating an account, in turn")]
async fn sign_ups_timed(world: &mut LoginWorld) -> anyhow::Result<()> {
    time_both_kinds(world, Asked::SignUp).await
}

#[then("every answer is the same, and takes as long whether or not the address has an account")]
async fn same_and_as_long(world: &mut LoginWorld) -> anyhow::Result<()> {
    let timings = world.timings.as_ref().context("nothing was timed")?;
    let (first_address, first) = timings.answers.first().context("no answers")?;
    for (address, answer) in &timings.answers[1..] {
        crate::driver::same_answer(
            &format!("the answer for {first_address}"),
            first,
            &format!("the answer for {address}"),
            answer,
        )?;
    }
    let (ok, words) = within_margin(median(&timings.known), median(&timings.unknown));
    world.note(format!("timing: {words} ({} + {} tries)", timings.known.len(), timings.unknown.len()));
    anyhow::ensure!(ok, "the time to answer tells the addresses apart: {words}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_ten_milliseconds_and_a_fifth() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(median(&[ms(4), ms(1), ms(3), ms(2)]), Duration::from_micros(2500));
        assert!(within_margin(ms(20), ms(30)).0, "10 ms apart is allowed");
        assert!(!within_margin(ms(20), ms(35)).0, "15 ms apart at 20 ms is not (14 allowed)");
        assert!(within_margin(ms(200), ms(245)).0, "45 ms apart at 200 ms is (50 allowed)");
        assert!(!within_margin(ms(200), ms(260)).0);
    }
}
