use anyhow::Context as _;
use cucumber::{then, when};

use super::common::{expect_accepted, expect_rejected};
use super::params::PasswordVerdict;
use crate::world::LoginWorld;

#[when(expr = "I choose the password {string}")]
async fn choose(world: &mut LoginWorld, password: String) -> anyhow::Result<()> {
    world.me.password = password.clone();
    world.last = Some(world.driver.choose_password(&password).await?);
    Ok(())
}

#[when(regex = r"^I choose a password of (\d+) characters$")]
async fn choose_of_length(world: &mut LoginWorld, length: usize) -> anyhow::Result<()> {
    let words = ["harbor", "violet", "quartz", "meadow", "lantern", "pebble", "thistle", "canyon"];
    let mut password = String::new();
    for word in words.iter().cycle() {
        if password.chars().count() >= length {
            break;
        }
        password.push_str(word);
        password.push(' ');
    }
    let password: String = password.chars().take(length).collect();
    anyhow::ensure!(password.chars().count() == length, "could not build a password of {length} characters");
    choose(world, password).await
}

/// PW-3: part of my password, to check the service compares all of it (a bcrypt-style cut at
/// 72 bytes, or any other, lets a prefix in).
#[when(regex = r"^I try to sign in with only the first (\d+) characters of my password$")]
async fn sign_in_with_prefix(world: &mut LoginWorld, length: usize) -> anyhow::Result<()> {
    let whole = world.me.password.clone();
    anyhow::ensure!(whole.chars().count() > length, "my password is not longer than {length} characters");
    let prefix: String = whole.chars().take(length).collect();
    let email = world.me.email.clone();
    world.last = Some(world.driver.sign_in(&email, &prefix).await?);
    Ok(())
}

/// PW-3: my password with every character beyond ASCII replaced, as a lossy conversion would.
#[when("I try to sign in with my password's characters beyond ASCII replaced by question marks")]
async fn sign_in_with_ascii_only(world: &mut LoginWorld) -> anyhow::Result<()> {
    let lossy: String = world.me.password.chars().map(|c| if c.is_ascii() { c } else { '?' }).collect();
    anyhow::ensure!(lossy != world.me.password, "my password has no character beyond ASCII");
    let email = world.me.email.clone();
    world.last = Some(world.driver.sign_in(&email, &lossy).await?);
    Ok(())
}

#[then(expr = "the password is {password_verdict}")]
async fn password_verdict(world: &mut LoginWorld, verdict: PasswordVerdict) -> anyhow::Result<()> {
    match verdict.0 {
        Some(reason) => expect_rejected(world.last()?, reason),
        None => expect_accepted(world.last()?),
    }
}

#[when(expr = "I check the strength of {string}")]
async fn check_strength(world: &mut LoginWorld, password: String) -> anyhow::Result<()> {
    let strength = world.driver.password_strength(&password).await?;
    anyhow::ensure!(strength.score <= 4, "a strength score is between 0 and 4, got {}", strength.score);
    world.strengths.push((password, strength));
    Ok(())
}

#[then(expr = "{string} is rated stronger than {string}")]
async fn stronger(world: &mut LoginWorld, strong: String, weak: String) -> anyhow::Result<()> {
    let score = |p: &str| {
        world
            .strengths
            .iter()
            .find(|(q, _)| q == p)
            .map(|(_, s)| s.score)
            .with_context(|| format!("{p:?} was not rated"))
    };
    let (s, w) = (score(&strong)?, score(&weak)?);
    anyhow::ensure!(s > w, "{strong:?} scored {s}, {weak:?} scored {w}");
    Ok(())
}

#[then(expr = "the meter gives advice for {string}")]
async fn advice(world: &mut LoginWorld, password: String) -> anyhow::Result<()> {
    let (_, s) = world.strengths.iter().find(|(q, _)| *q == password).context("not rated")?;
    anyhow::ensure!(
        s.warning.as_deref().is_some_and(|w| !w.is_empty()) || !s.suggestions.is_empty(),
        "no warning or suggestion for a weak password {password:?}"
    );
    Ok(())
}

#[then(regex = r"^(.+) is rated weak$")]
async fn rated_weak(world: &mut LoginWorld, quoted: String) -> anyhow::Result<()> {
    let password = quoted.trim_matches('"');
    let (_, s) = world.strengths.iter().find(|(q, _)| q == password).context("not rated")?;
    anyhow::ensure!(s.score <= 2, "{password:?} scored {} of 4; the scenario needs a weak one", s.score);
    Ok(())
}

#[then("my password never appears in any answer or email")]
async fn never_echoed(world: &mut LoginWorld) -> anyhow::Result<()> {
    let password = &world.me.password;
    for exchange in world.driver.transcript() {
        anyhow::ensure!(
            !exchange.response.contains(password.as_str()),
            "the answer to {} contains the password",
            exchange.request.split(' ').take(2).collect::<Vec<_>>().join(" ")
        );
    }
    let (_, mails) = world.ctx.inbox.mail(&world.me.email).await?;
    for mail in mails {
        let html = mail.html.unwrap_or_default();
        anyhow::ensure!(
            !mail.text.contains(password.as_str()) && !html.contains(password.as_str()),
            "the email {:?} contains the password",
            mail.subject
        );
    }
    Ok(())
}
