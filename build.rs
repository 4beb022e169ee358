//! Compiles the kiosk's Slint files (`ui/`) when the `kiosk` feature is on, with the
//! English translation bundled (Simplified Chinese is the source language).

fn main() {
    #[cfg(feature = "kiosk")]
    {
        let config = slint_build::CompilerConfiguration::new()
            .with_bundled_translations(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/translations"));
        if let Err(e) = slint_build::compile_with_config("ui/kiosk.slint", config) {
            // a build script's only way to fail with a message
            println!("cargo::error=ui/kiosk.slint: {e}");
        }
    }
}
