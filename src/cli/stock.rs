//! `salonbox stock list|in|adjust|report|material` and `product edit`: inventory (库存).

use clap::Subcommand;

use super::{CliError, Outcome, date, msg, print_json, print_rows, say, yuan};
use crate::app::App;
use crate::app::stock::ProductDetails;
use crate::domain::money::show_yuan;

#[derive(Debug, Subcommand)]
pub enum StockCmd {
    /// 库存：数量、提醒线、最近到期 / stock levels, alert lines, soonest expiry
    List {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 入库（一个批次）/ receive a purchase (one batch)
    In {
        /// 商品编码、名称或编号 / SKU, name or id
        product: String,
        /// 数量（件）/ quantity (units)
        quantity: i64,
        /// 批号 / batch number
        #[arg(long, default_value = "")]
        batch: String,
        /// 有效期至 / expires on (2027-06-30)
        #[arg(long)]
        expires: Option<String>,
        /// 进价（每件）/ cost per unit
        #[arg(long)]
        cost: Option<String>,
    },
    /// 盘点或调整（写明原因）/ stock-take or adjustment, with the reason
    Adjust {
        product: String,
        /// 盘点数量 / the counted quantity
        #[arg(long, conflicts_with = "delta")]
        count: Option<i64>,
        /// 增减量（如 -2）/ change (e.g. -2)
        #[arg(long, allow_hyphen_values = true)]
        delta: Option<i64>,
        /// 原因：盘点、破损、过期报废…… / reason: stock-take, damaged, expired ...
        #[arg(long)]
        reason: String,
        /// 只调整这个批次 / only this batch
        #[arg(long)]
        batch: Option<String>,
    },
    /// 进出存报表 / movements over a period
    Report {
        /// 起始日（默认本月 1 日）/ first day (default: the 1st of this month)
        #[arg(long)]
        from: Option<String>,
        /// 截止日（默认今天）/ last day (default: today)
        #[arg(long)]
        to: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 服务项目每次耗用的产品（0 表示删除）/ a product each treatment of a service uses (0 removes it)
    Material { service: String, product: String, quantity: i64 },
    /// 商品的品牌、规格、供应商、进价、提醒线 / a product's brand, spec, supplier, cost, alert line
    Product {
        product: String,
        #[arg(long, default_value = "")]
        brand: String,
        /// 规格（如 50ml）/ spec (e.g. 50 ml)
        #[arg(long, default_value = "")]
        spec: String,
        #[arg(long, default_value = "")]
        supplier: String,
        /// 进价 / cost per unit
        #[arg(long, default_value = "0")]
        cost: String,
        /// 低于此数量时提醒（0 不提醒）/ alert below this level (0: never)
        #[arg(long, default_value_t = 0)]
        low_stock: i64,
    },
}

pub fn stock(app: &mut App, cmd: StockCmd) -> Result<Outcome, CliError> {
    match cmd {
        StockCmd::List { json } => {
            let rows = app.stock_list()?;
            print_rows(json, &rows, msg::headers_stock(), |r| {
                [
                    r.sku.clone(),
                    r.name.clone(),
                    format!("{} {}", r.brand, r.spec).trim().to_string(),
                    r.level.to_string(),
                    show_yuan(r.cost),
                    show_yuan(r.value),
                    if r.low_stock > 0 { r.low_stock.to_string() } else { String::new() },
                    r.next_expiry.map(|d| d.to_string()).unwrap_or_default(),
                    if r.low_stock > 0 && r.level < r.low_stock { msg::stock_low().to_string() } else { String::new() },
                ]
            })?;
        }
        StockCmd::In { product, quantity, batch, expires, cost } => {
            let cost = cost.map(|c| yuan("--cost", &c)).transpose()?;
            let r = app.stock_in(&product, quantity, &batch, expires.as_deref(), cost, "cli")?;
            say(&msg::stock_received(&r.name, quantity, r.level))?;
        }
        StockCmd::Adjust { product, count, delta, reason, batch } => {
            let (change, r) = app.stock_adjust(&product, count, delta, batch.as_deref(), &reason, "cli")?;
            say(&msg::stock_adjusted(&r.name, change, r.level))?;
        }
        StockCmd::Report { from, to, json } => {
            use chrono::Datelike;
            let today = app.today();
            let first = today.with_day(1).unwrap_or(today);
            let from = from.map_or(Ok(first), |d| date("--from", &d))?;
            let to = to.map_or(Ok(today), |d| date("--to", &d))?;
            let rows = app.stock_report(from, to)?;
            if json {
                print_json(&rows)?;
                return Ok(Outcome::Ok);
            }
            say(&msg::stock_report_heading(&from.to_string(), &to.to_string()))?;
            print_rows(false, &rows, msg::headers_stock_report(), |r| {
                [
                    r.sku.clone(),
                    r.name.clone(),
                    r.opening.to_string(),
                    r.received.to_string(),
                    r.sold.to_string(),
                    r.used.to_string(),
                    r.returned.to_string(),
                    r.adjusted.to_string(),
                    show_yuan(r.adjusted_value),
                    r.closing.to_string(),
                    show_yuan(r.closing_value),
                ]
            })?;
        }
        StockCmd::Material { service, product, quantity } => {
            app.set_service_material(&service, &product, quantity, "cli")?;
            say(&msg::material_set(&service, &product, quantity))?;
        }
        StockCmd::Product { product, brand, spec, supplier, cost, low_stock } => {
            let d = ProductDetails { brand, spec, supplier, cost: yuan("--cost", &cost)?, low_stock };
            let r = app.set_product_details(&product, &d, "cli")?;
            say(&msg::product_updated(&r.name))?;
        }
    }
    Ok(Outcome::Ok)
}
