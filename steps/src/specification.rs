//! The features and the catalogue a run checks against: a checkout's own `features/`, or, for
//! a binary installed elsewhere (a release download, an image), the copy built into it.
//! `--features DIR` overrides both.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};

static BUILT_IN: include_dir::Dir<'_> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/../features");

/// This checkout's `features/` when the binary runs where it was built; otherwise the built-in
/// copy, written once to a folder named after its content (cucumber reads features from files).
pub fn features_dir() -> PathBuf {
    let checkout = crate::runner::workspace_dir().join("features");
    if checkout.join("requirements.toml").is_file() {
        return checkout;
    }
    match unpack(&std::env::temp_dir()) {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("cannot write the built-in features out ({error:#}); give --features DIR");
            checkout
        }
    }
}

/// Writes the built-in features under `root` (once: a folder already there with the same
/// content is used as it is) and returns their folder.
pub fn unpack(root: &Path) -> anyhow::Result<PathBuf> {
    let mut files: Vec<&include_dir::File<'_>> = Vec::new();
    collect(&BUILT_IN, &mut files);
    files.sort_by_key(|f| f.path());
    let mut digest = Sha256::new();
    for file in &files {
        digest.update(file.path().to_string_lossy().as_bytes());
        digest.update(file.contents());
    }
    let name = format!("conformance-features-{}", &hex(&digest.finalize())[..16]);
    let dir = root.join(&name);
    if dir.join("requirements.toml").is_file() {
        return Ok(dir);
    }
    // Written aside and renamed into place: a run never reads half the features.
    let aside = root.join(format!("{name}.{}.partial", std::process::id()));
    for file in &files {
        let path = aside.join(file.path());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, file.contents()).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if std::fs::rename(&aside, &dir).is_err() {
        // Another run put the same features there first.
        let _ = std::fs::remove_dir_all(&aside);
    }
    anyhow::ensure!(
        dir.join("requirements.toml").is_file(),
        "the features were not written to {}",
        dir.display()
    );
    Ok(dir)
}

fn collect<'a>(dir: &'a include_dir::Dir<'a>, files: &mut Vec<&'a include_dir::File<'a>>) {
    files.extend(dir.files());
    for sub in dir.dirs() {
        collect(sub, files);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_features_are_this_checkouts_and_unpack_once() {
        let root = tempfile::tempdir().unwrap();
        let dir = unpack(root.path()).unwrap();
        let checkout = crate::runner::workspace_dir().join("features");
        for entry in std::fs::read_dir(&checkout).unwrap() {
            let path = entry.unwrap().path();
            let built_in = dir.join(path.file_name().unwrap());
            assert_eq!(
                std::fs::read(&path).unwrap(),
                std::fs::read(&built_in).unwrap(),
                "{}",
                path.display()
            );
        }
        assert_eq!(unpack(root.path()).unwrap(), dir, "the same content, the same folder");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "nothing left aside");
    }
}
