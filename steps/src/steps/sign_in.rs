//! Signing in and out, and the personal key.

use anyhow::Context as _;
use cucumber::{then, when};

use super::common::{expect_accepted, expect_rejected};
use crate::driver::Outcome;
use crate::world::{CodeStep, LoginWorld};

#[when(regex = r"^I sign in with my email and password(?: again)?$")]
pub async fn sign_in(world: &mut LoginWorld) -> anyhow::Result<()> {
    let (email, password) = (world.me.email.clone(), world.me.password.clone());
    world.entering = CodeStep::SignIn;
    world.last = Some(world.driver.sign_in(&email, &password).await?);
    expect_accepted(world.last()?)
}

#[when("I sign in with my email and a wrong password")]
async fn wrong_password(world: &mut LoginWorld) -> anyhow::Result<()> {
    let email = world.me.email.clone();
    world.last = Some(world.driver.sign_in(&email, "not my password at all").await?);
    Ok(())
}

#[when("I sign in with an email address that has no account")]
async fn unknown_email(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mine = world.me.email.clone();
    world.keep_answer(&mine)?;
    let stranger = world.ctx.new_person();
    world.last = Some(world.driver.sign_in(&stranger.email, "not my password at all").await?);
    world.other_answer = Some(crate::driver::Answer::last_of(world.driver.transcript(), &[&stranger.email])?);
    Ok(())
}

/// SI-3: exactly the declared number of wrong passwords is refused as wrong (none of them is
/// throttled early); the first one starts the window.
#[when("I sign in with a wrong password as often as the limit allows")]
async fn wrong_passwords_to_limit(world: &mut LoginWorld) -> anyhow::Result<()> {
    let policy = world.ctx.target.policy;
    let (limit, window_secs) = (policy.password_attempt_limit, policy.password_attempt_window_secs);
    let first_sent = world.target_now().await?;
    let mut first_answered = first_sent;
    for n in 1..=limit {
        wrong_password(world).await?;
        if n == 1 {
            first_answered = world.target_now().await?;
        }
        expect_rejected(world.last()?, "credentials_invalid").with_context(|| {
            format!("wrong password {n} of the {limit} the declared limit allows in {window_secs} s")
        })?;
    }
    world.limit = Some(crate::world::LimitWindow { first_sent, first_answered, window_secs });
    Ok(())
}

#[when("I try to sign in with my email and password")]
async fn try_sign_in(world: &mut LoginWorld) -> anyhow::Result<()> {
    let (email, password) = (world.me.email.clone(), world.me.password.clone());
    world.entering = CodeStep::SignIn;
    world.last = Some(world.driver.sign_in(&email, &password).await?);
    Ok(())
}

#[then("I am refused without being told whether the email or the password was wrong")]
async fn same_refusal(world: &mut LoginWorld) -> anyhow::Result<()> {
    let unknown = world.last()?.clone();
    let wrong = world.kept.clone().context("no earlier answer to compare with")?;
    anyhow::ensure!(
        matches!(unknown, Outcome::Rejected { .. }),
        "an unknown email was not refused: {unknown:?}"
    );
    anyhow::ensure!(matches!(wrong, Outcome::Rejected { .. }), "a wrong password was not refused: {wrong:?}");
    let wrong = world.kept_answer.as_ref().context("no earlier answer to compare with")?;
    let unknown = world.other_answer.as_ref().context("no answer for the unknown email")?;
    crate::driver::same_answer("a wrong password", wrong, "an unknown email", unknown)
}

#[then("the right password is refused too until the time has passed")]
async fn right_refused(world: &mut LoginWorld) -> anyhow::Result<()> {
    let (email, password) = (world.me.email.clone(), world.me.password.clone());
    let answer = world.driver.sign_in(&email, &password).await?;
    anyhow::ensure!(
        matches!(answer, Outcome::RateLimited { .. }),
        "the right password was let through: {answer:?}"
    );
    Ok(())
}

#[when(regex = r"^I (?:sign|signed) out$")]
async fn sign_out(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.session_before_sign_out = world.driver.session_marker().await;
    world.last = Some(world.driver.sign_out().await?);
    expect_accepted(world.last()?)
}

/// SI-4: signing out ends the session on the service, not only in this browser: its cookie,
/// replayed by a fresh client, opens nothing.
#[then("the session I had before signing out does not work even on another device")]
async fn old_session_dead(world: &mut LoginWorld) -> anyhow::Result<()> {
    let marker = world.session_before_sign_out.clone().context(
        "the session cookie could not be read before signing out, so whether the service ended the \
         session (rather than only clearing the cookie) was not checked",
    )?;
    world.driver.new_session().await?;
    world.driver.resume_session(&marker).await?;
    // Else a cookie that was never set would look like a session that ended.
    let replayed = world.driver.session_marker().await;
    anyhow::ensure!(
        replayed.as_deref() == Some(marker.as_str()),
        "the copied session cookie could not be replayed (holding {replayed:?}), so sign-out was not checked"
    );
    let account = world.driver.account().await?;
    world.driver.new_session().await?;
    anyhow::ensure!(
        matches!(account, Outcome::SignedOut { .. }),
        "the session cookie from before signing out still opens the account: {account:?}"
    );
    Ok(())
}

#[when("I start again on a new device")]
async fn new_device(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.driver.new_session().await
}

#[then("I am signed in to my account")]
async fn signed_in(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_accepted(world.last()?)?;
    account_is_mine(world).await
}

/// The account page opens, and it is mine.
pub async fn account_is_mine(world: &mut LoginWorld) -> anyhow::Result<()> {
    let account = world.driver.account().await?;
    let email = account.detail("email");
    anyhow::ensure!(email.as_deref() == Some(world.me.email.as_str()), "the account page shows {account:?}");
    Ok(())
}

/// SI-6: used every half idle timeout (at most every 10 minutes), the session stays open until
/// its lifetime since sign-in; the clock then stands exactly at that lifetime.
#[when("I keep using my account until the session's lifetime since sign-in is reached")]
async fn busy_until_lifetime(world: &mut LoginWorld) -> anyhow::Result<()> {
    let policy = world.ctx.target.policy;
    let lifetime =
        u64::try_from(policy.session_lifetime_secs).context("session_lifetime_secs is negative")?;
    let step = u64::try_from(policy.session_idle_timeout_secs / 2).unwrap_or(1).clamp(1, 600);
    let mut elapsed = 0;
    while elapsed + step < lifetime {
        world.advance_clock(step).await?;
        elapsed += step;
        let account = world.driver.account().await?;
        anyhow::ensure!(
            matches!(account, Outcome::Accepted { .. }),
            "used every {step} s, the session ended after {elapsed} s, before its lifetime of {lifetime} s: {account:?}"
        );
    }
    world.advance_clock(lifetime - elapsed).await
}

#[then("I am not signed in")]
async fn not_signed_in(world: &mut LoginWorld) -> anyhow::Result<()> {
    let account = world.driver.account().await?;
    anyhow::ensure!(matches!(account, Outcome::SignedOut { .. }), "the account page opened: {account:?}");
    Ok(())
}

/// SU-1: with no confirmed phone there is no second factor, so no sign-in code may be sent,
/// by any channel, and none arrives.
#[then("no sign-in code can be asked for")]
async fn no_sign_in_code(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mut channels = vec![crate::driver::Delivery::Sms];
    if world.ctx.target.offers("voice") {
        channels.push(crate::driver::Delivery::Voice);
    }
    for by in channels {
        let answer = world.driver.send_sign_in_code(by).await?;
        anyhow::ensure!(
            !matches!(answer, Outcome::Accepted { .. }),
            "a sign-in code by {} was sent for an account with no confirmed phone: {answer:?}",
            by.as_str()
        );
    }
    world.expect_no_code().await
}

#[when("I note my session")]
async fn note_session(world: &mut LoginWorld) -> anyhow::Result<()> {
    let marker = world.driver.session_marker().await.context("the target gave no session before sign-in")?;
    world.kept = Some(Outcome::Accepted { details: serde_json::json!({ "session": marker }) });
    Ok(())
}

#[then("I have a new session identifier")]
async fn new_session_id(world: &mut LoginWorld) -> anyhow::Result<()> {
    let before = world.kept.as_ref().and_then(|o| o.detail("session")).context("no session was noted")?;
    let after = world.driver.session_marker().await.context("no session after sign-in")?;
    anyhow::ensure!(before != after, "the session identifier did not change at sign-in");
    Ok(())
}

#[when(
    regex = r"^I sign in with my (previous )?personal key(?: typed in lower case (with spaces|without separators))?$"
)]
async fn with_personal_key(world: &mut LoginWorld, previous: String, typed: String) -> anyhow::Result<()> {
    let keys = &world.personal_keys;
    let index = if previous.is_empty() { keys.len().checked_sub(1) } else { keys.len().checked_sub(2) };
    let mut key = index.and_then(|i| keys.get(i)).cloned().context("not enough personal keys were shown")?;
    match typed.as_str() {
        "with spaces" => key = key.to_lowercase().replace('-', " "),
        "without separators" => key = key.to_lowercase().replace('-', ""),
        _ => {}
    }
    let before = world.target_now().await?;
    world.last = Some(world.driver.use_personal_key(&key).await?);
    world.note_sign_in(before).await?;
    if let Some(new_key) = world.last()?.detail("personal_key") {
        world.personal_keys.push(new_key);
    }
    Ok(())
}

#[when("I sign in with a wrong personal key")]
async fn wrong_key(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last = Some(world.driver.use_personal_key("0000-0000-0000-0000").await?);
    Ok(())
}

#[then("the personal key is refused")]
async fn key_refused(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_rejected(world.last()?, "personal_key_wrong")
}

#[then("I am shown a new personal key")]
async fn new_key_shown(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_accepted(world.last()?)?;
    let n = world.personal_keys.len();
    anyhow::ensure!(
        n >= 2 && world.personal_keys[n - 1] != world.personal_keys[n - 2],
        "no new personal key was shown"
    );
    Ok(())
}

#[then("I receive an email saying my personal key was used")]
async fn key_used_mail(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.receive_notice(crate::notices::Notice::PersonalKeyUsed).await.map(|_| ())
}

#[then("my personal key is not shown again")]
async fn not_shown_again(world: &mut LoginWorld) -> anyhow::Result<()> {
    let key = world.personal_keys.last().context("no key was shown")?.clone();
    let account = world.driver.account().await?;
    expect_accepted(&account)?;
    let transcript = world.driver.transcript();
    let shown = transcript.iter().filter(|e| e.response.contains(&key)).count();
    anyhow::ensure!(shown == 1, "the personal key appeared in {shown} answers, expected exactly once");
    Ok(())
}
