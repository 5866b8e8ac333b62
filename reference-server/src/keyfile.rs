//! Key files in the data directory: written whole or not at all, and made once even when
//! several server instances on one data directory start together.

use std::io;
use std::path::Path;

/// Creates `path` holding `contents`, readable by the owner only, unless it exists. Returns
/// whether this call made it; `false`: another instance did first, and its file is the one
/// to use. The contents are written aside and linked into place, which fails if the name is
/// taken: a reader never sees half a file, and a crash while writing leaves none.
pub fn create_once(path: &Path, contents: &[u8]) -> io::Result<bool> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let aside = path.with_extension(format!("{}.{:016x}.partial", std::process::id(), rand::random::<u64>()));
    let written = write_private(&aside, contents).and_then(|()| std::fs::hard_link(&aside, path));
    let _ = std::fs::remove_file(&aside);
    match written {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(error),
    }
}

fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    io::Write::write_all(&mut file, contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_maker_wins_and_nothing_is_left_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/a.key");
        assert!(create_once(&path, b"first").unwrap());
        assert!(!create_once(&path, b"second").unwrap(), "taken: the first one stays");
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no partial files");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn instances_starting_together_agree_on_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = &dir.path().join("shared.key");
        let made: Vec<bool> = std::thread::scope(|s| {
            let handles: Vec<_> =
                (0..8u8).map(|i| s.spawn(move || create_once(path, &[i; 32]).unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(made.iter().filter(|m| **m).count(), 1, "exactly one maker: {made:?}");
    }
}
