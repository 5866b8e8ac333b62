use anyhow::Context as _;
use cucumber::{given, then, when};

use crate::driver::Outcome;
use crate::world::LoginWorld;

// What scenarios expect of an answer, shared by every step file.

pub fn expect_rejected(outcome: &Outcome, code: &str) -> anyhow::Result<()> {
    match outcome {
        Outcome::Rejected { reason, message } if reason == code => {
            anyhow::ensure!(
                !message.trim().is_empty(),
                "refused as {code}, but with no message for the person"
            );
            Ok(())
        }
        other => anyhow::bail!("expected a refusal because {code}, got {other:?}"),
    }
}

pub fn expect_accepted(outcome: &Outcome) -> anyhow::Result<()> {
    anyhow::ensure!(
        matches!(outcome, Outcome::Accepted { .. }),
        "expected the action to be accepted, got {outcome:?}"
    );
    Ok(())
}

/// "24 hours", "4 minutes 59 seconds", "23 hours, 59 minutes and 59 seconds" → seconds.
pub fn parse_duration(text: &str) -> anyhow::Result<u64> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty() && *w != "and")
        .collect();
    anyhow::ensure!(!words.is_empty() && words.len().is_multiple_of(2), "cannot read {text:?} as a duration");
    words.chunks(2).try_fold(0u64, |total, pair| {
        let n: u64 =
            pair[0].parse().map_err(|_| anyhow::anyhow!("{:?} is not a number in {text:?}", pair[0]))?;
        let unit = match pair[1].trim_end_matches('s') {
            "second" => 1,
            "minute" => 60,
            "hour" => 3600,
            "day" => 86_400,
            other => anyhow::bail!("unknown unit {other:?} in {text:?}"),
        };
        Ok(total + n * unit)
    })
}

#[given(
    regex = r"^(\d+ (?:days?|hours?|minutes?|seconds?)(?:,? (?:and )?\d+ (?:days?|hours?|minutes?|seconds?))*) pass(?:es)?$"
)]
#[when(
    regex = r"^(\d+ (?:days?|hours?|minutes?|seconds?)(?:,? (?:and )?\d+ (?:days?|hours?|minutes?|seconds?))*) pass(?:es)?$"
)]
async fn time_passes(world: &mut LoginWorld, duration: String) -> anyhow::Result<()> {
    world.advance_clock(parse_duration(&duration)?).await
}

#[then("I am told to try again later")]
async fn told_to_wait(world: &mut LoginWorld) -> anyhow::Result<()> {
    match world.last()? {
        Outcome::RateLimited { message, .. } => {
            anyhow::ensure!(
                !message.trim().is_empty(),
                "the refusal must say when to try again, but its message is empty"
            );
            Ok(())
        }
        other => anyhow::bail!("expected to be told to try again later, got {other:?}"),
    }
}

/// The refusal says to come back exactly when the first counted request leaves the window:
/// a sliding window of `limit` requests admits one more at first request + window.
#[then(
    regex = r"^I am told to try again when the window since the first (?:email|wrong password|request) ends$"
)]
async fn told_window_end(world: &mut LoginWorld) -> anyhow::Result<()> {
    let limit = world.limit.context("no limit was used up in this scenario")?;
    let Outcome::RateLimited { retry_at, message } = world.last()?.clone() else {
        anyhow::bail!("expected to be told to try again later, got {:?}", world.last);
    };
    anyhow::ensure!(
        !message.trim().is_empty(),
        "the refusal must say when to try again, but its message is empty"
    );
    let retry_at = retry_at.context("the refusal did not say when asking works again")?;
    let window = time::Duration::seconds(limit.window_secs);
    // A time stated in whole seconds (or to the page's precision) may round either way.
    let slack = time::Duration::seconds(1 + world.time_precision_secs());
    let (earliest, latest) = (limit.first_sent + window - slack, limit.first_answered + window + slack);
    anyhow::ensure!(
        earliest <= retry_at && retry_at <= latest,
        "told to try again at {retry_at}, but the first counted request was made between {} and {}, so its \
         {} s window ends between {} and {}",
        limit.first_sent,
        limit.first_answered,
        limit.window_secs,
        limit.first_sent + window,
        limit.first_answered + window
    );
    Ok(())
}

/// Moves the target's clock to one second before the earliest moment the first counted
/// request can leave its window: anything asked then must still be refused.
#[when(regex = r"^the window since the first (?:email|wrong password|request) has passed but for 1 second$")]
async fn window_but_a_second(world: &mut LoginWorld) -> anyhow::Result<()> {
    let limit = world.limit.context("no limit was used up in this scenario")?;
    let edge = limit.first_sent + time::Duration::seconds(limit.window_secs - 1);
    let now = world.target_now().await?;
    let wait = (edge - now).whole_seconds();
    anyhow::ensure!(wait >= 0, "the window's last second ({edge}) is already past ({now})");
    world.advance_clock(u64::try_from(wait).unwrap_or(0)).await
}

#[then("no other message reached me")]
async fn nothing_else(world: &mut LoginWorld) -> anyhow::Result<()> {
    world.expect_nothing_else().await
}

#[when("the time I was told to wait has passed")]
async fn wait_until_allowed(world: &mut LoginWorld) -> anyhow::Result<()> {
    let Outcome::RateLimited { retry_at: Some(retry_at), .. } = world.last()?.clone() else {
        anyhow::bail!("the last answer did not say when to try again: {:?}", world.last);
    };
    let now = crate::clock_hook::target_now(world.ctx.clock.as_ref()).await?;
    // A time shown to the minute may be up to a minute early: wait past all it can mean.
    let precision = world.time_precision_secs();
    let wait = (retry_at - now).whole_seconds() + precision;
    anyhow::ensure!(wait >= 0, "the target said to retry at {retry_at}, which is already past ({now})");
    world.advance_clock(u64::try_from(wait).unwrap_or(0)).await
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations_read_like_english() {
        assert_eq!(parse_duration("24 hours").unwrap(), 86_400);
        assert_eq!(parse_duration("4 minutes 59 seconds").unwrap(), 299);
        assert_eq!(parse_duration("23 hours, 59 minutes and 59 seconds").unwrap(), 86_399);
        assert_eq!(parse_duration("1 second").unwrap(), 1);
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 fortnights").is_err());
    }
}
