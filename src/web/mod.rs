//! The back office in a browser (`salonbox web`, feature `web`): axum on the tokio the
//! daemon already uses, askama templates compiled into the binary, htmx for partial
//! updates, every asset inside the binary.
//!
//! A face like the CLI, the kiosk and the daemon: handlers call `app`, never the store.
//! Who may do what is decided by `domain::access::may`, asked through [`Ctx::require`];
//! every state-changing request carries the session's CSRF token (checked in
//! [`session_layer`], before any handler runs); refusals, logins, exports and deletions
//! are audited with the client's address.

mod assets;
mod book;
mod campaigns;
mod charts;
mod checkout;
mod import;
mod membership;
mod pages;
mod reports;
mod setup;
mod shop;
mod staff;
mod stock;
mod texts;
mod views;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use thiserror::Error;

use crate::app::access::WebUser;
use crate::app::{App, AppError};
use crate::clock::Clock;
use crate::config::{Cidr, Config};
use crate::domain::access::{Permission, may};

/// The session cookie (an opaque token; the store keeps its hash).
pub const SESSION_COOKIE: &str = "sb_session";
/// The login form's own CSRF cookie (before there is a session).
const PRE_COOKIE: &str = "sb_pre";
/// How many database connections the server keeps (one request uses one at a time).
const POOL: usize = 4;

#[derive(Debug, Error)]
pub enum WebError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("无法监听 {addr}：{source} / cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("服务器错误：{0} / server error: {0}")]
    Io(#[from] std::io::Error),
    #[error("页面生成失败：{0} / page rendering failed: {0}")]
    Template(#[from] askama::Error),
    /// Not logged in (or the session ended): to the login page.
    #[error("请先登录 / please log in")]
    Login { next: String },
    #[error("无权限：{0} / not allowed: {0}")]
    Forbidden(&'static str),
    #[error("找不到该页面 / no such page")]
    NotFound,
    #[error("内部错误 / internal error")]
    Internal,
}

/// The shop as the server holds it: a few `App`s (one SQLite connection each), lent to
/// one request at a time on the blocking pool.
pub struct Shop {
    /// The pool, each `App` with the profile generation it was opened under.
    apps: std::sync::Mutex<Vec<(u64, App)>>,
    permits: tokio::sync::Semaphore,
    /// The configuration with the shop's profile (app/setup.rs) in force, replaced whole
    /// when the owner changes the profile.
    config: std::sync::RwLock<Arc<Config>>,
    /// Bumped by a profile change: an `App` of an older generation is not lent again.
    generation: std::sync::atomic::AtomicU64,
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    /// Imports under way (web/import.rs).
    imports: import::Imports,
}

impl Shop {
    pub fn open(config: Config, dir: &Path, clock: Arc<dyn Clock>) -> Result<Shop, WebError> {
        let apps = (0..POOL)
            .map(|_| App::open(config.clone(), dir, clock.clone()).map(|a| (0, a)))
            .collect::<Result<Vec<_>, _>>()?;
        // the file's configuration with the profile the database holds
        let config = apps.first().map_or(config, |(_, a)| a.config.clone());
        Ok(Shop {
            apps: std::sync::Mutex::new(apps),
            permits: tokio::sync::Semaphore::new(POOL),
            config: std::sync::RwLock::new(Arc::new(config)),
            generation: std::sync::atomic::AtomicU64::new(0),
            dir: dir.to_path_buf(),
            clock,
            imports: import::Imports::default(),
        })
    }

    /// The configuration in force (with the shop's profile).
    pub fn config(&self) -> Arc<Config> {
        self.config.read().map_or_else(|p| p.into_inner().clone(), |c| c.clone())
    }

    /// After the shop's profile changed: the new configuration for every page, and every
    /// `App` of the pool opened again with it.
    pub fn profile_changed(&self, config: Config) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match self.config.write() {
            Ok(mut c) => *c = Arc::new(config),
            Err(p) => *p.into_inner() = Arc::new(config),
        }
        if let Ok(mut apps) = self.apps.lock() {
            apps.clear();
        }
    }

    /// Runs `f` with an `App` of the pool, off the async threads (SQLite and Argon2 block).
    pub async fn run<T, F>(&self, f: F) -> Result<T, WebError>
    where
        T: Send + 'static,
        F: FnOnce(&mut App) -> Result<T, AppError> + Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(|_| WebError::Internal)?;
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let taken = self.apps.lock().map_err(|_| WebError::Internal)?.pop();
        let mut app = match taken {
            Some((g, app)) if g == generation => app,
            _ => App::open(Config::clone(&self.config()), &self.dir, self.clock.clone())?,
        };
        let (app, result, changed) = tokio::task::spawn_blocking(move || {
            // a profile changed elsewhere (the CLI) reaches every page from this request on
            let changed = app.refresh_profile_if_changed().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the shop's profile could not be read again");
                false
            });
            let changed = changed.then(|| app.config.clone());
            let r = f(&mut app);
            (app, r, changed)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a back-office request panicked");
            WebError::Internal
        })?;
        if let Some(config) = changed {
            tracing::info!(name = %config.shop.name, "the shop's profile changed outside the back office");
            self.profile_changed(config);
        }
        // an App opened before a profile change is dropped, not lent again
        if generation == self.generation.load(std::sync::atomic::Ordering::SeqCst) {
            self.apps.lock().map_err(|_| WebError::Internal)?.push((generation, app));
        }
        Ok(result?)
    }
}

pub type Shared = Arc<Shop>;

/// What every handler knows of its request.
#[derive(Clone)]
pub struct Ctx {
    pub user: Option<WebUser>,
    pub token: Option<String>,
    pub address: String,
    /// Asked by htmx for a fragment (the `HX-Request` header), not a whole page.
    pub hx: bool,
    pub path: String,
}

impl Ctx {
    /// The logged-in person, or a trip to the login page.
    pub fn user(&self) -> Result<&WebUser, WebError> {
        self.user.as_ref().ok_or_else(|| WebError::Login { next: self.path.clone() })
    }

    /// The logged-in person if she may do `p`; a refusal is audited.
    pub async fn require(&self, shop: &Shop, p: Permission) -> Result<&WebUser, WebError> {
        let user = self.user()?;
        if may(user.staff.role, p) {
            return Ok(user);
        }
        let (actor, address, path) = (user.staff.id.clone(), self.address.clone(), self.path.clone());
        let label = p.label();
        shop.run(move |app| {
            app.audit_web(&actor, "web.refused", "page", &path, &address, serde_json::json!({ "permission": label }))
        })
        .await?;
        Err(WebError::Forbidden(label))
    }
}

/// Loopback, private and link-local addresses (and those the config adds) may connect.
pub fn client_allowed(ip: IpAddr, extra: &[Cidr]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let local = match ip {
        IpAddr::V4(a) => a.is_loopback() || a.is_private() || a.is_link_local(),
        IpAddr::V6(a) => {
            a.is_loopback() || (a.segments()[0] & 0xfe00) == 0xfc00 || (a.segments()[0] & 0xffc0) == 0xfe80
        }
    };
    local || extra.iter().any(|c| c.contains(ip))
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Refuses clients from outside the shop's network.
async fn address_layer(State(shop): State<Shared>, req: Request, next: Next) -> Response {
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        return (StatusCode::FORBIDDEN, "no client address").into_response();
    };
    if !client_allowed(peer.ip(), &shop.config().web.allow) {
        tracing::warn!(client = %peer.ip(), "back office: a client outside the shop's network was refused");
        return (
            StatusCode::FORBIDDEN,
            Html(views::plain_page(
                "仅限店内网络 / shop network only",
                "后台只对店内网络开放（见配置 [web] allow）。/ The back office answers the shop's own network only (see [web] allow in the configuration).",
            )),
        )
            .into_response();
    }
    next.run(req).await
}

/// Loads the session, checks the CSRF token of every state-changing request, and puts the
/// request's [`Ctx`] in its extensions.
async fn session_layer(State(shop): State<Shared>, mut req: Request, next: Next) -> Response {
    let address =
        req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(p)| p.ip().to_string()).unwrap_or_default();
    let token = cookie(req.headers(), SESSION_COOKIE);
    let user = match token.clone() {
        Some(t) => match shop.run(move |app| app.web_session(&t, true)).await {
            Ok(u) => u,
            Err(e) => return e.into_response(),
        },
        None => None,
    };
    let path = req.uri().path().to_string();
    let hx = req.headers().contains_key("hx-request");
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // The login and first-visit forms carry their own token (a cookie of their own).
    let own_token = matches!(path.as_str(), "/login" | "/setup");
    if unsafe_method && !own_token {
        // A cross-site form or script: refused whatever it carries.
        let cross_site = req.headers().get("sec-fetch-site").is_some_and(|v| v != "same-origin" && v != "none");
        let Some(u) = user.as_ref() else {
            return WebError::Login { next: path }.into_response();
        };
        let given = match req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
            Some(h) => Some(h.to_string()),
            None => {
                let (parts, body) = req.into_parts();
                let bytes = match axum::body::to_bytes(body, import::MAX_UPLOAD).await {
                    Ok(b) => b,
                    Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "too large").into_response(),
                };
                let from_query = parts.uri.query().and_then(|q| form_value(q.as_bytes(), "csrf"));
                let from_body = form_value(&bytes, "csrf");
                req = Request::from_parts(parts, axum::body::Body::from(bytes));
                from_query.or(from_body)
            }
        };
        if cross_site || given.as_deref() != Some(u.csrf.as_str()) {
            let (actor, addr, p) = (u.staff.id.clone(), address.clone(), path.clone());
            let _ = shop
                .run(move |app| app.audit_web(&actor, "web.csrf_refused", "page", &p, &addr, serde_json::json!({})))
                .await;
            return (
                StatusCode::FORBIDDEN,
                Html(views::plain_page(
                    "请求已过期 / request refused",
                    "页面已过期或来源不明，请刷新后重试。/ The page was stale or came from elsewhere: reload it and try again.",
                )),
            )
                .into_response();
        }
    }
    // An owner without a password sets one before anything else.
    if user.as_ref().is_some_and(|u| u.must_set_password) && !unsafe_method && path != "/password" {
        return Redirect::to("/password").into_response();
    }
    req.extensions_mut().insert(Ctx { user, token, address, hx, path });
    next.run(req).await
}

/// `key`'s value in an `application/x-www-form-urlencoded` body or query.
fn form_value(bytes: &[u8], key: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Headers every answer carries: nothing from elsewhere, no framing, no sniffing, no referrer.
async fn headers_layer(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Login { next } => {
                let to = format!("/login?next={}", views::url_encode(&next));
                let mut res = Redirect::to(&to).into_response();
                if let Ok(v) = HeaderValue::from_str(&to) {
                    res.headers_mut().insert("hx-redirect", v);
                }
                res
            }
            WebError::Forbidden(what) => (
                StatusCode::FORBIDDEN,
                Html(views::plain_page(
                    "无权限 / not allowed",
                    &format!("您的角色不能执行此操作：{what}。/ Your role may not do this."),
                )),
            )
                .into_response(),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                Html(views::plain_page("找不到 / not found", "没有这个页面或记录。/ No such page or record.")),
            )
                .into_response(),
            WebError::App(AppError::Store(crate::store::StoreError::NotFound { .. })) => {
                WebError::NotFound.into_response()
            }
            e => {
                tracing::error!(error = %e, "back office");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html(views::plain_page("出错了 / something went wrong", &e.to_string())),
                )
                    .into_response()
            }
        }
    }
}

/// The whole back office as one router (the tests serve it on a loopback port).
pub fn router(shop: Shared) -> Router {
    pages::routes()
        .merge(book::routes())
        .merge(checkout::routes())
        .merge(import::routes())
        .merge(reports::routes())
        .merge(shop::routes())
        .merge(campaigns::routes())
        .merge(staff::routes())
        .merge(stock::routes())
        .merge(membership::routes())
        .merge(setup::routes())
        .merge(texts::routes())
        .merge(assets::routes())
        .layer(axum::middleware::from_fn_with_state(shop.clone(), session_layer))
        .layer(axum::extract::DefaultBodyLimit::max(import::MAX_UPLOAD))
        .layer(axum::middleware::from_fn(headers_layer))
        .layer(axum::middleware::from_fn_with_state(shop.clone(), address_layer))
        .with_state(shop)
}

/// Serves the back office on `listener` until `shutdown` resolves.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    shop: Shared,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    axum::serve(listener, router(shop).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// `salonbox web`: serves on `[web] listen` until SIGTERM or Ctrl-C; `ready` is told the
/// address it listens on.
pub fn serve(
    config: Config,
    dir: &Path,
    clock: Arc<dyn Clock>,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), WebError> {
    let addr = config.web.listen;
    let shop = Arc::new(Shop::open(config, dir, clock)?);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| WebError::Listen { addr, source })?;
        let bound = listener.local_addr()?;
        tracing::info!(addr = %bound, "back office listening");
        ready(bound);
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        serve_on(listener, shop, shutdown_signal()).await
    })
}

/// SIGTERM (systemd) or Ctrl-C.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_shops_network_is_answered() {
        let ok = |s: &str| client_allowed(s.parse().unwrap(), &[]);
        assert!(ok("127.0.0.1") && ok("192.168.1.20") && ok("10.0.0.5") && ok("172.16.3.4") && ok("169.254.1.1"));
        assert!(ok("::1") && ok("fd12::1") && ok("fe80::1") && ok("::ffff:192.168.1.2"));
        assert!(!ok("8.8.8.8") && !ok("100.64.1.1") && !ok("2001:db8::1") && !ok("::ffff:1.2.3.4"));
        let vpn = [Cidr::parse("100.64.0.0/10").unwrap()];
        assert!(client_allowed("100.100.1.1".parse().unwrap(), &vpn));
        assert!(!client_allowed("100.128.0.1".parse().unwrap(), &vpn));
    }

    #[test]
    fn cookies_are_read_from_every_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; sb_session=abc"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "b"), None);
    }
}
