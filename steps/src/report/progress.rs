//! How far a run is: scenarios done of those admitted, failures so far, time spent and an
//! estimate of the time left. On a terminal, a progress line kept below the scenarios' output;
//! elsewhere (a CI log), a plain line every [`PLAIN_EVERY`].

use std::io::{IsTerminal as _, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a run without a terminal says how far it is.
pub const PLAIN_EVERY: Duration = Duration::from_secs(30);

pub struct Progress {
    bar: ProgressBar,
    /// No terminal: plain lines instead of the bar.
    plain: bool,
    state: Mutex<State>,
}

struct State {
    label: String,
    admitted: u64,
    done: u64,
    failed: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// Progress of the scenarios of one driver's pass (`label`: `api`, `browser`).
    pub fn new(label: &str) -> Self {
        let plain = !std::io::stderr().is_terminal();
        let bar = if plain {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        };
        let style = ProgressStyle::with_template(
            "{prefix} [{wide_bar}] {pos}/{len} scenarios, {msg}{elapsed} spent, ~{eta} left",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_owned());
        bar.set_message("0 failed, ");
        let now = wall_clock();
        let state =
            State { label: label.to_owned(), admitted: 0, done: 0, failed: 0, started: now, last_line: now };
        Self { bar, plain, state: Mutex::new(state) }
    }

    /// One more scenario will run.
    pub fn admitted(&self) {
        let mut state = self.state.lock().expect("progress lock");
        state.admitted += 1;
        self.bar.set_length(state.admitted);
    }

    /// A scenario ended.
    pub fn finished(&self, failed: bool) {
        let mut state = self.state.lock().expect("progress lock");
        state.done += 1;
        state.failed += u64::from(failed);
        self.bar.set_message(format!("{} failed, ", state.failed));
        self.bar.set_position(state.done);
        if self.plain && (state.last_line.elapsed() >= PLAIN_EVERY || state.done == state.admitted) {
            state.last_line = wall_clock();
            eprintln!("{}", state.line());
        }
    }

    /// Writes `out` (the scenarios' own output) above the progress line.
    pub fn above<W: Write>(self: &Arc<Self>, out: W) -> Above<W> {
        Above { progress: self.clone(), out }
    }

    /// The run is over: the line goes.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl State {
    fn line(&self) -> String {
        let spent = self.started.elapsed();
        let left = match self.done {
            0 => "unknown".to_owned(),
            done => {
                let each = spent.as_secs_f64() / done as f64;
                format!("about {}", seconds(each * self.admitted.saturating_sub(done) as f64))
            }
        };
        format!(
            "progress [{}]: {}/{} scenarios, {} failed, {} spent, {left} left",
            self.label,
            self.done,
            self.admitted,
            self.failed,
            seconds(spent.as_secs_f64())
        )
    }
}

/// The run's own wall time, for the progress line only: no rule reads it.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> Instant {
    Instant::now()
}

fn seconds(secs: f64) -> String {
    let secs = secs.round() as u64;
    if secs >= 60 { format!("{}m{:02}s", secs / 60, secs % 60) } else { format!("{secs}s") }
}

/// A writer whose output goes above the progress line (the line is lifted while it writes).
pub struct Above<W> {
    progress: Arc<Progress>,
    out: W,
}

impl<W: Write> Write for Above<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let Self { progress, out } = self;
        progress.bar.suspend(|| out.write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_line_counts_and_estimates_from_the_pace_so_far() {
        let start = wall_clock() - Duration::from_secs(90);
        let state = State {
            label: "browser".into(),
            admitted: 40,
            done: 10,
            failed: 1,
            started: start,
            last_line: start,
        };
        // 9 s a scenario so far: 30 more take about 4m30s.
        assert_eq!(
            state.line(),
            "progress [browser]: 10/40 scenarios, 1 failed, 1m30s spent, about 4m30s left"
        );
        let none_done = State { done: 0, ..state };
        assert!(none_done.line().ends_with("unknown left"), "{}", none_done.line());
    }
}
