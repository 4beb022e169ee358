//! Import (导入): the old spreadsheet uploaded, every bad row shown with its reason before
//! anything is written, then the import with a progress bar — the same all-or-nothing rule
//! and merge report as `salonbox import customers`. Owner and manager.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use askama::Template;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::views::Layout;
use super::{Ctx, Shared, WebError};
use crate::app::import::{ImportOptions, ImportReport};
use crate::domain::access::Permission;

type Page = Result<Response, WebError>;

/// The largest spreadsheet accepted (a shop's whole customer list fits many times over).
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;

/// An import's state: `(done, total, outcome once finished)`.
type Progress = (usize, usize, Option<Result<ImportReport, String>>);

/// Imports under way or done, by upload id.
#[derive(Default)]
pub struct Imports(Mutex<HashMap<String, Progress>>);

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/import", get(start))
        .route("/import/preview", post(preview))
        .route("/import/run", post(run))
        .route("/import/{id}", get(progress))
}

fn render(t: &impl Template) -> Page {
    Ok(Html(t.render()?).into_response())
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    layout: Layout,
    /// The preview of an upload: its id, and its report.
    upload: Option<String>,
    report: Option<ReportView>,
    error: Option<String>,
    /// While an import runs: `(done, total)`; the page refreshes itself.
    running: Option<(usize, usize)>,
    done: bool,
}

struct ReportView {
    rows: usize,
    created: usize,
    merged: usize,
    bad: Vec<(usize, String)>,
    ignored: String,
    encoding: String,
}

fn view(r: &ImportReport) -> ReportView {
    ReportView {
        rows: r.rows,
        created: r.created,
        merged: r.merged,
        bad: r.bad.iter().map(|b| (b.row, b.reason.clone())).collect(),
        ignored: r.ignored_columns.join("、"),
        encoding: r.encoding.unwrap_or("").to_string(),
    }
}

fn uploads(shop: &Shared) -> PathBuf {
    shop.dir.join("imports")
}

/// An upload id as it may name a file: hex only.
fn upload_path(shop: &Shared, id: &str) -> Option<PathBuf> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    std::fs::read_dir(uploads(shop))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(id))
}

async fn page(shop: &Shared, ctx: &Ctx, title: &str) -> Result<ImportPage, WebError> {
    let user = ctx.require(shop, Permission::Import).await?.clone();
    let now = shop.run(|app| Ok(app.now())).await?;
    Ok(ImportPage {
        layout: Layout::new(title, "/customers", &user, &shop.config().shop.name, now, shop.config().shop.time_zone),
        upload: None,
        report: None,
        error: None,
        running: None,
        done: false,
    })
}

async fn start(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    render(&page(&shop, &ctx, "导入 Import").await?)
}

async fn preview(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, mut form: Multipart) -> Page {
    let mut p = page(&shop, &ctx, "导入 Import").await?;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(e) => {
                        p.error = Some(format!("上传失败：{e} / the upload failed: {e}"));
                        break;
                    }
                }
            }
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(e) => {
                p.error = Some(format!("上传失败：{e} / the upload failed: {e}"));
                break;
            }
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        p.error.get_or_insert_with(|| "请选择文件（.xlsx、.xls 或 .csv）/ choose a file (.xlsx, .xls or .csv)".into());
        let mut res = render(&p)?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    let ext = std::path::Path::new(&name).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !matches!(ext.as_str(), "xlsx" | "xls" | "csv") {
        p.error =
            Some(format!("「{name}」不是 .xlsx、.xls 或 .csv 文件 / \"{name}\" is not an .xlsx, .xls or .csv file"));
        let mut res = render(&p)?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    // Uploads left from earlier previews go (they hold customers' data).
    let dir = uploads(&shop);
    std::fs::create_dir_all(&dir)?;
    for e in std::fs::read_dir(&dir)?.flatten() {
        let old = e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        if old.is_some_and(|d| d > std::time::Duration::from_secs(3600)) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let id = hex::encode(rand::random::<[u8; 12]>());
    let path = dir.join(format!("{id}.{ext}"));
    std::fs::write(&path, &bytes)?;
    let check = path.clone();
    let result = shop
        .run(move |app| {
            app.import_customers(&check, ImportOptions { dry_run: true, force_partial: false }, &mut |_, _| {})
        })
        .await;
    match result {
        Ok(r) => {
            p.report = Some(view(&r));
            p.upload = Some(id);
        }
        Err(WebError::App(e)) => {
            let _ = std::fs::remove_file(&path);
            p.error = Some(e.to_string());
        }
        Err(e) => return Err(e),
    }
    render(&p)
}

#[derive(Deserialize)]
struct RunForm {
    upload: String,
    #[serde(default)]
    skip_bad: Option<String>,
}

async fn run(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<RunForm>) -> Page {
    let user = ctx.require(&shop, Permission::Import).await?.clone();
    let Some(path) = upload_path(&shop, &f.upload) else { return Err(WebError::NotFound) };
    let id = f.upload.clone();
    shop.imports.0.lock().map_err(|_| WebError::Internal)?.insert(id.clone(), (0, 1, None));
    let (task_shop, task_id, actor, address) = (shop.clone(), id.clone(), user.staff.id.clone(), ctx.address.clone());
    let opts = ImportOptions { dry_run: false, force_partial: f.skip_bad.is_some() };
    tokio::spawn(async move {
        let progress_shop = task_shop.clone();
        let progress_id = task_id.clone();
        let file = path.clone();
        let outcome = task_shop
            .run(move |app| {
                let r = app.import_customers(&file, opts, &mut |done, total| {
                    if let Ok(mut m) = progress_shop.imports.0.lock() {
                        m.insert(progress_id.clone(), (done, total, None));
                    }
                })?;
                app.audit_web(&actor, "customers.import", "customer", "*", &address, serde_json::json!({
                    "rows": r.rows, "created": r.created, "merged": r.merged, "bad": r.bad.len(), "imported": r.imported
                }))?;
                Ok(r)
            })
            .await
            .map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&path);
        if let Ok(mut m) = task_shop.imports.0.lock() {
            m.insert(task_id, (1, 1, Some(outcome)));
        }
    });
    Ok(Redirect::to(&format!("/import/{id}")).into_response())
}

async fn progress(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> Page {
    let mut p = page(&shop, &ctx, "导入 Import").await?;
    let state = shop.imports.0.lock().map_err(|_| WebError::Internal)?.get(&id).cloned();
    match state {
        None => return Err(WebError::NotFound),
        Some((done, total, None)) => p.running = Some((done, total.max(1))),
        Some((_, _, Some(Ok(r)))) => {
            p.done = r.imported;
            if !r.imported {
                p.error = Some("有错误行，未导入任何数据 / bad rows: nothing was imported".into());
            }
            p.report = Some(view(&r));
        }
        Some((_, _, Some(Err(e)))) => p.error = Some(e),
    }
    render(&p)
}
