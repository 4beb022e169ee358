//! The fuzz targets' committed corpus (`fuzz/corpus/`), replayed on stable as ordinary
//! tests: the regression cases run even where nightly and cargo-fuzz are missing.

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read corpus file");
        check(&bytes);
        n += 1;
    }
    assert!(n > 0, "{} is empty", dir.display());
}

#[test]
fn sam_frames_corpus() {
    replay("sam_frames", salonbox::fuzzing::sam_stream);
}

#[test]
fn card_lines_corpus() {
    replay("card_lines", salonbox::fuzzing::card_lines);
}

#[test]
fn escpos_read_corpus() {
    replay("escpos_read", salonbox::fuzzing::escpos);
}

#[test]
fn import_corpus() {
    replay("import", salonbox::fuzzing::import);
}

#[test]
fn config_corpus() {
    replay("config", salonbox::fuzzing::config);
}

#[test]
fn sync_json_corpus() {
    replay("sync_json", salonbox::fuzzing::sync_json);
}
