use anyhow::Context as _;
use cucumber::{given, then, when};

use super::common::{expect_accepted, expect_rejected};
use super::params::LinkRefusal;
use crate::driver::{Driver, Outcome};
use crate::world::{LoginWorld, Person};

fn confirmation_link(mail: &crate::inbox::Mail) -> anyhow::Result<String> {
    mail.links
        .iter()
        .find(|l| l.contains("confirm"))
        .or(mail.links.first())
        .cloned()
        .with_context(|| format!("the email {:?} has no link", mail.subject))
}

async fn start(world: &mut LoginWorld, email: &str) -> anyhow::Result<()> {
    world.last = Some(world.driver.start_sign_up(email).await?);
    Ok(())
}

#[when("I start creating an account with my email address")]
async fn start_with_mine(world: &mut LoginWorld) -> anyhow::Result<()> {
    let email = world.me.email.clone();
    start(world, &email).await?;
    expect_accepted(world.last()?)
}

#[when("I start creating an account with another email address")]
async fn start_with_another(world: &mut LoginWorld) -> anyhow::Result<()> {
    let other = world.ctx.new_person().email;
    start(world, &other).await?;
    expect_accepted(world.last()?)
}

#[when("I start creating an account with a mistyped email address")]
async fn start_with_typo(world: &mut LoginWorld) -> anyhow::Result<()> {
    let typo = world.me.email.replacen("@example.", "@exmaple.", 1);
    start(world, &typo).await?;
    expect_accepted(world.last()?)
}

#[given("someone started creating an account with my email address and never confirmed it")]
async fn someone_started(world: &mut LoginWorld) -> anyhow::Result<()> {
    let email = world.me.email.clone();
    start(world, &email).await?;
    expect_accepted(world.last()?)?;
    world.receive_mail().await?;
    world.driver.new_session().await
}

#[given("I have confirmed my email address while creating an account")]
pub async fn confirmed_email(world: &mut LoginWorld) -> anyhow::Result<()> {
    start_with_mine(world).await?;
    receive_confirmation(world).await?;
    follow_newest(world).await?;
    expect_accepted(world.last()?)
}

#[given("an account exists for my email address")]
async fn account_exists(world: &mut LoginWorld) -> anyhow::Result<()> {
    confirmed_email(world).await?;
    let password = world.me.password.clone();
    world.last = Some(world.driver.choose_password(&password).await?);
    expect_accepted(world.last()?)?;
    world.driver.new_session().await
}

#[when("someone starts creating an account with my email address")]
async fn someone_starts(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.driver.new_session().await?;
    let email = world.me.email.clone();
    start(world, &email).await
}

#[then("the answer is the same as for an address without an account")]
async fn same_as_new(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mine = world.me.email.clone();
    let existing = crate::driver::Answer::last_of(world.driver.transcript(), &[&mine])?;
    let stranger = world.ctx.new_person();
    let mut other = world.ctx.new_driver()?;
    other.start_sign_up(&stranger.email).await?;
    let fresh = crate::driver::Answer::last_of(other.transcript(), &[&stranger.email]);
    other.close().await;
    crate::driver::same_answer("an address with an account", &existing, "a new address", &fresh?)
}

#[when(regex = r"^I (?:receive|have received) an email with a confirmation link$")]
#[then("I receive an email with a confirmation link")]
async fn receive_confirmation(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mail = world.receive_mail().await?;
    let link = confirmation_link(&mail)?;
    world.links.push(link);
    Ok(())
}

#[then("I receive another email with a different confirmation link")]
async fn receive_another(world: &mut LoginWorld) -> anyhow::Result<()> {
    receive_confirmation(world).await?;
    let newest = world.links.last().expect("just pushed");
    anyhow::ensure!(
        world.links[..world.links.len() - 1].iter().all(|l| l != newest),
        "the new email repeats an earlier link: {newest}"
    );
    Ok(())
}

#[when("I ask for the confirmation email to be sent again")]
async fn resend(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last = Some(world.driver.resend_confirmation().await?);
    Ok(())
}

/// SU-3: the first email and then resends up to the declared limit each bring a new link
/// (none is refused early); the first email starts the window.
#[when("I start creating an account and ask for the email again until the limit is used up")]
async fn resend_to_limit(world: &mut LoginWorld) -> anyhow::Result<()> {
    let policy = world.ctx.target.policy;
    let (limit, window_secs) = (policy.confirmation_email_limit, policy.confirmation_email_window_secs);
    let first_sent = world.target_now().await?;
    start_with_mine(world).await?;
    let first_answered = world.target_now().await?;
    receive_confirmation(world).await?;
    for n in 2..=limit {
        resend(world).await?;
        expect_accepted(world.last()?).with_context(|| {
            format!("confirmation email {n} of the {limit} the declared limit allows in {window_secs} s")
        })?;
        receive_another(world).await?;
    }
    world.limit = Some(crate::world::LimitWindow { first_sent, first_answered, window_secs });
    Ok(())
}

/// SU-4: the declared number of emails spent on a mistyped address, in this session.
#[when(
    "I start creating an account with a mistyped email address and ask for the email again as often as allowed"
)]
async fn typo_to_limit(world: &mut LoginWorld) -> anyhow::Result<()> {
    start_with_typo(world).await?;
    let limit = world.ctx.target.policy.confirmation_email_limit;
    for n in 2..=limit {
        resend(world).await?;
        expect_accepted(world.last()?)
            .with_context(|| format!("confirmation email {n} of the {limit} the declared limit allows"))?;
    }
    Ok(())
}

#[then("no confirmation email was sent for the refused request")]
async fn nothing_for_refused(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.expect_no_mail().await
}

#[when(regex = r"^I follow the (?:newest )?confirmation link(?: again)?$")]
async fn follow_newest(world: &mut LoginWorld) -> anyhow::Result<()> {
    let link = world.links.last().cloned().context("no confirmation link has been received")?;
    world.last = Some(world.driver.confirm_email(&link).await?);
    Ok(())
}

#[when("I follow the older confirmation link")]
async fn follow_older(world: &mut LoginWorld) -> anyhow::Result<()> {
    anyhow::ensure!(
        world.links.len() >= 2,
        "two confirmation links are needed, {} received",
        world.links.len()
    );
    let link = world.links[world.links.len() - 2].clone();
    world.last = Some(world.driver.confirm_email(&link).await?);
    Ok(())
}

#[when("I follow a tampered copy of the confirmation link")]
async fn follow_tampered(world: &mut LoginWorld) -> anyhow::Result<()> {
    let link = world.links.last().cloned().context("no confirmation link has been received")?;
    world.last = Some(world.driver.confirm_email(&tampered(&link)?).await?);
    Ok(())
}

/// The link with the last character of its token changed, as a mangled copy-and-paste would.
fn tampered(link: &str) -> anyhow::Result<String> {
    let mut tampered = link.to_owned();
    let last = tampered.pop().context("empty link")?;
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    Ok(tampered)
}

#[then("my email address is confirmed")]
async fn is_confirmed(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_accepted(world.last()?)
}

#[then(expr = "the link is refused as {link_refusal}")]
async fn link_refused(world: &mut LoginWorld, why: LinkRefusal) -> anyhow::Result<()> {
    expect_rejected(world.last()?, why.0)
}

#[then("I am asked to confirm my email address first")]
async fn confirm_first(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_rejected(world.last()?, "email_not_confirmed")
}

#[then(regex = r"^I (?:can|could) choose a password$")]
async fn can_choose_password(world: &mut LoginWorld) -> anyhow::Result<()> {
    let password = world.me.password.clone();
    world.last = Some(world.driver.choose_password(&password).await?);
    expect_accepted(world.last()?)
}

#[then("I receive an email saying someone tried to create an account with my address")]
async fn warned(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.receive_notice(crate::notices::Notice::SignUpAttempt).await.map(|_| ())
}

/// The warning says how to reset the password, and its links work: every one points at the
/// service, and at least one opens a page there (the reset itself is PR-1's).
#[then("that email tells me how to reset my password")]
async fn tells_reset(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mail = world.mails.last().context("no email received")?.clone();
    anyhow::ensure!(
        mail.text.to_lowercase().contains("reset"),
        "the email does not mention resetting the password"
    );
    anyhow::ensure!(!mail.links.is_empty(), "the email has no link to act on");
    let http = reqwest::Client::new();
    let mut opened = Vec::new();
    for link in &mail.links {
        let url = url::Url::parse(link).with_context(|| format!("the link {link:?} is not a URL"))?;
        anyhow::ensure!(world.ctx.target.serves(&url), "the link {link} leads away from the service");
        let status =
            http.get(url).send().await.with_context(|| format!("the link {link} does not open"))?.status();
        opened.push(format!("{link} → HTTP {}", status.as_u16()));
    }
    anyhow::ensure!(
        opened.iter().any(|o| o.ends_with("HTTP 200")),
        "none of the email's links opens a page: {opened:?}"
    );
    world.note(format!("links in the warning: {}", opened.join(", ")));
    Ok(())
}

/// SU-7: the warning has a link to say the address is being misused, and it points at the
/// service (`[inbox] misuse_report_link` names it among the links).
#[then("that email tells me how to report that it was not me")]
async fn tells_report(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mail = world.mails.last().context("no email received")?.clone();
    let pattern = world.ctx.target.misuse_report_link()?;
    let link = mail
        .links
        .iter()
        .find(|l| pattern.is_match(l))
        .with_context(|| {
            format!("no link of the email matches {pattern} ([inbox] misuse_report_link): {:?}", mail.links)
        })?
        .clone();
    let url = url::Url::parse(&link).with_context(|| format!("the link {link:?} is not a URL"))?;
    anyhow::ensure!(world.ctx.target.serves(&url), "the link {link} leads away from the service");
    world.misuse_report = Some((link, None));
    Ok(())
}

#[when(regex = r"^I report it through that email(?: again)?$")]
async fn report(world: &mut LoginWorld) -> anyhow::Result<()> {
    let (link, _) = world.misuse_report.clone().context("no link to report misuse was found")?;
    world.last = Some(world.driver.report_misuse(&link).await?);
    Ok(())
}

#[then("my report is acknowledged with a reference")]
async fn acknowledged(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_accepted(world.last()?)?;
    let reference = world
        .last()?
        .detail("reference")
        .filter(|r| !r.trim().is_empty())
        .context("the acknowledgement gives no reference")?;
    world.note(format!("report acknowledged with the reference {reference}"));
    world.misuse_references.push(reference.clone());
    if let Some((_, given)) = &mut world.misuse_report {
        *given = Some(reference);
    }
    Ok(())
}

#[then("I am given the same reference, not a second report")]
async fn same_reference(world: &mut LoginWorld) -> anyhow::Result<()> {
    expect_accepted(world.last()?)?;
    let again = world.last()?.detail("reference").context("the acknowledgement gives no reference")?;
    let first = world.misuse_report.as_ref().and_then(|(_, r)| r.clone()).context("no first report")?;
    anyhow::ensure!(again == first, "the same link gave a second reference: {first}, then {again}");
    Ok(())
}

/// SU-7: a reference names one report. Another person, whose own address was misused the
/// same way, reports it in a session of their own.
#[when("another person's address is misused the same way and they report it")]
async fn another_reports(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.become_someone_else().await?;
    account_exists(world).await?;
    someone_starts(world).await?;
    warned(world).await?;
    tells_report(world).await?;
    report(world).await?;
    acknowledged(world).await
}

#[then("their report is given a reference other than mine")]
async fn references_differ(world: &mut LoginWorld) -> anyhow::Result<()> {
    let [mine, .., theirs] = world.misuse_references.as_slice() else {
        anyhow::bail!("two reports were not both acknowledged: {:?}", world.misuse_references);
    };
    anyhow::ensure!(mine != theirs, "two people's reports about two addresses share the reference {mine}");
    Ok(())
}

#[then("a report through a link the service never sent is refused")]
async fn forged_report(world: &mut LoginWorld) -> anyhow::Result<()> {
    let (link, _) = world.misuse_report.clone().context("no link to report misuse was found")?;
    let forged = tampered(&link)?;
    let answer = world.driver.report_misuse(&forged).await?;
    world.last = Some(answer);
    expect_rejected(world.last()?, "link_invalid")
}

#[then("that email contains no confirmation link")]
async fn no_confirmation_link(world: &mut LoginWorld) -> anyhow::Result<()> {
    let mail = world.mails.last().context("no email received")?.clone();
    for link in &mail.links {
        let mut probe = world.ctx.new_driver()?;
        let answer = probe
            .confirm_email(link)
            .await
            .unwrap_or(Outcome::Rejected { reason: "not a confirmation link".into(), message: "-".into() });
        anyhow::ensure!(
            !matches!(answer, Outcome::Accepted { .. }),
            "the link {link} confirms a new sign-up"
        );
    }
    Ok(())
}

#[then(regex = r"^I have received (\d+) emails?$")]
async fn count_emails(world: &mut LoginWorld, count: usize) -> anyhow::Result<()> {
    let (_, mails) = world.ctx.inbox.mail(&world.me.email).await?;
    anyhow::ensure!(mails.len() == count, "expected {count} emails, {} arrived", mails.len());
    Ok(())
}

#[when("I try to add my phone number before confirming my email")]
async fn phone_too_early(world: &mut LoginWorld) -> anyhow::Result<()> {
    let phone = world.me.phone.clone();
    world.last = Some(world.driver.add_phone(&phone, crate::driver::Delivery::Sms).await?);
    Ok(())
}

/// SU-2: a step before confirmation is refused in words the contract knows (never accepted,
/// never an answer the suite cannot read), and no text goes out for it.
#[then("that is refused, and no code is sent")]
async fn refused_nothing_sent(world: &mut LoginWorld) -> anyhow::Result<()> {
    match world.last()? {
        Outcome::Rejected { .. } | Outcome::SignedOut { .. } | Outcome::Invalid { .. } => {}
        other => anyhow::bail!("expected a refusal before the email address is confirmed, got {other:?}"),
    }
    world.expect_no_code().await
}

#[when("I try to choose a password before confirming my email")]
async fn password_too_early(world: &mut LoginWorld) -> anyhow::Result<()> {
    let password = world.me.password.clone();
    world.last = Some(world.driver.choose_password(&password).await?);
    Ok(())
}

/// Signs `person` up on `driver` as far as the password: the phone step comes next.
pub(super) async fn sign_up_to_password(
    world: &LoginWorld,
    driver: &mut dyn Driver,
    person: &Person,
) -> anyhow::Result<()> {
    let started = driver.start_sign_up(&person.email).await?;
    anyhow::ensure!(
        matches!(started, Outcome::Accepted { .. }),
        "sign-up for {} refused: {started:?}",
        person.email
    );
    let mail = world.ctx.inbox.next_mail(&person.email, 0).await?.context("no confirmation email")?;
    let confirmed = driver.confirm_email(&confirmation_link(&mail)?).await?;
    anyhow::ensure!(matches!(confirmed, Outcome::Accepted { .. }), "confirmation refused: {confirmed:?}");
    let chosen = driver.choose_password(&person.password).await?;
    anyhow::ensure!(matches!(chosen, Outcome::Accepted { .. }), "password refused: {chosen:?}");
    Ok(())
}
