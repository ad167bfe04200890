//! An offer's JSON exactly as eMAG sent it, with the hash of its canonical form.
//!
//! The text is kept byte for byte (no re-serialisation on the sync's hot path: each page is
//! 100 offers of ~2 KB). The content hash is taken over a canonical rendering (object keys
//! sorted, compact), so the order eMAG happens to send keys in or its whitespace never counts
//! as a change. That canonical form is what magsync stored before the raw text was kept
//! verbatim, so hashes of existing stores stay valid.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;

#[derive(Clone)]
pub struct RawJson {
    text: Box<RawValue>,
    hash: blake3::Hash,
}

impl RawJson {
    /// From an already parsed offer: compact text in the value's key order.
    pub fn from_value(value: &Value) -> RawJson {
        let text = serde_json::value::to_raw_value(value)
            .unwrap_or_else(|_| RawValue::from_string("null".into()).expect("null is JSON"));
        RawJson {
            text,
            hash: canonical_hash(value.clone()),
        }
    }

    /// From the bytes received and their parse (which is consumed: sorting it is part of
    /// hashing).
    pub fn from_wire(text: &RawValue, parsed: Value) -> RawJson {
        RawJson {
            text: text.to_owned(),
            hash: canonical_hash(parsed),
        }
    }

    /// As stored: the text and the hex hash written with it, so reading a million offers
    /// back (export) neither re-parses nor re-hashes them. A hash that does not parse is
    /// recomputed.
    pub fn from_stored(text: Box<RawValue>, content_hash: &str) -> RawJson {
        let hash = blake3::Hash::from_hex(content_hash).unwrap_or_else(|_| {
            canonical_hash(serde_json::from_str(text.get()).unwrap_or(Value::Null))
        });
        RawJson { text, hash }
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.text.get()
    }

    pub fn as_raw_value(&self) -> &RawValue {
        &self.text
    }

    /// The JSON parsed (for display and export; not on the sync's hot path).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.text.get()).unwrap_or(Value::Null)
    }

    /// Hex blake3 of the canonical form; equal for texts that differ only in key order or
    /// whitespace.
    pub fn content_hash(&self) -> String {
        self.hash.to_hex().to_string()
    }
}

fn canonical_hash(mut value: Value) -> blake3::Hash {
    value.sort_all_objects();
    let mut hasher = blake3::Hasher::new();
    // Writing into a hasher cannot fail, and a Value always serialises.
    let _ = serde_json::to_writer(&mut hasher, &value);
    hasher.finalize()
}

impl Default for RawJson {
    fn default() -> Self {
        RawJson::from_value(&Value::Null)
    }
}

impl From<Value> for RawJson {
    fn from(value: Value) -> Self {
        RawJson::from_value(&value)
    }
}

/// Equal when the content is: key order, whitespace and escapes do not matter.
impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text.get())
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.text.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(RawJson::from_value(&Value::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_kept_verbatim_and_the_hash_ignores_key_order_and_spaces() {
        let a: Box<RawValue> =
            serde_json::from_str(r#"{"id": 1, "sale_price": "1.0000"}"#).unwrap();
        let b: Box<RawValue> = serde_json::from_str(r#"{"sale_price":"1.0000","id":1}"#).unwrap();
        let ra = RawJson::from_wire(&a, serde_json::from_str(a.get()).unwrap());
        let rb = RawJson::from_wire(&b, serde_json::from_str(b.get()).unwrap());
        assert_eq!(ra.get(), r#"{"id": 1, "sale_price": "1.0000"}"#);
        assert_eq!(ra.content_hash(), rb.content_hash());
        assert_eq!(ra, rb);
        let c = RawJson::from_value(&json!({"id": 1, "sale_price": "1.0001"}));
        assert_ne!(ra.content_hash(), c.content_hash());
        // The canonical form is the compact sorted rendering, as stores have always hashed it.
        assert_eq!(
            ra.content_hash(),
            blake3::hash(br#"{"id":1,"sale_price":"1.0000"}"#)
                .to_hex()
                .to_string()
        );
    }
}
