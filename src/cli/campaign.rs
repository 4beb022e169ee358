//! `salonbox campaign create|list|preview|start|report`: campaigns (营销活动).

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, Outcome, date, msg, print_json, print_rows, say, yuan};
use crate::app::App;
use crate::domain::campaign::{Audience, CampaignDef, Message, Offer};

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// 活动定义文件 / the definition file
    #[arg(long, conflicts_with = "name")]
    file: Option<PathBuf>,
    /// 活动名称 / name
    #[arg(long, required_unless_present = "file")]
    name: Option<String>,
    /// 结束日 / last day (2026-12-31)
    #[arg(long, required_unless_present = "file")]
    end: Option<String>,
    /// 消息内容（可用 {name} {shop} {coupon} {valid_to}）/ message text
    #[arg(long, required_unless_present = "file")]
    text: Option<String>,
    /// 赠送的优惠券模板 / the coupon template given
    #[arg(long)]
    coupon: Option<String>,
    /// 会员等级（可多次）/ tier (repeatable)
    #[arg(long)]
    tier: Vec<String>,
    /// 标签（可多次）/ tag (repeatable)
    #[arg(long)]
    tag: Vec<String>,
    /// 最近到店早于 / last visit before (date)
    #[arg(long)]
    last_visit_before: Option<String>,
    /// 最近到店不早于 / last visit on or after (date)
    #[arg(long)]
    last_visit_after: Option<String>,
    /// 累计消费至少 / lifetime spend at least (yuan)
    #[arg(long)]
    min_spend: Option<String>,
    /// 生日月份 / birthday month (1-12)
    #[arg(long)]
    birthday_month: Option<u32>,
    /// 做过的项目（可多次）/ service used (repeatable)
    #[arg(long)]
    service: Vec<String>,
    /// 对照组比例 / hold-out share, percent
    #[arg(long, default_value_t = 10)]
    holdout: u8,
    /// 每位顾客加入后计算效果的天数（默认到活动结束）/ days after joining that count (default: until the end)
    #[arg(long)]
    effect_days: Option<u32>,
    /// 阿里云短信模板 / Aliyun SMS template code
    #[arg(long)]
    aliyun: Option<String>,
    /// 腾讯云短信模板 / Tencent SMS template id
    #[arg(long)]
    tencent: Option<String>,
    /// 微信模板 / WeChat template id
    #[arg(long)]
    wechat: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CampaignCmd {
    /// 新建活动：从 TOML 文件（见 config/campaigns/）或用参数 / define a campaign from a TOML file (see config/campaigns/) or flags
    Create(Box<CreateArgs>),
    /// 活动列表 / every campaign
    List {
        #[arg(long)]
        json: bool,
    },
    /// 预览：人数和示例消息 / audience size and sample messages
    Preview {
        name: String,
        #[arg(long, default_value_t = 3)]
        samples: usize,
        #[arg(long)]
        json: bool,
    },
    /// 开始：发券并把消息排入发送队列 / start: issue the coupons and queue the messages
    Start { name: String },
    /// 效果报告（对比对照组）/ the effect, against the hold-out group
    Report {
        name: String,
        /// text、csv、xlsx 或 json
        #[arg(long, value_enum, default_value = "text")]
        format: super::report::Format_,
        /// 输出文件（xlsx 必填，csv 默认标准输出）/ output file (needed for xlsx; csv defaults to stdout)
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// A definition from its file: TOML errors name the line and the key.
fn from_file(path: &std::path::Path) -> Result<CampaignDef, CliError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| CliError::Usage(msg::read_file_failed(path, &e.to_string())))?;
    toml::from_str(&text).map_err(|e| CliError::Usage(msg::campaign_file_invalid(path, &e.to_string())))
}

pub fn campaign(app: &mut App, cmd: CampaignCmd) -> Result<Outcome, CliError> {
    let tz = app.tz();
    match cmd {
        CampaignCmd::Create(args) => {
            let CreateArgs {
                file,
                name,
                end,
                text,
                coupon,
                tier,
                tag,
                last_visit_before,
                last_visit_after,
                min_spend,
                birthday_month,
                service,
                holdout,
                effect_days,
                aliyun,
                tencent,
                wechat,
            } = *args;
            let def = match file {
                Some(f) => from_file(&f)?,
                None => CampaignDef {
                    name: name.unwrap_or_default(),
                    end: date("--end", end.as_deref().unwrap_or_default())?,
                    send_from: None,
                    send_until: None,
                    holdout_percent: holdout,
                    effect_days,
                    audience: Audience {
                        tiers: tier,
                        tags: tag,
                        last_visit_before: last_visit_before.map(|d| date("--last-visit-before", &d)).transpose()?,
                        last_visit_after: last_visit_after.map(|d| date("--last-visit-after", &d)).transpose()?,
                        min_lifetime_spend: min_spend.map(|s| yuan("--min-spend", &s)).transpose()?,
                        birthday_month,
                        services_used: service,
                    },
                    offer: Offer { coupon },
                    message: Message { text: text.unwrap_or_default(), aliyun, tencent, wechat },
                },
            };
            let row = app.campaign_create(&def, "cli")?;
            say(&msg::campaign_created(&row.name))?;
        }
        CampaignCmd::List { json } => {
            let rows = app.campaigns()?;
            print_rows(
                json,
                &rows,
                ["活动 campaign", "类型 kind", "状态 status", "开始 started", "结束 ends"],
                |c| {
                    [
                        c.name.clone(),
                        c.kind.clone(),
                        c.status.clone(),
                        c.started_at.map(|t| crate::domain::time::local_dt(t, tz)).unwrap_or_default(),
                        c.ends_at.map(|t| crate::domain::time::local_dt(t, tz)).unwrap_or_default(),
                    ]
                },
            )?;
        }
        CampaignCmd::Preview { name, samples, json } => {
            let p = app.campaign_preview(&name, samples)?;
            if json {
                print_json(&p)?;
            } else {
                say(&msg::campaign_preview(&p.name, p.audience, p.target, p.holdout))?;
                for (to, text) in &p.samples {
                    say(&format!("  {to}：{text}"))?;
                }
            }
        }
        CampaignCmd::Start { name } => {
            let s = app.campaign_start(&name, "cli")?;
            say(&msg::campaign_started(&s.name, s.target, s.holdout, s.messages, s.coupons, s.skipped))?;
        }
        CampaignCmd::Report { name, format, output } => {
            let r = app.campaign_report(&name)?;
            super::report::write(&r, &r.sections(), format, output)?;
        }
    }
    Ok(Outcome::Ok)
}
