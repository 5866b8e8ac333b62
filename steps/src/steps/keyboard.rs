//! Keyboard-only use (AX-2): the browser driver reaches everything with Tab and sends with
//! Enter; what it found at each focus stop and refusal is checked at the end.

use anyhow::Context as _;
use cucumber::{given, then};

use crate::world::LoginWorld;

#[given("I use only the keyboard")]
async fn keyboard_only(world: &mut LoginWorld) -> anyhow::Result<()> {
    anyhow::ensure!(
        world.driver.use_keyboard_only(),
        "this driver has no keyboard (only the browser driver has)"
    );
    Ok(())
}

#[then("I could do every step with the keyboard alone, the focus always visible and moving in order")]
async fn all_by_keyboard(world: &mut LoginWorld) -> anyhow::Result<()> {
    let report = world.driver.keyboard_report().context("keyboard-only use was never switched on")?;
    anyhow::ensure!(
        report.presses > 0 && report.stops > 0,
        "no key was pressed: nothing was done with the keyboard, so nothing is shown"
    );
    anyhow::ensure!(
        report.problems.is_empty(),
        "with the keyboard alone ({} keys, {} focus stops): {}",
        report.presses,
        report.stops,
        report.problems.join("; ")
    );
    Ok(())
}

#[then("the refusal was announced, or took the focus")]
async fn refusal_announced(world: &mut LoginWorld) -> anyhow::Result<()> {
    let report = world.driver.keyboard_report().context("keyboard-only use was never switched on")?;
    let (page, announced) = report.refusals.last().context("no refusal came back to a keyboard action")?;
    anyhow::ensure!(
        announced,
        "the refusal on {page} neither took the focus nor was announced (role=\"alert\" or aria-live)"
    );
    Ok(())
}
