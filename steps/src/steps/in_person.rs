//! Verifying identity in person at a Post Office (IV-2): the person finds and chooses a
//! participating Post Office, enters the details on their ID, and is enrolled; the visit is
//! played on the fake Post Office's control API, and the result reaches the service by its
//! next check, which a clock move lets happen.

use anyhow::Context as _;
use cucumber::{given, then, when};

use super::common::{expect_accepted, expect_rejected};
use super::identity::{BIRTHDATE, FAMILY_NAME, GIVEN_NAME, STREET};
use crate::driver::{IdDetails, Outcome};
use crate::notices::Notice;
use crate::world::LoginWorld;

/// A ZIP code with participating Post Offices near it (any but the fakes' magic ones).
const ZIP: &str = "22150";

fn my_details() -> IdDetails {
    IdDetails {
        given_name: GIVEN_NAME.into(),
        family_name: FAMILY_NAME.into(),
        birthdate: BIRTHDATE.into(),
        street_address: STREET.into(),
        city: "Springfield".into(),
        state: "VA".into(),
        zip: ZIP.into(),
    }
}

fn secs(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

#[when(regex = r"^I look for Post Offices near ZIP code (\S+)$")]
async fn look(world: &mut LoginWorld, zip: String) -> anyhow::Result<()> {
    world.last = Some(world.driver.find_post_offices(&zip).await?);
    Ok(())
}

#[then("I am offered participating Post Offices")]
async fn offered(world: &mut LoginWorld) -> anyhow::Result<()> {
    let last = world.last()?;
    expect_accepted(last)?;
    let Outcome::Accepted { details } = last else { unreachable!("accepted") };
    let offices = details["post_offices"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(offices > 0, "accepted, but no Post Office was offered: {details}");
    Ok(())
}

#[when("I choose the first Post Office")]
async fn choose(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last = Some(world.driver.choose_post_office(0).await?);
    expect_accepted(world.last()?).context("choosing the first Post Office offered")
}

#[when("I enter the details on my ID")]
async fn details(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last = Some(world.driver.enter_id_details(&my_details()).await?);
    Ok(())
}

#[when(expr = "I enter the details on my ID with the date of birth {string}")]
async fn details_born(world: &mut LoginWorld, birthdate: String) -> anyhow::Result<()> {
    let details = IdDetails { birthdate, ..my_details() };
    world.last = Some(world.driver.enter_id_details(&details).await?);
    Ok(())
}

#[then(regex = r#"^(?:the search|my details) (?:is|are) refused as "(\w+)"$"#)]
async fn refused(world: &mut LoginWorld, reason: String) -> anyhow::Result<()> {
    expect_rejected(world.last()?, &reason)
}

#[given("I have enrolled to verify my identity at a Post Office")]
#[when("I enroll to verify my identity at a Post Office")]
async fn enroll(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.last = Some(world.driver.start_verification(true).await?);
    expect_accepted(world.last()?).context("agreeing to the checks")?;
    look(world, ZIP.into()).await?;
    offered(world).await.context("looking for Post Offices")?;
    choose(world).await?;
    details(world).await?;
    expect_accepted(world.last()?).context("entering the details on the ID")?;
    let ssn = world.me.ssn.clone();
    world.last = Some(world.driver.enter_ssn(&ssn).await?);
    expect_accepted(world.last()?).context("entering the SSN")?;
    super::identity::confirm_with_password(world).await?;
    expect_accepted(world.last()?).context("confirming with the password")?;
    waiting(world).await
}

/// The status, its enrollment code kept: the code must be one the fake Post Office issued.
#[then("my identity waits for my visit to the Post Office, with an enrollment code")]
async fn waiting(world: &mut LoginWorld) -> anyhow::Result<()> {
    let answer = world.driver.verification_status().await?;
    let status = answer.detail("status").with_context(|| format!("no verification status in {answer:?}"))?;
    anyhow::ensure!(
        status == "in_person_pending",
        "the service says the identity is {status:?}, expected \"in_person_pending\""
    );
    let Outcome::Accepted { details } = &answer else { unreachable!("a status was read") };
    let code = details["enrollment"]["enrollment_code"]
        .as_str()
        .filter(|c| !c.trim().is_empty())
        .with_context(|| format!("pending at a Post Office, but no enrollment code is shown: {details}"))?
        .trim()
        .to_owned();
    let issued = world.ctx.inbox.enrollment_codes().await?;
    anyhow::ensure!(
        issued.contains(&code),
        "the enrollment code shown, {code:?}, is not one the Post Office issued ({} issued): the person could \
         not verify with it",
        issued.len()
    );
    world.enrollment_code = Some(code);
    Ok(())
}

/// Plays the visit, then lets the service's next check for results run.
#[when(regex = r"^the Post Office reports that I (passed|failed)$")]
async fn visit(world: &mut LoginWorld, result: String) -> anyhow::Result<()> {
    let code = world.enrollment_code.clone().context("no enrollment code was shown")?;
    world.ctx.inbox.post_office_visit(&code, &result).await?;
    let every = secs(world.ctx.target.policy.in_person_result_check_secs);
    world.advance_clock(every).await
}

/// Close to the deadline: the last check before it has run, and the deadline has not passed.
#[when("the deadline to visit has nearly come")]
async fn nearly(world: &mut LoginWorld) -> anyhow::Result<()> {
    let policy = &world.ctx.target.policy;
    let (deadline, every) = (secs(policy.in_person_deadline_secs), secs(policy.in_person_result_check_secs));
    anyhow::ensure!(deadline > every + 60, "in_person_deadline_secs must exceed in_person_result_check_secs");
    world.advance_clock(deadline - every - 60).await?;
    world.advance_clock(every).await
}

/// Past the deadline (from the enrollment, whatever time has already passed), and a check after it.
#[when("the deadline to visit passes without my going")]
async fn passes(world: &mut LoginWorld) -> anyhow::Result<()> {
    let policy = &world.ctx.target.policy;
    let (deadline, every) = (secs(policy.in_person_deadline_secs), secs(policy.in_person_result_check_secs));
    world.advance_clock(deadline + 1).await?;
    world.advance_clock(every).await
}

#[then(
    regex = r"^I receive an email saying (my identity was verified at the Post Office|the Post Office could not verify me|my deadline to visit the Post Office has passed)$"
)]
async fn result_mail(world: &mut LoginWorld, what: String) -> anyhow::Result<()> {
    let notice = match what.as_str() {
        "my identity was verified at the Post Office" => Notice::InPersonPassed,
        "the Post Office could not verify me" => Notice::InPersonFailed,
        _ => Notice::InPersonExpired,
    };
    world.receive_notice_among_others(notice).await.map(|_| ())
}
