//! The shop's machinery in the browser (owner and manager): the message outbox (resend a
//! failed one, settle an unknown one, a test message), devices and `doctor` with the same
//! advice, a printer test, backups (list, make one now, download: owner only), cloud sync
//! and its set-aside events, and the audit log with filters. Each change is audited.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::NaiveDate;
use serde::Deserialize;

use super::views::{self, Layout};
use super::{Ctx, Shared, WebError};
use crate::app::{AppError, BackupState};
use crate::domain::access::{Permission, may};
use crate::domain::time::{Interval, day_bounds};
use crate::store::{AuditFilter, Notification};

type Page = Result<Response, WebError>;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/messages", get(messages))
        .route("/messages/test", post(test_message))
        .route("/messages/{key}/retry", post(retry))
        .route("/messages/{key}/settle", post(settle))
        .route("/shop", get(shop_page))
        .route("/shop/printer-test", post(printer_test))
        .route("/shop/backup", post(backup_now))
        .route("/shop/backups/{name}", get(download_backup))
        .route("/shop/audit", get(audit))
}

// ---- messages ----

const STATUSES: [(&str, &str); 7] = [
    ("", "全部 all"),
    ("pending", "待发 waiting"),
    ("sent", "已发 sent"),
    ("failed", "失败 failed"),
    ("unknown", "结果未知 unknown"),
    ("dropped", "未发送 suppressed"),
    ("cancelled", "已取消 cancelled"),
];

fn status_label(s: &str) -> &'static str {
    match s {
        "sending" => "发送中 sending",
        other => STATUSES.iter().find(|(k, _)| *k == other).map_or("其他 other", |(_, l)| l),
    }
}

fn template_label(t: &str) -> String {
    match t {
        "birthday_coupon" => "生日券 birthday coupon",
        "campaign" => "营销 campaign",
        "daily_summary" => "日报 daily summary",
        "low_rating" => "差评提醒 low rating",
        "low_stock" => "库存不足 low stock",
        "staff_arrival" => "到店通知 arrival",
        "stock_expiry" => "临期提醒 expiry",
        "test" => "测试 test",
        "visit_thanks" => "感谢与评价 thank-you",
        "winback" => "召回 win-back",
        t if t.contains("remind") => "预约提醒 reminder",
        t if t.contains("wait") => "候补通知 wait list",
        other => return other.to_string(),
    }
    .to_string()
}

pub struct MessageRow {
    pub key: String,
    pub when: String,
    pub what: String,
    pub to: String,
    pub via: String,
    pub status: &'static str,
    pub status_class: String,
    pub note: String,
    pub retry: bool,
    pub settle: bool,
}

pub struct StatusTab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    layout: Layout,
    tabs: Vec<StatusTab>,
    rows: Vec<MessageRow>,
    /// 退订: (name, link, masked phone, how, when).
    opt_outs: Vec<(String, String, String, &'static str, String)>,
    /// (name, what it is for, kind, what it says now, where that comes from)
    templates: Vec<(String, &'static str, &'static str, String, &'static str)>,
    /// The owner may change a template's text.
    edit_templates: bool,
    done: Option<String>,
    error: Option<String>,
    to: String,
}

#[derive(Deserialize, Default)]
struct MessagesAsk {
    status: Option<String>,
    done: Option<String>,
}

fn message_row(n: &Notification, tz: chrono_tz::Tz, full_phone: bool) -> MessageRow {
    let to = match (n.audience.as_str(), n.recipient.as_deref()) {
        ("staff_group", _) => "员工群 staff group".to_string(),
        (_, Some(r)) => match crate::domain::phone::Phone::parse(r) {
            Ok(p) if !full_phone => p.masked(),
            _ => r.to_string(),
        },
        (_, None) => "顾客 customer".to_string(),
    };
    let note = match n.status.as_str() {
        "unknown" if n.check_after.is_none() => format!(
            "发出后没有回音，服务商也查不到：请确认她是否收到 / no answer and the provider cannot tell: check whether it arrived. {}",
            n.last_error.clone().unwrap_or_default()
        ),
        _ => n.last_error.clone().unwrap_or_default(),
    };
    MessageRow {
        key: n.dedupe_key.clone(),
        when: views::when(n.sent_at.unwrap_or(n.created_at), tz),
        what: template_label(&n.template),
        to,
        via: n.sent_via.clone().or_else(|| n.attempt_via.clone()).unwrap_or_default(),
        status: status_label(&n.status),
        status_class: format!("msg-{}", n.status),
        note,
        retry: matches!(n.status.as_str(), "failed" | "unknown" | "dropped"),
        settle: n.status == "unknown",
    }
}

async fn messages_page(
    shop: &Shared,
    ctx: &Ctx,
    status: Option<String>,
    done: Option<String>,
    error: Option<String>,
    to: String,
) -> Page {
    let user = ctx.require(shop, Permission::RunShop).await?.clone();
    let tz = shop.config().shop.time_zone;
    let status = status.filter(|s| STATUSES.iter().any(|(k, _)| k == s) && !s.is_empty());
    let asked = status.clone();
    let (list, opt_outs, templates, now) = shop
        .run(move |app| {
            Ok((app.list_messages(asked.as_deref(), 200)?, app.opt_outs(100)?, app.message_templates()?, app.now()))
        })
        .await?;
    let full = may(user.staff.role, Permission::SeeFullPhone);
    let page = MessagesPage {
        layout: Layout::new("消息 Messages", "/messages", &user, &shop.config().shop.name, now, tz),
        tabs: STATUSES
            .iter()
            .map(|(k, label)| StatusTab {
                href: if k.is_empty() { "/messages".into() } else { format!("/messages?status={k}") },
                label,
                current: status.as_deref().unwrap_or("") == *k,
            })
            .collect(),
        rows: list.iter().map(|n| message_row(n, tz, full)).collect(),
        opt_outs: opt_outs
            .into_iter()
            .map(|o| {
                let phone = o.phone.as_deref().and_then(|r| crate::domain::phone::Phone::parse(r).ok());
                let phone = views::phone_shown(phone.as_ref(), full);
                let how = if o.replied { "回复退订 replied TD" } else { "撤回同意 withdrew consent" };
                (o.name, format!("/customers/{}", o.customer_id), phone, how, views::when(o.at, tz))
            })
            .collect(),
        templates: templates
            .into_iter()
            .filter(|t| t.name != "campaign")
            .map(|t| {
                let source = match (&t.custom, &t.file) {
                    (Some(_), _) => "本店修改 the shop's",
                    (None, Some(_)) => "配置文件 the file's",
                    (None, None) => "默认 default",
                };
                (t.name, t.label, super::texts::kind_label(t.kind), t.in_force, source)
            })
            .collect(),
        edit_templates: may(user.staff.role, Permission::Setup),
        done,
        error,
        to,
    };
    let code = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((code, Html(page.render()?)).into_response())
}

async fn messages(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(ask): Query<MessagesAsk>) -> Page {
    let done = ask.done.as_deref().map(|d| match d {
        "retry" => "已重新排队，守护进程会尽快发送 / queued again: the daemon sends it shortly".to_string(),
        "settle" => "已记为已发送 / marked as sent".to_string(),
        "test" => "测试消息已排队，守护进程会在几秒内发送，结果见下表 / the test message is queued: the daemon sends it within seconds, its outcome appears below".to_string(),
        "template" => "模板已保存，之后的消息按新内容发送 / the template is saved: messages from now on say it".to_string(),
        _ => String::new(),
    });
    messages_page(&shop, &ctx, ask.status, done.filter(|d| !d.is_empty()), None, String::new()).await
}

async fn retry(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(key): Path<String>) -> Page {
    let user = ctx.require(&shop, Permission::RunShop).await?.clone();
    let actor = user.staff.id.clone();
    match shop.run(move |app| app.retry_message(&key, &actor)).await {
        Ok(_) => Ok(Redirect::to("/messages?done=retry").into_response()),
        Err(WebError::App(e @ AppError::Input { .. })) => {
            messages_page(&shop, &ctx, None, None, Some(e.to_string()), String::new()).await
        }
        Err(e) => Err(e),
    }
}

async fn settle(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(key): Path<String>) -> Page {
    let user = ctx.require(&shop, Permission::RunShop).await?.clone();
    let actor = user.staff.id.clone();
    match shop.run(move |app| app.confirm_message_sent(&key, &actor)).await {
        Ok(_) => Ok(Redirect::to("/messages?done=settle").into_response()),
        Err(WebError::App(e @ AppError::Input { .. })) => {
            messages_page(&shop, &ctx, None, None, Some(e.to_string()), String::new()).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct TestForm {
    #[serde(default)]
    to: String,
}

/// `notify test` as a button: a test message to a phone number or the staff group, sent by
/// the daemon like any other (its outcome shows in the outbox).
async fn test_message(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<TestForm>) -> Page {
    let user = ctx.require(&shop, Permission::RunShop).await?.clone();
    let to = f.to.trim().to_string();
    let target = if to.is_empty() || to == "staff" || to == "员工群" {
        Ok("staff".to_string())
    } else {
        crate::domain::phone::Phone::parse(&to).map(|p| p.as_str().to_string()).map_err(|e| e.to_string())
    };
    let target = match target {
        Ok(t) => t,
        Err(e) => {
            let msg = format!("收件人 to：{e}");
            return messages_page(&shop, &ctx, None, None, Some(msg), to).await;
        }
    };
    let actor = user.staff.id.clone();
    shop.run(move |app| app.queue_test_message(&target, &actor)).await?;
    Ok(Redirect::to("/messages?done=test").into_response())
}

// ---- the shop: devices, backups, sync ----

pub struct CheckRow {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    pub hint: String,
}

pub struct BackupRow {
    pub name: String,
    pub when: String,
    pub size: String,
    pub customers: String,
    pub problem: String,
}

#[derive(Template)]
#[template(path = "shop.html")]
struct ShopPage {
    layout: Layout,
    done: Option<&'static str>,
    checks: Vec<CheckRow>,
    backups: Vec<BackupRow>,
    backup_note: String,
    can_download: bool,
    sync_on: bool,
    sync: Vec<(&'static str, String)>,
    set_aside: Vec<(String, String, String)>,
    config_file: String,
}

#[derive(Deserialize, Default)]
struct ShopAsk {
    done: Option<String>,
    /// `1`: the database checked page by page too (slow on a big shop).
    full: Option<String>,
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1u32 << 20))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

async fn shop_page(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(ask): Query<ShopAsk>) -> Page {
    let user = ctx.require(&shop, Permission::RunShop).await?.clone();
    let tz = shop.config().shop.time_zone;
    let (config, dir) = (crate::config::Config::clone(&shop.config()), shop.dir.clone());
    let (state, stats, problems, backup, now) = shop
        .run(|app| Ok((app.sync_state()?, app.outbox_stats()?, app.sync_problems(20)?, app.backup_state()?, app.now())))
        .await?;
    let checks = {
        let dir = dir.clone();
        // the page answers at once; the whole file is read only when asked
        let depth = if ask.full.as_deref() == Some("1") {
            crate::station::doctor::Depth::Full
        } else {
            crate::station::doctor::Depth::Page
        };
        tokio::task::spawn_blocking(move || crate::station::doctor::run_at(&config, &dir, now, depth))
            .await
            .map_err(|_| WebError::Internal)?
    };
    let listed = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || crate::app::restore::list_backups(&dir, tz))
            .await
            .map_err(|_| WebError::Internal)??
    };
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or("—".to_string(), |t| views::when(t, tz));
    let sync_on = shop.config().cloud.enabled;
    let page = ShopPage {
        layout: Layout::new("本店 Shop", "/shop", &user, &shop.config().shop.name, now, tz),
        done: match ask.done.as_deref() {
            Some("backup") => Some("备份已完成并校验 / the backup is made and checked"),
            Some("printer") => Some("测试页已送往打印机 / a test page is on its way to the printer"),
            _ => None,
        },
        checks: checks
            .into_iter()
            .map(|c| CheckRow { name: c.name, ok: c.ok, detail: c.detail, hint: c.hint.unwrap_or_default() })
            .collect(),
        backups: listed
            .iter()
            .map(|b| BackupRow {
                name: b.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
                when: at(b.at),
                size: size(b.bytes),
                customers: b.customers.map_or("—".into(), |n| n.to_string()),
                problem: b.problem.clone().unwrap_or_default(),
            })
            .collect(),
        backup_note: match backup {
            BackupState::NotNeeded => "还没有顾客，暂不需要备份 / no customers yet: nothing to back up".into(),
            BackupState::Missing => "还没有备份！请立即备份 / no backup yet: make one now".into(),
            BackupState::Fresh(t) => {
                format!("最近一次 newest: {}（每晚自动备份 / made every night）", views::when(t, tz))
            }
            BackupState::Stale(t) => format!(
                "最近一次是 {}，已超过 36 小时：守护进程是否在运行？/ the newest is over 36 hours old: is the daemon running?",
                views::when(t, tz)
            ),
        },
        can_download: may(user.staff.role, Permission::DeleteCustomer),
        sync_on,
        sync: vec![
            ("待上传 queued", stats.sync_pending.to_string()),
            ("最早待上传 oldest queued", at(stats.oldest_pending_at)),
            ("上次成功 last success", at(state.last_success_at)),
            ("上次上传 last push", at(state.last_push_at)),
            ("上次拉取 last pull", at(state.last_pull_at)),
            ("搁置 set aside", state.rejected.to_string()),
            (
                "上次错误 last error",
                state.last_error.clone().map_or("—".into(), |e| format!("{} · {e}", at(state.last_error_at))),
            ),
        ],
        set_aside: problems
            .rejected_events
            .iter()
            .map(|e| (e.event_type.clone(), e.reason.clone(), e.occurred_at.clone()))
            .collect(),
        config_file: shop
            .config()
            .source
            .as_ref()
            .map_or("/etc/salonbox/config.toml".into(), |p| p.display().to_string()),
    };
    Ok(Html(page.render()?).into_response())
}

async fn printer_test(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    let user = ctx.require(&shop, Permission::RunShop).await?.clone();
    let (actor, address) = (user.staff.id.clone(), ctx.address.clone());
    shop.run(move |app| {
        let job = crate::station::printing::queue_test_page(app).map_err(|e| match e {
            crate::station::StationError::App(e) => e,
            other => AppError::input("打印机 printer", other.to_string()),
        })?;
        app.audit_web(&actor, "printer.test", "print_job", &job.to_string(), &address, serde_json::json!({}))
    })
    .await?;
    Ok(Redirect::to("/shop?done=printer").into_response())
}

async fn backup_now(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    let user = ctx.require(&shop, Permission::RunShop).await?.clone();
    let (actor, address, keep) = (user.staff.id.clone(), ctx.address.clone(), shop.config().jobs.backup_keep);
    shop.run(move |app| {
        let r = app.backup(None, keep)?;
        let name = r.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        app.audit_web(&actor, "backup.made", "backup", &name, &address, serde_json::json!({ "bytes": r.bytes }))
    })
    .await?;
    Ok(Redirect::to("/shop?done=backup").into_response())
}

/// A backup file (everyone's data): the owner only, audited. Only a file the list shows
/// can be asked for, by its bare name.
async fn download_backup(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(name): Path<String>) -> Page {
    let user = ctx.require(&shop, Permission::DeleteCustomer).await?.clone();
    let (dir, tz) = (shop.dir.clone(), shop.config().shop.time_zone);
    let listed = tokio::task::spawn_blocking(move || crate::app::restore::list_backups(&dir, tz))
        .await
        .map_err(|_| WebError::Internal)??;
    let Some(file) = listed.into_iter().find(|b| b.path.file_name().is_some_and(|n| n.to_string_lossy() == name))
    else {
        return Err(WebError::NotFound);
    };
    let path = file.path.clone();
    let bytes = tokio::fs::read(&path).await?;
    let (actor, address, n) = (user.staff.id.clone(), ctx.address.clone(), name.clone());
    shop.run(move |app| {
        app.audit_web(
            &actor,
            "backup.download",
            "backup",
            &n,
            &address,
            serde_json::json!({ "bytes": bytes_len(&path) }),
        )
    })
    .await?;
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).map_err(|_| WebError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.sqlite3")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

fn bytes_len(p: &std::path::Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

// ---- the audit log ----

#[derive(Deserialize, Default)]
struct AuditAsk {
    who: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

pub struct AuditLine {
    pub when: String,
    pub who: String,
    pub action: String,
    pub entity: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    who: String,
    action: String,
    from: String,
    to: String,
    from_error: Option<String>,
    to_error: Option<String>,
    rows: Vec<AuditLine>,
    older: Option<String>,
}

const AUDIT_PAGE: u32 = 100;

fn parse_day(v: &Option<String>, field: &str) -> (Option<NaiveDate>, Option<String>) {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => (None, None),
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => (Some(d), None),
            Err(_) => (None, Some(format!("{field}：“{s}”不是日期，应为 2026-12-03 / not a date: use 2026-12-03"))),
        },
    }
}

async fn audit(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(ask): Query<AuditAsk>) -> Page {
    let user = ctx.require(&shop, Permission::RunShop).await?.clone();
    let tz = shop.config().shop.time_zone;
    let (from, from_error) = parse_day(&ask.from, "从 from");
    let (to, to_error) = parse_day(&ask.to, "到 to");
    let clean = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let range = match (from, to) {
        (None, None) => None,
        (f, t) => Some(Interval::new(
            f.map_or(chrono::DateTime::<chrono::Utc>::MIN_UTC, |d| day_bounds(d, tz).start),
            t.map_or(chrono::DateTime::<chrono::Utc>::MAX_UTC, |d| day_bounds(d, tz).end),
        )),
    };
    let filter =
        AuditFilter { who: clean(&ask.who), action: clean(&ask.action), range, before: ask.before, limit: AUDIT_PAGE };
    let f2 = filter.clone();
    let (rows, now) = shop.run(move |app| Ok((app.audit_log(&f2)?, app.now()))).await?;
    let older = (rows.len() as u32 == AUDIT_PAGE).then(|| {
        let last = rows.last().map_or(0, |r| r.id);
        format!(
            "/shop/audit?who={}&action={}&from={}&to={}&before={last}",
            views::url_encode(filter.who.as_deref().unwrap_or("")),
            views::url_encode(filter.action.as_deref().unwrap_or("")),
            ask.from.as_deref().unwrap_or(""),
            ask.to.as_deref().unwrap_or("")
        )
    });
    let page = AuditPage {
        layout: Layout::new("审计日志 Audit log", "/shop", &user, &shop.config().shop.name, now, tz),
        who: filter.who.clone().unwrap_or_default(),
        action: filter.action.clone().unwrap_or_default(),
        from: ask.from.clone().unwrap_or_default(),
        to: ask.to.clone().unwrap_or_default(),
        from_error,
        to_error,
        rows: rows
            .into_iter()
            .map(|r| AuditLine {
                when: views::when(r.at, tz),
                who: r.actor_name.clone().unwrap_or_else(|| r.actor.clone()),
                action: r.action,
                entity: format!("{} {}", r.entity, r.entity_id),
                detail: if r.detail == "{}" { String::new() } else { r.detail },
            })
            .collect(),
        older,
    };
    Ok(Html(page.render()?).into_response())
}
