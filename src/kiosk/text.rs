//! Every line the kiosk shows that Rust composes (greetings, waits, notices), in Simplified
//! Chinese and English. Static labels live in the `.slint` files behind `@tr()`.

/// The language the customer chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    fn pick(self, zh: String, en: String) -> String {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

pub fn welcome_hint(l: Lang) -> String {
    l.pick(
        "也可以直接刷身份证、会员卡或扫描会员二维码".into(),
        "Or just swipe your ID card, member card or member QR code".into(),
    )
}

/// `王女士，欢迎回来`
pub fn greeting_back(l: Lang, name: &str) -> String {
    l.pick(format!("{name}，欢迎回来"), format!("Welcome back, {name}"))
}

pub fn greeting_ticket(l: Lang, name: &str) -> String {
    l.pick(format!("{name}，签到成功"), format!("{name}, you are checked in"))
}

/// `10:30 · 面部深层清洁 · 李娜`
pub fn appointment_line(time: &str, service: &str, staff: Option<&str>) -> String {
    match staff {
        Some(s) => format!("{time} · {service} · {s}"),
        None => format!("{time} · {service}"),
    }
}

pub fn minutes(l: Lang, m: u32) -> String {
    l.pick(format!("{m} 分钟"), format!("{m} min"))
}

pub fn free_now(l: Lang) -> String {
    l.pick("现在有空".into(), "free now".into())
}

pub fn free_at(l: Lang, hm: &str) -> String {
    l.pick(format!("约 {hm} 有空"), format!("free about {hm}"))
}

pub fn not_today(l: Lang) -> String {
    l.pick("今日已满".into(), "fully booked today".into())
}

pub fn anyone(l: Lang) -> String {
    l.pick("不指定，谁有空都可以".into(), "Anyone who is free".into())
}

/// A referrer's phone that is no customer's.
pub fn unknown_referrer(l: Lang) -> String {
    l.pick(
        "没有找到这个手机号的会员，请核对或留空".into(),
        "No member has this number: check it or leave it empty".into(),
    )
}

/// 签到积分 given for this check-in.
pub fn checkin_points(l: Lang, n: i64) -> String {
    l.pick(format!("签到积分 +{n}"), format!("check-in points +{n}"))
}

/// `前面还有 2 位，预计等候约 15 分钟`
pub fn wait(l: Lang, ahead: usize, minutes: Option<i64>) -> String {
    match (ahead, minutes) {
        (0, Some(m)) if m <= 1 => l.pick("马上为您服务".into(), "You are next".into()),
        (0, _) => l.pick("您是下一位".into(), "You are next".into()),
        // Someone is ahead, but another beautician is free for this one: no "0 minutes".
        (n, Some(m)) if m <= 1 => {
            l.pick(format!("前面还有 {n} 位，马上为您服务"), format!("{n} ahead of you; served right away"))
        }
        (n, Some(m)) => {
            l.pick(format!("前面还有 {n} 位，预计等候约 {m} 分钟"), format!("{n} ahead of you, about {m} minutes"))
        }
        (n, None) => l.pick(format!("前面还有 {n} 位"), format!("{n} ahead of you")),
    }
}

pub fn already_in_queue(l: Lang) -> String {
    l.pick("您今天已经取过号了".into(), "You already have a number today".into())
}

pub fn printing(l: Lang) -> String {
    l.pick("请稍坐，号码单正在打印".into(), "Please take a seat; your ticket is printing".into())
}

pub fn printer_down(l: Lang) -> String {
    l.pick(
        "打印机暂时无法打印，请到前台领取号码单".into(),
        "The printer is unavailable: please ask at the desk for your ticket".into(),
    )
}

pub fn unknown_phone(l: Lang) -> String {
    l.pick(
        "没有找到这个手机号，请到前台登记".into(),
        "We could not find this number: please register at the desk".into(),
    )
}

pub fn unknown_card(l: Lang) -> String {
    l.pick("这张卡还没有登记，请到前台办理".into(), "This card is not registered yet: please ask at the desk".into())
}

pub fn card_read_failed(l: Lang) -> String {
    l.pick("没有读到卡片，请重新放置".into(), "The card could not be read: please place it again".into())
}

pub fn clock_waiting(l: Lang) -> String {
    l.pick("正在校准时间，请稍候（约 3 分钟）".into(), "Setting the clock: one moment (about 3 minutes)".into())
}

pub fn clock_behind(l: Lang) -> String {
    l.pick(
        "系统时间有误，暂停签到：请连接网络或由店主校正时间".into(),
        "The clock is wrong, check-in is paused: connect the network or have the owner set the time".into(),
    )
}

pub fn reader_down(l: Lang) -> String {
    l.pick(
        "读卡器暂时不可用，请输入手机号".into(),
        "The card reader is unavailable: please enter your phone number".into(),
    )
}

pub fn no_beautician_today(l: Lang) -> String {
    l.pick("今天没有可预约的美容师，请到前台咨询".into(), "No beautician is free today: please ask at the desk".into())
}

/// Whatever went wrong inside: never a stack trace, always what to do.
pub fn try_again(l: Lang) -> String {
    l.pick(
        "系统暂时繁忙，请稍后再试或到前台办理".into(),
        "Something went wrong: please try again or ask at the desk".into(),
    )
}

/// The skin concerns offered at registration: what is stored (Chinese) and what is shown.
pub const CONCERNS: [(&str, &str); 6] = [
    ("痘痘粉刺", "Acne"),
    ("敏感泛红", "Sensitive, redness"),
    ("色斑暗沉", "Spots, dullness"),
    ("干燥缺水", "Dryness"),
    ("出油毛孔", "Oily, pores"),
    ("细纹松弛", "Fine lines"),
];

pub fn concern(l: Lang, i: usize) -> String {
    CONCERNS.get(i).map(|(zh, en)| l.pick((*zh).into(), (*en).into())).unwrap_or_default()
}

pub fn phone_to_register(l: Lang) -> String {
    l.pick("请输入手机号完成登记".into(), "Enter your phone number to register".into())
}

pub fn bad_birthday(l: Lang) -> String {
    l.pick("生日格式不对，例如 1990-05-02".into(), "Birthday looks wrong: for example 1990-05-02".into())
}

pub fn consent_needed(l: Lang) -> String {
    l.pick("请先阅读并同意隐私政策".into(), "Please read and accept the privacy notice first".into())
}

pub fn registered(l: Lang) -> String {
    l.pick("登记成功，请选择服务项目".into(), "You are registered: choose a service".into())
}

pub fn pin_wrong(l: Lang, left: i64) -> String {
    l.pick(format!("PIN 不正确，还可再试 {left} 次"), format!("Wrong PIN: {left} tries left"))
}

pub fn pin_locked(l: Lang, until: &str) -> String {
    l.pick(format!("PIN 已锁定，请在 {until} 后再试"), format!("PIN locked: try again after {until}"))
}

pub fn no_pin(l: Lang) -> String {
    l.pick("此员工还没有设置 PIN，请店主设置".into(), "No PIN is set for this person: ask the owner".into())
}

pub fn queue_status(l: Lang, s: crate::domain::queue::QueueStatus) -> String {
    use crate::domain::queue::QueueStatus as Q;
    let en = match s {
        Q::Waiting => "waiting",
        Q::Called => "called",
        Q::InService => "in service",
        Q::Done => "done",
        Q::Left => "left",
    };
    l.pick(s.label_zh().into(), en.into())
}

pub fn wait_short(l: Lang, minutes: Option<i64>) -> String {
    match minutes {
        Some(m) if m > 0 => l.pick(format!("约等 {m} 分钟"), format!("about {m} min")),
        _ => String::new(),
    }
}

pub fn nobody_waiting(l: Lang) -> String {
    l.pick("没有等候中的顾客".into(), "Nobody is waiting".into())
}

pub fn called(l: Lang, ticket: &str, name: &str) -> String {
    l.pick(format!("已叫 {ticket} {name}"), format!("Called {ticket} {name}"))
}

pub fn jobs_waiting(l: Lang, n: usize) -> String {
    l.pick(format!("{n} 张小票等待打印"), format!("{n} jobs waiting to print"))
}

/// A prepaid item's chip: `套餐 · 剩 4 次 · 05-31 前有效`.
pub fn prepaid_left(l: Lang, package: bool, left: i64, until: Option<&str>) -> String {
    let zh = format!("{} · 剩 {left} 次", if package { "套餐" } else { "次卡" });
    let en = format!("{} · {left} left", if package { "package" } else { "course" });
    match until {
        Some(d) => l.pick(format!("{zh} · {d} 前有效"), format!("{en} · until {d}")),
        None => l.pick(zh, en),
    }
}

pub fn valid_until(l: Lang, date: &str) -> String {
    l.pick(format!("{date} 前有效"), format!("valid until {date}"))
}

pub fn message_problems(l: Lang, unknown: i64, failed: i64) -> String {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if unknown > 0 {
        zh.push(format!("{unknown} 条不确定是否发出"));
        en.push(format!("{unknown} may or may not have gone out"));
    }
    if failed > 0 {
        zh.push(format!("{failed} 条发送失败（近 24 小时）"));
        en.push(format!("{failed} failed (last 24 h)"));
    }
    l.pick(
        format!("{}：请用 salonbox notifications list 查看", zh.join("，")),
        format!("{}: see salonbox notifications list", en.join(", ")),
    )
}

/// The cloud-sync row of the staff screen: in touch, or offline since when.
pub fn cloud_sync(l: Lang, offline_since: Option<&str>, hours: i64, last: Option<&str>, queued: i64) -> String {
    match offline_since {
        Some(since) => l.pick(
            format!("自 {since} 起离线（约 {hours} 小时），{queued} 条记录待上传；请检查网络"),
            format!("offline since {since} (about {hours} h), {queued} records waiting; check the network"),
        ),
        None => l.pick(
            format!("正常 · 上次同步 {}", last.unwrap_or("—")),
            format!("OK · last sync {}", last.unwrap_or("—")),
        ),
    }
}

pub fn backups_old(l: Lang, last: Option<&str>) -> String {
    match last {
        Some(at) => l.pick(
            format!("最近一次备份在 {at}，已超过一天半；请店长检查后台服务"),
            format!("the newest backup is from {at}, over a day and a half ago; ask the owner to check the service"),
        ),
        None => l.pick(
            "还没有备份；请店长检查后台服务".to_string(),
            "no backup yet; ask the owner to check the service".to_string(),
        ),
    }
}

pub fn device_name(l: Lang, device: &str) -> String {
    let (zh, en) = match device {
        "printer" => ("打印机", "Printer"),
        "id_reader" => ("身份证阅读器", "ID-card reader"),
        "card_reader" => ("会员卡阅读器", "Member-card reader"),
        "buzzer" => ("蜂鸣器", "Buzzer"),
        "messages" => ("短信/微信消息", "Messages"),
        "cloud" => ("云同步", "Cloud sync"),
        "backups" => ("备份", "Backups"),
        other => (other, other),
    };
    l.pick(zh.into(), en.into())
}

pub fn balances(l: Lang, points: i64, stored_value: &str) -> String {
    l.pick(format!("积分 {points} · 储值 {stored_value}"), format!("Points {points} · stored value {stored_value}"))
}

pub fn paid(l: Lang, amount: &str, change: Option<&str>) -> String {
    match change {
        Some(c) => l.pick(
            // One line on 800×480: the change matters more than the printing notice.
            format!("已收款 {amount}，找零 {c}"),
            format!("Paid {amount}, change {c}"),
        ),
        None => l.pick(format!("已收款 {amount}，小票正在打印"), format!("Paid {amount}; the receipt is printing")),
    }
}

/// A cash offer: what the customer hands over ...
pub fn cash_given(l: Lang, amount: &str) -> String {
    l.pick(format!("收 {amount}"), format!("Given {amount}"))
}

/// ... and the change it needs.
pub fn cash_change(l: Lang, change: &str) -> String {
    l.pick(format!("找零 {change}"), format!("Change {change}"))
}

/// Quick words a customer can add to a rating (Chinese, English); the Chinese is stored.
pub const RATING_TAGS: &[(&str, &str)] = &[
    ("服务专业", "Professional"),
    ("手法舒服", "Gentle hands"),
    ("环境舒适", "Pleasant room"),
    ("等待太久", "Waited too long"),
    ("推销太多", "Too much selling"),
    ("价格偏高", "Too pricey"),
];

pub fn rating_greeting(l: Lang, name: &str) -> String {
    l.pick(format!("{name}，请为本次服务评分"), format!("{name}, how was your visit today?"))
}

pub fn rating_tag(l: Lang, zh: &str, en: &str) -> String {
    l.pick(zh.to_string(), en.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_line_never_promises_zero_minutes() {
        assert_eq!(wait(Lang::Zh, 1, Some(0)), "前面还有 1 位，马上为您服务");
        assert_eq!(wait(Lang::En, 2, Some(1)), "2 ahead of you; served right away");
        assert_eq!(wait(Lang::Zh, 2, Some(15)), "前面还有 2 位，预计等候约 15 分钟");
        assert_eq!(wait(Lang::Zh, 0, Some(0)), "马上为您服务");
        assert_eq!(wait(Lang::En, 3, None), "3 ahead of you");
    }
}
