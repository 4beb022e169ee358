//! Every message the command line prints, in one place: Simplified Chinese first, English
//! second. Error texts come from the library's error types, written the same way.

use std::path::Path;

pub const ERROR_PREFIX: &str = "错误 / error";

pub fn initialised(dir: &Path, created_key: bool, version: i64) -> String {
    let key = if created_key {
        "已创建设备密钥 / device key created"
    } else {
        "设备密钥已存在 / device key kept"
    };
    format!(
        "已初始化数据目录 / initialised data directory: {}\n{key}; 数据库版本 / schema version {version}",
        dir.display()
    )
}

pub fn owner_created(name: &str) -> String {
    format!("店主 {name} 可以用密码登录后台了 / the owner {name} can log in to the back office with her password")
}

pub fn owner_on_first_visit() -> &'static str {
    "店主在第一次打开后台（http://<本机>:8080）时设置密码，或运行 salonbox init --owner 姓名 / \
     the owner sets her password at the back office's first visit (http://<this machine>:8080), or run salonbox init --owner NAME"
}

pub fn customer_added(name: &str, code: &str) -> String {
    format!("已登记顾客 / customer registered: {name}（会员号 / member code {code}）")
}

pub fn customer_delete_confirm(name: &str, code: &str, key: &str) -> String {
    format!(
        "将删除 {name}（{code}）的个人资料：姓名、手机、生日、身份证摘要、皮肤与健康备注、会员卡、护理记录；消费记录匿名保留。确认请运行 / this deletes {name}'s ({code}) personal data, keeping the accounts anonymous. To confirm: salonbox customer delete {key} --yes"
    )
}

pub fn customer_deleted(name: &str, code: &str, cancelled: usize) -> String {
    format!(
        "已删除 {name}（{code}）的个人资料，取消未来预约 {cancelled} 个 / deleted {name}'s ({code}) personal data; {cancelled} future bookings cancelled"
    )
}

pub fn customer_updated(name: &str) -> String {
    format!("已更新顾客 / customer updated: {name}")
}

pub fn no_customers() -> &'static str {
    "没有找到顾客 / no customers found"
}

pub fn staff_added(name: &str, role: &str) -> String {
    format!("已添加员工 / staff added: {name}（{role}）")
}

pub fn shift_added(name: &str, span: &str) -> String {
    format!("已排班 / shift added: {name} {span}")
}

pub fn service_added(name: &str, price: &str, minutes: u32) -> String {
    format!("已添加服务 / service added: {name} ¥{price} {minutes} 分钟 / min")
}

pub fn resource_added(name: &str) -> String {
    format!("已添加房间/设备 / room or device added: {name}")
}

pub fn booked(id: &str, when: &str, service: &str, staff: Option<&str>) -> String {
    let staff = staff.map(|s| format!("，美容师 / beautician {s}")).unwrap_or_default();
    format!("已预约 / booked: {when} {service}{staff}\n预约编号 / appointment id: {id}")
}

pub fn cancelled(id: &str) -> String {
    format!("已取消预约 / appointment cancelled: {id}")
}

pub fn checked_in(greeting: &str, ticket: &str, already: bool) -> String {
    if already {
        format!("{greeting}，您今天已签到 / already checked in today — 排队号 / ticket {ticket}")
    } else {
        format!("{greeting}，签到成功 / checked in — 排队号 / ticket {ticket}")
    }
}

pub fn wait(ahead: usize, minutes: Option<i64>) -> String {
    match minutes {
        Some(0) if ahead == 0 => "无需等候，马上为您服务 / no wait: you are next".to_string(),
        Some(0) => format!("前面还有 {ahead} 位，马上为您服务 / {ahead} ahead, served right away"),
        Some(m) => format!("前面还有 {ahead} 位，预计等候约 {m} 分钟 / {ahead} ahead, about {m} min"),
        None => format!("前面还有 {ahead} 位，暂无法估计等候时间 / {ahead} ahead, no estimate (nobody on shift)"),
    }
}

pub fn queue_moved(ticket: &str, status_zh: &str, status: &str) -> String {
    format!("{ticket} → {status_zh} / {status}")
}

pub fn queue_empty() -> &'static str {
    "当前没有排队 / the queue is empty"
}

pub fn backup_done(path: &Path, bytes: u64, customers: i64) -> String {
    format!(
        "备份完成并已校验 / backup written and verified: {}（{bytes} 字节 / bytes，{customers} 位顾客 / customers）",
        path.display()
    )
}

pub fn backups_listed(list: &[crate::app::restore::Listed], tz: chrono_tz::Tz) -> String {
    if list.is_empty() {
        return "没有备份 / no backups".into();
    }
    let rows: Vec<[String; 4]> = list
        .iter()
        .map(|b| {
            [
                b.at.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
                b.customers.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                match &b.problem {
                    None => "可用 / usable".to_string(),
                    Some(p) => p.clone(),
                },
                b.path.display().to_string(),
            ]
        })
        .collect();
    format!(
        "{}\n恢复其中一份 / restore one: salonbox restore FILE",
        super::table::render(["时间 Time", "顾客 Customers", "检查 Check", "文件 File"], &rows).trim_end()
    )
}

pub fn restored(r: &crate::app::restore::RestoreReport) -> String {
    use crate::app::restore::KeyMatch;
    let mut lines = vec![format!(
        "已从备份恢复 / restored from the backup: {}（{} 位顾客 / customers，数据库版本 / schema {} → {}）",
        r.from.display(),
        r.customers,
        r.backup_schema,
        r.schema_version
    )];
    lines.push(if r.previous_broken {
        format!(
            "原数据库无法打开，已原样移到 / the old database could not be opened and was moved to: {}",
            r.previous.display()
        )
    } else {
        format!("原数据库已备份到 / the replaced database was backed up to: {}", r.previous.display())
    });
    match r.key {
        KeyMatch::Same => {}
        KeyMatch::Unknown => lines.push(
            "备份未记录设备密钥，无法核对；若身份证签到认不出老顾客，请复制原来的 device.key / the backup does not record its device key: if ID cards no longer find customers, copy the shop's old device.key"
                .into(),
        ),
        KeyMatch::Different => lines.push(
            "备份用的是另一把设备密钥：老顾客需重新刷身份证登记 / the backup was made with another device key: customers must register their ID cards again"
                .into(),
        ),
    }
    lines.push("请再启动服务 / start the services again: sudo systemctl start salonbox-daemon salonbox-kiosk".into());
    lines.join("\n")
}

pub fn import_bad_row(row: usize, reason: &str) -> String {
    format!("  第 {row} 行 / row {row}: {reason}")
}

pub fn import_summary(rows: usize, created: usize, merged: usize, bad: usize, imported: bool, dry_run: bool) -> String {
    let verdict = if dry_run {
        "试运行，未写入 / dry run, nothing written"
    } else if imported {
        "已导入 / imported"
    } else {
        "有错误，未导入任何数据（修正后重试，或用 --force-partial 只导入正确的行）/ errors found, nothing imported (fix them, or use --force-partial to import only the good rows)"
    };
    format!("{rows} 行 / rows: 新建 / new {created}，合并 / merged {merged}，错误 / bad {bad} — {verdict}")
}

pub fn import_encoding(enc: &str) -> String {
    format!("文件编码 / encoding: {enc}")
}

pub fn import_ignored(cols: &str) -> String {
    format!("忽略的列 / ignored columns: {cols}")
}

pub fn demo_seeded(staff: i64, services: i64, customers: i64, visits: i64, appointments: i64) -> String {
    format!(
        "演示数据已生成 / demo data seeded: 员工 staff {staff}，服务 services {services}，顾客 customers {customers}，消费记录 visits {visits}，预约 appointments {appointments}"
    )
}

pub fn demo_dir(dir: &Path) -> String {
    format!(
        "演示店铺数据目录 / demo shop data directory: {}\n可继续使用 / explore further with: salonbox --data-dir {} queue",
        dir.display(),
        dir.display()
    )
}

pub fn id_card_prompt() -> &'static str {
    "请输入身份证号（不会回显保存）/ enter the ID card number (it is never stored): "
}

pub fn headers_customers() -> [&'static str; 7] {
    ["会员号 Code", "姓名 Name", "手机 Phone", "性别 Gender", "生日 Birthday", "等级 Tier", "编号 Id"]
}

pub fn headers_services() -> [&'static str; 5] {
    ["名称 Name", "类别 Category", "时长 Min", "价格 Price", "编号 Id"]
}

pub fn headers_staff() -> [&'static str; 5] {
    ["姓名 Name", "角色 Role", "手机 Phone", "在职 Active", "编号 Id"]
}

pub fn headers_appointments() -> [&'static str; 6] {
    ["时间 Time", "顾客 Customer", "服务 Service", "美容师 Staff", "状态 Status", "编号 Id"]
}

pub fn headers_queue() -> [&'static str; 7] {
    ["号码 Ticket", "顾客 Customer", "服务 Service", "美容师 Staff", "状态 Status", "前面 Ahead", "预计 Est."]
}

pub fn headers_shifts() -> [&'static str; 3] {
    ["员工 Staff", "班次 Shift", "编号 Id"]
}

pub fn yes_no(b: bool) -> &'static str {
    if b { "是 yes" } else { "否 no" }
}

pub fn gender_label(g: crate::domain::customer::Gender) -> &'static str {
    match g {
        crate::domain::customer::Gender::Female => "女",
        crate::domain::customer::Gender::Male => "男",
        crate::domain::customer::Gender::Unknown => "-",
    }
}

pub fn not_a_number(field: &str, value: &str) -> String {
    format!("{field}：不是数字 \"{value}\" / {field}: not a number \"{value}\"")
}

pub fn bad_tender(value: &str) -> String {
    format!(
        "支付应写成 方式=金额，方式为 cash/wechat/alipay/card（现金/微信/支付宝/银行卡），收到 \"{value}\" / a payment is METHOD=AMOUNT with METHOD cash, wechat, alipay or card, got \"{value}\""
    )
}

pub fn bad_item(value: &str) -> String {
    format!(
        "项目应写成 名称[*数量][@员工[:分成%],…]，收到 \"{value}\" / an item is NAME[*QTY][@STAFF[:SHARE%],...], got \"{value}\""
    )
}

pub fn bad_pair(field: &str, value: &str) -> String {
    format!("{field}：无法识别 \"{value}\" / {field}: cannot read \"{value}\"")
}

pub fn rebate_kind_needed() -> String {
    "请给出一种返点：--category 与 --percent、--threshold 与 --percent、--first-visit 或 --birthday-month / give one kind of rebate: --category with --percent, --threshold with --percent, --first-visit or --birthday-month".into()
}

pub fn coupon_kind_needed() -> String {
    "请给出一种优惠：--amount-off、--percent-off 或 --free-service / give one kind of offer: --amount-off, --percent-off or --free-service".into()
}

pub fn rule_saved(name: &str) -> String {
    format!("已保存 / saved: {name}")
}

pub fn coupon_issued(code: &str) -> String {
    format!("已发放优惠券 / coupon issued: {code}")
}

pub fn product_added(name: &str, price: &str) -> String {
    format!("已添加商品 / product added: {name} ¥{price}")
}

pub fn course_sold(service: &str, sessions: u32, id: &str) -> String {
    format!("已售出疗程卡 / course sold: {service} {sessions} 次 / sessions（编号 / id {id}）")
}

pub fn package_added(p: &crate::store::Package) -> String {
    format!(
        "已新建套餐 / package added: {} ¥{}（{}；单买合计 / one by one ¥{}）",
        p.name,
        p.price,
        p.items_text(),
        p.list_value()
    )
}

pub fn headers_packages() -> [&'static str; 6] {
    ["名称 Name", "价格 Price", "项目 Items", "有效期 Valid", "已售 Sold", "状态 State"]
}

pub fn package_retired(name: &str) -> String {
    format!("已下架 / off the list: {name}（已售出的照常使用 / those sold stay valid）")
}

pub fn package_sold(s: &crate::app::packages::PackageSale, tz: chrono_tz::Tz) -> String {
    let until = s.valid_until.map_or_else(
        || "长期有效 / no end".to_string(),
        |u| format!("有效期至 / valid until {}", crate::domain::time::local_dt(u, tz)),
    );
    let items =
        s.items.iter().map(|i| format!("{}×{}", i.service_name, i.sessions_total)).collect::<Vec<_>>().join("、");
    format!("已售出套餐 / package sold: {} ¥{}（{items}；{until}；消费 / visit {}）", s.name, s.price, s.visit_id)
}

pub fn sessions_left(left: i64) -> String {
    format!("剩余 {left} 次 / {left} left")
}

pub fn voided(id: &str, reversal: &str) -> String {
    format!("已撤销 / voided: {id}（冲回记录 / reversal {reversal}）")
}

pub fn topped_up(
    principal: rust_decimal::Decimal,
    bonus: rust_decimal::Decimal,
    p: rust_decimal::Decimal,
    b: rust_decimal::Decimal,
) -> String {
    format!(
        "已充值 / topped up: {}，赠送 / bonus {}\n储值余额 / balance: 本金 principal {}，赠送 bonus {}",
        yuan(principal),
        yuan(bonus),
        yuan(p),
        yuan(b)
    )
}

pub fn refunded(amount: rust_decimal::Decimal) -> String {
    format!("已退卡，退还本金 / card refunded, principal paid back: {}（赠送金额作废 / bonus forfeited）", yuan(amount))
}

pub fn headers_receipt() -> [&'static str; 5] {
    ["项目 Item", "数量 Qty", "单价 Price", "金额 Amount", "员工 Staff"]
}

pub fn headers_tiers() -> [&'static str; 7] {
    ["序号 Rank", "等级 Tier", "消费门槛 Spend", "积分门槛 Points", "周期天 Days", "积分倍数 ×", "折扣 Discounts"]
}

pub fn rule_change_outcome(what: &str, out: &crate::app::rules::ChangeOutcome) -> String {
    match out {
        crate::app::rules::ChangeOutcome::Applied(_) => format!("已生效 / in force: {what}"),
        crate::app::rules::ChangeOutcome::Scheduled { id, effective_on } => {
            format!("{effective_on} 起生效 / from {effective_on}: {what}（{id}）")
        }
    }
}

pub fn headers_rule_changes() -> [&'static str; 6] {
    ["生效日 From", "变更 Change", "状态 State", "操作人 By", "录入 Entered", "编号 Id"]
}

pub fn headers_rebates() -> [&'static str; 4] {
    ["名称 Name", "规则 Rule", "返到 Credit", "编号 Id"]
}

pub fn headers_products() -> [&'static str; 5] {
    ["编码 SKU", "名称 Name", "类别 Category", "价格 Price", "编号 Id"]
}

pub fn rebate_kind(k: &crate::domain::checkout::RebateKind) -> String {
    k.describe()
}

/// `¥128.00`: money as receipts show it.
pub fn yuan(d: rust_decimal::Decimal) -> String {
    crate::domain::money::show_yuan(d)
}

pub fn visit_id(id: &str) -> String {
    format!("消费编号 / visit id: {id}")
}

pub fn no_display() -> String {
    "没有显示器：设置 DISPLAY（桌面）或 SLINT_BACKEND=linuxkms（树莓派控制台）/ no display: set DISPLAY (desktop) or SLINT_BACKEND=linuxkms (a Pi's console)".into()
}

pub fn no_kiosk_feature() -> String {
    "此版本未包含自助机界面（kiosk 功能）/ this build has no kiosk (the kiosk feature is off)".into()
}

pub fn demo_dir_removed(dir: &Path) -> String {
    format!(
        "演示店铺 {} 在演示结束时删除；要保留请加 --keep / the demo shop {} is removed when the demo ends; add --keep to keep it",
        dir.display(),
        dir.display()
    )
}

pub fn demo_no_display() -> &'static str {
    "没有显示器，改为无界面播放演示早晨 / no display: playing the scripted morning headlessly"
}

pub fn demo_window(dir: &Path, keep: bool) -> String {
    format!(
        "自助机窗口已打开；F1 模拟刷身份证，F2 模拟扫会员码 / the kiosk window is open; F1 simulates an ID card, F2 a member QR code\n{}",
        if keep { demo_dir(dir) } else { demo_dir_removed(dir) }
    )
}

pub fn demo_kiosk_ticket(who: &str, ticket: &str) -> String {
    format!("自助机 kiosk: {who} — {ticket}")
}

pub fn demo_screens(n: usize, dir: &Path, tickets: &Path) -> String {
    format!(
        "{n} 个画面已保存到 {} ，打印的小票见 {} / {n} screens saved in {}, the printed tickets in {}",
        dir.display(),
        tickets.display(),
        dir.display(),
        tickets.display()
    )
}

pub fn member_card(name: &str, card: &str, removed: bool) -> String {
    if removed {
        format!("已解绑 {name} 的会员卡 {card} / card {card} unlinked from {name}")
    } else {
        format!("会员卡 {card} 已绑定到 {name} / card {card} linked to {name}")
    }
}

pub fn doctor_line(ok: bool, name: &str, detail: &str, hint: Option<&str>) -> String {
    let mark = if ok { "OK  " } else { "FAIL" };
    match hint {
        Some(h) if !ok => format!("{mark} {name}: {detail}\n     → {h}"),
        _ => format!("{mark} {name}: {detail}"),
    }
}

pub fn card_port_needed() -> String {
    "请用 --port 指定阅读器串口，或在配置中设置 card_reader_port / give the reader's port with --port, or set card_reader_port in the configuration".into()
}

pub fn place_card(reader: &str) -> String {
    format!("请把卡放到阅读器上（{reader}）… / place a card on the reader…")
}

pub fn no_card_read(secs: u64) -> String {
    format!("{secs} 秒内没有读到卡 / no card was read within {secs} s")
}

pub fn no_such_staff(flag: &str, who: &str) -> String {
    format!("{flag}：没有在职员工叫「{who}」/ {flag}: no active staff member is called \"{who}\"")
}

pub fn no_card_read_because(secs: u64, why: &str) -> String {
    format!("{secs} 秒内没有读到卡，最后一次：{why} / no card was read within {secs} s; last: {why}")
}

pub fn printed(n: usize, transcript: Option<&Path>) -> String {
    match transcript {
        Some(p) => format!(
            "已打印 {n} 张（模拟打印机，内容见 {}）/ printed {n} (simulated printer: see {})",
            p.display(),
            p.display()
        ),
        None => format!("已打印 {n} 张 / printed {n}"),
    }
}

pub fn print_failed(error: &str) -> String {
    format!(
        "打印失败，任务保留在队列中，打印机恢复后由自助机自动补打：{error} / printing failed; the job stays queued and the kiosk prints it once the printer is back"
    )
}

pub fn unknown_pattern(p: &str) -> String {
    format!(
        "未知的蜂鸣方式「{p}」，可用 appointment、walkin、vip、error / unknown pattern \"{p}\": use appointment, walkin, vip or error"
    )
}

pub fn sim_beep(pattern: &str, steps: &[(u64, u64)]) -> String {
    let shown: Vec<String> = steps.iter().map(|(on, off)| format!("响 on {on} ms, 停 off {off} ms")).collect();
    format!("模拟蜂鸣器 simulated buzzer ({pattern}): {}", shown.join("; "))
}

pub fn no_buzzer() -> String {
    "未配置蜂鸣器（buzzer_gpio）/ no buzzer is configured (buzzer_gpio)".into()
}

pub fn print_status(s: &str) -> String {
    match s {
        "pending" => "待打印 pending".into(),
        "printed" => "已打印 printed".into(),
        "expired" => "已过期 expired".into(),
        "cancelled" => "已取消 cancelled".into(),
        other => other.into(),
    }
}

pub fn headers_print_jobs() -> [&'static str; 5] {
    ["编号 No.", "类型 Kind", "状态 Status", "创建 Created", "错误 Error"]
}

pub fn report_nothing() -> &'static str {
    "（无 / none）"
}

pub fn report_written(path: &Path) -> String {
    format!("报表已写入 / report written: {}", path.display())
}

pub fn xlsx_needs_output() -> String {
    "xlsx 需要 --output 文件名 / xlsx needs --output FILE".into()
}

pub fn write_failed(e: &str) -> String {
    format!("写入失败 / cannot write: {e}")
}

pub fn write_file_failed(path: &Path, e: &str) -> String {
    format!("无法写入 {} / cannot write {}: {e}", path.display(), path.display())
}

pub fn tier_review(r: &crate::app::membership::TierReview) -> String {
    format!(
        "会员等级评定（{}）完成 / tier review of {} done: {} 位顾客 / customers，升级 up {}，降级 down {}",
        r.review_date, r.review_date, r.customers, r.upgraded, r.downgraded
    )
}

pub fn bad_at(at: &str) -> String {
    format!("--at「{at}」应为 2026-11-23 18:00 或 RFC 3339 / --at \"{at}\" must look like 2026-11-23 18:00 or RFC 3339")
}

pub fn job_ran(job: &str, at: &str, queued: usize, dry_run: bool) -> String {
    if dry_run {
        format!(
            "预览 {job}（按 {at}）：将排队 {queued} 条消息，未做任何改动 / dry run of {job} as of {at}: would queue {queued} messages, nothing changed"
        )
    } else {
        format!("已运行 {job}（按 {at}）：排队 {queued} 条消息 / ran {job} as of {at}: {queued} messages queued")
    }
}

pub fn bad_status(s: &str, known: &[&str]) -> String {
    format!("没有「{s}」这种状态（可用：{0}）/ no status \"{s}\" (known: {0})", known.join(", "))
}

pub fn bad_channel(s: &str, known: &[&str]) -> String {
    format!("没有叫「{s}」的渠道（可用：{0}）/ no channel \"{s}\" (known: {0})", known.join(", "))
}

pub fn message_requeued(key: &str) -> String {
    format!("已重新排队，守护进程会发送 / queued again, the daemon will send it: {key}")
}

pub fn message_confirmed(key: &str) -> String {
    format!("已记为已发送 / recorded as sent: {key}")
}

pub fn test_sent(via: &str, provider_ref: Option<&str>) -> String {
    match provider_ref {
        Some(r) => format!("测试消息已由 {via} 发出（回执 {r}）/ test message sent via {via} (reference {r})"),
        None => format!("测试消息已由 {via} 发出 / test message sent via {via}"),
    }
}

pub fn test_not_sent(status: &str, reason: &str) -> String {
    format!("测试消息未发出（{status}）/ test message not sent ({status}): {reason}")
}

pub fn demo_messages(n: usize) -> String {
    format!(
        "守护进程发出的消息（演示：只写日志，不真正发送）{n} 条 / {n} messages from the daemon (demo: logged, not sent):"
    )
}

pub fn waitlisted(id: &str, customer: &str, service: &str, window: &str) -> String {
    format!("已加入候补 / on the wait list: {customer} {service} {window}\n候补编号 / entry id: {id}")
}

pub fn waitlist_cancelled(id: &str) -> String {
    format!("已取消候补 / taken off the wait list: {id}")
}

#[allow(clippy::too_many_arguments)]
pub fn sync_status(
    enabled: bool,
    queued: i64,
    oldest_minutes: Option<i64>,
    last_success: Option<&str>,
    last_error: Option<(&str, &str)>,
    token_refused: Option<&str>,
    rejected: i64,
    skipped: i64,
    offline_since: Option<&str>,
) -> String {
    let mut lines = vec![if enabled {
        "云同步：已启用 / cloud sync: on".to_string()
    } else {
        "云同步：未启用（[cloud] enabled = false），事件在本机排队 / cloud sync: off ([cloud] enabled = false); events queue here".to_string()
    }];
    lines.push(match oldest_minutes {
        Some(m) => format!("待发事件 / queued events: {queued}（最早的已等 {m} 分钟 / oldest waiting {m} min）"),
        None => format!("待发事件 / queued events: {queued}"),
    });
    lines.push(format!("上次成功 / last success: {}", last_success.unwrap_or("从未 / never")));
    if let Some((e, at)) = last_error {
        lines.push(format!("上次错误 / last error ({at}): {e}"));
    }
    if let Some(at) = token_refused {
        lines.push(format!(
            "设备令牌于 {at} 被拒，同步已暂停 / the device token was refused at {at}: sync paused until the configuration changes or an hour passes"
        ));
    }
    if let Some(since) = offline_since {
        lines.push(format!("⚠ 自 {since} 起未能与云端同步 / out of touch with the cloud since {since}"));
    }
    lines.push(format!(
        "云端拒收的事件 / events refused by the cloud: {rejected}; 未能应用的变更 / changes not applied: {skipped}{}",
        if rejected + skipped > 0 { "（salonbox sync rejected）" } else { "" }
    ));
    lines.join("\n")
}

pub fn sync_done(delivered: usize, rejected: usize, changes: usize, applied: usize, skipped: usize) -> String {
    format!(
        "已推送 {delivered} 个事件（拒收 {rejected}），拉取 {changes} 个变更（应用 {applied}，跳过 {skipped}）/ pushed {delivered} events ({rejected} refused), pulled {changes} changes ({applied} applied, {skipped} not applied)"
    )
}

pub fn sync_nothing_rejected() -> &'static str {
    "没有被拒收的事件或未应用的变更 / no refused events and no changes left unapplied"
}

pub fn sync_rejected_heading() -> &'static str {
    "云端拒收的事件（已搁置，不再重发）/ events the cloud refused (set aside, not sent again):"
}

pub fn sync_skipped_heading() -> &'static str {
    "未能应用的云端变更 / changes from the cloud that could not be applied:"
}

pub fn headers_stock() -> [&'static str; 9] {
    [
        "编码 SKU",
        "商品 product",
        "品牌规格 brand/spec",
        "库存 level",
        "单位成本 unit cost",
        "库存金额 value",
        "提醒线 alert",
        "最近到期 expires",
        "",
    ]
}

pub fn stock_low() -> &'static str {
    "库存不足 / low"
}

pub fn stock_received(name: &str, quantity: i64, level: i64) -> String {
    format!("已入库 / received: {name} +{quantity}，现有 / now {level}")
}

pub fn stock_adjusted(name: &str, change: i64, level: i64) -> String {
    format!("已调整 / adjusted: {name} {change:+}，现有 / now {level}")
}

pub fn stock_report_heading(from: &str, to: &str) -> String {
    format!("进出存 / stock movements {from} – {to}")
}

pub fn headers_stock_report() -> [&'static str; 11] {
    [
        "编码 SKU",
        "商品 product",
        "期初 opening",
        "入库 in",
        "售出 sold",
        "耗用 used",
        "退回 returned",
        "调整 adjusted",
        "调整金额 adjusted at cost",
        "期末 closing",
        "期末金额 closing at cost",
    ]
}

pub fn material_set(service: &str, product: &str, quantity: i64) -> String {
    if quantity > 0 {
        format!("{service} 每次耗用 / uses per treatment: {product} × {quantity}")
    } else {
        format!("{service} 不再耗用 / no longer uses: {product}")
    }
}

pub fn product_updated(name: &str) -> String {
    format!("已更新商品 / product updated: {name}")
}

pub fn bad_date(field: &str, s: &str) -> String {
    format!("{field}：「{s}」不是日期（如 2026-11-01）/ {field}: \"{s}\" is not a date (e.g. 2026-11-01)")
}

pub fn feedback_recorded(stars: i64, owner_alerted: bool) -> String {
    if owner_alerted {
        format!("已记录 {stars} 星评价，已通知店长 / {stars}-star rating recorded; the owner has been told")
    } else {
        format!("已记录 {stars} 星评价 / {stars}-star rating recorded")
    }
}

pub fn headers_feedback() -> [&'static str; 5] {
    ["时间 at", "顾客 customer", "评分 rating", "留言 comment", "来源 via"]
}

pub fn note_recorded(name: &str) -> String {
    format!("已记录到 {name} 的互动记录 / added to {name}'s record")
}

pub fn headers_interactions() -> [&'static str; 4] {
    ["时间 at", "类型 kind", "内容 text", "记录人 by"]
}

pub fn read_file_failed(path: &Path, e: &str) -> String {
    format!("无法读取文件 {}：{e} / cannot read {}: {e}", path.display(), path.display())
}

pub fn campaign_file_invalid(path: &Path, e: &str) -> String {
    format!("活动定义 {} 有误 / the campaign file {} is invalid:\n{e}", path.display(), path.display())
}

pub fn campaign_created(name: &str) -> String {
    format!("已创建活动 / campaign created: {name}（先预览：salonbox campaign preview {name}）")
}

pub fn campaign_preview(name: &str, audience: usize, target: usize, holdout: usize) -> String {
    format!(
        "{name}：符合条件且同意营销的顾客 {audience} 位，发送 {target} 位，对照组 {holdout} 位 / {audience} customers match (with marketing consent): {target} to reach, {holdout} held out"
    )
}

pub fn campaign_started(
    name: &str,
    target: usize,
    holdout: usize,
    messages: usize,
    coupons: usize,
    skipped: usize,
) -> String {
    format!(
        "{name} 已开始：活动组 {target} 位（消息 {messages} 条，发券 {coupons} 张），对照组 {holdout} 位，跳过 {skipped} 位（券已达上限）/ started: {target} in the campaign group ({messages} messages, {coupons} coupons), {holdout} held out, {skipped} skipped (coupon limit reached)"
    )
}

pub fn soak_needs_empty_dir(dir: &Path) -> String {
    format!(
        "{} 里已有顾客：耐久测试只用空的数据目录（--data-dir）/ {} holds customers: the soak test runs only on an empty data directory (--data-dir)",
        dir.display(),
        dir.display()
    )
}

pub fn soak_bad_ack(path: &Path, line: usize, what: &str) -> String {
    format!("{}:{line}: 不是确认行 / not an acknowledgement line (ack SEQ PHONE TICKET ENTRY): {what}", path.display())
}

pub fn soak_checked(acks: usize, missing_lines: &[usize], integrity: &str) -> String {
    let lost = if missing_lines.is_empty() {
        format!("已确认的 {acks} 次签到全部在库 / all {acks} acknowledged check-ins are stored")
    } else {
        let lines: Vec<String> = missing_lines.iter().take(20).map(|l| l.to_string()).collect();
        format!(
            "已确认的 {acks} 次签到中 {} 次丢失（行 {}）/ {} of {acks} acknowledged check-ins are lost (lines {})",
            missing_lines.len(),
            lines.join(", "),
            missing_lines.len(),
            lines.join(", ")
        )
    };
    format!("{lost}\nintegrity_check: {integrity}")
}

/// The Chinese line printed above clap's own (English) message for a command line it
/// could not parse; `None` for help and version, which are not errors.
pub fn usage_error_zh(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ErrorKind};
    let ctx = |k: ContextKind| e.get(k).map(|v| v.to_string()).unwrap_or_default();
    let (arg, value) = (ctx(ContextKind::InvalidArg), ctx(ContextKind::InvalidValue));
    let what = match e.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation | ErrorKind::NoEquals => {
            format!("参数 {arg} 的值“{value}”无效")
        }
        ErrorKind::UnknownArgument => format!("不认识的参数 {arg}"),
        ErrorKind::InvalidSubcommand => format!("没有这个命令：{}", ctx(ContextKind::InvalidSubcommand)),
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("参数 {arg} 的值的个数不对")
        }
        ErrorKind::ArgumentConflict => format!("参数 {arg} 不能与 {} 同时使用", ctx(ContextKind::PriorArg)),
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数：{arg}"),
        ErrorKind::MissingSubcommand => "缺少子命令".to_string(),
        _ => return None,
    };
    // clap's English line follows.
    Some(format!("命令行有误：{what}"))
}

/// `salonbox web` is up (the tests read the address from this line).
pub fn web_listening(addr: std::net::SocketAddr) -> String {
    let shown = if addr.ip().is_unspecified() {
        format!("http://<本机地址 this machine>:{}/ （如 e.g. http://salonbox.local:{}/）", addr.port(), addr.port())
    } else {
        format!("http://{addr}/")
    };
    format!("后台已启动 / back office listening on {addr}: {shown}")
}

/// The demo's back office: its address and a login for each role.
pub fn demo_web(url: &str, logins: &[(crate::domain::model::StaffRole, String, String)]) -> String {
    let mut s = format!("\n后台网页 / back office: {url}\n演示登录 / demo logins (姓名 name + PIN/密码 password):\n");
    for (role, name, secret) in logins {
        s.push_str(&format!("  {:<10} {}  {}\n", role.label_zh(), name, secret));
    }
    s.push_str("按 Ctrl-C 结束演示 / Ctrl-C ends the demo");
    s
}
