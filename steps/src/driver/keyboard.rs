//! Keyboard-only use of pages (AX-2): in this mode the browser driver reaches every field and
//! button by pressing Tab (and a radio button by the arrow keys), types into what has focus, and
//! sends a form with Enter — never a click. At each focus stop it checks, from the page as
//! rendered, that the focus can be seen (an outline or a box shadow on the focused element)
//! and that it moved forward in reading order; after a refusal, that the error
//! summary has the focus or is announced (`role="alert"` or `aria-live`). What it could not do
//! and what it found are kept for the scenario's check: a field Tab never reaches fails the
//! action itself.

use anyhow::Context as _;
use fantoccini::Client;
use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::elements::Element;
use serde_json::Value;

/// Presses of Tab before a field counts as unreachable (a page of the service has a few dozen
/// focus stops at most; a keyboard trap never lets go).
const TAB_LIMIT: usize = 60;
/// Presses of an arrow key to move within a radio group.
const ARROW_LIMIT: usize = 20;

pub const TAB: char = '\u{E004}';
pub const ENTER: char = '\u{E007}';
pub const SPACE: char = ' ';
const ARROW_DOWN: char = '\u{E015}';
const CONTROL: char = '\u{E009}';
const BACKSPACE: char = '\u{E003}';

/// What keyboard-only use found in a scenario.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct KeyboardReport {
    /// Keys pressed.
    pub presses: usize,
    /// Focus stops checked.
    pub stops: usize,
    /// What went against AX-2 (focus not visible, focus moving backwards), by page.
    pub problems: Vec<String>,
    /// Refusals seen, and whether each had its error summary focused or announced.
    pub refusals: Vec<(String, bool)>,
}

/// Where the focus is, as the page renders it: whether it is `target` (or, for a radio
/// button, one of its group), how it looks, and where it sits.
const FOCUS: &str = r#"
    const e = document.activeElement, target = arguments[0];
    if (!e || e === document.body || e === document.documentElement) return { none: true };
    const same = e === target
      || (target && target.type === "radio" && e.type === "radio" && e.name === target.name && e.form === target.form);
    const s = getComputedStyle(e);
    const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow && s.boxShadow !== "none";
    const r = e.getBoundingClientRect();
    const label = (e.labels && e.labels[0] && e.labels[0].innerText) || e.innerText || e.value || e.name || e.tagName;
    return { none: false, same, visible: outline || !!shadow, y: r.top + window.scrollY,
             what: `${e.tagName.toLowerCase()} "${String(label).trim().slice(0, 40)}"` };
"#;

/// Whether a refusal's error summary has the focus, or is announced to a screen reader.
const SUMMARY: &str = r#"
    const live = document.querySelector('[role="alert"], [aria-live="assertive"], [aria-live="polite"]');
    const e = document.activeElement;
    const focused = !!(e && e !== document.body && (e.closest('[role="alert"]') || e.id === "error-summary"
      || (live && live.contains(e))));
    return focused || !!(live && live.innerText.trim());
"#;

impl KeyboardReport {
    /// Presses `keys` as a keyboard does: to whatever has the focus.
    pub async fn press(&mut self, client: &Client, keys: &[char]) -> anyhow::Result<()> {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for &key in keys {
            actions = actions.then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        }
        client.perform_actions(actions).await.context("the browser did not take the key presses")?;
        self.presses += keys.len();
        Ok(())
    }

    /// Tabs until `target` (or its radio group) has the focus, checking each stop on the way.
    pub async fn tab_to(
        &mut self,
        client: &Client,
        target: &Element,
        what: &str,
        page: &str,
    ) -> anyhow::Result<()> {
        let target = serde_json::to_value(target)?;
        let mut last_y: Option<f64> = None;
        let mut wrapped = false;
        for _ in 0..TAB_LIMIT {
            let at = client.execute(FOCUS, vec![target.clone()]).await?;
            if at["none"] != Value::Bool(true) {
                self.stops += 1;
                let here = at["what"].as_str().unwrap_or("an element").to_owned();
                if at["visible"] != Value::Bool(true) {
                    self.problem(format!(
                        "{page}: the focus on {here} cannot be seen (no outline or shadow)"
                    ));
                }
                let y = at["y"].as_f64().unwrap_or(0.0);
                if let Some(previous) = last_y
                    && y + 40.0 < previous
                {
                    // Back to the top once is the page's end wrapping round; more is disorder.
                    if wrapped {
                        self.problem(format!("{page}: the focus moved back up the page to {here}"));
                    }
                    wrapped = true;
                }
                last_y = Some(y);
                if at["same"] == Value::Bool(true) {
                    return Ok(());
                }
            }
            self.press(client, &[TAB]).await?;
        }
        anyhow::bail!(
            "{page}: {what} was not reached with {TAB_LIMIT} presses of Tab (a keyboard user cannot get to it)"
        )
    }

    /// In a radio group that has the focus, moves with the arrow key until `target` is chosen.
    pub async fn arrow_to(&mut self, client: &Client, target: &Element, what: &str) -> anyhow::Result<()> {
        for _ in 0..ARROW_LIMIT {
            if target.is_selected().await? {
                return Ok(());
            }
            self.press(client, &[ARROW_DOWN]).await?;
        }
        anyhow::bail!("{what} was not chosen with {ARROW_LIMIT} presses of the arrow key")
    }

    /// Empties the focused field as a keyboard does: select all, delete.
    pub async fn clear_focused(&mut self, client: &Client) -> anyhow::Result<()> {
        let mut actions = KeyActions::new("keyboard".to_owned());
        actions = actions
            .then(KeyAction::Down { value: CONTROL })
            .then(KeyAction::Down { value: 'a' })
            .then(KeyAction::Up { value: 'a' })
            .then(KeyAction::Up { value: CONTROL })
            .then(KeyAction::Down { value: BACKSPACE })
            .then(KeyAction::Up { value: BACKSPACE });
        client.perform_actions(actions).await?;
        self.presses += 3;
        Ok(())
    }

    /// After a refusal came back: whether its error summary took the focus or is announced.
    pub async fn check_refusal(&mut self, client: &Client, page: &str) -> anyhow::Result<()> {
        let announced = client.execute(SUMMARY, vec![]).await? == Value::Bool(true);
        if !announced {
            self.problem(format!(
                "{page}: the refusal's error summary neither has the focus nor is announced"
            ));
        }
        self.refusals.push((page.to_owned(), announced));
        Ok(())
    }

    fn problem(&mut self, problem: String) {
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }
}
