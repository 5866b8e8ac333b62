//! Accessibility as conformance, checked by the browser driver on the pages it lands on:
//! axe-core's WCAG 2.0 and 2.1 A and AA rules (AX-1), and reflow at 320 CSS px and at 200 %
//! zoom without sideways scrolling, clipped controls or text cut off (AX-3). Each page
//! identity (the page it was recognised as, or its path, with the outcome it showed) is
//! checked once per run, by the first scenario to land on it, so the cost stays small. What
//! is found is kept per page, with a screenshot outlining the elements at fault. A page that
//! could not be checked is a failure that says so, never a pass.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use fantoccini::Client;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::browsers::devtools;

/// axe-core, vendored unmodified (`steps/vendor/axe-core`; `ci/refresh-axe.sh` refreshes it).
const AXE: &str = include_str!("../../vendor/axe-core/axe.min.js");

/// The axe-core version the suite runs, as its file names it.
pub fn axe_version() -> &'static str {
    AXE.strip_prefix("/*! axe v").and_then(|rest| rest.split_whitespace().next()).unwrap_or("unknown")
}

/// The `[accessibility]` section of a target file.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AccessibilitySettings {
    /// Whether a browser run checks its pages (default: yes). Off, AX-1 and AX-3 are reported
    /// as not run, never as passed.
    pub enabled: bool,
    /// axe-core rule tags to run. Default: WCAG 2.0 and 2.1, levels A and AA.
    pub tags: Vec<String>,
    /// axe-core rules left out, each with why (the report lists them).
    pub disabled: Vec<DisabledRule>,
    /// CSS selectors of elements not checked, such as a widget the service does not own.
    pub exclude: Vec<String>,
}

impl Default for AccessibilitySettings {
    fn default() -> Self {
        Self {
            enabled: true,
            tags: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"].map(str::to_owned).to_vec(),
            disabled: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabledRule {
    pub rule: String,
    pub reason: String,
}

/// One problem on one page.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// The requirement it fails: `AX-1` (axe-core) or `AX-3` (reflow).
    pub id: String,
    /// The page identity it was found on.
    pub page: String,
    pub url: String,
    /// axe-core's rule, or `reflow`.
    pub rule: String,
    /// axe-core's impact (`minor` … `critical`); `serious` for reflow.
    pub impact: String,
    pub help: String,
    /// The elements at fault, as CSS selectors.
    pub elements: Vec<String>,
    /// The page with those elements outlined, relative to the report directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screenshot: Option<String>,
    #[serde(skip)]
    pub png: Option<Vec<u8>>,
}

/// What a run's accessibility checks found.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub settings: AccessibilitySettings,
    /// Page identities checked.
    pub pages: Vec<String>,
    pub findings: Vec<Finding>,
    /// Pages that could not be checked, with why.
    pub unchecked: Vec<String>,
    /// Time spent checking, and the parts of it spent in axe-core and in the reflow layouts.
    pub spent: Duration,
    pub spent_axe: Duration,
    pub spent_reflow: Duration,
}

/// The run's accessibility checks, shared by every browser of the run.
#[derive(Debug)]
pub struct Audit {
    settings: AccessibilitySettings,
    state: Mutex<(BTreeSet<String>, Outcome)>,
}

/// Wall time, for the report's "time spent on accessibility" only; no rule reads it.
#[allow(clippy::disallowed_methods)]
fn stopwatch() -> std::time::Instant {
    std::time::Instant::now()
}

impl Audit {
    pub fn new(settings: AccessibilitySettings) -> Self {
        let outcome = Outcome { settings: settings.clone(), ..Outcome::default() };
        Self { settings, state: Mutex::new((BTreeSet::new(), outcome)) }
    }

    /// Whether `page` is still to be checked; the caller that gets `true` checks it.
    fn claim(&self, page: &str) -> bool {
        self.state.lock().expect("audit lock").0.insert(page.to_owned())
    }

    pub fn outcome(&self) -> Outcome {
        self.state.lock().expect("audit lock").1.clone()
    }

    /// Checks the page the browser shows, once per identity `page`.
    pub async fn check(&self, client: &Client, page: &str) {
        if !self.claim(page) {
            return;
        }
        let started = stopwatch();
        let mut findings = Vec::new();
        let mut unchecked = Vec::new();
        match self.axe(client, page).await {
            Ok(found) => findings.extend(found),
            Err(error) => unchecked.push(format!("{page}: axe-core could not run: {error:#}")),
        }
        let axe_done = stopwatch();
        match reflow(client, page).await {
            Ok(found) => findings.extend(found),
            Err(error) => unchecked.push(format!("{page}: reflow could not be measured: {error:#}")),
        }
        let reflow_done = stopwatch();
        if !findings.is_empty() {
            let png = outlined_screenshot(client, &findings).await.ok();
            for finding in &mut findings {
                finding.png.clone_from(&png);
            }
        }
        let mut state = self.state.lock().expect("audit lock");
        state.1.pages.push(page.to_owned());
        state.1.findings.extend(findings);
        state.1.unchecked.extend(unchecked);
        state.1.spent += started.elapsed();
        state.1.spent_axe += axe_done - started;
        state.1.spent_reflow += reflow_done - axe_done;
    }

    async fn axe(&self, client: &Client, page: &str) -> anyhow::Result<Vec<Finding>> {
        // The engine is sent as the script itself, not evaluated from a string, so a page's
        // Content-Security-Policy (no `unsafe-eval`) does not stop it.
        let script = format!(
            "const done = arguments[arguments.length - 1]; const options = arguments[0]; const exclude = arguments[1];\n\
             {AXE}\n;\
             window.axe.run(exclude.length ? {{ exclude: exclude.map(s => [s]) }} : document, options)\
               .then(r => done({{ url: location.href, violations: r.violations.map(v => ({{ id: v.id, impact: v.impact || '', \
                 help: v.help, elements: v.nodes.map(n => n.target.join(' ')) }})) }}))\
               .catch(e => done({{ error: String(e) }}));"
        );
        let disabled: serde_json::Map<String, Value> =
            self.settings.disabled.iter().map(|d| (d.rule.clone(), json!({ "enabled": false }))).collect();
        let options = json!({
            "runOnly": { "type": "tag", "values": self.settings.tags },
            "rules": disabled,
            "resultTypes": ["violations"],
        });
        let answer = client.execute_async(&script, vec![options, json!(self.settings.exclude)]).await?;
        if let Some(error) = answer.get("error") {
            anyhow::bail!("{error}");
        }
        let url = answer["url"].as_str().unwrap_or_default().to_owned();
        let violations =
            answer["violations"].as_array().ok_or_else(|| anyhow::anyhow!("no answer: {answer}"))?;
        Ok(violations
            .iter()
            .map(|v| Finding {
                id: "AX-1".into(),
                page: page.to_owned(),
                url: url.clone(),
                rule: v["id"].as_str().unwrap_or_default().to_owned(),
                impact: v["impact"].as_str().unwrap_or_default().to_owned(),
                help: v["help"].as_str().unwrap_or_default().to_owned(),
                elements: v["elements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.as_str().map(str::to_owned))
                    .collect(),
                screenshot: None,
                png: None,
            })
            .collect())
    }
}

/// A width and height in CSS px, and the device pixels per CSS px, the page is laid out at.
struct Viewport {
    /// How a finding names it.
    name: &'static str,
    width: u64,
    height: u64,
    scale: u64,
}

/// AX-3's two layouts. 320 CSS px wide is what a 1280 px window shows at 400 % zoom (WCAG
/// 1.4.10); the driver's 1280 × 900 window at 200 % zoom (WCAG 1.4.4) shows 640 × 450 CSS px
/// on twice the device pixels, where a page's tablet breakpoint can break what 320 px passes.
const VIEWPORTS: [Viewport; 2] = [
    Viewport { name: "at 320 CSS px", width: 320, height: 640, scale: 1 },
    Viewport { name: "at 200 % zoom (640 × 450 CSS px)", width: 640, height: 450, scale: 2 },
];

/// AX-3: at each of [`VIEWPORTS`] the page neither scrolls sideways, nor pushes a control out
/// of view, nor clips text in a box that hides its overflow (lost content).
async fn reflow(client: &Client, page: &str) -> anyhow::Result<Vec<Finding>> {
    let mut found = Vec::new();
    let mut failed = None;
    for viewport in &VIEWPORTS {
        match reflow_at(client, page, viewport).await {
            Ok(more) => found.extend(more),
            Err(error) => {
                failed = Some(error.context(viewport.name));
                break;
            }
        }
    }
    // The window is put back whatever the measures gave.
    devtools(client, "Emulation.clearDeviceMetricsOverride", json!({})).await?;
    match failed {
        Some(error) => Err(error),
        None => Ok(found),
    }
}

async fn reflow_at(client: &Client, page: &str, viewport: &Viewport) -> anyhow::Result<Vec<Finding>> {
    const MEASURE: &str = r##"
        const doc = document.documentElement;
        const width = doc.clientWidth;
        const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : e.name ? `[name="${e.name}"]`
          : e.classList.length ? "." + Array.from(e.classList).join(".") : "");
        const beyond = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > width + 1 || r.left < -1); };
        const all = Array.from(document.body ? document.body.querySelectorAll("*") : []);
        const clipped = Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea, button"))
          .filter(beyond).map(name);
        // What makes the page wide: the innermost elements reaching past its edge.
        const wide = all.filter(e => beyond(e) && !Array.from(e.children).some(beyond)).slice(0, 5).map(name);
        // Text cut off by a box that hides what overflows it. A box of 1 px or less hides its
        // text on purpose, for screen readers only.
        const hides = (v) => v === "hidden" || v === "clip";
        const lost = all.filter(e => {
          if (e.clientWidth <= 1 || e.clientHeight <= 1 || !(e.innerText || "").trim()) return false;
          const s = getComputedStyle(e);
          return (hides(s.overflowX) && e.scrollWidth > e.clientWidth + 1)
            || (hides(s.overflowY) && e.scrollHeight > e.clientHeight + 1);
        }).slice(0, 5).map(name);
        return { url: location.href, width, scroll_width: doc.scrollWidth, clipped, wide, lost };
    "##;
    devtools(
        client,
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": viewport.width, "height": viewport.height,
                "deviceScaleFactor": viewport.scale, "mobile": false }),
    )
    .await?;
    let measured = client.execute(MEASURE, vec![]).await?;
    let (width, scroll_width) =
        (measured["width"].as_u64().unwrap_or(0), measured["scroll_width"].as_u64().unwrap_or(0));
    anyhow::ensure!(
        width > 0 && width <= viewport.width,
        "the page did not take the {} px width: {measured}",
        viewport.width
    );
    let elements = |key: &str| -> Vec<String> {
        measured[key].as_array().into_iter().flatten().filter_map(|e| e.as_str().map(str::to_owned)).collect()
    };
    let finding = |help: String, elements: Vec<String>| Finding {
        id: "AX-3".into(),
        page: page.to_owned(),
        url: measured["url"].as_str().unwrap_or_default().to_owned(),
        rule: "reflow".into(),
        impact: "serious".into(),
        help,
        elements,
        screenshot: None,
        png: None,
    };
    let at = viewport.name;
    let mut found = Vec::new();
    if scroll_width > width + 1 {
        found.push(finding(
            format!("{at} the page is {scroll_width} px wide and scrolls sideways"),
            elements("wide"),
        ));
    }
    let clipped = elements("clipped");
    if !clipped.is_empty() {
        found.push(finding(format!("{at} these controls are cut off at the edge"), clipped));
    }
    let lost = elements("lost");
    if !lost.is_empty() {
        found.push(finding(format!("{at} these boxes cut their text off (lost content)"), lost));
    }
    Ok(found)
}

/// A screenshot with every element at fault outlined (then put back as it was).
async fn outlined_screenshot(client: &Client, findings: &[Finding]) -> anyhow::Result<Vec<u8>> {
    const OUTLINE: &str = r#"
        const marked = [];
        for (const sel of arguments[0]) {
          let found = [];
          try { found = document.querySelectorAll(sel); } catch (e) {}
          for (const e of found) { marked.push([e, e.style.outline]); e.style.outline = "4px solid #d6007a"; }
        }
        window.__axOutlined = marked;
    "#;
    const RESTORE: &str = r#"for (const [e, o] of (window.__axOutlined || [])) e.style.outline = o; delete window.__axOutlined;"#;
    let selectors: Vec<&str> = findings.iter().flat_map(|f| f.elements.iter().map(String::as_str)).collect();
    client.execute(OUTLINE, vec![json!(selectors)]).await?;
    let png = client.screenshot().await;
    client.execute(RESTORE, vec![]).await?;
    Ok(png?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_engine_is_axe_core_4() {
        assert!(axe_version().starts_with("4."), "{}", axe_version());
        assert!(AXE.contains("Mozilla Public"), "the licence notice stays with the file");
    }

    #[test]
    fn wcag_2_0_and_2_1_a_and_aa_by_default() {
        assert_eq!(AccessibilitySettings::default().tags, ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]);
    }
}
