//! The accessibility checks of a run (AX-1, AX-3) as results: each is a check over every page
//! the browser run visited, reported like a property (one name over both drivers, so an API
//! run's "needs the browser driver" never hides a browser run's result), with what was found
//! per page for the report.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::{FILTERED_OUT, PropertyResult, Status};
use crate::driver::accessibility::{DisabledRule, Finding, Outcome, axe_version};

pub const AXE_CHECK: &str = "accessibility: axe-core's WCAG 2.0 and 2.1 A and AA rules on every page visited";
pub const REFLOW_CHECK: &str = "accessibility: reflow at 320 CSS px and at 200 % zoom on every page visited";

/// What a browser run's accessibility checks looked at and found.
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Accessibility {
    /// `axe-core <version>`.
    pub engine: String,
    pub tags: Vec<String>,
    pub disabled: Vec<DisabledRule>,
    pub excluded: Vec<String>,
    /// Every page identity checked.
    pub pages: Vec<String>,
    pub findings: Vec<Finding>,
    /// Pages that could not be checked, with why (they fail the check).
    pub unchecked: Vec<String>,
    /// Time the checks took, summed over the browsers, and the parts of it axe-core and the
    /// reflow layouts took (the rest: the outlined screenshots of pages with findings).
    pub seconds: f64,
    #[serde(default)]
    pub axe_seconds: f64,
    #[serde(default)]
    pub reflow_seconds: f64,
}

/// The checks' results for one driver's pass (`audited` is the browser run's outcome, or why
/// there is none), and what the report shows; screenshots are written under `report_dir`.
pub fn accessibility_checks(
    audited: Result<Outcome, &str>,
    filtered: bool,
    report_dir: &Path,
    driver: &str,
) -> (Vec<PropertyResult>, Option<Accessibility>) {
    let result = |name: &str, id: &str, cases: u32, status: Status, detail: Option<String>| PropertyResult {
        name: name.to_owned(),
        ids: vec![id.to_owned()],
        cases,
        status,
        detail,
        failed_ids: Vec::new(),
        driver: driver.to_owned(),
    };
    let mut outcome = match audited {
        Ok(outcome) => outcome,
        Err(why) => {
            let why = if filtered { FILTERED_OUT } else { why }.to_owned();
            return (
                vec![
                    result(AXE_CHECK, "AX-1", 0, Status::Skipped, Some(why.clone())),
                    result(REFLOW_CHECK, "AX-3", 0, Status::Skipped, Some(why)),
                ],
                None,
            );
        }
    };
    // One screenshot per page, kept beside the scenarios' failure evidence.
    let mut shots: BTreeMap<String, String> = BTreeMap::new();
    for finding in &mut outcome.findings {
        let Some(png) = finding.png.take() else { continue };
        let next = shots.len() + 1;
        let path =
            shots.entry(finding.page.clone()).or_insert_with(|| format!("failures/accessibility-{next}.png"));
        let written = std::fs::create_dir_all(report_dir.join("failures"))
            .and_then(|()| std::fs::write(report_dir.join(&*path), &png));
        match written {
            Ok(()) => finding.screenshot = Some(path.clone()),
            Err(error) => eprintln!("cannot keep the accessibility screenshot {path}: {error}"),
        }
    }
    let pages = u32::try_from(outcome.pages.len()).unwrap_or(u32::MAX);
    let check = |name: &str, id: &str| {
        let found: Vec<String> = outcome
            .findings
            .iter()
            .filter(|f| f.id == id)
            .map(|f| {
                format!("{}: {} ({}) — {} [{}]", f.page, f.rule, f.impact, f.help, f.elements.join(", "))
            })
            .chain(outcome.unchecked.iter().map(|u| format!("not checked: {u}")))
            .collect();
        if !found.is_empty() {
            result(name, id, pages, Status::Failed, Some(found.join("\n")))
        } else if filtered {
            // Pages of the scenarios left out were not visited: no verdict on "every page".
            result(name, id, pages, Status::Skipped, Some(FILTERED_OUT.to_owned()))
        } else if pages == 0 {
            result(name, id, 0, Status::Skipped, Some("not run: the run visited no page".to_owned()))
        } else {
            result(name, id, pages, Status::Passed, None)
        }
    };
    let checks = vec![check(AXE_CHECK, "AX-1"), check(REFLOW_CHECK, "AX-3")];
    let report = Accessibility {
        engine: format!("axe-core {}", axe_version()),
        tags: outcome.settings.tags,
        disabled: outcome.settings.disabled,
        excluded: outcome.settings.exclude,
        pages: outcome.pages,
        findings: outcome.findings,
        unchecked: outcome.unchecked,
        seconds: outcome.spent.as_secs_f64(),
        axe_seconds: outcome.spent_axe.as_secs_f64(),
        reflow_seconds: outcome.spent_reflow.as_secs_f64(),
    };
    (checks, Some(report))
}
