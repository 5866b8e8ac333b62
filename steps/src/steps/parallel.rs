//! Requests made at once on one session. A service must decide its counters, limits and
//! whether a session exists atomically; otherwise parallel requests beat a limit that one
//! request after another cannot, or bring a signed-out session back.
//!
//! These steps need a driver that can act on one session from several requests at once
//! (`Driver::same_session`); scenarios tagged `@parallel_requests` are not run through one
//! that cannot, and say so.

use anyhow::Context as _;
use cucumber::{then, when};
use futures::future::join_all;

use crate::driver::{Delivery, Driver, Outcome};
use crate::world::{CodeStep, LoginWorld};

/// `n` drivers on my session.
fn on_my_session(world: &LoginWorld, n: usize) -> anyhow::Result<Vec<Box<dyn Driver>>> {
    (0..n)
        .map(|_| {
            world.driver.same_session().context(
                "this driver cannot make requests in parallel on one session; the scenario should be tagged \
                 @parallel_requests so that it is left out",
            )
        })
        .collect()
}

/// What each of the parallel answers was, for a failure message.
fn tally(answers: &[Outcome]) -> String {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for answer in answers {
        let kind = match answer {
            Outcome::Rejected { reason, .. } => format!("rejected ({reason})"),
            other => format!("{other:?}").split([' ', '{', '(']).next().unwrap_or_default().to_owned(),
        };
        *counts.entry(kind).or_default() += 1;
    }
    counts.iter().map(|(kind, n)| format!("{n} × {kind}")).collect::<Vec<_>>().join(", ")
}

fn rejected_as(answer: &Outcome, code: &str) -> bool {
    matches!(answer, Outcome::Rejected { reason, .. } if reason == code)
}

#[when(expr = "I try to change my password giving {int} different wrong current passwords at once")]
async fn many_wrong_current_passwords(world: &mut LoginWorld, n: usize) -> anyhow::Result<()> {
    let drivers = on_my_session(world, n)?;
    let tries = drivers.into_iter().enumerate().map(|(i, mut driver)| async move {
        driver.change_password(&format!("wrong guess number {i}"), "a fine new passphrase").await
    });
    world.parallel = join_all(tries).await.into_iter().collect::<anyhow::Result<_>>()?;
    Ok(())
}

#[then("no more of them are judged than the limit allows, and the rest find me signed out")]
async fn judged_up_to_the_limit(world: &mut LoginWorld) -> anyhow::Result<()> {
    let limit = world.ctx.target.policy.reauthentication_attempt_limit as usize;
    let answers = &world.parallel;
    let judged = answers.iter().filter(|a| rejected_as(a, "current_password_wrong")).count();
    let signed_out = answers.iter().filter(|a| matches!(a, Outcome::SignedOut { .. })).count();
    anyhow::ensure!(
        judged + signed_out == answers.len(),
        "every answer should be \"wrong\" or \"signed out\"; got {}",
        tally(answers)
    );
    anyhow::ensure!(
        judged == limit.saturating_sub(1),
        "{judged} wrong passwords were judged before the session ended; with a limit of {limit} the first {} are, \
         and the {limit}th signs out ({})",
        limit.saturating_sub(1),
        tally(answers)
    );
    Ok(())
}

#[when(expr = "I enter {int} different wrong security codes at once")]
async fn many_wrong_codes(world: &mut LoginWorld, n: usize) -> anyhow::Result<()> {
    anyhow::ensure!(world.entering == CodeStep::SignIn, "wrong codes at once are entered while signing in");
    let drivers = on_my_session(world, n)?;
    let received = world.codes.clone();
    let tries = drivers.into_iter().enumerate().map(|(i, mut driver)| {
        // Distinct codes of six digits, none of them one received.
        let mut code = format!("{:06}", 100_000 + i * 37_771 % 900_000);
        while received.contains(&code) {
            code = format!("{:06}", (code.parse::<usize>().unwrap_or(0) + 1) % 1_000_000);
        }
        async move { driver.enter_sign_in_code(&code).await }
    });
    world.parallel = join_all(tries).await.into_iter().collect::<anyhow::Result<_>>()?;
    Ok(())
}

#[then(
    "no more of them are counted than the limit allows, and the one reaching it signs me out and locks code entry"
)]
async fn counted_up_to_the_limit(world: &mut LoginWorld) -> anyhow::Result<()> {
    let limit = world.ctx.target.policy.code_attempt_limit as usize;
    let answers = &world.parallel;
    let counted = answers.iter().filter(|a| rejected_as(a, "code_wrong")).count();
    let locked_now =
        answers.iter().filter(|a| matches!(a, Outcome::SignedOut { locked_until: Some(_) })).count();
    let refused =
        answers.iter().filter(|a| matches!(a, Outcome::Locked { .. } | Outcome::SignedOut { .. })).count();
    anyhow::ensure!(
        counted + refused == answers.len(),
        "every answer should be \"wrong\", \"locked\" or \"signed out\"; got {}",
        tally(answers)
    );
    anyhow::ensure!(
        counted == limit.saturating_sub(1) && locked_now >= 1,
        "{counted} wrong codes were counted and {locked_now} signed me out with a lock; with a limit of {limit} \
         the first {} are counted and the {limit}th signs out and locks ({})",
        limit.saturating_sub(1),
        tally(answers)
    );
    Ok(())
}

#[when(expr = "I ask for a security code by text message {int} times at once")]
async fn many_code_requests(world: &mut LoginWorld, n: usize) -> anyhow::Result<()> {
    let drivers = on_my_session(world, n)?;
    let tries =
        drivers.into_iter().map(|mut driver| async move { driver.send_sign_in_code(Delivery::Sms).await });
    world.parallel = join_all(tries).await.into_iter().collect::<anyhow::Result<_>>()?;
    Ok(())
}

#[then("no more codes are sent than the limit allows")]
async fn sent_up_to_the_limit(world: &mut LoginWorld) -> anyhow::Result<()> {
    let limit = world.ctx.target.policy.code_request_limit;
    let answers = world.parallel.clone();
    let accepted = answers.iter().filter(|a| matches!(a, Outcome::Accepted { .. })).count();
    let limited = answers.iter().filter(|a| matches!(a, Outcome::RateLimited { .. })).count();
    anyhow::ensure!(
        accepted + limited == answers.len(),
        "every answer should be \"sent\" or \"try again later\"; got {}",
        tally(&answers)
    );
    anyhow::ensure!(
        accepted <= limit,
        "{accepted} requests were accepted at once; the limit is {limit} in the window ({})",
        tally(&answers)
    );
    // The texts the accepted requests sent arrive; then no more.
    for _ in 0..accepted {
        world.receive_code("sms").await?;
    }
    world.expect_no_code().await
}

#[when(expr = "I sign out while {int} requests that change my session are in flight")]
async fn sign_out_racing(world: &mut LoginWorld, n: usize) -> anyhow::Result<()> {
    world.stolen = Some(world.driver.copy_of_session().context(
        "this driver cannot keep a copy of the session's cookies; the scenario should be tagged \
         @parallel_requests so that it is left out",
    )?);
    let drivers = on_my_session(world, n)?;
    let password = world.me.password.clone();
    let in_flight = drivers.into_iter().map(|mut driver| {
        let password = password.clone();
        async move { driver.add_authenticator(&password).await }
    });
    let (answers, signed_out) = futures::join!(join_all(in_flight), world.driver.sign_out());
    for answer in answers {
        answer?;
    }
    world.last = Some(signed_out?);
    Ok(())
}

#[then("the session cookie I had no longer works")]
async fn old_cookie_dead(world: &mut LoginWorld) -> anyhow::Result<()> {
    let stolen = world.stolen.as_mut().context("no copy of the session was kept")?;
    let account = stolen.account().await?;
    anyhow::ensure!(
        matches!(account, Outcome::SignedOut { .. }),
        "the session's cookie, kept from before signing out, still opens the account: {account:?}"
    );
    Ok(())
}
