//! The living-documentation report: one self-contained HTML file (no external assets).
//! Verdict and failures first, then the traceability matrix, then every scenario with its
//! steps and what crossed the wire (secrets redacted).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{RunVerdict, ScenarioResult, Status, Summary, Verdict};

/// What the report says about the run besides its results.
pub struct RunInfo {
    pub target: String,
    pub driver: String,
    /// The declared policy: each value's name, the declared value and the documented one.
    pub policy: Vec<(String, String, String)>,
    pub started_at: String,
}

impl RunInfo {
    /// The rows of `declared` beside `documented` (both serialised policies).
    pub fn policy_rows(
        declared: &serde_json::Value,
        documented: &serde_json::Value,
    ) -> Vec<(String, String, String)> {
        let fields = declared.as_object().cloned().unwrap_or_default();
        fields
            .into_iter()
            .map(|(name, value)| {
                let documented = documented.get(&name).map(|v| v.to_string()).unwrap_or_default();
                (name, value.to_string(), documented)
            })
            .collect()
    }
}

/// The requirement IDs of each group at a glance: one bar each, passed / failed / unchecked
/// / not checkable, as inline SVG (no outside asset), with the counts as text for readers
/// that do not see it.
fn picture(summary: &Summary) -> String {
    let mut groups: Vec<(&str, [usize; 4])> = Vec::new();
    for r in &summary.requirements {
        let slot = match r.verdict {
            Verdict::Passed => 0,
            Verdict::Failed => 1,
            Verdict::NotRun | Verdict::Uncovered => 2,
            Verdict::NotCheckable => 3,
        };
        match groups.iter_mut().find(|(g, _)| *g == r.requirement.group) {
            Some((_, counts)) => counts[slot] += 1,
            None => {
                let mut counts = [0; 4];
                counts[slot] = 1;
                groups.push((&r.requirement.group, counts));
            }
        }
    }
    let most = groups.iter().map(|(_, c)| c.iter().sum::<usize>()).max().unwrap_or(1).max(1);
    let (colours, words) =
        (["#00a91c", "#b50909", "#c9a100", "#a9aeb1"], ["passed", "failed", "unchecked", "not checkable"]);
    let row = 22;
    let mut svg = format!(
        "<figure class=\"picture\"><svg role=\"img\" aria-labelledby=\"picture-title\" viewBox=\"0 0 640 {}\" width=\"100%\" \
         style=\"max-width:40rem\"><title id=\"picture-title\">Requirement IDs per group</title>",
        groups.len() * row + 8
    );
    for (i, (group, counts)) in groups.iter().enumerate() {
        let y = i * row + 4;
        let _ = write!(svg, "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>", y + 14, esc(group));
        let mut x = 48.0;
        for (slot, count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let width = 540.0 * *count as f64 / most as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{width:.1}\" height=\"16\" fill=\"{}\"><title>{group}: {count} {}</title></rect>",
                colours[slot], words[slot]
            );
            x += width;
        }
        let total: usize = counts.iter().sum();
        let _ = write!(svg, "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{total}</text>", x + 4.0, y + 13);
    }
    svg.push_str("</svg><figcaption>");
    let legend: Vec<String> = (0..4)
        .map(|slot| {
            let count: usize = groups.iter().map(|(_, c)| c[slot]).sum();
            format!("<span style=\"color:{}\">■</span> {count} {}", colours[slot], words[slot])
        })
        .collect();
    svg.push_str(&legend.join(" · "));
    svg.push_str("</figcaption></figure>");
    svg
}

/// A scenario's name, with its example values for a row of an outline.
fn named(s: &ScenarioResult) -> String {
    match &s.example {
        Some(example) => format!("{} ({example})", s.scenario),
        None => s.scenario.clone(),
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
    }
}

fn verdict_cell(verdict: Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Passed => ("passed", "passed"),
        Verdict::Failed => ("failed", "FAILED"),
        Verdict::NotRun => ("skipped", "unchecked"),
        Verdict::Uncovered => ("gap", "uncovered (gap)"),
        Verdict::NotCheckable => ("skipped", "not checkable from outside"),
    }
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;color:#1b1b1b;margin:0 auto;max-width:72rem;padding:1rem 1.5rem}\
h1{font-size:1.6rem;margin:.5rem 0}h2{margin-top:2rem;border-bottom:2px solid #dfe1e2}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;vertical-align:top;border-bottom:1px solid #dfe1e2;padding:.35rem .5rem}th{background:#f0f0f0}\
.verdict{display:inline-block;padding:.4rem .9rem;border-radius:.25rem;font-weight:700;color:#fff}.ok{background:#00a91c}.bad{background:#b50909}.partial{background:#8a5b00}\
.passed{color:#00691b}.failed{color:#b50909;font-weight:700}.skipped{color:#8a5b00}.gap{color:#b50909;background:#f4e3db}\
td.gap{font-weight:700}.meta{color:#565c65}.meta dt{font-weight:600;float:left;clear:left;width:9rem}.meta dd{margin-left:9rem}\
details{border:1px solid #dfe1e2;border-radius:.25rem;margin:.4rem 0;padding:.3rem .6rem}summary{cursor:pointer}\
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:.5rem;font-size:.85rem;max-height:30rem;overflow:auto}\
ol.steps{margin:.3rem 0}.tag{font-size:.8rem;color:#565c65}a{color:#005ea2}td,dd,summary{overflow-wrap:anywhere}.picture{margin:1rem 0}figcaption{font-size:.85rem;color:#565c65}\
@media (max-width:40rem){body{padding:.5rem}table{display:block;overflow-x:auto}.meta dt{float:none;width:auto}.meta dd{margin-left:0}}";

pub fn render(summary: &Summary, info: &RunInfo) -> String {
    let mut anchors: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, s) in summary.scenarios.iter().enumerate() {
        anchors.insert((s.driver.as_str(), s.location.as_str()), i);
    }
    let several_drivers = summary.scenarios.iter().any(|s| s.driver != summary.scenarios[0].driver);
    let link = |s: &ScenarioResult| {
        let driver = if several_drivers { format!(" [{}]", s.driver) } else { String::new() };
        format!(
            "<a href=\"#s{}\">{}</a>{}",
            anchors[&(s.driver.as_str(), s.location.as_str())],
            esc(&named(s)),
            esc(&driver)
        )
    };
    let mut out = String::new();
    let class = match summary.verdict {
        RunVerdict::Conformant => "ok",
        RunVerdict::Incomplete => "partial",
        RunVerdict::NotConformant => "bad",
    };
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Conformance report</title><style>{STYLE}</style></head><body>\
         <h1>Conformance report</h1><p><span class=\"verdict {class}\">{}</span></p>",
        esc(&summary.verdict_text)
    );
    if let Some(why) = &summary.stopped_early {
        let _ = write!(out, "<p class=\"failed\">Stopped early: {}</p>", esc(why));
    }
    out.push_str(&picture(summary));
    if !summary.unchecked.is_empty()
        || !summary.filtered_out.is_empty()
        || !summary.declared_unchecked.is_empty()
    {
        out.push_str("<h2 id=\"unchecked\">Unchecked requirements</h2><ul>");
        for u in &summary.unchecked {
            let _ = write!(out, "<li><a href=\"#{id}\">{id}</a> — {}</li>", esc(&u.why), id = esc(&u.id));
        }
        if !summary.filtered_out.is_empty() {
            let links: Vec<String> = summary
                .filtered_out
                .iter()
                .map(|id| format!("<a href=\"#{id}\">{id}</a>", id = esc(id)))
                .collect();
            let _ = write!(
                out,
                "<li>{} filtered out by --tags/--name: {}</li>",
                summary.filtered_out.len(),
                links.join(", ")
            );
        }
        for d in &summary.declared_unchecked {
            let _ = write!(
                out,
                "<li><a href=\"#{id}\">{id}</a> — declared unchecked: {}</li>",
                esc(&d.reason),
                id = esc(&d.id)
            );
        }
        out.push_str("</ul>");
    }
    let covered = summary.requirements.iter().filter(|r| r.verdict != Verdict::Uncovered).count();
    let _ = write!(
        out,
        "<dl class=\"meta\"><dt>Target</dt><dd>{}</dd><dt>Driver</dt><dd>{}</dd><dt>Run at</dt><dd>{}</dd>\
         <dt>Suite</dt><dd>conformance {}</dd><dt>Policy</dt><dd><a href=\"#policy\">{}</a></dd>\
         <dt>Scenarios</dt><dd>{} passed, {} failed, {} skipped or not run ({:.1} s)</dd>\
         <dt>Requirements</dt><dd>{} of {} covered; {} passed, {} failed, {} unchecked, {} uncovered</dd></dl>",
        esc(&info.target),
        esc(&info.driver),
        esc(&info.started_at),
        env!("CARGO_PKG_VERSION"),
        match info.policy.iter().filter(|(_, declared, documented)| declared != documented).count() {
            0 => "the documented values".to_owned(),
            n => format!("{n} value(s) other than the documented ones"),
        },
        summary.count(Status::Passed),
        summary.count(Status::Failed),
        summary.count(Status::Skipped),
        summary.wall_time_secs,
        covered,
        summary.requirements.len(),
        summary.count_ids(Verdict::Passed),
        summary.count_ids(Verdict::Failed),
        summary.count_ids(Verdict::NotRun),
        summary.count_ids(Verdict::Uncovered),
    );

    out.push_str("<h2 id=\"failures\">Failures</h2>");
    let failures = summary.unexcused_failures();
    let failed_properties: Vec<_> =
        summary.properties.iter().filter(|p| p.status == Status::Failed).collect();
    if failures.is_empty()
        && failed_properties.is_empty()
        && summary.stale_waivers.is_empty()
        && summary.stale_declarations.is_empty()
    {
        out.push_str("<p>None.</p>");
    } else {
        out.push_str("<ul>");
        for s in failures {
            let _ = write!(
                out,
                "<li>{} <span class=\"tag\">{}</span><br>{}</li>",
                link(s),
                esc(&s.location),
                esc(s.detail.as_deref().unwrap_or(""))
            );
        }
        for p in failed_properties {
            let _ = write!(
                out,
                "<li>property: {}<pre>{}</pre></li>",
                esc(&p.name),
                esc(p.detail.as_deref().unwrap_or(""))
            );
        }
        for w in &summary.stale_waivers {
            let _ = write!(out, "<li>stale waiver: {} — {}</li>", esc(&w.check), esc(&w.reason));
        }
        for d in &summary.stale_declarations {
            let _ = write!(
                out,
                "<li>stale [[unchecked]] {}: it was checked, or is not in the catalogue — {}</li>",
                esc(&d.id),
                esc(&d.reason)
            );
        }
        out.push_str("</ul>");
    }
    if !summary.waived.is_empty() {
        out.push_str("<h2>Waived</h2><ul>");
        for w in &summary.waived {
            let _ = write!(out, "<li>{} — {}</li>", esc(&w.check), esc(&w.reason));
        }
        out.push_str("</ul>");
    }

    out.push_str(
        "<h2 id=\"policy\">Declared policy</h2><table><thead><tr><th>Value</th><th>Declared</th>\
         <th>Documented</th></tr></thead><tbody>",
    );
    for (name, declared, documented) in &info.policy {
        let differs = declared != documented;
        let _ = write!(
            out,
            "<tr{}><td>{}</td><td>{}{}</td><td>{}</td></tr>",
            if differs { " class=\"failed\"" } else { "" },
            esc(name),
            esc(declared),
            if differs { " (differs)" } else { "" },
            esc(documented)
        );
    }
    out.push_str("</tbody></table>");
    out.push_str("<h2 id=\"matrix\">Traceability matrix</h2><table><thead><tr><th>ID</th><th>Rule</th><th>Source</th><th>Checked by</th><th>Result</th></tr></thead><tbody>");
    for r in &summary.requirements {
        let checks: Vec<String> = summary
            .scenarios
            .iter()
            .filter(|s| s.tags.contains(&r.requirement.id))
            .map(|s| format!("<span class=\"{}\">●</span> {}", status_class(s.status), link(s)))
            .chain(r.properties.iter().map(|p| format!("property: {}", esc(p))))
            .collect();
        let (class, text) = verdict_cell(r.verdict);
        let _ = write!(
            out,
            "<tr id=\"{id}\"><td><strong>{id}</strong></td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{text}</td></tr>",
            esc(&r.requirement.rule),
            esc(&r.requirement.source),
            if checks.is_empty() { "—".to_owned() } else { checks.join("<br>") },
            id = esc(&r.requirement.id),
        );
    }
    out.push_str("</tbody></table>");

    if !summary.properties.is_empty() {
        out.push_str("<h2>Properties</h2><ul>");
        for p in &summary.properties {
            let _ = write!(
                out,
                "<li><span class=\"{}\">{:?}</span> {} — {} cases; {}</li>",
                status_class(p.status),
                p.status,
                esc(&p.name),
                p.cases,
                esc(&p.ids.join(", "))
            );
        }
        out.push_str("</ul>");
    }

    out.push_str("<h2 id=\"scenarios\">Scenarios</h2>");
    let mut features: BTreeMap<&str, Vec<(usize, &ScenarioResult)>> = BTreeMap::new();
    for (i, s) in summary.scenarios.iter().enumerate() {
        features.entry(s.feature.as_str()).or_default().push((i, s));
    }
    for (feature, scenarios) in features {
        let _ = write!(out, "<h3>{}</h3>", esc(feature));
        for (i, s) in scenarios {
            let _ = write!(
                out,
                "<details id=\"s{i}\"{}><summary><span class=\"{}\">{:?}</span> {} <span class=\"tag\">{} {} · {}</span></summary>",
                if s.status == Status::Passed { "" } else { " open" },
                status_class(s.status),
                s.status,
                esc(&named(s)),
                esc(&s.driver),
                esc(&s.location),
                esc(&s.tags.iter().map(|t| format!("@{t}")).collect::<Vec<_>>().join(" "))
            );
            out.push_str("<ol class=\"steps\">");
            for step in &s.steps {
                let _ = write!(out, "<li class=\"{}\">{}</li>", status_class(step.status), esc(&step.text));
            }
            out.push_str("</ol>");
            if let Some(detail) = &s.detail {
                let _ = write!(out, "<p class=\"{}\">{}</p>", status_class(s.status), esc(detail));
            }
            if !s.transcript.is_empty() {
                let _ = write!(
                    out,
                    "<p>What crossed the wire (secrets redacted):</p><pre>{}</pre>",
                    esc(&s.transcript.join("\n\n"))
                );
            }
            out.push_str("</details>");
        }
    }
    if !summary.identities.is_empty() {
        let _ = write!(
            out,
            "<h2 id=\"identities\">Addresses and numbers used</h2><p>Accounts may exist on the target for any of these \
             {} (for clean-up of a staging service).</p><details><summary>The list</summary><ul>",
            summary.identities.len()
        );
        for identity in &summary.identities {
            let _ = write!(out, "<li>{} · {}</li>", esc(&identity.email), esc(&identity.phone));
        }
        out.push_str("</ul></details>");
    }
    out.push_str("</body></html>\n");
    out
}
