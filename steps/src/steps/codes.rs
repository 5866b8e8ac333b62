//! Phones and security codes: adding and confirming a phone, receiving and entering codes.

use anyhow::Context as _;
use cucumber::{given, then, when};

use super::common::{expect_accepted, expect_rejected};
use super::params::{By, CodeRefusal};
use crate::driver::{Delivery, Outcome};
use crate::world::{CodeStep, LoginWorld};

#[given("I have chosen my password while creating an account")]
pub(super) async fn password_chosen(world: &mut LoginWorld) -> anyhow::Result<()> {
    super::sign_up::confirmed_email(world).await?;
    let password = world.me.password.clone();
    world.last = Some(world.driver.choose_password(&password).await?);
    expect_accepted(world.last()?)
}

/// A whole sign-up: email, password, phone confirmed by text; then a fresh session.
#[given("I have an account with a confirmed phone")]
pub async fn full_account(world: &mut LoginWorld) -> anyhow::Result<()> {
    password_chosen(world).await?;
    add_phone(world, By::TEXT).await?;
    expect_accepted(world.last()?)?;
    world.receive_code("sms").await?;
    enter_code(world).await?;
    expect_accepted(world.last()?)?;
    if world.ctx.target.offers("personal_key") {
        shown_personal_key(world).await?;
    }
    world.driver.new_session().await
}

#[given("my phone is a landline")]
async fn landline(world: &mut LoginWorld) {
    world.me.phone = world.me.phone.replacen("+15550", "+15551", 1);
}

#[when(expr = "I add my phone number and ask for the code by {delivery}")]
pub(super) async fn add_phone(world: &mut LoginWorld, by: By) -> anyhow::Result<()> {
    let phone = world.me.phone.clone();
    world.entering = CodeStep::ConfirmPhone;
    world.last = Some(world.driver.add_phone(&phone, by.0).await?);
    Ok(())
}

#[when("I add a mistyped phone number and ask for the code by text message")]
async fn add_mistyped(world: &mut LoginWorld) -> anyhow::Result<()> {
    let typo = world.ctx.new_person().phone;
    world.entering = CodeStep::ConfirmPhone;
    world.last = Some(world.driver.add_phone(&typo, Delivery::Sms).await?);
    expect_accepted(world.last()?)
}

#[when("I ask for the code by voice call instead")]
async fn voice_instead(world: &mut LoginWorld) -> anyhow::Result<()> {
    let phone = world.me.phone.clone();
    world.last = Some(world.driver.add_phone(&phone, Delivery::Voice).await?);
    expect_accepted(world.last()?)
}

#[when(expr = "I ask for a security code by {delivery}")]
async fn ask_code(world: &mut LoginWorld, by: By) -> anyhow::Result<()> {
    world.last = Some(match world.entering {
        CodeStep::ConfirmPhone => world.driver.resend_phone_code(by.0).await?,
        CodeStep::SignIn | CodeStep::ChangePhone => world.driver.send_sign_in_code(by.0).await?,
    });
    Ok(())
}

#[when(regex = r"^I ask for a security code by text message (\d+) times$")]
async fn ask_code_times(world: &mut LoginWorld, times: usize) -> anyhow::Result<()> {
    for _ in 0..times {
        ask_code(world, By::TEXT).await?;
        expect_accepted(world.last()?)?;
        world.receive_code("sms").await?;
    }
    Ok(())
}

#[when(regex = r"^I (?:receive|have received) a security code by (text message|voice call)$")]
#[then(expr = "I receive a security code by {delivery}")]
async fn receive(world: &mut LoginWorld, by: By) -> anyhow::Result<()> {
    world.receive_code(by.channel()).await.map(|_| ())
}

pub async fn submit(world: &mut LoginWorld, code: &str) -> anyhow::Result<()> {
    world.last = Some(match world.entering {
        CodeStep::ConfirmPhone => world.driver.confirm_phone(code).await?,
        CodeStep::SignIn => world.driver.enter_sign_in_code(code).await?,
        CodeStep::ChangePhone => world.driver.confirm_phone_change(code).await?,
    });
    Ok(())
}

#[when(regex = r"^I enter the (?:newest )?security code(?: again)?$")]
pub async fn enter_code(world: &mut LoginWorld) -> anyhow::Result<()> {
    let code = world.codes.last().cloned().context("no security code has been received")?;
    submit(world, &code).await
}

#[when("I enter the older security code")]
async fn enter_older(world: &mut LoginWorld) -> anyhow::Result<()> {
    anyhow::ensure!(world.codes.len() >= 2, "two codes are needed, {} received", world.codes.len());
    let code = world.codes[world.codes.len() - 2].clone();
    submit(world, &code).await
}

/// A code of the right length that matches none received: every digit shifted by one.
#[when("I enter a wrong security code")]
async fn enter_wrong(world: &mut LoginWorld) -> anyhow::Result<()> {
    let model = world.codes.last().cloned().unwrap_or_else(|| "000000".into());
    let mut wrong: String = model.chars().map(|d| char::from(b'0' + (d as u8 - b'0' + 1) % 10)).collect();
    while world.codes.contains(&wrong) {
        wrong = wrong.chars().map(|d| char::from(b'0' + (d as u8 - b'0' + 1) % 10)).collect();
    }
    submit(world, &wrong).await
}

#[then("my phone is confirmed")]
async fn phone_confirmed(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_accepted(world.last()?)
}

#[then("I am told my phone cannot receive text messages")]
async fn no_texts(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_rejected(world.last()?, "sms_not_supported")
}

#[then(expr = "the code is refused as {code_refusal}")]
async fn code_refused(world: &mut LoginWorld, why: CodeRefusal) -> anyhow::Result<()> {
    expect_rejected(world.last()?, why.0)
}

#[then(regex = r"^I am signed out and locked out for (\d+) minutes$")]
async fn locked_out(world: &mut LoginWorld, minutes: i64) -> anyhow::Result<()> {
    let Outcome::SignedOut { locked_until: Some(until) } = world.last()?.clone() else {
        anyhow::bail!("expected to be signed out with a lockout, got {:?}", world.last);
    };
    if let Some(hook) = &world.ctx.clock {
        let now =
            time::OffsetDateTime::parse(&hook.now().await?, &time::format_description::well_known::Rfc3339)?;
        let lasts = (until - now).whole_seconds();
        let precision = world.time_precision_secs();
        anyhow::ensure!(
            (lasts - minutes * 60).abs() <= precision,
            "the lockout lasts {lasts} s, expected {} s{}",
            minutes * 60,
            if precision > 0 {
                format!(" (within the {precision} s the pages show times to)")
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

#[then("I am told code entry is locked")]
async fn told_locked(world: &mut LoginWorld) -> anyhow::Result<()> {
    match world.last()? {
        Outcome::Locked { message, .. } if !message.is_empty() => Ok(()),
        other => anyhow::bail!("expected code entry to be locked, got {other:?}"),
    }
}

#[then("no security code is sent")]
async fn no_code(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.expect_no_code().await
}

#[then(regex = r"^I have received (\d+) security codes$")]
async fn count_codes(world: &mut LoginWorld, count: usize) -> anyhow::Result<()> {
    let (_, messages) = world.ctx.inbox.phone(&world.me.phone).await?;
    anyhow::ensure!(messages.len() == count, "expected {count} texts or calls, {} arrived", messages.len());
    Ok(())
}

#[then(regex = r"^every code I received is (\d+) digits long and no two are the same$")]
async fn codes_shape(world: &mut LoginWorld, digits: usize) -> anyhow::Result<()> {
    anyhow::ensure!(world.codes.len() >= 2, "at least two codes are needed");
    for code in &world.codes {
        anyhow::ensure!(
            code.len() == digits && code.chars().all(|c| c.is_ascii_digit()),
            "code {code:?} is not {digits} digits"
        );
    }
    let mut distinct = world.codes.clone();
    distinct.sort();
    distinct.dedup();
    anyhow::ensure!(distinct.len() == world.codes.len(), "codes repeat: {:?}", world.codes);
    Ok(())
}

#[then("I am shown a personal key")]
pub async fn shown_personal_key(world: &mut LoginWorld) -> anyhow::Result<()> {
    let key = world.last()?.detail("personal_key").context("no personal key was shown")?;
    let groups: Vec<&str> = key.split('-').collect();
    let crockford = |c: char| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c));
    anyhow::ensure!(
        groups.len() == 4 && groups.iter().all(|g| g.len() == 4 && g.chars().all(crockford)),
        "the personal key {key:?} is not 16 characters of Crockford base32 in groups of 4"
    );
    world.personal_keys.push(key);
    Ok(())
}
