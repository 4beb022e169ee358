//! The back office's static files, inside the binary: one stylesheet of our own (the
//! kiosk's palette), htmx (0BSD), and a few lines of our own script. Cached by the browser
//! for a day; a new binary brings new files under the same names.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::Shared;

pub const CSS: &str = include_str!("assets/app.css");

/// The appointment book's grid placement classes (`r12` row, `s4` span, `c3` column,
/// `cols8` columns): the Content-Security-Policy allows no inline styles.
fn grid_css() -> String {
    let mut s = String::new();
    for n in 1..=120 {
        s.push_str(&format!(".r{n}{{grid-row-start:{n}}}"));
    }
    for n in 1..=64 {
        s.push_str(&format!(".s{n}{{grid-row-end:span {n}}}"));
    }
    for n in 1..=24 {
        s.push_str(&format!(".c{n}{{grid-column:{n}}}"));
        s.push_str(&format!(".cols{n}{{grid-template-columns:3.5em repeat({n},minmax(7.5em,1fr))}}"));
    }
    s.push('\n');
    s
}

static FULL_CSS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| format!("{CSS}\n{}", grid_css()));
pub const APP_JS: &str = include_str!("assets/app.js");
pub const HTMX_JS: &str = include_str!("assets/htmx.min.js");

fn asset(kind: &'static str, body: &'static str) -> axum::response::Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        body,
    )
        .into_response()
}

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", FULL_CSS.as_str()) }))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/assets/htmx.min.js", get(|| async { asset("text/javascript; charset=utf-8", HTMX_JS) }))
}
