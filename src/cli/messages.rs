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

pub fn customer_added(name: &str, code: &str) -> String {
    format!("已登记顾客 / customer registered: {name}（会员号 / member code {code}）")
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
