//! Changing a signed-in account: password, email, phone, authenticator app.

use anyhow::Context as _;
use cucumber::{given, then, when};
use totp_rs::{Algorithm, Secret, TOTP};

use super::codes::{enter_code, full_account};
use super::common::{expect_accepted, expect_rejected};
use crate::clock_hook::target_now;
use crate::driver::{Delivery, Outcome};
use crate::notices::{Notice, NoticePatterns};
use crate::world::{CodeStep, LoginWorld};

#[given("I am signed in to an account with a confirmed phone")]
pub async fn signed_in(world: &mut LoginWorld) -> anyhow::Result<()> {
    full_account(world).await?;
    super::sign_in::sign_in(world).await?;
    world.last = Some(world.driver.send_sign_in_code(Delivery::Sms).await?);
    expect_accepted(world.last()?)?;
    world.receive_code("sms").await?;
    enter_code(world).await?;
    expect_accepted(world.last()?)
}

#[when(expr = "I change my password to {string} giving my current password")]
async fn change_password(world: &mut LoginWorld, new: String) -> anyhow::Result<()> {
    let current = world.me.password.clone();
    world.last = Some(world.driver.change_password(&current, &new).await?);
    if matches!(world.last, Some(Outcome::Accepted { .. })) {
        world.previous_password = Some(std::mem::replace(&mut world.me.password, new));
    }
    Ok(())
}

#[when("I try to change my password giving a wrong current password")]
async fn wrong_current(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last =
        Some(world.driver.change_password("not my current password", "a fine new passphrase").await?);
    Ok(())
}

#[then("the change is accepted")]
async fn change_accepted(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_accepted(world.last()?)
}

#[then("I am told my current password is wrong")]
async fn current_wrong(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_rejected(world.last()?, "current_password_wrong")
}

#[then("I am signed out")]
async fn signed_out(world: &mut LoginWorld) -> anyhow::Result<()> {
    anyhow::ensure!(
        matches!(world.last()?, Outcome::SignedOut { .. }),
        "expected to be signed out, got {:?}",
        world.last
    );
    Ok(())
}

#[when("I change my email address to a new one giving my current password")]
async fn change_email(world: &mut LoginWorld) -> anyhow::Result<()> {
    let new = world.ctx.new_person();
    let current = world.me.password.clone();
    world.last = Some(world.driver.change_email(&current, &new.email).await?);
    world.other = Some(new);
    expect_accepted(world.last()?)
}

/// ST-1: the change is asked for with a password that is not the account's.
#[when("I try to change my email address to a new one giving a wrong current password")]
async fn change_email_wrong_current(world: &mut LoginWorld) -> anyhow::Result<()> {
    let new = world.ctx.new_person();
    world.last = Some(world.driver.change_email("not my current password", &new.email).await?);
    world.other = Some(new);
    Ok(())
}

#[when("I try to change my phone number to a new one giving a wrong current password")]
async fn change_phone_wrong_current(world: &mut LoginWorld) -> anyhow::Result<()> {
    let new = world.ctx.new_person();
    world.last = Some(world.driver.change_phone("not my current password", &new.phone, Delivery::Sms).await?);
    world.other = Some(new);
    Ok(())
}

#[then("the new address receives no email")]
async fn new_gets_nothing(world: &mut LoginWorld) -> anyhow::Result<()> {
    let address = world.other.as_ref().context("no second address")?.email.clone();
    if let Some(mail) = world.ctx.settled_mail(&address, world.other_seen).await? {
        anyhow::bail!("{address} received {:?} although the change was refused", mail.subject);
    }
    Ok(())
}

#[then("the new number receives no security code")]
async fn new_number_nothing(world: &mut LoginWorld) -> anyhow::Result<()> {
    let number = world.other.as_ref().context("no new number")?.phone.clone();
    if let Some(message) = world.ctx.settled_phone_message(&number, 0).await? {
        anyhow::bail!("{number} received {:?} although the change was refused", message.body);
    }
    Ok(())
}

async fn other_mail(world: &mut LoginWorld) -> anyhow::Result<crate::inbox::Mail> {
    let address = world.other.as_ref().context("no second address")?.email.clone();
    let mail = world
        .ctx
        .inbox
        .next_mail(&address, world.other_seen)
        .await?
        .with_context(|| format!("no email to {address}"))?;
    world.other_seen = mail.id;
    Ok(mail)
}

#[then("my current address receives an email saying a change was requested")]
async fn old_told(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.receive_notice(crate::notices::Notice::EmailChangeRequested).await.map(|_| ())
}

#[then("the new address receives an email with a confirmation link")]
async fn new_gets_link(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mail = other_mail(world).await?;
    world.links.push(mail.links.first().cloned().context("the email has no link")?);
    Ok(())
}

#[when("I follow the link sent to the new address")]
async fn follow_new_link(world: &mut LoginWorld) -> anyhow::Result<()> {
    let link = world.links.last().cloned().context("no link")?;
    world.last = Some(world.driver.confirm_email_change(&link).await?);
    expect_accepted(world.last()?)
}

#[then("both addresses receive an email saying the address was changed")]
async fn both_told(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.receive_notice(Notice::EmailChanged).await?;
    let new = other_mail(world).await?;
    NoticePatterns::new(&world.ctx.target.notices)?.expect(&new, Notice::EmailChanged)
}

#[then(regex = r"^I can sign in with my (old|new) email address but not with the (old|new) one$")]
async fn which_address(world: &mut LoginWorld, works: String, fails: String) -> anyhow::Result<()> {
    let new = world.other.as_ref().context("no second address")?.email.clone();
    let address = |which: &str| if which == "new" { new.clone() } else { world.me.email.clone() };
    let (good, bad) = (address(&works), address(&fails));
    let password = world.me.password.clone();
    world.driver.new_session().await?;
    let refused = world.driver.sign_in(&bad, &password).await?;
    expect_rejected(&refused, "credentials_invalid")?;
    let allowed = world.driver.sign_in(&good, &password).await?;
    expect_accepted(&allowed)
}

#[when("I change my phone number to a new one giving my current password")]
async fn change_phone(world: &mut LoginWorld) -> anyhow::Result<()> {
    let new = world.ctx.new_person();
    let current = world.me.password.clone();
    world.last = Some(world.driver.change_phone(&current, &new.phone, Delivery::Sms).await?);
    expect_accepted(world.last()?)?;
    world.other = Some(new);
    Ok(())
}

#[then("the new number receives a security code by text message straight away")]
async fn new_number_code(world: &mut LoginWorld) -> anyhow::Result<()> {
    let new = world.other.as_ref().context("no new number")?.phone.clone();
    let message =
        world.ctx.inbox.next_phone_message(&new, 0).await?.context("no code reached the new number")?;
    anyhow::ensure!(message.channel == "sms", "expected a text, got a {}", message.channel);
    let code = world.read_code(&message.body)?;
    world.codes.push(code);
    Ok(())
}

#[when("I enter the code sent to the new number")]
async fn enter_new_number_code(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.entering = CodeStep::ChangePhone;
    enter_code(world).await
}

/// A sign-in's code goes to the number named first, and nothing to the other: the new number
/// once its code was entered (ST-5), the old one while it was not.
#[then(
    regex = r"^my security codes (now go to the new number, and none to the old|still go to the old number, and none to the new) one$"
)]
async fn codes_go_to(world: &mut LoginWorld, which: String) -> anyhow::Result<()> {
    let new = world.other.clone().context("no new number")?.phone;
    let (to, not_to) = if which.starts_with("now") {
        let old = std::mem::replace(&mut world.me.phone, new.clone());
        (new, old)
    } else {
        (world.me.phone.clone(), new)
    };
    let not_to_seen = world.ctx.inbox.phone(&not_to).await?.0;
    world.phone_seen = world.ctx.inbox.phone(&to).await?.0;
    world.driver.sign_out().await?;
    super::sign_in::sign_in(world).await?;
    world.last = Some(world.driver.send_sign_in_code(Delivery::Sms).await?);
    expect_accepted(world.last()?)?;
    world.receive_code("sms").await?;
    if let Some(message) = world.ctx.settled_phone_message(&not_to, not_to_seen).await? {
        anyhow::bail!("{not_to} still received {:?}", message.body);
    }
    Ok(())
}

#[when("I add an authenticator app giving my current password")]
async fn add_app(world: &mut LoginWorld) -> anyhow::Result<()> {
    let current = world.me.password.clone();
    world.last = Some(world.driver.add_authenticator(&current).await?);
    expect_accepted(world.last()?)?;
    world.authenticator = Some(world.last()?.detail("secret").context("no secret was shown for the app")?);
    Ok(())
}

#[then("I am shown the secret and an otpauth link for the app")]
async fn shown_secret(world: &mut LoginWorld) -> anyhow::Result<()> {
    let uri = world.last()?.detail("otpauth_uri").context("no otpauth link was shown")?;
    let secret = world.authenticator.clone().context("no secret")?;
    anyhow::ensure!(uri.starts_with("otpauth://totp/") && uri.contains(&secret), "unexpected link {uri}");
    Ok(())
}

fn secret_bytes(secret: &str) -> anyhow::Result<Vec<u8>> {
    Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("the secret {secret:?} is not base32: {e:?}"))
}

/// RFC 4226 (on which RFC 6238 builds), section 4: the shared secret is at least 128 bits.
#[then("the secret is at least 128 bits long")]
async fn secret_long_enough(world: &mut LoginWorld) -> anyhow::Result<()> {
    let bits = secret_bytes(world.authenticator.as_deref().context("no secret")?)?.len() * 8;
    anyhow::ensure!(
        bits >= 128,
        "the secret is {bits} bits; RFC 4226 asks for at least 128 (160 recommended)"
    );
    Ok(())
}

/// A secret given to two people lets either one's app sign in as the other.
#[then("another person adding an app to their account is given a different secret")]
async fn others_secret_differs(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mine = secret_bytes(world.authenticator.as_deref().context("no secret")?)?;
    world.become_someone_else().await?;
    signed_in(world).await?;
    add_app(world).await?;
    let theirs = secret_bytes(world.authenticator.as_deref().context("no secret")?)?;
    anyhow::ensure!(theirs != mine, "two people's authenticator apps were given the same secret");
    Ok(())
}

/// What the app shows now: RFC 6238 with SHA-1, 6 digits, 30-second steps, at the target's time.
async fn app_code(world: &LoginWorld) -> anyhow::Result<String> {
    let secret = world.authenticator.clone().context("no authenticator app was added")?;
    let bytes = secret_bytes(&secret)?;
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    let now = target_now(world.ctx.clock.as_ref()).await?;
    Ok(totp.generate(u64::try_from(now.unix_timestamp()).unwrap_or(0)))
}

#[when(regex = r"^I enter the code my app shows( to sign in)?$")]
async fn enter_app_code(world: &mut LoginWorld, to_sign_in: String) -> anyhow::Result<()> {
    let code = app_code(world).await?;
    world.app_code = Some(code.clone());
    if to_sign_in.is_empty() {
        world.last = Some(world.driver.confirm_authenticator(&code).await?);
    } else {
        let before = world.target_now().await?;
        world.last = Some(world.driver.sign_in_with_authenticator(&code).await?);
        world.note_sign_in(before).await?;
    }
    Ok(())
}

#[when("I enter the same app code again to sign in")]
async fn replay_app_code(world: &mut LoginWorld) -> anyhow::Result<()> {
    let code = world.app_code.clone().context("no app code was entered")?;
    world.last = Some(world.driver.sign_in_with_authenticator(&code).await?);
    Ok(())
}

#[then("the app code is refused as already used")]
async fn app_code_used(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_rejected(world.last()?, "code_used")
}
