//! `magsync products`: the products table of the dashboard, on stdout.

use super::GlobalArgs;
use super::filters::{
    ProductFilterArgs, check_account, clip, local_time, parse_limit, render_table, rfc3339,
};
use super::output::{note, out, outln};
use crate::model::search::SortKey;
use crate::model::{OfferStatus, state_word};
use crate::store::Store;
use crate::store::search::ProductRow;
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
#[command(
    about = "Search and list mirrored offers (the dashboard's products table)",
    long_about = "Lists mirrored offers with the dashboard's search: every word of --search must \
occur somewhere (in any order) in the name, part number, part number key, an EAN or the offer \
id, ignoring case and accents; codes also match without their punctuation, so \"hei45\" finds \
HEI-45 and \"317599\" finds an EAN ending so. Sorted by name unless --sort says otherwise. \
Prints the first --limit rows and how many matched; use `magsync export` for the whole set."
)]
pub struct Args {
    #[command(flatten)]
    pub filters: ProductFilterArgs,

    /// How many rows to print.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 50,
        allow_negative_numbers = true
    )]
    pub limit: i64,

    /// Print JSON: {"matched": N, "products": [...]} with stable keys.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(g: &GlobalArgs, args: Args) -> anyhow::Result<u8> {
    let query = args.filters.query(SortKey::Name)?;
    let limit = parse_limit(args.limit)?;
    let config = g.load_config()?;
    let store = Store::open_existing(&config.database_url).await?;
    if let Err(e) = check_account(&config, &store, query.account.as_deref()).await {
        store.close().await;
        return Err(e.into());
    }
    let matched = store.search().count(&query).await?;
    let rows = store.search().products(&query, None, limit).await?;
    store.close().await;
    if args.json {
        let products: Vec<Value> = rows.iter().map(row_json).collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "matched": matched, "products": products }))?
        );
    } else {
        out!("{}", to_text(&rows));
        note!("{} of {matched} matching offers shown", rows.len());
    }
    Ok(0)
}

pub fn row_json(r: &ProductRow) -> Value {
    json!({
        "account": r.account,
        "id": r.id,
        "part_number": r.part_number,
        "part_number_key": r.part_number_key,
        "name": r.name,
        "brand": r.brand,
        "sale_price": r.sale_price.map(|d| d.to_string()),
        "currency": r.currency,
        "general_stock": r.general_stock,
        "status": r.status.map(OfferStatus::code),
        "state": state_word(r.status, r.missing_since.is_some()),
        "buy_button_rank": r.buy_button_rank,
        "missing_since": r.missing_since.map(rfc3339),
        "last_changed_at": rfc3339(r.last_changed_at),
    })
}

fn to_text(rows: &[ProductRow]) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.account.clone(),
                r.id.to_string(),
                clip(r.part_number.as_deref().unwrap_or("-"), 20),
                clip(r.name.as_deref().unwrap_or("-"), 60),
                opt(r.sale_price.map(|d| d.to_string())),
                opt(r.currency.clone()),
                opt(r.general_stock.map(|v| v.to_string())),
                state_word(r.status, r.missing_since.is_some()).to_string(),
                opt(r.buy_button_rank.map(|v| v.to_string())),
                local_time(r.last_changed_at),
            ]
        })
        .collect();
    render_table(
        &[
            "ACCOUNT",
            "ID",
            "PART NUMBER",
            "NAME",
            "PRICE",
            "CUR",
            "STOCK",
            "STATE",
            "RANK",
            "CHANGED",
        ],
        &body,
    )
}
