//! `conformance report merge`: the reports of a run's shards (`run --shard K/N`) put together
//! as the one run's, with the verdict a single run would give.
//!
//! Each shard's report must be signed and intact, and all shards must have run the same
//! features, with the same number of shards, every shard once. Shards share no clock lock, so
//! two that moved one target's clock at the same time may have disturbed each other's
//! scenarios: shards against the same target with a clock hook must not overlap in time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::evidence::{self, Manifest};
use super::{OTHER_SHARD, PropertyResult, ScenarioResult, Status, Summary};
use crate::requirements::Catalogue;
use crate::runner::Shard;

/// One shard's report, as read from its folder.
struct ShardReport {
    dir: PathBuf,
    shard: Shard,
    manifest: Manifest,
    scenarios: Vec<ScenarioResult>,
    properties: Vec<PropertyResult>,
    parse_errors: Vec<String>,
    identities: Vec<crate::world::Identity>,
    instances: Vec<crate::driver::InstanceRequests>,
    accessibility: Option<super::Accessibility>,
    wall_time_secs: f64,
}

impl ShardReport {
    fn load(dir: &Path) -> anyhow::Result<Self> {
        let verification = evidence::verify(dir, None)?;
        anyhow::ensure!(
            verification.ok(),
            "{} was changed since it was signed, or is not signed:\n{}",
            dir.display(),
            verification.render()
        );
        let manifest: Manifest = serde_json::from_slice(&std::fs::read(dir.join(evidence::MANIFEST))?)?;
        let file = dir.join("summary.json");
        let summary: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?,
        )?;
        let field = |name: &str| summary.get(name).cloned().unwrap_or(serde_json::Value::Null);
        let shard: Shard = serde_json::from_value(field("shard")).ok().with_context(|| {
            format!("{} is not a shard's report (it was run without --shard)", dir.display())
        })?;
        Ok(Self {
            dir: dir.to_owned(),
            shard,
            manifest,
            scenarios: serde_json::from_value(field("scenarios")).context("its scenarios")?,
            properties: serde_json::from_value(field("properties")).context("its properties")?,
            parse_errors: serde_json::from_value(field("parse_errors")).unwrap_or_default(),
            identities: serde_json::from_value(field("identities")).unwrap_or_default(),
            instances: serde_json::from_value(field("instances")).unwrap_or_default(),
            accessibility: serde_json::from_value(field("accessibility")).unwrap_or_default(),
            wall_time_secs: field("wall_time_secs").as_f64().unwrap_or_default(),
        })
    }

    /// When the shard ran, as Unix seconds.
    fn window(&self) -> Option<(i64, i64)> {
        let at = |t: &str| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .ok()
                .map(|t| t.unix_timestamp())
        };
        Some((at(&self.manifest.started_at)?, at(&self.manifest.ended_at)?))
    }
}

/// The shards in `dirs`, checked and put together: the merged summary, and the first shard's
/// manifest updated to describe the whole run (for the caller to write and sign).
pub fn merge(dirs: &[PathBuf], catalogue: &Catalogue) -> anyhow::Result<(Summary, Manifest, Vec<PathBuf>)> {
    anyhow::ensure!(!dirs.is_empty(), "name the shards' report folders");
    let mut shards = dirs.iter().map(|d| ShardReport::load(d)).collect::<anyhow::Result<Vec<_>>>()?;
    shards.sort_by_key(|s| s.shard.index);
    let count = shards[0].shard.count;
    for s in &shards {
        anyhow::ensure!(
            s.shard.count == count,
            "{} is shard {} but {} is shard {}: all shards must split the run the same way",
            s.dir.display(),
            s.shard,
            shards[0].dir.display(),
            shards[0].shard
        );
        anyhow::ensure!(
            s.manifest.specification == shards[0].manifest.specification,
            "{} and {} ran different features or catalogues: their results cannot be put together",
            s.dir.display(),
            shards[0].dir.display()
        );
    }
    for index in 1..=count {
        let with = shards.iter().filter(|s| s.shard.index == index).count();
        anyhow::ensure!(
            with == 1,
            "shard {index}/{count}: {with} reports given, expected one (its checks would be missing or twice)"
        );
    }
    refuse_shared_clock(&shards)?;

    let scenarios = pick(shards.iter().flat_map(|s| s.scenarios.clone()), |s| {
        (format!("{} {}", s.driver, s.location), s.status, s.detail.clone())
    });
    let properties = pick(shards.iter().flat_map(|s| s.properties.clone()), |p| {
        (format!("{} {}", p.driver, p.name), p.status, p.detail.clone())
    });
    let mut parse_errors: Vec<String> = shards.iter().flat_map(|s| s.parse_errors.clone()).collect();
    parse_errors.sort();
    parse_errors.dedup();
    let waivers: super::waivers::Waivers =
        serde_json::from_value(shards[0].manifest.waivers.clone()).context("the shards' waivers")?;
    let wall = shards.iter().map(|s| s.wall_time_secs).fold(0.0, f64::max);
    let mut summary = Summary::new(catalogue, scenarios, properties, parse_errors, wall, &waivers);
    summary.identities = shards.iter().flat_map(|s| s.identities.clone()).collect();
    for share in shards.iter().flat_map(|s| s.instances.clone()) {
        match summary.instances.iter_mut().find(|i| i.base_url == share.base_url) {
            Some(known) => known.requests += share.requests,
            None => summary.instances.push(share),
        }
    }
    summary.accessibility = shards.iter().filter_map(|s| s.accessibility.clone()).reduce(|mut all, more| {
        all.pages.extend(more.pages);
        all.findings.extend(more.findings);
        all.unchecked.extend(more.unchecked);
        all.seconds += more.seconds;
        all.axe_seconds += more.axe_seconds;
        all.reflow_seconds += more.reflow_seconds;
        all
    });

    let mut manifest = shards[0].manifest.clone();
    manifest.started_at = shards.iter().map(|s| s.manifest.started_at.clone()).min().unwrap_or_default();
    manifest.ended_at = shards.iter().map(|s| s.manifest.ended_at.clone()).max().unwrap_or_default();
    manifest.drivers = shards.iter().flat_map(|s| s.manifest.drivers.clone()).collect();
    manifest.drivers.sort();
    manifest.drivers.dedup();
    manifest.verdict = summary.verdict_text.clone();
    manifest.requirements = evidence::requirement_verdicts(&summary);
    Ok((summary, manifest, shards.into_iter().map(|s| s.dir).collect()))
}

/// Of the results for one check (one per shard), the one a shard ran: a shard that left it to
/// another says so, and is passed over. Should two have run it, a failure wins.
fn pick<T>(results: impl Iterator<Item = T>, key: impl Fn(&T) -> (String, Status, Option<String>)) -> Vec<T> {
    let mut by_key: BTreeMap<String, (u8, T)> = BTreeMap::new();
    for result in results {
        let (name, status, detail) = key(&result);
        let rank = match (status, detail.as_deref()) {
            (Status::Failed, _) => 3,
            (Status::Passed, _) => 2,
            (Status::Skipped, Some(OTHER_SHARD)) => 0,
            (Status::Skipped, _) => 1,
        };
        if by_key.get(&name).is_none_or(|(kept, _)| rank > *kept) {
            by_key.insert(name, (rank, result));
        }
    }
    by_key.into_values().map(|(_, r)| r).collect()
}

/// Shards against one target that has a clock hook must not have run at the same time.
fn refuse_shared_clock(shards: &[ShardReport]) -> anyhow::Result<()> {
    for (i, a) in shards.iter().enumerate() {
        for b in &shards[i + 1..] {
            let same_target =
                a.manifest.target == b.manifest.target && a.manifest.target.get("clock").is_some();
            let overlap = match (a.window(), b.window()) {
                (Some((a0, a1)), Some((b0, b1))) => a0 < b1 && b0 < a1,
                _ => true,
            };
            anyhow::ensure!(
                !(same_target && overlap),
                "shards {} and {} ran against the same target at the same time, and its clock hook moves one clock \
                 for both: a scenario of one may have seen time jump under it. Give each shard a target of its own \
                 (its own instance or container), or run them one after the other",
                a.shard,
                b.shard
            );
        }
    }
    Ok(())
}
