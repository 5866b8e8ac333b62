//! Forgotten passwords.

use anyhow::Context as _;
use cucumber::{then, when};

use super::common::expect_accepted;
use crate::notices::Notice;
use crate::world::LoginWorld;

#[when("I ask to reset my password")]
async fn ask_reset(world: &mut LoginWorld) -> anyhow::Result<()> {
    let email = world.me.email.clone();
    world.last = Some(world.driver.forgot_password(&email).await?);
    expect_accepted(world.last()?)
}

#[when("someone asks to reset the password of an address with no account")]
async fn ask_reset_unknown(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mine = world.me.email.clone();
    world.keep_answer(&mine)?;
    let stranger = world.ctx.new_person();
    let mut driver = world.ctx.new_driver()?;
    world.last = Some(driver.forgot_password(&stranger.email).await?);
    let answer = crate::driver::Answer::last_of(driver.transcript(), &[&stranger.email]);
    driver.close().await;
    world.other_answer = Some(answer?);
    world.other = Some(stranger);
    Ok(())
}

#[then("both answers are the same")]
async fn same_answers(world: &mut LoginWorld) -> anyhow::Result<()> {
    let known = world.kept_answer.as_ref().context("no earlier answer")?;
    let unknown = world.other_answer.as_ref().context("no answer for the unknown address")?;
    crate::driver::same_answer("the known address", known, "the unknown address", unknown)
}

#[then("nothing is sent to the address with no account")]
async fn nothing_to_stranger(world: &mut LoginWorld) -> anyhow::Result<()> {
    let stranger = world.other.as_ref().context("no stranger")?.email.clone();
    if let Some(mail) = world.ctx.settled_mail(&stranger, 0).await? {
        anyhow::bail!("an address with no account received {:?}", mail.subject);
    }
    Ok(())
}

#[then(regex = r"^I (?:receive|received) an email with a password reset link$")]
#[when(regex = r"^I (?:receive|received) an email with a password reset link$")]
async fn reset_mail(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mail = world.receive_mail().await?;
    let link = mail.links.iter().find(|l| l.contains("reset")).or(mail.links.first()).cloned();
    world.links.push(link.with_context(|| format!("the email {:?} has no link", mail.subject))?);
    Ok(())
}

#[when(expr = "I follow the reset link and choose the password {string}")]
async fn reset_with(world: &mut LoginWorld, password: String) -> anyhow::Result<()> {
    let link = world.links.last().cloned().context("no reset link received")?;
    world.last = Some(world.driver.reset_password(&link, &password).await?);
    if matches!(world.last, Some(crate::driver::Outcome::Accepted { .. })) {
        world.previous_password = Some(std::mem::replace(&mut world.me.password, password));
    }
    Ok(())
}

#[then(
    regex = r"^I receive an email saying my (password|phone number|email address) (?:was|has been) changed$"
)]
async fn change_notice(world: &mut LoginWorld, what: String) -> anyhow::Result<()> {
    let notice = match what.as_str() {
        "password" => Notice::PasswordChanged,
        "phone number" => Notice::PhoneChanged,
        _ => Notice::EmailChanged,
    };
    world.receive_notice(notice).await.map(|_| ())
}

/// The password the account had before the latest reset or change: it must no longer work.
#[when("I sign in with the password I had before")]
async fn sign_in_with_previous(world: &mut LoginWorld) -> anyhow::Result<()> {
    let previous = world.previous_password.clone().context("the password has not been replaced")?;
    let email = world.me.email.clone();
    world.last = Some(world.driver.sign_in(&email, &previous).await?);
    Ok(())
}

#[then("I am refused as having the wrong email or password")]
async fn wrong_credentials(world: &mut LoginWorld) -> anyhow::Result<()> {
    super::common::expect_rejected(world.last()?, "credentials_invalid")
}

#[then("I am given a new personal key")]
async fn given_new_key(world: &mut LoginWorld) -> anyhow::Result<()> {
    super::codes::read_personal_key(world)?;
    let n = world.personal_keys.len();
    anyhow::ensure!(n >= 2 && world.personal_keys[n - 1] != world.personal_keys[n - 2], "the key is not new");
    Ok(())
}
