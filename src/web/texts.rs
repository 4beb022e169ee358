//! A message template's text, changed by the owner: the placeholders it may use, a preview
//! with made-up values, save (checked and audited in `app::notify`) or back to the default.
//! The providers' template codes stay in the configuration file and are shown read-only.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};

use super::views::{Layout, Sent};
use super::{Ctx, Shared, WebError};
use crate::app::AppError;
use crate::domain::access::Permission;
use crate::domain::messages::Kind;

type Page = Result<Response, WebError>;

pub fn routes() -> Router<Shared> {
    Router::new().route("/messages/templates/{name}", get(edit).post(save))
}

pub fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Transactional => "服务 service",
        Kind::Marketing => "营销 marketing",
        Kind::Staff => "员工 staff",
    }
}

#[derive(Template)]
#[template(path = "template_edit.html")]
struct EditPage {
    layout: Layout,
    name: String,
    label: &'static str,
    kind: &'static str,
    marketing: bool,
    text: String,
    default: String,
    allowed: Vec<String>,
    preview: String,
    providers: Vec<(&'static str, String)>,
    config_path: String,
    error: Option<String>,
}

async fn page(shop: &Shared, ctx: &Ctx, name: &str, text: Option<String>, error: Option<String>) -> Page {
    let user = ctx.require(shop, Permission::Setup).await?.clone();
    let tz = shop.config().shop.time_zone;
    let key = name.to_string();
    let (view, now) = shop
        .run(move |app| {
            let t = app.message_templates()?.into_iter().find(|t| t.name == key && t.name != "campaign");
            Ok((t, app.now()))
        })
        .await?;
    let Some(t) = view else { return Err(WebError::NotFound) };
    let text = text.unwrap_or_else(|| t.in_force.clone());
    let (tpl, shown) = (t.name.clone(), text.clone());
    let preview = shop.run(move |app| Ok(app.template_preview(&tpl, &shown))).await?;
    let p = &t.providers;
    let providers =
        [("阿里云 Aliyun", p.aliyun.clone()), ("腾讯云 Tencent", p.tencent.clone()), ("微信 WeChat", p.wechat.clone())]
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_else(|| "未配置 not set".into())))
            .collect();
    let page = EditPage {
        layout: Layout::new("消息模板 Template", "/messages", &user, &shop.config().shop.name, now, tz),
        label: t.label,
        kind: kind_label(t.kind),
        marketing: t.kind == Kind::Marketing,
        text,
        default: t.default.clone(),
        allowed: t.allowed.iter().map(|a| format!("{{{a}}}")).collect(),
        preview,
        providers,
        config_path: crate::config::SYSTEM_CONFIG.to_string(),
        name: t.name,
        error,
    };
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

async fn edit(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(name): Path<String>) -> Page {
    page(&shop, &ctx, &name, None, None).await
}

/// `action`: `preview` shows the text filled in, `default` goes back to the default,
/// anything else saves.
async fn save(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Path(name): Path<String>,
    Form(s): Form<Sent>,
) -> Page {
    let user = ctx.require(&shop, Permission::Setup).await?.clone();
    let text = s.get("text").to_string();
    if s.get("action") == "preview" {
        return page(&shop, &ctx, &name, Some(text), None).await;
    }
    let (key, actor) = (name.clone(), format!("web:{}", user.staff.id));
    let back_to_default = s.get("action") == "default";
    let typed = text.clone();
    match shop.run(move |app| app.set_template_text(&key, (!back_to_default).then_some(typed.as_str()), &actor)).await {
        Ok(()) => Ok(Redirect::to(&format!("/messages?done=template#template-{name}")).into_response()),
        Err(WebError::App(e @ AppError::Input { .. })) => {
            page(&shop, &ctx, &name, Some(text), Some(e.to_string())).await
        }
        Err(e) => Err(e),
    }
}
