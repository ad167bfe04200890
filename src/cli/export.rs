//! `magsync export`: the whole filtered set of offers as CSV, JSON or JSON Lines, streamed.
//!
//! Rows go from one database cursor straight to a buffered writer, so memory does not grow
//! with the store. A regular file is written under a temporary name in the same folder and
//! renamed when complete, so a failed export never leaves a file that looks finished; a device
//! or FIFO is written into directly, and a symlink's target is written (see [`output`]).

use super::GlobalArgs;
use super::filters::{ProductFilterArgs, check_account, rfc3339};
use super::output::{self, OutputError, Target, Watched, note};
use crate::error::Failure;
use crate::model::search::SortKey;
use crate::model::{OfferStatus, money_text, state_word};
use crate::store::Store;
use crate::store::offers::StoredOffer;
use serde_json::{Map, Value, json};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// CSV columns, in order. Kept in step with [`csv_record`] and the `--help` text.
pub const CSV_COLUMNS: &[&str] = &[
    "account",
    "id",
    "part_number",
    "part_number_key",
    "name",
    "brand",
    "ean",
    "status",
    "state",
    "sale_price",
    "recommended_price",
    "min_sale_price",
    "max_sale_price",
    "best_offer_sale_price",
    "best_offer_recommended_price",
    "currency",
    "vat_id",
    "general_stock",
    "estimated_stock",
    "handling_time_days",
    "validation_status",
    "offer_validation_status",
    "buy_button_rank",
    "number_of_offers",
    "category_id",
    "url",
    "first_seen_at",
    "last_seen_at",
    "last_changed_at",
    "missing_since",
    "pending_sale_price",
    "pending_recommended_price",
    "pending_stock",
    "pending_status",
    "pending_queued_at",
    "pending_queued_by",
];

/// Open local edits by (account, offer id). The mirror holds their values; an export shows
/// eMAG's values in eMAG's columns and the local ones in the `pending_*` columns.
pub type PendingEdits = std::collections::HashMap<(String, i64), crate::edits::Edit>;

/// Every pending edit of the store (a queue of hand-made edits: small).
pub async fn pending_edits(store: &Store) -> anyhow::Result<PendingEdits> {
    let mut out = PendingEdits::new();
    for account in crate::edits::db::accounts_with_pending(store).await? {
        for e in crate::edits::db::pending_of(store, &account).await? {
            out.insert((e.account.clone(), e.offer_id), e);
        }
    }
    Ok(out)
}

/// The offer as eMAG has it: the fields a pending edit changed go back to the edit's base.
fn emag_values(s: &StoredOffer, edit: Option<&crate::edits::Edit>) -> StoredOffer {
    let mut s = s.clone();
    if let Some(e) = edit {
        let o = &mut s.offer;
        if e.values.sale_price.is_some() {
            o.sale_price = e.base.sale_price;
        }
        if e.values.recommended_price.is_some() {
            o.recommended_price = e.base.recommended_price;
        }
        if e.values.status.is_some() {
            o.status = e.base.status;
        }
        if e.values.stock.is_some() {
            o.general_stock = e.base.stock;
        }
    }
    s
}

/// Money fields of eMAG's offer object, exported as exact decimal strings.
const MONEY_FIELDS: &[&str] = &[
    "sale_price",
    "recommended_price",
    "min_sale_price",
    "max_sale_price",
    "best_offer_sale_price",
    "best_offer_recommended_price",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
    Jsonl,
}

#[derive(Debug, clap::Args)]
#[command(about = "Export every matching offer as CSV, JSON or JSON Lines (streamed)", long_about = EXPORT_HELP)]
pub struct Args {
    /// csv, json (one array) or jsonl (one offer per line).
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,

    /// Where to write; `-` is stdout. A regular file appears only once the export is complete
    /// (written beside it, then renamed); a device or FIFO is written into; a symlink's target
    /// is written and the link kept.
    #[arg(long, short, value_name = "FILE", default_value = "-")]
    pub output: String,

    /// Start the CSV with a UTF-8 byte order mark so Excel reads diacritics right.
    #[arg(long)]
    pub excel: bool,

    #[command(flatten)]
    pub filters: ProductFilterArgs,
}

const EXPORT_HELP: &str = "Exports every offer matching the filters (the same as `magsync \
products`; all of them, not a page), ordered by account and id unless --sort says otherwise. \
Memory use does not depend on the number of offers. A progress bar is drawn on stderr when it \
is a terminal.

CSV (RFC 4180, UTF-8, CRLF line ends, fields quoted when needed) has a header row and these \
columns: account, id, part_number, part_number_key, name, brand, ean (all EANs joined by \"|\"), \
status (eMAG's number: 0 inactive, 1 active, 2 end of life), state (active, inactive, \
end of life, unknown (N) for a status eMAG does not document, or missing), sale_price, recommended_price, min_sale_price, max_sale_price, \
best_offer_sale_price, best_offer_recommended_price (exact, 4 decimals, without VAT), currency, \
vat_id, general_stock, estimated_stock, handling_time_days, validation_status, \
offer_validation_status, buy_button_rank, number_of_offers, category_id, url, first_seen_at, \
last_seen_at, last_changed_at, missing_since (RFC 3339, UTC), then pending_sale_price, \
pending_recommended_price, pending_stock, pending_status, pending_queued_at, pending_queued_by: \
a local edit queued but not yet pushed (`magsync pending`), which never replaces eMAG's value in \
its own column. Empty means unknown (or no pending edit).

JSON and JSON Lines hold each offer as eMAG sent it (eMAG's field names, unknown fields kept) \
with money as exact decimal strings (\"107.4298\"), plus account, first_seen_at, last_seen_at, \
missing_since and pending_edit (null, or the queued values with queued_at and queued_by).";

pub async fn run(g: &GlobalArgs, args: Args) -> anyhow::Result<u8> {
    let mut query = args.filters.query(SortKey::Account)?;
    if args.filters.sort.is_none() {
        // Account sorts by (account, account, id): the primary key order, cheap and stable.
        query.sort = SortKey::Account;
    }
    if args.excel && args.format != Format::Csv {
        return Err(Failure::usage("--excel only applies to --format csv").into());
    }
    let target = output::resolve_target(&args.output)?;
    let config = g.load_config()?;
    let store = Store::open_existing(&config.database_url).await?;
    if let Err(e) = check_account(&config, &store, query.account.as_deref()).await {
        store.close().await;
        return Err(e.into());
    }
    let progress = if std::io::stderr().is_terminal() {
        let total = store.search().count(&query).await?;
        Some(progress_bar(total as u64))
    } else {
        None
    };

    let result = match &target {
        Target::Stdout => {
            let out = Watched::new(std::io::stdout().lock());
            stream(
                &store,
                &query,
                &args,
                out,
                "standard output",
                progress.as_ref(),
            )
            .await
        }
        Target::Stream(path) => match std::fs::OpenOptions::new().write(true).open(path) {
            Ok(file) => {
                let name = path.display().to_string();
                stream(
                    &store,
                    &query,
                    &args,
                    Watched::new(file),
                    &name,
                    progress.as_ref(),
                )
                .await
            }
            Err(e) => Err(cannot_write(path, e).into()),
        },
        Target::Replace(path) => write_file(&store, &query, &args, path, progress.as_ref()).await,
    };
    store.close().await;
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    let n = result?;
    if target != Target::Stdout {
        note!("exported {n} offers to {}", args.output);
    }
    Ok(0)
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} exporting {bar:40} {pos}/{len} offers ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}

fn cannot_write(path: &Path, error: std::io::Error) -> OutputError {
    OutputError {
        target: path.display().to_string(),
        error,
    }
}

/// Writes straight into stdout, a device or a FIFO (which cannot be renamed over). A write
/// error comes back as an [`OutputError`] naming `name`, whatever wrapped it on the way.
async fn stream<W: Write>(
    store: &Store,
    query: &crate::model::search::ProductQuery,
    args: &Args,
    out: Watched<W>,
    name: &str,
    progress: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<u64> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let r = write_all(store, query, args.format, args.excel, &mut out, progress).await;
    let r = r.and_then(|n| out.flush().map(|_| n).map_err(Into::into));
    match r {
        Ok(n) => Ok(n),
        Err(e) => {
            // Drop the buffer without flushing it again: the target already failed once.
            let (mut watched, _) = out.into_parts();
            match watched.take_error() {
                Some(error) => Err(OutputError {
                    target: name.to_string(),
                    error,
                }
                .into()),
                None => Err(e),
            }
        }
    }
}

async fn write_file(
    store: &Store,
    query: &crate::model::search::ProductQuery,
    args: &Args,
    path: &Path,
    progress: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<u64> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let cannot = |e: std::io::Error| cannot_write(path, e);
    let tmp = tempfile::Builder::new()
        .prefix(".magsync-export-")
        .suffix(".partial")
        .tempfile_in(&dir)
        .map_err(cannot)?;
    // A file that is replaced keeps its permissions; a new one is private to its owner.
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = tmp.as_file().set_permissions(meta.permissions());
    }
    let name = path.display().to_string();
    let n = stream(
        store,
        query,
        args,
        Watched::new(tmp.as_file()),
        &name,
        progress,
    )
    .await?;
    tmp.as_file().sync_all().map_err(cannot)?;
    // Dropping the temp file on any earlier error deletes it; only a complete one is renamed.
    tmp.persist(path).map_err(|e| cannot(e.error))?;
    Ok(n)
}

/// Writes the header, every matching offer and the trailer; returns the number of offers.
pub async fn write_all<W: Write>(
    store: &Store,
    query: &crate::model::search::ProductQuery,
    format: Format,
    excel: bool,
    out: &mut W,
    progress: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<u64> {
    let tick = |n: u64| {
        if let Some(p) = progress
            && n.is_multiple_of(1024)
        {
            p.set_position(n);
        }
    };
    let pending = pending_edits(store).await?;
    let edit_of = |o: &StoredOffer| pending.get(&(o.account.clone(), o.offer.id));
    let n = match format {
        Format::Csv => {
            if excel {
                out.write_all("\u{feff}".as_bytes())?;
            }
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(&mut *out);
            w.write_record(CSV_COLUMNS)?;
            let mut n = 0u64;
            let count = store
                .search()
                .export::<anyhow::Error, _>(query, |o| {
                    w.write_record(csv_record(&o, edit_of(&o)))?;
                    n += 1;
                    tick(n);
                    Ok(())
                })
                .await?;
            w.flush()?;
            count
        }
        Format::Json => {
            out.write_all(b"[")?;
            let mut n = 0u64;
            let count = store
                .search()
                .export::<anyhow::Error, _>(query, |o| {
                    out.write_all(if n == 0 { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut *out, &json_offer(&o, edit_of(&o)))?;
                    n += 1;
                    tick(n);
                    Ok(())
                })
                .await?;
            out.write_all(if count == 0 { b"]\n" } else { b"\n]\n" })?;
            count
        }
        Format::Jsonl => {
            let mut n = 0u64;
            store
                .search()
                .export::<anyhow::Error, _>(query, |o| {
                    serde_json::to_writer(&mut *out, &json_offer(&o, edit_of(&o)))?;
                    out.write_all(b"\n")?;
                    n += 1;
                    tick(n);
                    Ok(())
                })
                .await?
        }
    };
    if let Some(p) = progress {
        p.set_position(n);
    }
    Ok(n)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One CSV row, in [`CSV_COLUMNS`] order: eMAG's values, then the pending edit's.
pub fn csv_record(s: &StoredOffer, edit: Option<&crate::edits::Edit>) -> Vec<String> {
    let s = &emag_values(s, edit);
    let o = &s.offer;
    let local = edit.map(|e| &e.values);
    vec![
        s.account.clone(),
        o.id.to_string(),
        opt(o.part_number.as_ref()),
        opt(o.part_number_key.as_ref()),
        opt(o.name.as_ref()),
        opt(o.brand.as_ref()),
        o.eans.join("|"),
        opt(o.status.map(OfferStatus::code)),
        state_word(o.status, s.missing_since.is_some()).to_string(),
        opt(o.sale_price.map(money_text)),
        opt(o.recommended_price.map(money_text)),
        opt(o.min_sale_price.map(money_text)),
        opt(o.max_sale_price.map(money_text)),
        opt(o.best_offer_sale_price.map(money_text)),
        opt(o.best_offer_recommended_price.map(money_text)),
        opt(o.currency.as_ref()),
        opt(o.vat_id),
        opt(o.general_stock),
        opt(o.estimated_stock),
        opt(o.handling_time.first().map(|h| h.value)),
        opt(o.validation_status),
        opt(o.offer_validation_status),
        opt(o.buy_button_rank),
        opt(o.number_of_offers),
        opt(o.category_id),
        opt(o.url.as_ref()),
        rfc3339(s.first_seen_at),
        rfc3339(s.last_seen_at),
        rfc3339(s.last_changed_at),
        opt(s.missing_since.map(rfc3339)),
        opt(local.and_then(|v| v.sale_price).map(money_text)),
        opt(local.and_then(|v| v.recommended_price).map(money_text)),
        opt(local.and_then(|v| v.stock)),
        opt(local.and_then(|v| v.status)),
        opt(edit.map(|e| rfc3339(e.edited_at))),
        opt(edit.and_then(|e| e.queued_by.clone())),
    ]
}

/// The offer as eMAG sent it (its stored raw JSON), money as exact strings, plus magsync's
/// bookkeeping fields and the pending local edit apart (`pending_edit`).
pub fn json_offer(s: &StoredOffer, edit: Option<&crate::edits::Edit>) -> Value {
    let s = &emag_values(s, edit);
    let o = &s.offer;
    let mut m = match o.raw.to_value() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    m.entry("id").or_insert(json!(o.id));
    let money = [
        o.sale_price,
        o.recommended_price,
        o.min_sale_price,
        o.max_sale_price,
        o.best_offer_sale_price,
        o.best_offer_recommended_price,
    ];
    for (field, value) in MONEY_FIELDS.iter().zip(money) {
        match value {
            Some(d) => {
                m.insert((*field).to_string(), Value::String(money_text(d)));
            }
            // Keep an explicit null that eMAG sent; do not invent fields it did not send.
            None => {
                if let Some(v) = m.get_mut(*field) {
                    *v = Value::Null;
                }
            }
        }
    }
    m.insert("account".into(), json!(s.account));
    m.insert("first_seen_at".into(), json!(rfc3339(s.first_seen_at)));
    m.insert("last_seen_at".into(), json!(rfc3339(s.last_seen_at)));
    m.insert("missing_since".into(), json!(s.missing_since.map(rfc3339)));
    m.insert(
        "pending_edit".into(),
        match edit {
            Some(e) => json!({
                "sale_price": e.values.sale_price.map(money_text),
                "recommended_price": e.values.recommended_price.map(money_text),
                "stock": e.values.stock,
                "status": e.values.status,
                "queued_at": rfc3339(e.edited_at),
                "queued_by": e.queued_by,
            }),
            None => Value::Null,
        },
    );
    Value::Object(m)
}
