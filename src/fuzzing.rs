//! The properties the fuzz targets (`fuzz/`) check, in the library so that the committed
//! corpus also runs as an ordinary test on stable (`tests/fuzz_corpus.rs`). Each function
//! panics only when a property fails, whatever the bytes.

use std::path::Path;

pub use crate::app::import::fuzz_import as import;
use crate::config::Config;
pub use crate::devices::fuzzing::{card_lines, escpos, sam_stream};
use crate::domain::sync::{ChangePayload, ChangesPage};

/// A configuration file: it loads, or the refusal names the file.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("/etc/salonbox/config.toml");
    if let Err(e) = Config::from_toml(text, path) {
        let m = e.to_string();
        assert!(m.contains("/etc/salonbox/config.toml"), "a refusal that does not name the file: {m}");
    }
}

/// A pull answer from the cloud: read or refused; one that reads writes back to itself, and
/// every change's payload decodes or is refused as its type says, without a panic.
pub fn sync_json(data: &[u8]) {
    let Ok(page) = serde_json::from_slice::<ChangesPage>(data) else { return };
    for c in &page.changes {
        // Any payload reads as its type or is refused with a reason, never a panic.
        let _ = ChangePayload::read(c);
    }
    let text = serde_json::to_string(&page).expect("a page read from JSON writes back");
    let again: ChangesPage = serde_json::from_str(&text).expect("and reads again");
    assert_eq!(again, page);
}
