//! What a push would send, offer by offer, before anything is sent: the CLI prints it and the
//! dashboard shows it in a confirmation popup. The push then sends exactly the previewed
//! edits at the previewed revisions, so an edit changed after the preview stays pending.

use serde::Serialize;

use super::{Edit, db};
use crate::store::{Result, Store};

/// Which pending edits a push covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every account's pending edits.
    All,
    /// One account's.
    Account(String),
    /// These edits (by edit id), when pending: the dashboard's marked rows.
    Edits(Vec<i64>),
}

/// One field of one offer: eMAG's value the edit was based on, and the value to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One offer a push would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewItem {
    pub edit_id: i64,
    pub revision: i64,
    pub account: String,
    pub offer_id: i64,
    pub name: Option<String>,
    pub part_number: Option<String>,
    pub changes: Vec<FieldChange>,
    pub queued_by: Option<String>,
    /// Why part of the edit will not be sent (stock of an FBE offer).
    pub note: Option<String>,
}

/// The previewed edits, oldest first per account, accounts by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub items: Vec<PreviewItem>,
}

impl Preview {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Offers in the push (one open edit per offer, so one item each).
    pub fn offers(&self) -> usize {
        self.items.len()
    }

    pub fn accounts(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for i in &self.items {
            if !out.contains(&i.account) {
                out.push(i.account.clone());
            }
        }
        out
    }

    /// `(edit id, revision)` of an account's previewed edits: what its push may send.
    pub fn selection(&self, account: &str) -> Vec<(i64, i64)> {
        self.items
            .iter()
            .filter(|i| i.account == account)
            .map(|i| (i.edit_id, i.revision))
            .collect()
    }

    /// "3 offers of 2 accounts (main, fbe)".
    pub fn summary(&self) -> String {
        let accounts = self.accounts();
        format!(
            "{} offer{} of {} account{} ({})",
            self.offers(),
            if self.offers() == 1 { "" } else { "s" },
            accounts.len(),
            if accounts.len() == 1 { "" } else { "s" },
            accounts.join(", ")
        )
    }
}

/// Reads the pending edits of `scope` and what each would change.
pub async fn preview(store: &Store, scope: &Scope) -> Result<Preview> {
    let mut edits: Vec<Edit> = Vec::new();
    match scope {
        Scope::All => {
            for a in db::accounts_with_pending(store).await? {
                edits.extend(db::pending_of(store, &a).await?);
            }
        }
        Scope::Account(a) => edits = db::pending_of(store, a).await?,
        Scope::Edits(ids) => {
            for id in ids {
                if let Some(e) = db::get(store, *id).await?
                    && e.state == super::EditState::Pending
                {
                    edits.push(e);
                }
            }
            edits.sort_by(|a, b| a.account.cmp(&b.account).then(a.id.cmp(&b.id)));
        }
    }
    let mut items = Vec::with_capacity(edits.len());
    for e in edits {
        let offer = store.offers().get(&e.account, e.offer_id).await?;
        let fbe = super::is_fbe_account(&e.account);
        let changes = e
            .fields()
            .into_iter()
            .map(|f| FieldChange {
                field: f.name(),
                old: e.base.text(f),
                new: e.values.text(f),
            })
            .collect();
        items.push(PreviewItem {
            edit_id: e.id,
            revision: e.revision,
            name: offer.as_ref().and_then(|o| o.offer.name.clone()),
            part_number: e
                .part_number
                .clone()
                .or_else(|| offer.and_then(|o| o.offer.part_number)),
            account: e.account,
            offer_id: e.offer_id,
            changes,
            queued_by: e.queued_by,
            note: (fbe && e.values.stock.is_some())
                .then(|| "stock of FBE offers is managed by eMAG; it is not sent".to_string()),
        });
    }
    Ok(Preview { items })
}

/// The preview as text lines for a terminal: one header line per offer, one line per field.
pub fn lines(p: &Preview) -> Vec<String> {
    let mut out = Vec::new();
    for i in &p.items {
        out.push(format!(
            "{} · offer {} · {} · {}{}",
            i.account,
            i.offer_id,
            i.name.as_deref().unwrap_or("(no name)"),
            i.part_number.as_deref().unwrap_or("(no part number)"),
            i.queued_by
                .as_deref()
                .map(|b| format!(" · queued by {b}"))
                .unwrap_or_default()
        ));
        for c in &i.changes {
            out.push(format!(
                "    {:<18} {} → {}",
                c.field,
                c.old.as_deref().unwrap_or("none"),
                c.new.as_deref().unwrap_or("none")
            ));
        }
        if let Some(n) = &i.note {
            out.push(format!("    ({n})"));
        }
    }
    out
}
