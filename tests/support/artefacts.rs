//! Where the tests' shops live: `target/tmp/artefacts/<test crate>/`, kept after the run (not
//! deleted like a plain temporary directory) so that `tests/zz_privacy.rs`, which cargo runs
//! after the other test crates, can search every database, log, outbox row and receipt the
//! suite left for identity-card numbers. Each test crate empties its own folder when it
//! starts, so a second run replaces the first.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Once;

/// The folder of this test crate's artefacts.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("artefacts").join(env!("CARGO_CRATE_NAME"))
}

/// A new directory under [`root`], kept after the test.
pub fn tempdir() -> tempfile::TempDir {
    static CLEAN: Once = Once::new();
    let root = root();
    CLEAN.call_once(|| {
        let _ = std::fs::remove_dir_all(&root);
    });
    std::fs::create_dir_all(&root).expect("artefacts folder");
    tempfile::Builder::new().prefix("t").disable_cleanup(true).tempdir_in(&root).expect("artefact directory")
}

/// A log file `name` in a shop's directory, appended to: where a spawned salonbox writes
/// its standard error, so the privacy sweep reads what it logged.
pub fn log(dir: &std::path::Path, name: &str) -> std::fs::File {
    std::fs::OpenOptions::new().create(true).append(true).open(dir.join(name)).expect("log file")
}
