//! `salonbox customer`: register, find, show, edit, member cards, notes, delete.

use super::*;

#[derive(Debug, Args)]
pub struct CustomerFields {
    /// 姓名 / name
    #[arg(long)]
    name: Option<String>,
    /// 手机号 / mobile number
    #[arg(long)]
    phone: Option<String>,
    /// 女/男 female/male
    #[arg(long)]
    gender: Option<String>,
    /// 1990-05-02
    #[arg(long)]
    birthday: Option<String>,
    /// 从标准输入读取身份证号（不要写在命令行上）/ read the ID card number from standard input
    #[arg(long)]
    id_card_stdin: bool,
    /// 会员等级（普通/银卡/金卡/钻石）/ membership tier
    #[arg(long)]
    tier: Option<String>,
    /// 肤质 / skin type
    #[arg(long)]
    skin_type: Option<String>,
    /// 皮肤问题，逗号分隔 / skin concerns, comma separated
    #[arg(long)]
    concerns: Option<String>,
    /// 过敏史 / allergies
    #[arg(long)]
    allergies: Option<String>,
    /// 禁忌症 / contraindications
    #[arg(long)]
    contraindications: Option<String>,
    /// 备注 / notes
    #[arg(long)]
    notes: Option<String>,
    /// 推荐人（手机号或会员号）/ who recommended the customer (phone or member code)
    #[arg(long)]
    referred_by: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CustomerCmd {
    /// 绑定或解绑会员卡（读卡器读到的卡号）/ link or unlink a member card (the number its reader sends)
    Card {
        /// 手机号、会员号或编号 / phone, member code or id
        key: String,
        /// 卡号 / card number
        card_no: String,
        /// 解绑 / unlink
        #[arg(long)]
        remove: bool,
    },
    /// 记一笔互动：投诉、备注、回访电话 / record a complaint, note or call against a customer
    Note {
        /// 手机号、会员号或编号 / phone, member code or id
        key: String,
        /// 内容 / what happened
        text: String,
        /// complaint（投诉）、note（备注）、call（电话）
        #[arg(long, default_value = "note")]
        kind: String,
    },
    /// 顾客的互动记录（投诉、备注、电话、差评）/ a customer's record of complaints, notes, calls, low ratings
    Notes {
        key: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 应顾客要求删除其个人资料（保留匿名消费记录）/ delete a customer's personal data at their request (anonymous accounts stay)
    Delete {
        /// 手机号、会员号或编号 / phone, member code or id
        key: String,
        /// 确认删除（不可撤销）/ confirm: this cannot be undone
        #[arg(long)]
        yes: bool,
    },
    /// 登记顾客（须已告知隐私政策）/ register a customer (privacy notice given)
    Add {
        #[command(flatten)]
        fields: CustomerFields,
        /// 顾客同意接收营销信息 / the customer agrees to marketing messages
        #[arg(long)]
        marketing: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 列出顾客 / list customers
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 按姓名、手机号或会员号查找 / find by name, phone or member code
    Find {
        /// 姓名、手机号或会员号的一部分 / part of a name, phone number or member code
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 查看顾客（手机号、会员号或编号）/ show a customer (phone, member code or id)
    Show {
        /// 手机号、会员号或编号 / phone number, member code or id
        key: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 修改顾客 / edit a customer
    Edit {
        /// 手机号、会员号或编号 / phone number, member code or id
        key: String,
        #[command(flatten)]
        fields: CustomerFields,
        /// 营销同意：yes/no / marketing consent: yes/no
        #[arg(long)]
        marketing: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn registration(fields: &CustomerFields, source: &str) -> Result<Registration, CliError> {
    let id_number = if fields.id_card_stdin { Some(read_secret_line(msg::id_card_prompt())?) } else { None };
    Ok(Registration {
        name: fields.name.clone().unwrap_or_default(),
        phone: fields.phone.clone().unwrap_or_default(),
        gender: fields.gender.clone(),
        birthday: fields.birthday.clone(),
        id_number,
        id_card_key: None,
        skin_type: fields.skin_type.clone(),
        skin_concerns: split_list(fields.concerns.as_deref()),
        allergies: fields.allergies.clone().unwrap_or_default(),
        contraindications: fields.contraindications.clone().unwrap_or_default(),
        notes: fields.notes.clone().unwrap_or_default(),
        tier: fields.tier.clone(),
        privacy_notice: None,
        marketing_consent: false,
        source: source.into(),
        referred_by: fields.referred_by.clone(),
    })
}

pub(super) fn split_list(s: Option<&str>) -> Vec<String> {
    s.map(|s| s.split([',', '，', '、']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default()
}

pub(super) fn patch(app: &App, f: &CustomerFields, marketing: Option<&str>) -> Result<CustomerPatch, CliError> {
    let field_err = |field: &str, m: String| CliError::App(AppError::input(field, m));
    Ok(CustomerPatch {
        name: f.name.clone(),
        phone: f
            .phone
            .as_deref()
            .map(Phone::parse)
            .transpose()
            .map_err(|e| field_err("手机号 phone", e.to_string()))?,
        gender: f.gender.as_deref().map(parse_gender).transpose().map_err(|m| field_err("性别 gender", m))?,
        birthday: f.birthday.as_deref().map(parse_birthday).transpose().map_err(|m| field_err("生日 birthday", m))?,
        id_card: if f.id_card_stdin { Some(app.id_card_key(&read_secret_line(msg::id_card_prompt())?)?) } else { None },
        tier: f.tier.clone(),
        skin_type: f.skin_type.clone(),
        skin_concerns: f.concerns.as_deref().map(|c| split_list(Some(c))),
        allergies: f.allergies.clone(),
        contraindications: f.contraindications.clone(),
        tags: None,
        notes: f.notes.clone(),
        marketing_consent: match marketing.map(|m| m.trim().to_lowercase()) {
            None => None,
            Some(m) if ["yes", "y", "true", "1", "是", "同意"].contains(&m.as_str()) => Some(true),
            Some(m) if ["no", "n", "false", "0", "否", "不同意"].contains(&m.as_str()) => Some(false),
            Some(m) => {
                return Err(field_err(
                    "营销同意 marketing",
                    format!("应为 yes 或 no / expected yes or no, got \"{m}\""),
                ));
            }
        },
    })
}

pub(super) fn print_customers(cs: &[Customer], json: bool) -> Result<(), CliError> {
    if cs.is_empty() && !json {
        return say(msg::no_customers());
    }
    print_rows(json, cs, msg::headers_customers(), |c| {
        [
            c.member_code.clone(),
            c.name.clone(),
            c.phone.as_ref().map(Phone::to_string).unwrap_or_default(),
            msg::gender_label(c.gender).to_string(),
            c.birthday.map(|b| b.to_string()).unwrap_or_default(),
            c.tier.clone().unwrap_or_default(),
            c.id.clone(),
        ]
    })
}

#[derive(Serialize)]
struct CustomerDetail<'a> {
    #[serde(flatten)]
    customer: &'a Customer,
    #[serde(flatten)]
    summary: &'a CustomerSummary,
    membership: &'a crate::app::membership::MembershipSummary,
    referrals: &'a crate::app::rules::Referrals,
}

pub(super) fn show_customer(app: &mut App, c: &Customer, json: bool) -> Result<(), CliError> {
    let summary = app.customer_summary(&c.id)?;
    let m = app.membership(&c.id)?;
    let referrals = app.referrals(&c.id)?;
    if json {
        return print_json(&CustomerDetail { customer: c, summary: &summary, membership: &m, referrals: &referrals });
    }
    let (visits, spent, last, points) =
        (summary.visits, summary.total_spent.to_string(), summary.last_visit_at, m.points);
    let tz = app.tz();
    let lines = [
        ("姓名 Name", c.name.clone()),
        ("会员号 Member code", c.member_code.clone()),
        ("手机 Phone", c.phone.as_ref().map(Phone::to_string).unwrap_or_default()),
        ("性别 Gender", msg::gender_label(c.gender).into()),
        ("生日 Birthday", c.birthday.map(|b| b.to_string()).unwrap_or_default()),
        ("身份证 ID card", c.id_card_masked.clone().unwrap_or_default()),
        ("等级 Tier", c.tier.clone().unwrap_or_default()),
        ("肤质 Skin type", c.skin_type.clone().unwrap_or_default()),
        ("皮肤问题 Concerns", c.skin_concerns.join("、")),
        ("过敏 Allergies", c.allergies.clone()),
        ("禁忌 Contraindications", c.contraindications.clone()),
        ("备注 Notes", c.notes.clone()),
        ("营销同意 Marketing", msg::yes_no(c.marketing_consent).into()),
        ("推荐人 Referred by", referrals.referrer.as_ref().map(|(_, name)| name.clone()).unwrap_or_default()),
        (
            "推荐了 Recommended",
            referrals
                .referred
                .iter()
                .map(|(_, name, points)| match points {
                    Some(p) => format!("{name}（+{p}）"),
                    None => format!("{name}（待首次消费 no paid visit yet）"),
                })
                .collect::<Vec<_>>()
                .join("、"),
        ),
        ("消费次数 Visits", visits.to_string()),
        ("累计消费 Spent", format!("¥{spent}")),
        ("最近到店 Last visit", last.map(|t| local_dt(t, tz)).unwrap_or_default()),
        ("积分 Points", points.to_string()),
        (
            "储值 Stored value",
            format!(
                "¥{}（本金 principal ¥{}，赠送 bonus ¥{}）",
                m.stored_value_principal + m.stored_value_bonus,
                m.stored_value_principal,
                m.stored_value_bonus
            ),
        ),
        (
            "疗程卡/套餐 Courses, packages",
            m.courses
                .iter()
                .map(|k| {
                    let until = k.valid_until.map(|u| format!(" → {}", local_dt(u, tz))).unwrap_or_default();
                    format!("{} {}/{}{until}", k.label(), k.sessions_left, k.sessions_total)
                })
                .collect::<Vec<_>>()
                .join("；"),
        ),
        (
            "优惠券 Coupons",
            m.coupons.iter().map(|k| format!("{} {}", k.coupon.code, k.coupon.name)).collect::<Vec<_>>().join("；"),
        ),
        ("编号 Id", c.id.clone()),
    ];
    let mut rows: Vec<[String; 2]> = lines.into_iter().map(|(k, v)| [k.to_string(), v]).collect();
    // one row per recent visit, under the last visit
    let at = rows.iter().position(|r| r[0] == "最近到店 Last visit").map_or(rows.len(), |i| i + 1);
    for (i, v) in summary.recent.iter().enumerate() {
        let label = if i == 0 { "最近消费 Recent" } else { "" };
        rows.insert(at + i, [label.to_string(), format!("{} {} {}", local_dt(v.at, tz), msg::yuan(v.total), v.items)]);
    }
    let t = table::render(["", ""], &rows);
    say(t.trim_start_matches('\n').trim_end())
}

pub(super) fn customer(app: &mut App, c: CustomerCmd) -> Result<Outcome, CliError> {
    match c {
        CustomerCmd::Add { fields, marketing, json } => {
            let mut r = registration(&fields, "cli")?;
            r.marketing_consent = marketing;
            r.privacy_notice = Some(app.privacy_notice()?.0);
            let c = app.register(&r)?;
            if json { print_json(&c)? } else { say(&msg::customer_added(&c.name, &c.member_code))? }
        }
        CustomerCmd::List { limit, offset, json } => {
            let cs = app.list_customers(limit, offset)?;
            print_customers(&cs, json)?;
        }
        CustomerCmd::Find { query, limit, json } => {
            let cs = app.find_customers(&query, limit)?;
            print_customers(&cs, json)?;
        }
        CustomerCmd::Show { key, json } => {
            let c = app.customer_by_key(&key)?;
            show_customer(app, &c, json)?;
        }
        CustomerCmd::Card { key, card_no, remove } => {
            let c = app.member_card(&key, &card_no, remove, "cli")?;
            say(&msg::member_card(&c.name, &card_no, remove))?;
        }
        CustomerCmd::Note { key, text, kind } => {
            let name = app.add_interaction(&key, &kind, &text, "cli")?;
            say(&msg::note_recorded(&name))?;
        }
        CustomerCmd::Notes { key, json } => {
            let tz = app.tz();
            let list = app.interactions(&key, 100)?;
            print_rows(json, &list, msg::headers_interactions(), |i| {
                [crate::domain::time::local_dt(i.at, tz), i.kind.clone(), i.text.clone(), i.actor.clone()]
            })?;
        }
        CustomerCmd::Delete { key, yes } => {
            if !yes {
                let c = app.customer_by_key(&key)?;
                say(&msg::customer_delete_confirm(&c.name, &c.member_code, &key))?;
                return Ok(Outcome::Problems);
            }
            let (c, cancelled) = app.delete_customer(&key, "cli")?;
            say(&msg::customer_deleted(&c.name, &c.member_code, cancelled))?;
        }
        CustomerCmd::Edit { key, fields, marketing, json } => {
            let p = patch(app, &fields, marketing.as_deref())?;
            let mut c = app.edit_customer(&key, p, "cli")?;
            if let Some(r) = fields.referred_by.as_deref().filter(|r| !r.trim().is_empty()) {
                c = app.set_referrer(&c.id, r, "cli")?;
            }
            if json { print_json(&c)? } else { say(&msg::customer_updated(&c.name))? }
        }
    }
    Ok(Outcome::Ok)
}
